"""Run the studio: bind, print the URL, serve until Ctrl-C, stop cleanly."""

from __future__ import annotations

import contextlib
import secrets
import socket
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loopmill import settings
from loopmill.errors import MissingDependencyError, StorageError
from loopmill.studio.config import StudioConfig, is_loopback

__all__ = ["BackgroundStudio", "run_studio", "serve", "studio_config"]


def studio_config(
    *, host: str = settings.STUDIO_HOST, port: int = settings.STUDIO_PORT,
    catalog: str | Path | None = None,
    dest: str | Path = "loops", roots: tuple[str | Path, ...] = (), token: str | None = None,
    listener: str = "default", workers: int = 1,
) -> StudioConfig:
    """A :class:`StudioConfig` with the defaults filled in: the default catalog, the
    current folder among the roots, and a fresh token for a host other machines reach.

    Raises
    ------
    BadInputError
        A bad port, worker count, listener or token.
    """
    from loopmill.storage.catalog import default_catalog_path

    if token is None and not is_loopback(host):
        token = secrets.token_urlsafe(24)
    return StudioConfig(
        catalog=Path(catalog) if catalog else default_catalog_path(), dest=Path(dest),
        roots=(Path.cwd(), *map(Path, roots)), host=host, port=port, token=token,
        listener=listener, workers=workers,
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise StorageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; pass "
                           "another port (0 picks a free one)") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(config: StudioConfig, *, open_browser: bool = False,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the studio until Ctrl-C (or SIGTERM); returns once it has stopped.

    Parameters
    ----------
    config : StudioConfig
        What to serve, where.
    open_browser : bool
        Open the page in the default browser once listening.
    on_ready : callable, optional
        Called with the page's URL (token included) once the socket listens.

    Raises
    ------
    MissingDependencyError
        fastapi or uvicorn is not installed.
    StorageError
        The port is taken or the catalog cannot be opened.
    """
    try:
        import uvicorn

        from loopmill.studio.app import create_app
    except ImportError:
        raise MissingDependencyError(
            "the studio needs fastapi and uvicorn; pip install 'loopmill[studio]'") from None
    app = create_app(config)
    sock = _bind(config.host, config.port)
    port = sock.getsockname()[1]
    shown = f"[{config.host}]" if ":" in config.host else config.host
    url = f"http://{shown}:{port}/" + (f"?token={config.token}" if config.token else "")
    studio: Any = app.state.studio

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            studio.stopping.set()  # event streams end now, not after the grace period
            super().handle_exit(sig, frame)

    server = _Server(uvicorn.Config(app, log_level="warning", lifespan="on",
                                    timeout_graceful_shutdown=3, access_log=False))
    if on_ready is not None:
        on_ready(url)
    if open_browser:
        webbrowser.open(url)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C once it has shut down: done
        pass
    finally:
        with contextlib.suppress(OSError):
            sock.close()


def run_studio(
    *, host: str = settings.STUDIO_HOST, port: int = settings.STUDIO_PORT,
    catalog: str | Path | None = None,
    dest: str | Path = "loops", roots: tuple[str | Path, ...] = (), token: str | None = None,
    listener: str = "default", workers: int = 1, open_browser: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """:func:`studio_config` then :func:`serve`: what ``loopmill studio`` runs."""
    config = studio_config(host=host, port=port, catalog=catalog, dest=dest, roots=roots,
                           token=token, listener=listener, workers=workers)
    serve(config, open_browser=open_browser, on_ready=on_ready)


class BackgroundStudio:
    """A studio served from a thread of this process (tests, notebooks, benchmarks).

    Use as a context manager: ``with BackgroundStudio(config) as s: s.url``; leaving it
    stops the server and its workers.
    """

    def __init__(self, config: StudioConfig) -> None:
        import threading

        import uvicorn

        from loopmill.studio.app import create_app

        self.app = create_app(config)
        self._sock = _bind(config.host, config.port)
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://{config.host}:{self.port}/"
        self._server = uvicorn.Server(uvicorn.Config(
            self.app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1,
            access_log=False))
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._sock]}, daemon=True)

    def __enter__(self) -> BackgroundStudio:
        import time

        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise StorageError("the studio server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.app.state.studio.stopping.set()
        self._server.should_exit = True
        self._thread.join(timeout=30)
        with contextlib.suppress(OSError):
            self._sock.close()
