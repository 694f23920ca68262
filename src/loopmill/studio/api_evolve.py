"""The evolve routes: uploads (a target track), sessions (start, rate, next generation,
favourites, write loops) and their candidates' audio."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from loopmill.errors import BadInputError
from loopmill.studio.app import studio_of
from loopmill.studio.evolve import EvolveRequest, Sessions
from loopmill.studio.media import head_wav, loop_info, peaks
from loopmill.studio.security import safe_file
from loopmill.studio.uploads import resolve_upload, save_upload

router = APIRouter(prefix="/api")


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = studio_of(request).evolve
    return sessions


@router.post("/uploads", status_code=201)
async def upload(request: Request,
                 name: Annotated[str, Query(max_length=200)] = "target.wav") -> dict[str, Any]:
    """Store an uploaded audio file (raw body, application/octet-stream); its id."""
    studio = studio_of(request)
    data = await request.body()  # the guard has capped its size
    upload_id = save_upload(studio.config.sessions / "uploads", data, name=name)
    return {"id": upload_id, "bytes": len(data)}


@router.get("/evolve")
def list_sessions(request: Request) -> dict[str, Any]:
    """Every session, newest first (they survive a restart)."""
    return {"sessions": _sessions(request).all()}


@router.post("/evolve", status_code=201)
def start_session(request: Request, body: EvolveRequest) -> dict[str, Any]:
    """Start a session; its first generation renders in the background."""
    studio = studio_of(request)
    target = None
    if body.target:
        target = resolve_upload(studio.config.sessions / "uploads", body.target)
    return _sessions(request).start(body, target=target)


@router.get("/evolve/{sid}")
def get_session(request: Request, sid: str) -> dict[str, Any]:
    """A session: its candidates, history (best and mean fitness per generation), best."""
    return _sessions(request).get(sid)


class _Body(BaseModel):
    """A request body: an unknown key is refused."""

    model_config = ConfigDict(extra="forbid")


class _CandidateBody(_Body):
    """A body about one of the session's current candidates."""

    candidate: str = Field(max_length=40)


class RateIn(_CandidateBody):
    """A candidate's rating."""

    score: float
    kind: str = Field(default="stars", pattern="^(stars|like)$")


@router.post("/evolve/{sid}/rate")
def rate(request: Request, sid: str, body: RateIn) -> dict[str, Any]:
    """Rate a current candidate."""
    return _sessions(request).rate(sid, body.candidate, body.score, body.kind)


class PreferIn(_CandidateBody):
    """The answer to "this one or the champion?"."""

    preferred: bool


@router.post("/evolve/{sid}/prefer")
def prefer(request: Request, sid: str, body: PreferIn) -> dict[str, Any]:
    """Say whether a current candidate beats the champion (once stars saturate)."""
    return _sessions(request).prefer(sid, body.candidate, body.preferred)


@router.post("/evolve/{sid}/next")
def next_generation(request: Request, sid: str) -> dict[str, Any]:
    """Score the generation, step the search, render the next one (background)."""
    return _sessions(request).next(sid)


class FavouriteIn(_CandidateBody):
    """Keep or drop a favourite."""

    on: bool = True


@router.post("/evolve/{sid}/favourite")
def favourite(request: Request, sid: str, body: FavouriteIn) -> dict[str, Any]:
    """Keep a current candidate among the favourites (or drop it)."""
    return _sessions(request).favourite(sid, body.candidate, body.on)


class WriteIn(_Body):
    """What to write as loops."""

    which: str = Field(default="best", pattern="^(best|favourites)$")


@router.post("/evolve/{sid}/write")
def write(request: Request, sid: str, body: WriteIn) -> dict[str, Any]:
    """Write the best so far, or the favourites, as loops (destination and catalog)."""
    return _sessions(request).write(sid, body.which)


def _audio(request: Request, sid: str, cid: str) -> tuple[Any, Any]:
    try:
        cand, path = _sessions(request).candidate(sid, cid)
    except BadInputError as exc:
        raise HTTPException(404, str(exc)) from None
    safe = safe_file(str(path), studio_of(request).config.roots)
    if safe is None:
        raise HTTPException(404, f"candidate {cid}'s audio is outside the studio's folders")
    return cand, safe


@router.get("/evolve/{sid}/candidates/{cid}")
def candidate(request: Request, sid: str, cid: str) -> dict[str, Any]:
    """A candidate as the player sees a loop: name, tempo and loop points."""
    cand, path = _audio(request, sid, cid)
    spec = cand.design.get("spec", {})
    return {"id": cid, "name": f"{sid} · {cid}", "bpm": spec.get("bpm"), "beats_per_bar": 4,
            "key": spec.get("key"), "prompt": spec.get("text"), "loop": loop_info(path),
            "playable": True}


@router.get("/evolve/{sid}/candidates/{cid}/audio")
def candidate_audio(request: Request, sid: str, cid: str) -> FileResponse:
    """The candidate's audition WAV."""
    return FileResponse(_audio(request, sid, cid)[1], media_type="audio/wav")


@router.get("/evolve/{sid}/candidates/{cid}/head")
def candidate_head(request: Request, sid: str, cid: str,
                   seconds: Annotated[float, Query(gt=0, le=10)] = 6.0) -> Response:
    """The first seconds of its loop, for an instant start."""
    return Response(head_wav(_audio(request, sid, cid)[1], seconds=seconds),
                    media_type="audio/wav")


@router.get("/evolve/{sid}/candidates/{cid}/peaks")
def candidate_peaks(request: Request, sid: str, cid: str,
                    bins: Annotated[int, Query(ge=16, le=4000)] = 800) -> dict[str, Any]:
    """Waveform peaks."""
    return peaks(_audio(request, sid, cid)[1], bins=bins)
