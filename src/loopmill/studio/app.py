"""The studio's FastAPI app: the state it shares, the static page, the routers.

Build one with :func:`create_app`; :func:`loopmill.studio.serve` runs it with uvicorn.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from loopmill import __version__
from loopmill.errors import BadInputError, LoopmillError
from loopmill.storage.catalog import Catalog
from loopmill.studio.config import StudioConfig
from loopmill.studio.jobs import JobQueue
from loopmill.studio.security import Guard

__all__ = ["Studio", "create_app"]

T = TypeVar("T")
STATIC = Path(str(resources.files("loopmill.studio") / "static"))


class Studio:
    """What every request shares: the settings, the catalog (one lock), the job queue."""

    def __init__(self, config: StudioConfig) -> None:
        self.config = config
        self.catalog = Catalog(config.catalog)
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.jobs = JobQueue(dest=config.dest, on_record=self._add, workers=config.workers,
                             measure=config.measure)
        from loopmill.studio.evolve import Sessions

        self.evolve = Sessions(folder=config.sessions, catalog=config.catalog,
                               dest=config.dest, listener=config.listener,
                               notify=self.jobs.notify)
        import loopmill.audio  # noqa: F401  # now, not in the first click on play
        from loopmill.studio.foryou import ForYou

        self.for_you = ForYou(self)

    def _add(self, record: dict[str, Any]) -> int:
        with self.lock:
            return self.catalog.add(record)

    def db(self, fn: Callable[[Catalog], T]) -> T:
        """Run ``fn`` on the catalog under the lock."""
        with self.lock:
            return fn(self.catalog)

    def close(self) -> None:
        """Stop the jobs and close the catalog."""
        self.stopping.set()
        self.jobs.close()
        self.evolve.close()
        self.for_you.close()
        with self.lock:
            self.catalog.close()


def studio_of(request: Request) -> Studio:
    """The :class:`Studio` behind a request."""
    studio: Studio = request.app.state.studio
    return studio


def create_app(config: StudioConfig) -> FastAPI:
    """The studio app for ``config`` (its catalog opened now, its workers on first job).

    Raises
    ------
    StorageError
        The catalog cannot be opened.
    """
    studio = Studio(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        studio.close()

    app = FastAPI(title="loopmill studio", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.studio = studio

    # The message keeps the library's field names: they are the form's own input names
    # and the keys the page posts. ``fields`` lets the page mark those inputs.
    @app.exception_handler(BadInputError)
    async def bad_input(_: Request, exc: BadInputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "fields": list(exc.fields)}, status_code=400)

    @app.exception_handler(LoopmillError)
    async def failed(_: Request, exc: LoopmillError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "fields": list(exc.fields)}, status_code=500)

    from loopmill.studio.api_evolve import router as evolve_router
    from loopmill.studio.api_jobs import router as jobs_router
    from loopmill.studio.api_library import router as library_router

    app.include_router(library_router)
    app.include_router(jobs_router)
    app.include_router(evolve_router)

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "version": __version__, "listener": config.listener,
                "loops": studio.db(lambda c: c.count())}

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/api/{rest:path}", include_in_schema=False)
    def unknown(rest: str) -> None:
        raise HTTPException(404, f"no API route /api/{rest}")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(Guard, token=config.token,
                       allowed_hosts=config.allowed_hosts if config.token is None else None,
                       max_body=config.max_body, max_upload=config.max_upload)
    return app
