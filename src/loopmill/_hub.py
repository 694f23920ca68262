"""The Hugging Face hub, as loopmill uses it: cache first, one quiet reachability check.

``transformers`` alone retries an unreachable hub for half a minute and prints a dozen
warnings before it fails. loopmill instead looks in the local cache, then checks once,
in a few seconds and silently, whether the hub answers, and otherwise fails in one line
that names the download command of the installed ``huggingface_hub``.
"""

from __future__ import annotations

import importlib.metadata
import socket
from urllib.parse import urlparse

from loopmill import settings
from loopmill.errors import MissingModelError

__all__ = ["download_command", "hub_offline", "hub_reachable", "is_cached", "not_available",
           "resolve_offline"]

_TIMEOUT_S = 3.0


def hub_offline() -> bool:
    """``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` is set (read at call time)."""
    return settings.hub_offline()


def hub_reachable(timeout: float = _TIMEOUT_S) -> bool:
    """Whether a TCP connection to the hub (``HF_ENDPOINT``) opens within ``timeout``."""
    url = urlparse(settings.hub_endpoint())
    host = url.hostname or "huggingface.co"
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def is_cached(repo_id: str, filename: str = "config.json") -> bool:
    """Whether ``filename`` of ``repo_id`` is in the local hub cache."""
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(repo_id, filename), str)


def download_command(repo_id: str) -> str:
    """The download command the installed huggingface_hub provides (``hf`` since 0.34,
    ``huggingface-cli`` before)."""
    try:
        dist = importlib.metadata.distribution("huggingface_hub")
        scripts = {e.name for e in dist.entry_points if e.group == "console_scripts"}
    except importlib.metadata.PackageNotFoundError:
        scripts = set()
    tool = "hf" if "hf" in scripts or not scripts else "huggingface-cli"
    return f"{tool} download {repo_id} --local-dir {repo_id.rsplit('/', 1)[-1]}"


def not_available(repo_id: str, *, why: str) -> MissingModelError:
    """The one-line error for a hub model that is neither cached nor downloadable."""
    return MissingModelError(
        f"{repo_id} is not downloaded and {why}; on a machine with network run "
        f"`{download_command(repo_id)}`, copy the folder here and pass that folder as model",
        field="model",
    )


def resolve_offline(repo_id: str) -> bool:
    """Whether to load ``repo_id`` from the cache only (True) or from the hub (False).

    Raises
    ------
    MissingModelError
        Not cached, and the hub is switched off (offline mode) or does not answer.
    """
    if is_cached(repo_id):
        return True
    if hub_offline():
        raise not_available(repo_id, why="the hub is switched off (HF_HUB_OFFLINE)")
    if not hub_reachable():
        raise not_available(repo_id, why="the hub cannot be reached")
    return False
