"""Write a generation's best loop through the normal writer: full rate, mastered, loop
points, a sidecar that makes it again (``generate --controls FILE.json``) and a catalog
row with its genome, fitness, generation and run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopmill.evolve.genomes import Design

if TYPE_CHECKING:
    from loopmill.evolve.session import Candidate, EvolveSession

__all__ = ["publish_best"]


def publish_best(session: EvolveSession, cand: Candidate, design: Design) -> str:
    """Render ``design`` at the output rate, finish it as ``generate`` does, write it to
    ``logger.dest`` as ``<run>_g<generation>_best.<format>`` and record it; the path."""
    from loopmill.pipeline.finish import finish
    from loopmill.pipeline.generate import _encode_all, get_engine
    from loopmill.pipeline.loop_files import loop_tags
    from loopmill.storage.catalog import Catalog, record_from_loop
    from loopmill.storage.sidecar import ensure_writable_dir, sidecar_path, write_json_atomic

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
    _encode_all([path], loop, tags=loop_tags(loop))
    controls = design.params.extra.get("controls")
    facts: dict[str, Any] = {"genome": cand.genome, "fitness": cand.fitness,
                             "generation": cand.generation, "evolve_run": run}
    meta = {"output": str(path), "tool": "loopmill", "prompt": design.spec.text,
            **loop.to_dict(), **facts}
    if isinstance(controls, dict):
        meta["controls"] = controls
    write_json_atomic(sidecar_path(path), meta)
    if lg.catalog is not False:
        with Catalog(None if lg.catalog in (None, True) else Path(str(lg.catalog))) as cat:
            record = record_from_loop(loop, prompt=design.spec.text,
                                      uris=[str(path.resolve())], run_id=run)
            cat.add(record | {"name": path.stem, **facts,
                              **({"controls": controls} if controls else {})})
    return str(path)
