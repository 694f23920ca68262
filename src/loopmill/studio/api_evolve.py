"""The evolve routes: uploads (a target track), and the sessions (after the merge)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from loopmill.studio.app import studio_of
from loopmill.studio.uploads import save_upload

router = APIRouter(prefix="/api")


@router.post("/uploads", status_code=201)
async def upload(request: Request,
                 name: Annotated[str, Query(max_length=200)] = "target.wav") -> dict[str, Any]:
    """Store an uploaded audio file (raw body, application/octet-stream); its id."""
    studio = studio_of(request)
    data = await request.body()  # the guard has capped its size
    upload_id = save_upload(studio.config.sessions / "uploads", data, name=name)
    return {"id": upload_id, "bytes": len(data)}
