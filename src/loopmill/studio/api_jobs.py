"""The generate routes: queue a job, list, cancel, and the event stream (SSE)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from loopmill.studio.app import studio_of
from loopmill.studio.jobs import GenerateRequest

router = APIRouter(prefix="/api")
_KEEPALIVE_S = 15.0


@router.post("/jobs", status_code=201)
def create_job(request: Request, body: GenerateRequest) -> dict[str, Any]:
    """Queue a generate job; its loops appear in the catalog as they finish."""
    return studio_of(request).jobs.submit(body).to_dict()


@router.get("/jobs")
def list_jobs(request: Request) -> dict[str, Any]:
    """Every job of this server run, newest first."""
    return {"jobs": [j.to_dict() for j in studio_of(request).jobs.all()]}


@router.get("/jobs/{job_id}")
def get_job(request: Request, job_id: str) -> dict[str, Any]:
    """One job."""
    return studio_of(request).jobs.get(job_id).to_dict()


@router.post("/jobs/{job_id}/cancel")
def cancel_job(request: Request, job_id: str) -> dict[str, Any]:
    """Stop a job: items not started are dropped, the one in hand is kept."""
    return studio_of(request).jobs.cancel(job_id).to_dict()


@router.get("/events")
async def events(request: Request, after: int = 0) -> StreamingResponse:
    """Server-Sent Events: ``job`` (a job changed), ``item`` (a loop finished or
    failed) and ``catalog`` (loops added or removed, by anyone); ``Last-Event-ID``
    resumes after a reconnect."""
    studio = studio_of(request)
    last = int(request.headers.get("last-event-id") or after)

    async def stream() -> AsyncIterator[str]:
        nonlocal last
        yield "retry: 2000\n\n"
        quiet = 0.0
        stamp = await anyio.to_thread.run_sync(studio.db, lambda c: c.stamp())
        while not studio.stopping.is_set():
            got = await anyio.to_thread.run_sync(studio.jobs.wait_events, last, 1.0)
            for seq, ev in got:
                last = seq
                yield f"id: {seq}\nevent: {ev['type']}\ndata: {json.dumps(ev)}\n\n"
            now = await anyio.to_thread.run_sync(studio.db, lambda c: c.stamp())
            if now != stamp:  # another process (auto, generate) or a delete changed it
                stamp = now
                data = json.dumps({"loops": now[0], "last_id": now[1]})
                yield f"event: catalog\ndata: {data}\n\n"
            quiet = 0.0 if got else quiet + 1.0
            if quiet >= _KEEPALIVE_S:
                quiet = 0.0
                yield ": keep-alive\n\n"
            if await request.is_disconnected():
                return

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"x-accel-buffering": "no"})
