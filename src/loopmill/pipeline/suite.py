"""Game-music suites: one loop per phase (calm, explore, tension, combat, boss…), all in
the same key, at the same tempo and with the same number of bars, so that a game can
cross-fade between phases on a bar line.

Each phase's prompt is the use case plus the phase's moods; its energy sets how busy
the arrangement is. The files, a ``manifest.json`` and a verification report (the
Tydust checklist, :mod:`loopmill.pipeline.suite_report`) go in one folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from loopmill import settings
from loopmill.errors import BadInputError
from loopmill.pipeline.request import GenerateRequest

if TYPE_CHECKING:
    from loopmill.loops.types import Loop

__all__ = ["PHASES", "SuiteResult", "make_suite", "verify_suite"]

#: phase -> (mood words for the prompt, energy 0..1)
PHASES: dict[str, tuple[str, float]] = {
    "menu": ("calm inviting", 0.3),
    "calm": ("calm peaceful", 0.25),
    "explore": ("mysterious curious", 0.45),
    "stealth": ("tense mysterious", 0.4),
    "tension": ("tense dark", 0.6),
    "combat": ("energetic intense", 0.85),
    "boss": ("epic intense", 1.0),
    "victory": ("happy epic", 0.7),
    "defeat": ("sad melancholic", 0.3),
}
_DEFAULT_ENERGY = 0.55
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$")


class _Phase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    prompt: str | None = None
    energy: float | None = Field(default=None, ge=0.0, le=1.0)


class _SuiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phases: list[_Phase] = Field(min_length=1)
    use_case: str | None = None
    bpm: float | None = None
    key: str | None = None
    genre: str | None = None


@dataclass
class SuiteResult:
    """What ``make_suite`` wrote: the folder, its manifest and the verification report.

    ``directory`` is a Path for a local destination, the folder's URL for a remote one;
    ``spooled`` the URIs of files the local spool keeps (the destination was down).
    """

    directory: Path | str
    manifest: dict[str, Any]
    report: dict[str, Any]
    spooled: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check of every file passed."""
        return bool(self.report["ok"])


def _read_phases_file(path: Path) -> _SuiteFile:
    from loopmill._yaml import read_yaml

    return read_yaml(path, _SuiteFile, field="phases_file")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "suite"


def _shared_genre(use_case: str, genre: str | None) -> str:
    """The use case's most likely genre (see the template provider's table)."""
    if genre:
        return genre
    from loopmill.prompts.parse import parse_prompt
    from loopmill.prompts.template import USE_CASES

    named = parse_prompt(use_case).genre
    if named:
        return named
    score: dict[str, float] = {}
    for word, (genres, _, _) in USE_CASES.items():
        if word in use_case.lower():
            for g, w in genres.items():
                score[g] = score.get(g, 0.0) + w
    return max(sorted(score), key=lambda g: score[g]) if score else "synthwave"


def make_suite(
    request: GenerateRequest | None = None,
    *,
    use_case: str,
    phases: Sequence[str] | None = None,
    phases_file: str | Path | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> SuiteResult:
    """Make one seamless loop per phase, all sharing key, tempo and bar count.

    Parameters
    ----------
    request : GenerateRequest, optional
        What every phase shares: engine and model, ``bpm``, ``key``, ``genre`` (each
        chosen once, seeded, when left out), the duration range (every phase gets the
        same bars), ``seed`` (phase ``i`` uses ``seed + i``; None draws one, recorded
        in the manifest), ``formats``, ``sample_rate``, ``catalog`` and ``dest`` (the
        parent folder or fsspec URL, with ``s3_endpoint_url``: the suite goes in
        ``dest/<use-case>``; a remote suite is made and verified in a local scratch
        folder, then uploaded whole). Default: the composer,
        ogg and mp3, into ``suites``. Its prompt is unused: each phase has its own.
    use_case : str
        What the music is for, e.g. ``"space shooter"``; steers genre and prompts.
    phases : sequence of str, optional
        Phase names; known ones (:data:`PHASES`) bring moods and an energy, others
        are used as prompt words. Default: calm, explore, tension, combat, boss.
    phases_file : path, optional
        YAML ``{phases: [{name, prompt, energy}], use_case, bpm, key, genre}``;
        its values win over the arguments.

    Returns
    -------
    SuiteResult

    Raises
    ------
    BadInputError
        No phases, a bad phase name, a bad YAML file (fields ``phases``,
        ``phases_file``, ``use_case``).
    """
    from loopmill._atomic import write_json_atomic, write_text_atomic
    from loopmill.pipeline.finish import finish
    from loopmill.pipeline.loop_files import loop_tags
    from loopmill.pipeline.request import prepare
    from loopmill.pipeline.suite_report import render_markdown
    from loopmill.pipeline.suite_report import verify_suite as verify
    from loopmill.storage.sink import join_dest, open_sink
    from loopmill.storage.writer import encode_all, write_folder

    req = request or GenerateRequest(formats=settings.SUITE_FORMATS, dest="suites")
    items: list[_Phase]
    if phases_file is not None:
        spec_file = _read_phases_file(Path(phases_file))
        items = spec_file.phases
        use_case = spec_file.use_case or use_case
        req = req.replace(bpm=spec_file.bpm or req.bpm, key=spec_file.key or req.key,
                          genre=spec_file.genre or req.genre)
    else:
        names = list(phases) if phases is not None else ["calm", "explore", "tension",
                                                          "combat", "boss"]
        items = [_Phase(name=n.strip()) for n in names if n.strip()]
    if not items:
        raise BadInputError("phases is empty; name at least one, e.g. calm,combat",
                            field="phases")
    seen: set[str] = set()
    for p in items:
        if not _NAME.match(p.name) or p.name.lower() in seen:
            raise BadInputError(f"phase name {p.name!r} must be unique letters, digits, - or _",
                                field="phases")
        seen.add(p.name.lower())
    if not use_case.strip():
        raise BadInputError('use_case is empty; describe the game, e.g. "space shooter"',
                            field="use_case")
    seed = (int(np.random.default_rng().integers(2**31 - 1000)) if req.seed is None
            else req.seed)
    rng = np.random.default_rng(seed)
    genre = _shared_genre(use_case, req.genre)
    first_spec = req.replace(prompt=use_case, genre=genre, seed=seed).spec
    if first_spec.bpm is None:  # one tempo for every phase, from the genre's range
        from loopmill.engines.composer.arrange import STYLES

        lo, hi = STYLES[genre].bpm_range if genre in STYLES else (80, 130)
        bpm = float(rng.integers(lo, hi + 1))
    else:
        bpm = first_spec.bpm
    key: str | None = first_spec.key_name
    if first_spec.key is None:
        tonic = str(rng.choice(["C", "D", "E", "F", "G", "A", "Bb", "Eb"]))
        key = f"{tonic} {first_spec.mode or 'minor'}"
    slug = _slug(use_case)
    sink = open_sink(join_dest(req.dest, slug), s3_endpoint_url=req.s3_endpoint_url)
    sink.check()
    loops: list[tuple[_Phase, str, Loop]] = []
    for i, p in enumerate(items):
        moods, energy = PHASES.get(p.name.lower(), (p.name.replace("_", " "), _DEFAULT_ENERGY))
        prompt = p.prompt or f"{moods} {genre} for a {use_case}, {p.name} phase"
        phase = req.replace(prompt=prompt, genre=genre, bpm=bpm, key=key, seed=seed + i)
        ready = prepare(phase, spec=phase.spec.with_overrides(
            energy=p.energy if p.energy is not None else energy))
        out = ready.engine.generate(ready.spec, ready.params, sr=req.sample_rate)
        # a model's audio is cut to the first phase's bars: every phase the same length
        bars = None if out.seamless or not loops else loops[0][2].bars
        loop = finish(out, spec=ready.spec, params=ready.params, engine=req.engine, bars=bars,
                      target_lufs=req.target_lufs)
        loops.append((p, prompt, loop))
        if on_phase:
            on_phase(p.name)
    lengths = {lp.length for _, _, lp in loops}
    if len(lengths) != 1:
        raise BadInputError(f"phases came out with different lengths {sorted(lengths)}; "
                            "pass bpm and a duration range that fits whole bars",
                            field=("bpm",))
    with write_folder(sink) as written:  # the destination, or a scratch folder to upload
        folder = written.path
        phase_rows = []
        for p, prompt, loop in loops:
            paths = [folder / f"{p.name}.{fmt}" for fmt in req.formats]
            encode_all(paths, loop, tags=loop_tags(loop))
            phase_rows.append({
                "phase": p.name, "prompt": prompt,
                "files": {f: f"{p.name}.{f}" for f in req.formats},
                "loop_start": 0, "loop_length": loop.length, "tempo": loop.bpm,
                "key": loop.key, "bars": loop.bars,
                "energy": loop.extra["spec"].get("energy"),
                "loudness_lufs": round(loop.loudness_lufs, 2),
                "true_peak_db": round(loop.true_peak_db, 2),
                "seam_score": round(loop.seam_score, 4), "seed": loop.extra["seed"],
            })
        first = loops[0][2]
        manifest = {
            "suite": {"use_case": use_case, "genre": genre, "bpm": first.bpm,
                      "key": first.key, "bars": first.bars,
                      "beats_per_bar": first.beats_per_bar, "loop_length": first.length,
                      "sample_rate": req.sample_rate, "seed": seed, "engine": req.engine},
            "phases": phase_rows,
        }
        write_json_atomic(folder / "manifest.json", manifest)
        report = verify(folder)
        write_json_atomic(folder / "report.json", report)
        write_text_atomic(folder / "report.md", render_markdown(manifest, report))
    if req.catalog is not False:
        from loopmill.storage.catalog import Catalog, record_from_loop

        where = None if req.catalog is None or req.catalog is True else Path(req.catalog)
        with Catalog(where) as cat:
            if sink.delivered:  # files an earlier run left in the spool: where they are now
                from loopmill.storage.spool import relink

                relink(cat, sink.delivered)
            for (p, prompt, loop), row in zip(loops, phase_rows, strict=True):
                uris = [written.uri(n) for n in row["files"].values()]
                cat.add(record_from_loop(loop, prompt=prompt, uris=uris)
                        | {"name": f"{slug}/{p.name}", "suite": slug})
    directory: Path | str = sink.dest if sink.remote else folder
    return SuiteResult(directory=directory, manifest=manifest, report=report,
                       spooled=[uri for _, uri in sink.spooled])


def verify_suite(directory: str | Path) -> dict[str, Any]:
    """Re-check a suite folder's files against its manifest (see ``suite_report``)."""
    from loopmill.pipeline.suite_report import verify_suite as verify

    return verify(directory)
