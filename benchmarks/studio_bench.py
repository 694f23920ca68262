"""Studio speed: library pages over 10,000 catalog rows, page render, click to sound.

Targets (issue 15): a filtered page of a 10,000-row catalog in < 100 ms server time,
the library rendered in < 1 s, and < 300 ms from the click on play to sound for a 30 s
OGG. Side by side in one run:

* server: ``Catalog.page`` (SQL filter, sort, LIMIT/OFFSET) against the naive way, all
  rows read with ``Catalog.query`` and filtered, sorted and sliced in Python; and the
  whole HTTP answer (``/api/loops``, JSON included) through FastAPI's test client;
* browser (Debian's chromium through playwright): the library's first render after
  navigation and a filtered re-render, from the page's performance marks; click to
  sound of the studio's Web Audio player (fetch + decode + start, output latency
  included) against an ``<audio loop>`` element's ``play()`` (which streams, and leaves
  a gap at every wrap: the reason the studio does not use it).

No data needed: the rows are synthetic, the 30 s loop is a rendered tone pattern.
Usage::

    PYTHONPATH=src python benchmarks/studio_bench.py [--rows 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GENRES = ["synthwave", "lofi", "ambient", "techno", "orchestral", "jazz", "chiptune"]
KEYS = [f"{t} {m}" for t in ("C", "D", "E", "F", "G", "A", "Bb") for m in ("major", "minor")]
QUERIES: dict[str, dict[str, Any]] = {
    "newest page": {},
    "genre": {"genre": "lofi"},
    "genre + tempo + key": {"genre": "synthwave", "bpm_min": 90, "bpm_max": 120,
                            "key": "D minor"},
    "text search": {"text": "dusty"},
    "rating >= 4, by rating": {"rating_min": 4, "sort": "rating"},
    "page 181 (offset 9000)": {"offset": 9000},
}


def build(folder: Path, rows: int) -> tuple[Path, int]:
    """A catalog of ``rows`` loops (all but one share a 4 s file) and a 30 s OGG."""
    from loopmill.audio import LoopPoints, save
    from loopmill.storage.catalog import COLUMNS, Catalog

    sr = 44100
    t = np.arange(30 * sr) / sr
    y = (0.3 * np.exp(-5 * (t % 0.5)) * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    thirty = save(folder / "thirty.ogg", np.stack([y, y]), sr=sr, format="ogg",
                  loop=LoopPoints(start=0, length=30 * sr))
    short = save(folder / "short.ogg", np.stack([y[: 4 * sr]] * 2), sr=sr, format="ogg",
                 loop=LoopPoints(start=0, length=4 * sr))
    cat_path = folder / "catalog.sqlite"
    with Catalog(cat_path) as cat:
        cat.page(limit=1)  # the studio's indexes
    rng = np.random.default_rng(0)
    words = ["dusty", "bright", "dark", "calm", "driving", "warm", "glassy", "deep"]
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    recs = []
    for i in range(rows - 1):
        g = GENRES[i % len(GENRES)]
        recs.append({
            "created": (start + dt.timedelta(minutes=45 * i)).isoformat(timespec="seconds"),
            "name": f"loop_{i:05d}", "prompt": f"{rng.choice(words)} {g} loop {i}",
            "engine": "composer", "seed": i, "genre": g, "bpm": float(rng.integers(60, 160)),
            "key": str(rng.choice(KEYS)), "bars": 8, "duration": 4.0,
            "loudness_lufs": float(-14 - rng.random()), "seam_score": float(rng.random() / 10),
            "rating": float(rng.integers(1, 6)) if rng.random() < 0.3 else None,
            "uris": json.dumps([str(short)]), "run_id": f"run-{i // 500}",
        })
    db = sqlite3.connect(cat_path)
    cols = list(COLUMNS)
    db.executemany(f"INSERT INTO loops ({', '.join(cols)}) VALUES "
                   f"({', '.join('?' for _ in cols)})",
                   [[r.get(c) for c in cols] for r in recs])
    db.commit()
    db.close()
    with Catalog(cat_path) as cat:
        thirty_id = cat.add({"name": "thirty", "prompt": "a thirty second loop", "bpm": 120.0,
                             "genre": "ambient", "duration": 30.0, "uris": [str(thirty)],
                             "created": "2027-01-01T00:00:00+00:00"})
    return cat_path, thirty_id


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out)


def naive(cat: Any, q: dict[str, Any]) -> list[dict[str, Any]]:
    """What a client without pages would do: every row, filtered in Python."""
    q = dict(q)
    sort, offset = q.pop("sort", "created"), q.pop("offset", 0)
    text, rmin = q.pop("text", None), q.pop("rating_min", None)
    rows = cat.query(**q)
    if text:
        rows = [r for r in rows if text in (r["prompt"] or "") or text in (r["name"] or "")]
    if rmin is not None:
        rows = [r for r in rows if r["rating"] is not None and r["rating"] >= rmin]
    rows.sort(key=lambda r: (r[sort] is None, r[sort] or 0), reverse=True)
    return rows[offset: offset + 50]


def server_table(cat_path: Path, repeat: int) -> list[tuple[str, float, float, float, int]]:
    from fastapi.testclient import TestClient

    from loopmill.storage.catalog import Catalog
    from loopmill.studio import StudioConfig, create_app

    out = []
    app = create_app(StudioConfig(catalog=cat_path, dest=cat_path.parent, port=0))
    with Catalog(cat_path) as cat, TestClient(app, base_url="http://127.0.0.1:8765") as c:
        for name, q in QUERIES.items():
            args = {k: v for k, v in q.items() if k not in ("sort", "offset")}
            _, total = cat.page(sort=q.get("sort", "created"), offset=q.get("offset", 0),
                                   **args)
            page = median_ms(lambda q=q, a=args: cat.page(
                sort=q.get("sort", "created"), offset=q.get("offset", 0), **a), repeat)
            slow = median_ms(lambda q=q: naive(cat, q), max(3, repeat // 2))
            qs = "&".join(f"{k}={v}" for k, v in q.items())
            http = median_ms(lambda qs=qs: c.get(f"/api/loops?{qs}").raise_for_status(), repeat)
            out.append((name, page, slow, http, total))
        # for you: every loop embedded (random vectors stand in), 5 rated; the model is
        # trained on the first call, then reused until a rating is added
        studio = app.state.studio
        fy = studio.for_you
        rng = np.random.default_rng(1)
        dim = fy._embedder_().dim
        with fy._db:
            fy._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?, ?, ?)", [
                (i, "", 0, dim, rng.standard_normal(dim).tobytes())
                for i in range(1, cat.count() + 1)])
        for i, score in zip(range(1, 6), (5, 4, 1, 2, 5), strict=True):
            cat.add_rating(i, score, listener=studio.config.listener)
        http = median_ms(lambda: c.get("/api/loops?sort=for_you").raise_for_status(), repeat)
        genre = median_ms(lambda: c.get("/api/loops?sort=for_you&genre=lofi")
                          .raise_for_status(), repeat)
        n = c.get("/api/loops?sort=for_you").json()["for_you"]["scored"]
        out.append(("for you (all scored)", float("nan"), float("nan"), http, n))
        out.append(("for you + genre", float("nan"), float("nan"), genre, 1429))
    return out


def browser_table(cat_path: Path, thirty_id: int, repeat: int) -> dict[str, list[float]]:
    from tests.studio.browser import browser_page

    from loopmill.studio import StudioConfig
    from loopmill.studio.server import BackgroundStudio

    res: dict[str, list[float]] = {k: [] for k in (
        "first render", "filtered render", "click to sound (Web Audio)",
        "click to sound, cached buffer", "<audio loop> play()")}
    cfg = StudioConfig(catalog=cat_path, dest=cat_path.parent, port=0)
    with BackgroundStudio(cfg) as s, browser_page() as pg:
        for _ in range(repeat):
            pg.goto(s.url)
            pg.wait_for_selector("body[data-ready='1']", timeout=30_000)
            res["first render"].append(pg.evaluate(
                "() => performance.getEntriesByName('loopmill:library-rendered')[0].startTime"))
            n = pg.evaluate("() => performance.getEntriesByName('loopmill:library').length")
            pg.select_option("#filters [name=genre]", "ambient")
            pg.wait_for_function(f"() => performance.getEntriesByName('loopmill:library')"
                                 f".length > {n}")
            res["filtered render"].append(pg.evaluate(
                "() => performance.getEntriesByName('loopmill:library').at(-1).duration"))
        pg.fill("#filters [name=text]", "thirty")
        pg.wait_for_function("() => document.querySelectorAll('#loops tbody tr').length === 1")
        button = pg.locator("#loops tbody tr button.play")
        for cached in (False, True):
            for _ in range(repeat):
                if not cached:
                    pg.evaluate("() => window.studio.player.forget()")
                button.click()
                pg.wait_for_function("() => window.studio.player.current !== null")
                key = "click to sound, cached buffer" if cached else "click to sound (Web Audio)"
                res[key].append(pg.evaluate("() => window.studio.player.lastClickToSoundMs"))
                button.click()  # stop
        for i in range(repeat):
            res["<audio loop> play()"].append(pg.evaluate(f"""async () => {{
                const t0 = performance.now();
                const a = new Audio('/api/loops/{thirty_id}/audio?n={i}'); a.loop = true;
                await a.play(); const ctx = new AudioContext();
                const ms = performance.now() - t0 + (ctx.outputLatency + ctx.baseLatency) * 1000;
                a.pause(); ctx.close(); return ms; }}"""))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as tmp:
        t0 = time.perf_counter()
        cat_path, thirty_id = build(Path(tmp), args.rows)
        print(f"catalog of {args.rows} rows built in {time.perf_counter() - t0:.1f} s\n")
        print("| query | matches | Catalog.page ms | naive ms | speedup | /api/loops ms |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, page, slow, http, total in server_table(cat_path, args.repeat):
            if page != page:  # no SQL page / naive pair for the for-you sort
                print(f"| {name} | {total} | – | – | – | {http:.2f} |")
                continue
            print(f"| {name} | {total} | {page:.2f} | {slow:.1f} | {slow / page:.1f}x "
                  f"| {http:.2f} |")
        if args.no_browser:
            return
        res = browser_table(cat_path, thirty_id, args.repeat)
        print("\n| browser (chromium, headless) | median ms | min | max |")
        print("|---|---:|---:|---:|")
        for name, vals in res.items():
            print(f"| {name} | {statistics.median(vals):.0f} | {min(vals):.0f} "
                  f"| {max(vals):.0f} |")
        web = statistics.median(res["click to sound (Web Audio)"])
        tag = statistics.median(res["<audio loop> play()"])
        print(f"\nWeb Audio / <audio loop>: {web / tag:.2f}x the time to sound, and no gap "
              "at the wrap")


if __name__ == "__main__":
    main()
