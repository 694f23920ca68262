"""``evolve`` benchmarks: search efficiency, the listener model, throughput.

1. **Search efficiency** — synthetic listeners, each with a hidden taste (the features
   embedding of a hidden composer loop) and noisy whole-star ratings, over the composer
   genome with a budget of rendered loops each. Every searcher gets ``dynamic`` fitness
   (the listener model learned from the ratings so far, remembering every rating of the
   run; no noise penalty: the synthetic listener does not hear hiss), as in an
   interactive run; none sees the hidden taste or the true scores:

   * ``random``, ``ga``, ``cmaes``, ``snes``: every rendered loop is rated;
   * ``surrogate``: the ``surrogate`` searcher with its defaults — a Gaussian-process
     model of genome -> fitness ranks a pool of 8 x ``--batch`` proposals drawn from a
     SNES distribution (``search.proposals: snes``, ``search.beta`` 0: the GP's mean),
     only the ``--batch`` most promising are rendered; each of those is rated for the
     first three generations, then the half the listener model expects most of;
   * named in ``--methods`` only: ``surrogate-all`` (the same, every render rated),
     ``surrogate-w24-r2`` / ``-r4`` (2 / 4 rated of 8 after 24 answers),
     ``surrogate-r5`` / ``-r3`` / ``-rated`` (the listener model picks 5 / 3 /
     ``--rate-top`` of the 8 rendered to rate, from the start), ``surrogate-snes-b1``
     (``-all``: beta 1), ``surrogate-snes-p256`` (a pool of 256), ``surrogate-box*`` (the
     first surrogate: steps around the best genomes plus uniform points, beta 1;
     ``-all``, ``-b0``, ``-b03``), ``snes-screened`` (plain SNES, the listener model
     picking ``--rate-top`` of its 8 to rate). Every variant names all its settings.

   Normalised regret of a listener: ``(1 - best) / (1 - typical)``, where ``best`` is the
   best true score (cosine to the hidden taste) among the loops rendered and ``typical``
   the median true score of the loops random search rendered for that listener (0: the
   taste itself was found; 1: no better than a typical random loop). "Ratings to 90 %":
   ratings given until a *rated* loop reaches normalised score 0.9 (``1 - regret >= 0.9``),
   a censored median: a listener that never got there counts as more than the ratings it
   gave, so the median is a number when more than half got there and "> N" otherwise.
   Each finished (searcher, listener) job is appended to ``--out`` (JSON lines) at once;
   a run given the same file skips the jobs already there, so a long run can go on later.
2. **Listener model** — 10 rounds of 8 ratings of random composer loops, then the
   cosine between the learned and the hidden taste and the Spearman correlation of
   predicted vs true scores on 200 unseen loops; next to the untrained rating-weighted
   mean (the model's starting point) as the baseline.
3. **Throughput** — composer evaluations (an 8 s loop rendered and embedded) per minute,
   in this process vs the worker pool (``generator.workers``).

Usage::

    python benchmarks/evolve_bench.py                       # the issue's full sizes
    python benchmarks/evolve_bench.py --only search --listeners 20 --seconds 2 --sr 8000 \\
        --workers 3 --out search.jsonl     # one-bar 8 kHz renders, resumable; ~46 min loaded
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

SEARCHES = ("random", "ga", "cmaes", "snes", "surrogate")


def _overrides(method: str, *, batch: int, rate_top: int) -> dict[str, Any]:
    """What each method changes of the shared settings (a table, not an if-chain)."""
    # the surrogate's variants name every setting, so a row means the same thing whatever
    # the defaults are; ``sur``: the old box pool, uncertainty weighted 1, the listener
    # model picking the ``rate_top`` rated of each generation
    box = {"search.searcher": "surrogate", "search.proposals": "box", "search.beta": 1.0}
    every = {"user_model.rate_top": 0}
    sur = {**box, "user_model.rate_top": rate_top, "user_model.warmup_ratings": 0}
    snes = {"search.searcher": "surrogate", "search.proposals": "snes", "search.beta": 0.0}
    table: dict[str, dict[str, Any]] = {
        "random": {"search.searcher": "random"},
        "ga": {"search.searcher": "ga"},
        "cmaes": {"search.searcher": "cmaes"},
        "snes": {"search.searcher": "snes"},
        # the default surrogate: the GP ranks a SNES pool of 8 x batch (beta 0), the best
        # are rendered; every one of them is rated for the first 3 generations, then the
        # half the listener model expects most of (EvolveConfig.rating_plan)
        "surrogate": snes,
        # the same, every render rated (the default before warmup_ratings)
        "surrogate-all": {**snes, "user_model.rate_top": 0},
        # the same with the listener model picking the rated ones (fewer ratings)
        "surrogate-r5": {**snes, "user_model.rate_top": 5, "user_model.warmup_ratings": 0},
        "surrogate-rated": {**snes, "user_model.rate_top": rate_top,
                            "user_model.warmup_ratings": 0},
        # SNES's proposals all rendered; the listener model picks the ones rated
        "snes-screened": {"search.searcher": "snes", "user_model.rate_top": rate_top},
        # the first surrogate: a box pool (steps around the best + uniform points)
        "surrogate-box": sur,
        "surrogate-box-all": {**box, **every},
        "surrogate-box-b0": {**sur, "search.beta": 0.0},
        "surrogate-box-b03": {**sur, "search.beta": 0.3},
        "surrogate-snes-b1": {**snes, "search.beta": 1.0, "user_model.rate_top": rate_top,
                              "user_model.warmup_ratings": 0},
        "surrogate-snes-b1-all": {**snes, "search.beta": 1.0, **every},
        "surrogate-snes-p256": {**snes, "search.pool": 256, "user_model.rate_top": rate_top,
                                "user_model.warmup_ratings": 0},
        "surrogate-snes-r3": {**snes, "user_model.rate_top": 3, "user_model.warmup_ratings": 0},
        # every render rated until the listener model has 24 answers, then the 2 / 4 it
        # expects most of (-w24-r4 is the default surrogate at a batch of 8)
        "surrogate-w24-r2": {**snes, "user_model.rate_top": 2, "user_model.warmup_ratings": 24},
        "surrogate-w24-r4": {**snes, "user_model.rate_top": 4, "user_model.warmup_ratings": 24},
        "snes-w24-r2": {"search.searcher": "snes", "user_model.rate_top": 2,
                        "user_model.warmup_ratings": 24},
    }
    return table[method]


def _config(method: str, *, listener: int, budget: int, batch: int, rate_top: int,
            seconds: float, sr: int, tmp: Path) -> Any:
    from loopmill.evolve.config import resolve_config

    return resolve_config(overrides={
        "generator.seconds": seconds, "generator.sample_rate": sr,
        "user_model.feedback": "synthetic", "user_model.save": False,
        # the model keeps every rating of the run (the default 64 forgets the early,
        # worse loops once a search converges, and every rating left is 4-5 stars)
        "user_model.memory_length": budget,
        # the synthetic listener hears only its taste, not hiss: no noise prior either
        "fitness.noise_weight": 0.0,
        # generations: an upper bound; a job stops at ``budget`` rendered loops (an
        # evotorch GA step can ask for fewer than ``batch`` new loops: parents are cached)
        "evolution.population": batch, "evolution.generations": budget,
        "evolution.seed": listener, "logger.write_best": False, "logger.tensorboard": False,
        "logger.catalog": False, "logger.runs": str(tmp), "logger.name": f"{method}-{listener}",
        **_overrides(method, batch=batch, rate_top=rate_top)})


def search_job(args: tuple[str, int, int, int, int, float, int, str]) -> dict[str, Any]:
    """One searcher for one listener (runs in a worker): its true scores, in order.

    Every method sees the same synthetic listener (its taste, calibration and noise
    follow from the listener number alone) and renders the same number of loops.
    """
    from loopmill.evolve.run import _Synthetic, to_rate
    from loopmill.evolve.session import EvolveSession

    method, listener, budget, batch, rate_top, seconds, sr, tmp = args
    t0 = time.perf_counter()
    cfg = _config(method, listener=listener, budget=budget, batch=batch, rate_top=rate_top,
                  seconds=seconds, sr=sr, tmp=Path(tmp))
    s = EvolveSession.create(cfg, Path(tmp) / f"{method}-{listener}")
    synth = _Synthetic(s)
    rendered: list[float] = []
    rated: list[float] = []  # the true score of each rated loop, in the order asked
    while s.state.evaluations < budget:  # every searcher renders the same number of loops
        cands = s.propose()
        asked = {c.id for c in to_rate(s, cands)}
        synth.rate(s, cands)
        for c in cands:
            if c.error is None and len(rendered) < budget:  # the budget's last loops only
                true = float(synth.listener.true_score(s.embedding(c.id)[None])[0])
                rendered.append(true)
                if c.id in asked:
                    rated.append(true)
        s.step()
    s.close()
    stars = s.state.stars
    return {"method": method, "listener": listener, "rendered": rendered, "rated": rated,
            "pairs": s.state.pairs, "stars": len(stars),
            "top_stars": round(sum(r >= 5 for r in stars) / max(len(stars), 1), 3),
            "seconds": round(time.perf_counter() - t0, 1), "settings": list(args[2:7])}


def _pool(workers: int) -> ProcessPoolExecutor:
    import multiprocessing

    from loopmill.pipeline.auto_item import worker_setup

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=worker_setup)


def _run_jobs(jobs: list[tuple[Any, ...]], *, workers: int, out: Path) -> None:
    """Run the jobs not yet in ``out`` (JSON lines, one per finished job, appended as each
    ends: a long run can stop and go on)."""
    import json
    from concurrent.futures import as_completed

    old = _read(out)
    other = [r for r in old if r.get("settings") != list(jobs[0][2:7])] if jobs else []
    if other:
        raise SystemExit(f"{out} holds results of other settings ({other[0].get('settings')}: "
                         "budget, batch, rate-top, seconds, sr); use another --out")
    done = {(r["method"], r["listener"]) for r in old}
    todo = [j for j in jobs if (j[0], j[1]) not in done]
    print(f"{len(jobs) - len(todo)} of {len(jobs)} jobs already in {out}", flush=True)
    with _pool(workers) as pool:
        futs = [pool.submit(search_job, j) for j in todo]
        for f in as_completed(futs):
            r = f.result()
            with out.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(r) + "\n")
            print(f"  {r['method']:<10} listener {r['listener']:>2}: best "
                  f"{max(r['rendered']):.3f} ({r['seconds']:.0f} s)", flush=True)


def _read(path: Path) -> list[dict[str, Any]]:
    import json

    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _to_90(norm: list[float]) -> float:
    """Ratings until a rated loop reaches normalised score 0.9 (inf: never)."""
    hit = next((k + 1 for k, v in enumerate(np.maximum.accumulate(norm)) if v >= 0.9), None)
    return float(hit) if hit else float("inf")


def censored_median(values: list[float], limit: float) -> tuple[float, bool]:
    """The median of ``values`` where ``inf`` means "not within ``limit``" (a listener
    that never got there counts as more than the ratings it gave): ``(median, False)``
    when more than half are finite, else ``(limit, True)`` — "more than ``limit``"."""
    med = statistics.median(values)
    return (float(med), False) if np.isfinite(med) else (float(limit), True)


def _fmt_asks(value: float, censored: bool) -> str:
    return f"> {value:.0f}" if censored else f"{value:.0f}"


def _vs(a: tuple[float, bool], b: tuple[float, bool]) -> str:
    """``a / b`` of two censored medians: exact, a bound, or ``?`` (both censored)."""
    (va, ca), (vb, cb) = a, b
    if ca and cb:
        return "?"
    if ca:
        return f"> {va / vb:.2f}"
    if cb:
        return f"< {va / vb:.2f}"
    return f"{va / vb:.2f}"


def summarise(results: list[dict[str, Any]], *, methods: tuple[str, ...]) -> dict[str, Any]:
    """Median regret (and vs random) and ratings to 90 % of every method, over the
    listeners every method finished. ``typical`` of a listener is the median true score
    of the loops random search rendered for it (160 uniform genomes)."""
    by = {(r["method"], r["listener"]): r for r in results}
    listeners = sorted({r["listener"] for r in results
                        if all((m, r["listener"]) in by for m in methods)})
    regret: dict[str, list[float]] = {m: [] for m in methods}
    asked: dict[str, list[float]] = {m: [] for m in methods}
    limit: dict[str, int] = {m: 0 for m in methods}
    for i in listeners:
        typ = float(np.median(by[("random", i)]["rendered"]))
        for m in methods:
            r = by[(m, i)]
            regret[m].append((1 - max(r["rendered"])) / max(1 - typ, 1e-9))
            asked[m].append(_to_90([(v - typ) / max(1 - typ, 1e-9) for v in r["rated"]]))
            limit[m] = max(limit[m], len(r["rated"]))
    to_90 = {m: censored_median(asked[m], limit[m]) for m in methods} if listeners else {}
    return {"listeners": listeners, "regret": regret, "asked": asked, "to_90": to_90}


def bench_search(*, listeners: int, budget: int, batch: int, rate_top: int, seconds: float,
                 sr: int, workers: int, methods: tuple[str, ...], out: Path | None) -> None:
    if "random" not in methods:
        raise SystemExit("the search benchmark needs random (the baseline)")
    tmp = tempfile.mkdtemp(prefix="evolve-bench-")
    out = out or Path(tmp) / "search.jsonl"
    jobs = [(m, i, budget, batch, rate_top, seconds, sr, tmp)
            for i in range(listeners) for m in methods]
    t0 = time.perf_counter()
    _run_jobs(jobs, workers=workers, out=out)
    wall = time.perf_counter() - t0
    res = summarise([r for r in _read(out) if r["listener"] < listeners], methods=methods)
    n = len(res["listeners"])
    regret, asked, to_90 = res["regret"], res["asked"], res["to_90"]
    base = statistics.median(regret["random"])
    print(f"\nSearch efficiency: {n} listeners, {budget} rendered loops each, "
          f"{seconds:g} s loops at {sr} Hz, the -rated variants rate {rate_top} of {batch} "
          f"({wall:.0f} s this call; results in {out})")
    print(f"{'searcher':<10} {'median regret':>14} {'vs random':>10} {'ratings to 90%':>15} "
          f"{'vs ga':>7} {'reached':>8}")
    for m in methods:
        med = statistics.median(regret[m])
        reached = int(sum(np.isfinite(asked[m])))
        ratio = _vs(to_90[m], to_90["ga"]) if "ga" in to_90 else "-"
        print(f"{m:<10} {med:>14.3f} {med / base:>10.2f} {_fmt_asks(*to_90[m]):>15} "
              f"{ratio:>7} {reached:>4}/{n}")
    print("ratings to 90%: median over listeners, one that never got there counting as "
          "more than the ratings it gave ('> N': fewer than half got there)")


def bench_listener(*, tastes: int, seconds: float, sr: int, workers: int) -> None:
    from loopmill.evolve.evaluate import Evaluator
    from loopmill.evolve.genomes import ComposerGenome
    from loopmill.evolve.listener import ListenerConfig, ListenerModel, SyntheticListener
    from loopmill.prompts import parse_prompt

    g = ComposerGenome(parse_prompt("synthwave"), seconds=seconds, seed=0)
    rng = np.random.default_rng(0)
    xs = rng.uniform(size=(280 + tastes, g.dim))
    ev = Evaluator(sr=sr, workers=workers)
    t0 = time.perf_counter()
    out = ev([g.decode(x) for x in xs])
    ev.close()
    emb = np.stack([r.measures.embedding for r in out])  # type: ignore[union-attr]
    render_s = time.perf_counter() - t0
    pool, unseen, hidden = emb[:80], emb[80:280], emb[280:]
    rows: dict[str, list[tuple[float, float]]] = {"model": [], "baseline": []}
    for k, taste in enumerate(hidden):
        person = SyntheticListener(taste, noise=0.3, seed=k).calibrate(emb[:280])
        model = ListenerModel(emb.shape[1], ListenerConfig(seed=k))
        # the baseline: no training, the rating-weighted mean the model starts from
        base = ListenerModel(emb.shape[1], ListenerConfig(seed=k, epochs=1, lr=1e-12))
        for r in range(10):
            batch = pool[r * 8:(r + 1) * 8]
            stars = list(person.rate(batch))
            for m in (model, base):
                m.observe(batch, stars)
                m.train()
        true = person.true_score(unseen)
        for name, m in (("model", model), ("baseline", base)):
            t = m.taste()
            cos = float(t @ taste / (np.linalg.norm(t) * np.linalg.norm(taste) + 1e-12))
            pred = m.predict(unseen)
            rho = float(np.corrcoef(np.argsort(np.argsort(pred)),
                                    np.argsort(np.argsort(true)))[0, 1])
            rows[name].append((cos, rho))
    print(f"\nListener model: {tastes} hidden tastes, 10 rounds x 8 ratings, 200 unseen loops "
          f"({render_s:.0f} s to render {len(xs)} loops)")
    print(f"{'model':<22} {'median cos(taste)':>18} {'median Spearman':>16}")
    for name, label in (("model", "trained (pairwise)"), ("baseline", "rating-weighted mean")):
        c = statistics.median(r[0] for r in rows[name])
        s = statistics.median(r[1] for r in rows[name])
        print(f"{label:<22} {c:>18.3f} {s:>16.3f}")
    cm = statistics.median(r[0] for r in rows["model"])
    cb = statistics.median(r[0] for r in rows["baseline"])
    print(f"trained / baseline cosine: {cm / max(cb, 1e-9):.2f}x")


def bench_throughput(*, n: int, workers: int) -> None:
    from loopmill.evolve.evaluate import Evaluator
    from loopmill.evolve.genomes import ComposerGenome
    from loopmill.prompts import parse_prompt

    g = ComposerGenome(parse_prompt("synthwave"), seconds=8.0, seed=0)
    designs = [g.decode(x) for x in np.random.default_rng(1).uniform(size=(n, g.dim))]
    rates = {}
    for w in (1, workers):
        ev = Evaluator(sr=22050, workers=w)
        ev(designs[:2] if w == 1 else designs[:w * 2])  # warm: imports, worker start
        t0 = time.perf_counter()
        out = ev(designs)
        dt = time.perf_counter() - t0
        ev.close()
        assert all(not isinstance(r, Exception) for r in out)
        rates[w] = n / dt * 60
    load = os.getloadavg()[0]
    print(f"\nThroughput: {n} composer evaluations (8 s loop at 22.05 kHz, rendered + "
          f"embedded); load average {load:.1f} when done")
    print(f"{'workers':<8} {'evaluations/min':>16} {'vs 1':>6}")
    for w, r in rates.items():
        print(f"{w:<8} {r:>16.0f} {r / rates[1]:>6.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("search", "listener", "throughput"), default=None)
    ap.add_argument("--listeners", type=int, default=20)
    ap.add_argument("--budget", type=int, default=160)
    ap.add_argument("--batch", type=int, default=8, help="loops rendered per generation")
    ap.add_argument("--rate-top", type=int, default=4,
                    help="surrogate: loops of each generation that are rated")
    ap.add_argument("--methods", default=",".join(SEARCHES),
                    help="comma-separated searchers (random is always needed)")
    ap.add_argument("--out", type=Path, default=None,
                    help="search results as JSON lines; jobs already there are skipped")
    ap.add_argument("--seconds", type=float, default=8.0, help="scoring loop length")
    ap.add_argument("--sr", type=int, default=22050, help="scoring render rate")
    ap.add_argument("--tastes", type=int, default=10)
    ap.add_argument("--evaluations", type=int, default=120)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    if a.only in (None, "throughput"):
        bench_throughput(n=a.evaluations, workers=a.workers)
    if a.only in (None, "listener"):
        bench_listener(tastes=a.tastes, seconds=a.seconds, sr=a.sr, workers=a.workers)
    if a.only in (None, "search"):
        bench_search(listeners=a.listeners, budget=a.budget, batch=a.batch,
                     rate_top=a.rate_top, seconds=a.seconds, sr=a.sr, workers=a.workers,
                     methods=tuple(a.methods.split(",")), out=a.out)


if __name__ == "__main__":
    main()
