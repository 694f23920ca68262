"""Write a generation's best loop through the normal writer: full rate, mastered, loop
points, a sidecar that makes it again (``generate --controls FILE.json``) and a catalog
row with its genome, fitness, generation and run."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopmill.evolve.genomes import Design

if TYPE_CHECKING:
    from loopmill.evolve.session import Candidate, EvolveSession

__all__ = ["publish_best", "remake_command"]


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


def publish_best(session: EvolveSession, cand: Candidate, design: Design) -> str:
    """Render ``design`` at the output rate, finish it as ``generate`` does, write it to
    ``logger.dest`` as ``<run>_g<generation>_best.<format>`` and record it; the path."""
    from loopmill._atomic import atomic_path, write_json_atomic
    from loopmill.engines.registry import get_engine
    from loopmill.pipeline.finish import finish
    from loopmill.pipeline.loop_files import loop_tags
    from loopmill.storage.catalog import Catalog, record_from_loop
    from loopmill.storage.sidecar import ensure_writable_dir, sidecar_path
    from loopmill.storage.writer import encode_all

    cfg = session.config
    lg = cfg.logger
    eng = get_engine(design.engine, model=design.model)
    out = eng.generate(design.spec, design.params, sr=cfg.generator.output_sample_rate)
    loop = finish(out, spec=design.spec, params=design.params, engine=design.engine)
    dest = ensure_writable_dir(lg.dest)
    run = session.run_dir.name
    stem = f"{run}_g{cand.generation:04d}_best"
    path = dest / f"{stem}.{lg.format}"
    n = 2
    while path.exists() or sidecar_path(path).exists():  # never replace another file
        path = dest / f"{stem}_{n}.{lg.format}"
        n += 1
    encode_all([path], loop, tags=loop_tags(loop))
    cond = design.params.extra.get("conditioning")
    if cond is not None:  # MusicGen states: beside the loop as .npy, not inside the JSON
        import numpy as np

        npy = path.with_suffix(".conditioning.npy")
        with atomic_path(npy) as tmp:
            np.save(tmp, np.asarray(cond, dtype=np.float32))
        loop = dataclasses.replace(loop, extra={**loop.extra, "params": {
            **loop.extra.get("params", {}), "extra": {"conditioning": npy.name}}})
    controls = design.params.extra.get("controls")
    facts: dict[str, Any] = {"genome": cand.genome, "fitness": cand.fitness,
                             "generation": cand.generation, "evolve_run": run}
    meta = {"output": str(path), "tool": "loopmill", "prompt": design.spec.text,
            **loop.to_dict(), **facts}
    if isinstance(controls, dict):
        meta["controls"] = controls
        meta["remake"] = remake_command(design, sidecar_path(path), seconds=loop.duration)
    write_json_atomic(sidecar_path(path), meta)
    if lg.catalog is not False:
        with Catalog(None if lg.catalog in (None, True) else Path(str(lg.catalog))) as cat:
            record = record_from_loop(loop, prompt=design.spec.text,
                                      uris=[str(path.resolve())], run_id=run)
            cat.add(record | {"name": path.stem, **facts,
                              **({"controls": controls} if controls else {})})
    return str(path)
