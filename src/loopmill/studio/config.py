"""The studio's settings: one frozen object, checked once, handed to the app."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from loopmill import settings
from loopmill.errors import BadInputError

__all__ = ["LOOPBACK", "StudioConfig", "is_loopback"]

#: host names that only this machine can reach
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class StudioConfig:
    """What a studio serves and how.

    Parameters
    ----------
    catalog : Path
        The SQLite catalog it shows (and adds generated loops to).
    dest : Path
        Where loops generated from the page are written.
    roots : tuple of Path
        Folders whose files may be served (``dest`` is always one); a catalog URI that
        resolves (symlinks followed) outside all of them is never served.
    host, port : str, int
        Where to listen; port 0 picks a free one.
    token : str or None
        Required (header ``X-Loopmill-Token``) on every API request; None only on a
        loopback host.
    listener : str
        Whose ratings the page records.
    workers : int
        Worker processes for generation jobs.
    sessions_dir : Path, optional
        Where evolve sessions are kept (default ``<catalog folder>/sessions``).
    max_body : int
        Largest JSON request body in bytes.
    max_upload : int
        Largest uploaded target file in bytes.
    """

    catalog: Path
    dest: Path
    roots: tuple[Path, ...] = ()
    host: str = settings.STUDIO_HOST
    port: int = settings.STUDIO_PORT
    token: str | None = None
    listener: str = "default"
    workers: int = 1
    sessions_dir: Path | None = None
    max_body: int = 64 * 1024
    max_upload: int = 64 * 1024 * 1024
    measure: bool = True
    allowed_hosts: tuple[str, ...] = field(default=LOOPBACK)

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise BadInputError(f"port {self.port} is out of range; use 0 to 65535")
        if self.workers < 1:
            raise BadInputError(f"workers {self.workers} must be at least 1")
        if not is_loopback(self.host) and not self.token:
            raise BadInputError(
                f"host {self.host!r} is reachable from other machines; a token is required")
        if self.token is not None and len(self.token) < 16:
            raise BadInputError("token is shorter than 16 characters; use a longer one")
        if not self.listener.strip():
            raise BadInputError("listener is empty; name the listener, e.g. 'default'")
        dest = Path(self.dest).expanduser().resolve()
        roots = [dest, *(Path(r).expanduser().resolve() for r in self.roots)]
        object.__setattr__(self, "dest", dest)
        object.__setattr__(self, "catalog", Path(self.catalog).expanduser())
        object.__setattr__(self, "roots", tuple(dict.fromkeys(roots)))
        if self.sessions_dir is None:
            object.__setattr__(self, "sessions_dir", self.catalog.parent / "sessions")
        # evolve candidates are auditioned from the sessions folder
        sessions = Path(self.sessions_dir).expanduser().resolve()  # type: ignore[arg-type]
        object.__setattr__(self, "sessions_dir", sessions)
        object.__setattr__(self, "roots", tuple(dict.fromkeys([*self.roots, sessions])))

    @property
    def sessions(self) -> Path:
        """The evolve sessions folder."""
        assert self.sessions_dir is not None  # set in __post_init__
        return self.sessions_dir
