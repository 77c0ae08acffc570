"""``psod-ocr serve``: a small web page and JSON API over the same pipeline and history.

``app.py`` the routes, ``pool.py`` the OCR worker processes, ``guard.py`` request limits and
security headers, ``upload.py`` what is done with an uploaded file, ``server.py`` the command,
``static/`` the page (plain HTML, JS and CSS: no build step, nothing fetched from elsewhere).
"""
