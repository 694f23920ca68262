"""Publish a generation's best loop through the one writer: full rate, mastered, loop
points, a sidecar that makes it again (``generate --controls FILE.json``) and a catalog
row with its genome, fitness, generation and run."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopmill.evolve.genomes import Design

if TYPE_CHECKING:
    from loopmill.evolve.session import Candidate, EvolveSession
    from loopmill.loops.types import Loop
    from loopmill.storage.writer import Published

__all__ = ["catalog_rating", "publish_best", "remake_command"]


def remake_command(design: Design, sidecar: Path, *, seconds: float) -> str | None:
    """The ``loopmill generate`` command that makes this composer loop again (the same
    prompt, genre, tempo, key, seed, length and controls), or None when ``generate``
    cannot (a loop under its 8 s minimum)."""
    import shlex

    spec = design.spec
    if design.engine != "composer" or seconds < 8.0 or not spec.bpm or not spec.key:
        return None
    lo, hi = max(8.0, seconds - 0.05), seconds + 0.05
    key = f"{spec.key} {spec.mode}" if spec.mode else spec.key
    args = ["loopmill", "generate", spec.text, "--genre", str(spec.genre),
            "--bpm", f"{spec.bpm:g}", "--key", key, "--seed", str(spec.seed),
            "--min-duration", f"{lo:.2f}", "--max-duration", f"{hi:.2f}",
            "--controls", str(sidecar)]
    return " ".join(shlex.quote(a) for a in args)


def publish_best(session: EvolveSession, cand: Candidate, design: Design) -> Published:
    """Render ``design`` at the output rate, finish it as ``generate`` does, publish it
    at ``logger.dest`` as ``<run>_g<generation>_best.<format>`` and record it; where its
    files went (``files[0]``: a path in a local folder, or a URI at an fsspec URL such
    as ``s3://bucket/prefix``; ``spooled``: those the local spool keeps).

    The files go through the one writer (:func:`loopmill.storage.writer.publish_loop`):
    the loop, its sidecar and a MusicGen state (``.conditioning.npy``). A name taken by
    any of them moves the loop to ``_2``, ``_3``…: nothing is replaced. At a remote
    destination the sidecar's ``remake`` command names the sidecar by its file name
    (``generate --controls`` reads a local file: download it first). The run folder
    (history, checkpoints) stays local.
    """
    import io

    from loopmill.engines.registry import get_engine
    from loopmill.pipeline.finish import finish
    from loopmill.pipeline.loop_files import loop_tags
    from loopmill.storage.catalog import Catalog, record_from_loop
    from loopmill.storage.sink import open_sink
    from loopmill.storage.writer import publish_loop

    cfg = session.config
    lg = cfg.logger
    eng = get_engine(design.engine, model=design.model)
    out = eng.generate(design.spec, design.params, sr=cfg.generator.output_sample_rate)
    loop = finish(out, spec=design.spec, params=design.params, engine=design.engine)
    sink = open_sink(lg.dest, s3_endpoint_url=lg.s3_endpoint_url)
    sink.check()
    run = session.run_dir.name
    cond = design.params.extra.get("conditioning")
    controls = design.params.extra.get("controls")
    facts: dict[str, Any] = {"genome": cand.genome, "fitness": cand.fitness,
                             "generation": cand.generation, "evolve_run": run}
    attachments: dict[str, bytes] = {}
    if cond is not None:  # MusicGen states: beside the loop as .npy, not inside the JSON
        import numpy as np

        buf = io.BytesIO()
        np.save(buf, np.asarray(cond, dtype=np.float32))
        attachments[".conditioning.npy"] = buf.getvalue()

    def named(stem: str) -> Loop:
        """The loop as recorded under ``stem``: its state named by file, not inlined."""
        return loop if cond is None else dataclasses.replace(loop, extra={
            **loop.extra, "params": {**loop.extra.get("params", {}),
                                     "extra": {"conditioning": f"{stem}.conditioning.npy"}}})

    def sidecar(stem: str) -> dict[str, Any]:
        """The sidecar for the stem the writer claimed (it names the loop's own files)."""
        meta: dict[str, Any] = {"tool": "loopmill", "prompt": design.spec.text,
                                **named(stem).to_dict(), **facts}
        if isinstance(controls, dict):
            meta["controls"] = controls
            path = Path(sink.uri(f"{stem}.json")) if not sink.remote else Path(f"{stem}.json")
            meta["remake"] = remake_command(design, path, seconds=loop.duration)
        return meta

    # exclusive: the loop, its sidecar and its state claim one free stem together (a
    # taken name moves all three to _2, _3 ...); nothing is ever replaced
    pub = publish_loop(sink, loop, stem=f"{run}_g{cand.generation:04d}_best",
                       formats=[lg.format], tags=loop_tags(loop), sidecar=sidecar,
                       attachments=attachments)
    stem = pub.stem
    uri = pub.files[0]
    if lg.catalog is not False:
        with Catalog(None if lg.catalog in (None, True) else Path(str(lg.catalog))) as cat:
            record = record_from_loop(named(stem), prompt=design.spec.text, run_id=run,
                                      uris=[uri if sink.remote else str(Path(uri).resolve())])
            cat.add(record | {"name": stem, **facts,
                              **({"controls": controls} if controls else {})})
    return pub


def catalog_rating(session: EvolveSession, c: Candidate, score: float, kind: str) -> None:
    """A rating of ``c`` in the catalog's ratings table (the candidate gets a row once)."""
    lg = session.config.logger
    if lg.catalog is False or c.path is None:
        return
    from loopmill.storage.catalog import Catalog

    with Catalog(None if lg.catalog in (None, True) else Path(str(lg.catalog))) as cat:
        if c.catalog_id is None:
            d = c.design
            c.catalog_id = cat.add({
                "run_id": session.run_dir.name, "name": c.id, "prompt": d["spec"]["text"],
                "engine": d["engine"], "seed": d["spec"].get("seed"),
                "genre": d["spec"].get("genre"), "bpm": d["spec"].get("bpm"),
                "uris": [str(Path(c.path).resolve())], "spec": d["spec"],
                "params": d["params"], "genome": c.genome, "generation": c.generation,
                "candidate": True})
        cat.add_rating(c.catalog_id, float(score), listener=session.config.user_model.name,
                       kind=kind)
