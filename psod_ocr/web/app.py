"""The routes of ``psod-ocr serve``: the page, and a JSON API over the pipeline and the history.

``POST /api/reports`` answers with the report JSON itself (valid against the schema, as
``scan --format json`` prints it) and, when the report was stored, its id in ``X-Report-Id``
(and ``Location``). Views made for people (text, Markdown, labels) come from other endpoints,
so no key is ever added to a report. Errors are ``{"error": "..."}`` with a 4xx status for what
the client sent and 5xx for what went wrong here; neither takes the server down. Requests for
another Host name (400), writes from pages of other sites (403) and bodies that stall (408) are
refused below the routes, in ``guard.py``.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from .. import __version__, knowledge
from ..errors import PsodError
from ..load import MAX_BYTES
from ..relang import in_language
from ..render import to_markdown, to_text
from ..report import Report, from_dict
from ..store import Store, StoreError
from .guard import Guard
from .origin import Hosts
from .pool import Busy, ScanPool, WorkerCrashed
from .server import DEFAULT_BIND
from .upload import ApiError, Spooled, host_of, label_of, lang_of, spool

log = logging.getLogger("psod_ocr.web")
STATIC = Path(__file__).resolve().parent / "static"
FORM_OVERHEAD = 1024 * 1024  # multipart boundaries, headers and the small fields
MAX_ID = 2**63 - 1  # SQLite's largest integer: no report has a larger id (or one below 1)
T = TypeVar("T")


@dataclass
class Settings:
    db: Path
    workers: int = 2
    queue: int = 32  # received uploads that may wait for a worker; more get 503
    max_bytes: int = MAX_BYTES
    read_timeout: float = 30.0  # seconds a request body may stall before it is refused (408)
    bind: str = DEFAULT_BIND  # the address listened on: a Host name the server answers to
    allow_hosts: tuple[str, ...] = ()  # more such names (a reverse proxy's)


@dataclass
class State:
    settings: Settings
    pool: ScanPool
    tmp: Path  # private folder for uploads being read
    inflight: dict[tuple[str, str], asyncio.Task[dict[str, Any]]] = field(default_factory=dict)

    async def store(self, fn: Callable[[Store], T]) -> T:
        """Run ``fn`` with a store of its own in a thread: SQLite waits must not block the loop."""

        def call() -> T:
            with Store(self.settings.db) as store:
                return fn(store)

        return await run_in_threadpool(call)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _validated(obj: Any) -> dict[str, Any]:
    from ..report import validate

    if not isinstance(obj, dict):
        raise ApiError(400, "expected one report object")
    try:
        validate(obj)
    except Exception as exc:  # jsonschema.ValidationError: say where, briefly
        raise ApiError(422, f"not a valid report: {str(exc).splitlines()[0]}") from exc
    return obj


def _views(report: Report, lang: str) -> dict[str, Any]:
    """The report for the page: itself, and the server-rendered text and Markdown to copy."""
    return {"report": report.to_dict(), "text": to_text(report, lang), "markdown": to_markdown(report, lang)}


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tmp = Path(tempfile.mkdtemp(prefix="psod-ocr-web-"))
        pool = ScanPool(settings.workers, settings.queue)
        pool.warm()
        app.state.psod = State(settings, pool, tmp)
        try:
            yield
        finally:
            pool.shutdown()
            shutil.rmtree(tmp, ignore_errors=True)

    app = FastAPI(title="psod-ocr", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)  # fmt: skip
    app.add_middleware(Guard, max_body=settings.max_bytes + FORM_OVERHEAD, read_timeout=settings.read_timeout,
                       hosts=Hosts.of(settings.bind, settings.allow_hosts))  # fmt: skip
    _handlers(app)
    _pages(app)
    _api(app)
    return app


def _state(request: Request) -> State:
    return request.app.state.psod


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def bad_upload(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.message)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> JSONResponse:
        return _error(503, f"busy: {exc}", {"Retry-After": "5"})

    @app.exception_handler(WorkerCrashed)
    async def crashed(request: Request, exc: WorkerCrashed) -> JSONResponse:
        return _error(500, str(exc))

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        return _error(500, str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _error(422, f"invalid request: {where}")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        """A bug here: the client gets JSON like every other error (the log gets the traceback)."""
        return _error(500, f"internal error ({type(exc).__name__})")


def _pages(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    @app.get("/reports/{report_id}", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/hosts/{host:path}", include_in_schema=False)
    async def host_page() -> FileResponse:
        return FileResponse(STATIC / "host.html")


def _api(app: FastAPI) -> None:
    @app.get("/healthz")
    async def healthz(request: Request) -> dict[str, Any]:
        state = _state(request)
        await state.store(lambda s: s.hosts())  # the history can be opened and read
        pool = state.pool
        return {"status": "ok", "version": __version__, "workers": pool.workers,
                "in_progress": pool.active, "limit": pool.limit}  # fmt: skip

    @app.get("/api/ui")
    async def ui() -> dict[str, dict[str, str]]:
        """Every label of the page by language: web.toml as is, the report's labels under
        ``r.``, pattern analysis labels under ``a.``."""
        from ..analyze import rules

        tables = (("", knowledge.web_text()), ("r.", knowledge.ui_text()), ("a.", rules().text))
        return {lang: {prefix + key: entry[lang] for prefix, table in tables for key, entry in table.items()}
                for lang in knowledge.LANGS}  # fmt: skip

    @app.post("/api/reports")
    async def post_report(request: Request) -> JSONResponse:
        state = _state(request)
        received = await _receive(request, state)  # whole first: a client still sending holds no slot
        try:
            with state.pool.ticket():
                return await _upload(state, received)
        except Busy:
            received.spooled.path.unlink(missing_ok=True)
            raise

    @app.get("/api/reports/{report_id}")
    async def get_report(
        request: Request, report_id: int, lang: str = "en", format: str = "json"
    ) -> Response:
        lang = lang_of(lang)
        if not 0 < report_id <= MAX_ID:
            return _error(404, f"no report #{report_id}")
        stored = await _state(request).store(lambda s: s.get(report_id))
        if stored is None:
            return _error(404, f"no report #{report_id}")
        report = in_language(stored.report, lang)
        headers = {"X-Report-Id": str(stored.id)}
        if format == "text":
            return PlainTextResponse(to_text(report, lang), headers=headers)
        if format == "md":
            return PlainTextResponse(to_markdown(report, lang), headers=headers, media_type="text/markdown")
        if format != "json":
            return _error(400, "format must be json, text or md")
        return JSONResponse(report.to_dict(), headers=headers)

    @app.post("/api/render")
    async def render(request: Request, lang: str = "en") -> dict[str, Any]:
        """A report (JSON body) in ``lang`` with its text and Markdown views, for the page."""
        lang = lang_of(lang)
        try:
            obj = await request.json()
        except ValueError as exc:
            raise ApiError(400, "the body must be a report as JSON") from exc
        return _views(in_language(_validated(obj), lang), lang)

    @app.get("/api/hosts")
    async def hosts(request: Request) -> list[dict[str, Any]]:
        def count(store: Store) -> list[dict[str, Any]]:
            return [{"host": h, "reports": len(store.history(h))} for h in store.hosts()]

        return await _state(request).store(count)

    @app.get("/api/hosts/{host:path}/analysis")
    async def analysis(request: Request, host: str, lang: str = "en") -> Response:
        """The host's pattern analysis (``analyze --format json``) with its history and the
        analysis as text and Markdown."""
        from ..analyze import analyze
        from ..render_history import analysis_to_markdown, analysis_to_text

        lang = lang_of(lang)
        rows, signature_hosts = await _state(request).store(lambda s: (s.history(host), s.signature_hosts()))
        if not rows:
            return _error(404, f"no reports stored for host {host!r}")
        result = analyze([r.report for r in rows], signature_hosts)
        return JSONResponse({"host": host, **result.to_dict(), "history": [r.summary() for r in rows],
                             "text": analysis_to_text(result, lang),
                             "markdown": analysis_to_markdown(result, lang)})  # fmt: skip


@dataclass(frozen=True)
class Received:
    spooled: Spooled  # the picture in our temporary folder; whoever holds this removes it
    host: str | None
    lang: str
    label: str


async def _receive(request: Request, state: State) -> Received:
    """The whole upload, its picture spooled into a file of ours."""
    form = await request.form(max_files=1, max_fields=8)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(400, "no picture: send it as the multipart form field 'file'")
        host, lang, label = host_of(form.get("host")), lang_of(form.get("lang")), label_of(upload.filename)
        spooled = await run_in_threadpool(spool, upload.file, state.tmp, state.settings.max_bytes, label)
    finally:
        await form.close()
    return Received(spooled, host, lang, label)


async def _upload(state: State, received: Received) -> JSONResponse:
    """Take the picture from the history or read it, store it, answer with the report."""
    spooled, host, lang, label = received.spooled, received.host, received.lang, received.label
    handed_over = False
    try:
        known = await state.store(lambda s: s.find_sha(spooled.sha256))
        if known is not None:
            report = in_language(known.report, lang, path=label)
        else:
            key = (spooled.sha256, lang)
            task = state.inflight.get(key)
            if task is None:  # the same picture twice at once is read once
                task = asyncio.ensure_future(_read(state, spooled.path, label, lang))
                state.inflight[key] = task
                task.add_done_callback(lambda _: state.inflight.pop(key, None))
                handed_over = True
            report = in_language(await _answer(asyncio.shield(task), label), lang, path=label)
    finally:
        if not handed_over:
            spooled.path.unlink(missing_ok=True)
    report_id = await state.store(lambda s: s.add(report, host)) if report.is_psod else None
    headers = {"X-Report-Id": str(report_id), "Location": f"/api/reports/{report_id}"} if report_id else {}
    return JSONResponse(report.to_dict(), headers=headers)


async def _read(state: State, path: Path, label: str, lang: str) -> dict[str, Any]:
    try:
        return await state.pool.scan(path, label, lang)
    finally:
        path.unlink(missing_ok=True)


async def _answer(pending: asyncio.Future[dict[str, Any]], label: str) -> Report:
    """The worker's report, or the error the client should see for this picture."""
    from .._exec.tesseract import OcrError

    try:
        return from_dict(await pending)
    except (Busy, WorkerCrashed):
        raise
    except OcrError as exc:
        log.error("OCR failed for %s: %s", label, exc)
        raise ApiError(500, str(exc)) from exc
    except PsodError as exc:  # not an image, corrupt, too many pixels
        raise ApiError(422, str(exc)) from exc
    except Exception as exc:
        log.exception("reading %s failed", label)
        raise ApiError(500, f"{label}: could not be read ({type(exc).__name__}: {exc})") from exc
