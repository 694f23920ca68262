"""loopmill.studio: a local web page to audition loops seamlessly, rate them, generate
and evolve.

``loopmill studio`` runs :func:`serve`; :func:`create_app` builds the FastAPI app (for a
test client or another ASGI server). Needs the ``studio`` extra (fastapi, uvicorn).
"""

from __future__ import annotations

from typing import Any

from loopmill.studio.config import StudioConfig
from loopmill.studio.server import run_studio, serve, studio_config

__all__ = ["StudioConfig", "create_app", "run_studio", "serve", "studio_config"]


def create_app(config: StudioConfig) -> Any:
    """The studio's FastAPI app (see :func:`loopmill.studio.app.create_app`)."""
    from loopmill.studio.app import create_app as make

    return make(config)
