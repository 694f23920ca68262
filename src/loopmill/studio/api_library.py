"""The library routes: pages of the catalog, one loop, its peaks and files, delete,
ratings, suites."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from loopmill.studio.app import studio_of
from loopmill.studio.media import file_for, head_wav, loop_info, peaks, stored_formats
from loopmill.studio.security import safe_file

router = APIRouter(prefix="/api")

_SLIM = ("id", "name", "created", "prompt", "engine", "seed", "genre", "bpm", "key", "bars",
         "duration", "loudness_lufs", "true_peak_db", "seam_score", "detected_bpm",
         "detected_key", "rating", "run_id")
_MEDIA = {"ogg": "audio/ogg", "flac": "audio/flac", "wav": "audio/wav", "mp3": "audio/mpeg"}


def slim(row: dict[str, Any]) -> dict[str, Any]:
    """The columns the table shows, the stored formats and the suite."""
    out = {k: row.get(k) for k in _SLIM}
    out["formats"] = list(stored_formats(row))
    out["suite"] = (row.get("extra") or {}).get("suite")
    out["beats_per_bar"] = (row.get("extra") or {}).get("beats_per_bar", 4)
    return out


def _row(request: Request, loop_id: int) -> dict[str, Any]:
    row = studio_of(request).db(lambda c: c.get(loop_id))
    if row is None:
        raise HTTPException(404, f"no loop with id {loop_id}")
    return row


@router.get("/loops")
def list_loops(
    request: Request,
    genre: str | None = None, key: str | None = None, text: Annotated[
        str | None, Query(max_length=200)] = None,
    run_id: str | None = None, suite: str | None = None,
    bpm_min: float | None = None, bpm_max: float | None = None,
    rating_min: float | None = None, since: str | None = None, until: str | None = None,
    sort: str = "created", order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    offset: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """One page of loops matching the filters, and how many match in all."""
    studio = studio_of(request)
    t0 = time.perf_counter()
    filters = {"genre": genre, "key": key, "text": text, "run_id": run_id, "suite": suite,
               "bpm_min": bpm_min, "bpm_max": bpm_max, "rating_min": rating_min,
               "since": since, "until": until}
    if sort == "for_you":
        from loopmill.studio.foryou import for_you_page

        rows, total, scores = for_you_page(studio, filters, offset=offset, limit=limit)
    else:
        rows, total = studio.db(lambda c: c.page(sort=sort, descending=order == "desc",
                                                 offset=offset, limit=limit, **filters))
        scores = {}
    ids = [int(r["id"]) for r in rows]
    likes = studio.db(lambda c: c.latest_scores(ids, listener=studio.config.listener,
                                                kind="like"))
    out = []
    for r in rows:
        s = slim(r)
        s["like"] = likes.get(int(r["id"]))
        if scores:
            s["predicted"] = scores.get(int(r["id"]))
        out.append(s)
    page = {"rows": out, "total": total, "offset": offset, "limit": limit,
            "server_ms": round((time.perf_counter() - t0) * 1000, 2)}
    if sort == "for_you":  # loops are embedded in the background: how far it got
        page["for_you"] = {"scored": len(scores), "of": total}
    return page


@router.get("/facets")
def facets(request: Request) -> dict[str, Any]:
    """Distinct genres, keys, runs and suites for the filter menus."""
    return studio_of(request).db(lambda c: c.facets())


@router.get("/loops/{loop_id}")
def one_loop(request: Request, loop_id: int) -> dict[str, Any]:
    """Everything about one loop, with its loop points from the file it plays."""
    studio = studio_of(request)
    row = _row(request, loop_id)
    out = slim(row) | {"spec": row.get("spec"), "params": row.get("params"),
                       "extra": row.get("extra"), "timings": row.get("timings")}
    path = file_for(row, None, studio.config.roots)
    out["playable"] = path is not None
    out["play_format"] = path.suffix.lstrip(".") if path else None
    out["loop"] = loop_info(path) if path else None
    out["ratings"] = studio.db(lambda c: c.ratings(loop_id=loop_id,
                                                   listener=studio.config.listener))
    return out


@router.get("/loops/{loop_id}/peaks")
def loop_peaks(request: Request, loop_id: int,
               bins: Annotated[int, Query(ge=16, le=4000)] = 800) -> dict[str, Any]:
    """Waveform peaks of the file the page plays, and its loop region."""
    path = file_for(_row(request, loop_id), None, studio_of(request).config.roots)
    if path is None:
        raise HTTPException(404, f"loop {loop_id} has no file the studio may serve")
    return peaks(path, bins=bins)


def _send(path: Path, fmt: str, *, download: bool) -> FileResponse:
    return FileResponse(path, media_type=_MEDIA.get(fmt, "application/octet-stream"),
                        filename=path.name if download else None,
                        content_disposition_type="attachment" if download else "inline")


@router.get("/loops/{loop_id}/audio")
def loop_audio(request: Request, loop_id: int) -> FileResponse:
    """The file to play (OGG, FLAC, WAV, then MP3)."""
    path = file_for(_row(request, loop_id), None, studio_of(request).config.roots)
    if path is None:
        raise HTTPException(404, f"loop {loop_id} has no file the studio may serve")
    return _send(path, path.suffix.lstrip("."), download=False)


@router.get("/loops/{loop_id}/head")
def loop_head(request: Request, loop_id: int,
              seconds: Annotated[float, Query(gt=0, le=10)] = 6.0) -> Response:
    """The loop region's first seconds as float32 WAV, for an instant start."""
    path = file_for(_row(request, loop_id), None, studio_of(request).config.roots)
    if path is None:
        raise HTTPException(404, f"loop {loop_id} has no file the studio may serve")
    return Response(head_wav(path, seconds=seconds), media_type="audio/wav")


@router.get("/loops/{loop_id}/file/{fmt}")
def loop_file(request: Request, loop_id: int, fmt: str, download: bool = True) -> FileResponse:
    """The loop's stored file in ``fmt``; only catalog URIs inside the studio's roots."""
    path = file_for(_row(request, loop_id), fmt, studio_of(request).config.roots)
    if path is None:
        raise HTTPException(404, f"loop {loop_id} has no {fmt!r} file the studio may serve")
    return _send(path, fmt, download=download)


@router.delete("/loops/{loop_id}")
def delete_loop(request: Request, loop_id: int) -> dict[str, Any]:
    """Remove the loop's files (those inside the roots) and its row and ratings."""
    studio = studio_of(request)
    row = _row(request, loop_id)
    removed, kept = [], []
    for uri in stored_formats(row).values():
        path = safe_file(uri, studio.config.roots)
        if path is None:
            kept.append(uri)
            continue
        try:
            path.unlink()
            removed.append(str(path))
        except OSError as exc:
            raise HTTPException(500, f"cannot remove {path}: {exc.strerror}; the loop is "
                                     "kept") from None
    studio.db(lambda c: c.delete(loop_id))
    return {"deleted": loop_id, "removed": removed, "kept": kept}


class RatingIn(BaseModel):
    """A rating from the page."""

    model_config = ConfigDict(extra="forbid")
    score: float
    kind: str = Field(default="stars", pattern="^(stars|like)$")


@router.post("/loops/{loop_id}/rating")
def rate_loop(request: Request, loop_id: int, body: RatingIn) -> dict[str, Any]:
    """Store a rating (stars 1..5, like 1 / dislike -1) by the studio's listener."""
    studio = studio_of(request)
    _row(request, loop_id)
    rid = studio.db(lambda c: c.add_rating(loop_id, body.score, kind=body.kind,
                                           listener=studio.config.listener))
    row = _row(request, loop_id)
    return {"id": rid, "loop_id": loop_id, "rating": row.get("rating"), "kind": body.kind,
            "score": body.score}


@router.get("/suites/{name}")
def suite(request: Request, name: str) -> dict[str, Any]:
    """A suite's manifest and, for each phase, its loop id and loop points."""
    studio = studio_of(request)
    rows, _ = studio.db(lambda c: c.page(suite=name, sort="id", descending=False, limit=500))
    if not rows:
        raise HTTPException(404, f"no suite {name!r} in the catalog")
    manifest: dict[str, Any] | None = None
    phases = []
    for r in rows:
        path = file_for(r, None, studio.config.roots)
        phase = str(r.get("name") or "").rsplit("/", 1)[-1]
        if path is not None and manifest is None:
            m = safe_file(str(path.parent / "manifest.json"), studio.config.roots)
            if m is not None and m.stat().st_size < 1 << 20:
                manifest = json.loads(m.read_text(encoding="utf-8"))
        phases.append({"phase": phase, "loop_id": r["id"], "bpm": r.get("bpm"),
                       "bars": r.get("bars"), "playable": path is not None})
    if manifest is not None:  # the manifest's order (calm → boss), not the insert order
        order = [p["phase"] for p in manifest.get("phases", [])]
        phases.sort(key=lambda p: order.index(p["phase"]) if p["phase"] in order else 99)
    beats = (manifest or {}).get("suite", {}).get("beats_per_bar", 4)
    return {"suite": name, "manifest": manifest, "phases": phases, "beats_per_bar": beats}
