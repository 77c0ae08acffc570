"""``python -m psod_ocr``: the ``psod-ocr`` command (what the tests start as a real process)."""

from .console import run

if __name__ == "__main__":  # the web server's spawned workers import this module too
    run()
