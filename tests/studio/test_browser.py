"""The studio page in Debian's chromium (Playwright for Python): the library lists the
catalog, play loops the file's own loop points with Web Audio, ratings, generate, A/B.

Screenshots of each view go to ``LOOPMILL_SCREENSHOTS`` (a folder) when it is set, else
to the test's temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.studio.browser import browser_page, chromium_path
from tests.studio.conftest import SR, config

pytest.importorskip("playwright", reason="browser tests need playwright (the dev extra)")
if chromium_path() is None:
    pytest.skip("browser tests need Debian's chromium (apt-get install chromium)",
                allow_module_level=True)


TOKEN = "browser-test-token-0123456789"


def shot(page: Any, tmp_path: Path, name: str) -> Path:
    folder = Path(os.environ.get("LOOPMILL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"studio-{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000  # a real picture, not a blank
    return path


@pytest.fixture
def page(tmp_path: Path, library: Any) -> Iterator[tuple[Any, Any]]:
    from loopmill.studio.server import BackgroundStudio

    # with a token, as on a remote box: every API call of the page must carry it
    with BackgroundStudio(config(tmp_path, token=TOKEN)) as server, browser_page() as pg:
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.goto(f"{server.url}?token={TOKEN}")
        pg.wait_for_selector("body[data-ready='1']", timeout=15_000)
        assert "token" not in pg.url  # taken out of the address bar (and of history)
        yield pg, server
        assert errors == []


def row(pg: Any, name: str) -> Any:
    return pg.locator("#loops tbody tr", has_text=name)


def test_play_loops_the_files_loop_points(page: tuple[Any, Any], tmp_path: Path,
                                          library: Any) -> None:
    from loopmill.audio import info, read_loop_points

    pg, _ = page
    assert pg.locator("#loops tbody tr").count() == 4
    assert pg.locator("#range").inner_text() == "1–4 of 4"
    row(pg, "alpha").locator("button.play").click()
    # a head of PCM may start it; the looping buffer takes over once decoded
    pg.wait_for_function("() => window.studio.player.current?.src.loop === true")
    got = pg.evaluate("""() => { const c = window.studio.player.current;
        return {loop: c.src.loop, start: c.src.loopStart, end: c.src.loopEnd,
                state: c.src.context.state, ms: window.studio.player.lastClickToSoundMs,
                marks: performance.getEntriesByName('loopmill:click-to-start').length}; }""")
    lp = read_loop_points(tmp_path / "loops" / "alpha.ogg")
    sr = info(tmp_path / "loops" / "alpha.ogg").sr
    assert lp is not None and sr == SR and (lp.start, lp.length) == (11025, 88200)
    assert got["loop"] is True and got["state"] == "running" and got["marks"] == 1
    assert got["start"] == pytest.approx(lp.start / sr, abs=1e-6)
    assert got["end"] == pytest.approx(lp.end / sr, abs=1e-6)
    assert got["ms"] < 5000
    # the loop is 2 s from 0.25 s: after ~2 s of playing the wrap counter moves
    pg.wait_for_function("() => Number(document.getElementById('t-wraps').textContent) >= 1",
                         timeout=10_000)
    pos = pg.evaluate("() => window.studio.player.state()")
    assert pos["wraps"] >= 1 and 0.25 <= pos["pos"] < 2.25
    assert pg.locator("#detail h2").inner_text() == "alpha"
    shot(pg, tmp_path, "library")
    row(pg, "alpha").locator("button.play").click()  # stop
    assert pg.evaluate("() => window.studio.player.current") is None
    # the browser's own looping, rendered offline: three passes through the loop equal
    # the decoded loop region tiled, sample for sample (odd loop points too)
    for loop_id, name in zip(library[1], ("alpha", "beta", "gamma", "delta"), strict=True):
        if name not in ("alpha", "delta"):
            continue
        got = pg.evaluate(OFFLINE_WRAP, loop_id)
        lp = read_loop_points(tmp_path / "loops" / f"{name}.ogg")
        assert lp is not None and (got["start"], got["L"]) == (lp.start, lp.length)
        assert got["frames"] == info(tmp_path / "loops" / f"{name}.ogg").frames
        assert got["worst"] == 0.0, got


OFFLINE_WRAP = """async (id) => {
  const e = await window.studio.player.load(id);
  const b = e.buffer, lp = e.info.loop, N = 3 * lp.loop_length;
  const ctx = new OfflineAudioContext(1, N, b.sampleRate);
  const src = ctx.createBufferSource();
  src.buffer = b; src.loop = true;
  src.loopStart = lp.loop_start_s; src.loopEnd = lp.loop_end_s;
  src.connect(ctx.destination); src.start(0, lp.loop_start_s);
  const out = (await ctx.startRendering()).getChannelData(0);
  const l = b.getChannelData(0), r = b.getChannelData(b.numberOfChannels - 1);
  let worst = 0;
  for (let k = 0; k < N; k++) {
    const i = lp.loop_start + (k % lp.loop_length);
    worst = Math.max(worst, Math.abs(out[k] - 0.5 * (l[i] + r[i])));
  }
  return {worst, frames: b.length, L: lp.loop_length, start: lp.loop_start};
}"""


def test_a_refused_job_marks_the_inputs_it_names(tmp_path: Path, library: Any) -> None:
    from loopmill.studio.server import BackgroundStudio

    with BackgroundStudio(config(tmp_path)) as server, browser_page() as pg:
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(server.url)
        pg.wait_for_selector("body[data-ready='1']", timeout=15_000)
        pg.click("[data-view=generate]")
        pg.fill("#gen-form [name=prompt]", "calm")
        pg.select_option("#gen-form [name=engine]", "samplernn")  # and no model
        pg.click("#gen-form button[type=submit]")
        pg.wait_for_function("() => document.getElementById('gen-error').textContent !== ''")
        assert pg.inner_text("#gen-error") == (
            "engine samplernn needs model CHECKPOINT: a .pt file or a run folder from "
            "`loopmill train`")
        marked = pg.eval_on_selector_all("#gen-form [aria-invalid=true]",
                                         "els => els.map(e => e.name)")
        assert sorted(marked) == ["engine", "model"]
        pg.select_option("#gen-form [name=engine]", "composer")
        pg.fill("#gen-form [name=max_duration]", "8")
        pg.click("#gen-form button[type=submit]")
        pg.wait_for_selector("#jobs li", timeout=30_000)
        assert pg.eval_on_selector_all("#gen-form [aria-invalid]", "els => els.length") == 0
        assert errors == []


@pytest.mark.slow
def test_rating_in_the_page_writes_the_row(page: tuple[Any, Any], tmp_path: Path) -> None:
    from loopmill.storage.catalog import Catalog

    pg, _ = page
    row(pg, "beta").locator(".stars button[data-score='4']").click()
    pg.wait_for_function("() => document.getElementById('status').textContent.includes('4★')")
    row(pg, "beta").locator(".like button.up").click()
    pg.wait_for_selector("#loops tbody tr:has-text('beta') .like button.up.lit")
    with Catalog(tmp_path / "catalog.sqlite") as cat:
        rows = cat.ratings()
        assert [(r["kind"], r["score"]) for r in rows] == [("stars", 4.0), ("like", 1.0)]
        assert cat.get(rows[0]["loop_id"])["name"] == "beta"  # type: ignore[index]
    assert row(pg, "beta").locator(".stars button.lit").count() == 4


@pytest.mark.slow
def test_generate_form_adds_a_loop_to_the_list(page: tuple[Any, Any], tmp_path: Path) -> None:
    pg, _ = page
    pg.click("[data-view=generate]")
    pg.fill("#gen-form [name=prompt]", "mysterious synthwave, D minor, 120 BPM")
    pg.fill("#gen-form [name=max_duration]", "8")
    pg.fill("#gen-form [name=seed]", "5")
    pg.click("#gen-form button[type=submit]")
    pg.wait_for_selector("#jobs li[data-status=done]", timeout=90_000)
    shot(pg, tmp_path, "generate")
    pg.click("[data-view=library]")
    pg.wait_for_function("() => document.querySelectorAll('#loops tbody tr').length === 5")
    assert "studio_" in pg.locator("#loops tbody tr").first.inner_text()


@pytest.mark.slow
def test_ab_switch_lands_on_a_bar_line(page: tuple[Any, Any]) -> None:
    pg, _ = page
    row(pg, "beta").locator("button", has_text="A").last.click()
    row(pg, "gamma").locator("button", has_text="B").last.click()
    pg.click("#t-ab")
    pg.wait_for_function("() => window.studio.player.current?.entry.info.name === 'beta'")
    pg.wait_for_timeout(700)
    before = pg.evaluate("() => { const p = window.studio.player; return {t0: p.current.t0,"
                         " off: p.current.offset}; }")
    pg.click("#t-ab")
    pg.wait_for_function("() => window.studio.player.current?.entry.info.name === 'gamma'")
    sw = pg.evaluate("() => window.studio.player.lastSwitch")
    assert pg.evaluate("() => window.studio.player.live") == "B"
    assert sw["when"] > sw["at"]  # scheduled ahead, not cut at the click
    bar = 60 / 80 * 4  # beta: 80 BPM, 4/4, its loop from 0
    bars = (sw["when"] - before["t0"] + before["off"]) / bar
    assert bars == pytest.approx(round(bars), abs=1e-6) and round(bars) >= 1


@pytest.mark.slow
def test_evolve_session_runs_one_generation(page: tuple[Any, Any], tmp_path: Path) -> None:
    pytest.importorskip("evotorch", reason="evolve needs the evolve extra")
    pg, _ = page
    pg.click("[data-view=evolve]")
    pg.wait_for_selector("#evo-form")
    pg.fill("#evo-form [name=population]", "3")
    pg.fill("#evo-form [name=seconds]", "4")
    pg.click("#evo-form button[type=submit]")
    pg.wait_for_selector("#evo-cands .cand", timeout=180_000)
    cards = pg.locator("#evo-cands .cand")
    assert cards.count() == 3
    cards.nth(0).locator("button.play").click()
    pg.wait_for_function("() => window.studio.player.current?.src.loop === true")
    assert pg.evaluate("() => window.studio.player.current.id").endswith("/g0000-00")
    for i, score in enumerate((5, 3, 1)):
        cards.nth(i).locator(f".stars button[data-score='{score}']").click()
        lit = f"#evo-cands .cand:nth-child({i + 1}) .stars button.lit"
        pg.wait_for_selector(f"{lit} >> nth={score - 1}")
    cards.nth(0).locator(".fav-btn").click()
    pg.wait_for_selector("#evo-cands .cand.fav")
    pg.click("#evo-next")
    pg.wait_for_function("() => document.querySelectorAll('.chart polyline.best').length === 1 &&"
                         " !document.getElementById('evo-busy')", timeout=180_000)
    assert pg.locator("#evo-cands .cand").count() == 3
    assert "g0001-00" in pg.locator("#evo-cands").inner_text()
    shot(pg, tmp_path, "evolve")
    from loopmill.storage.catalog import Catalog

    with Catalog(tmp_path / "catalog.sqlite") as cat:  # the ratings went to the catalog too
        assert sorted(r["score"] for r in cat.ratings(kind="stars")) == [1.0, 3.0, 5.0]


@pytest.mark.slow
def test_saturated_stars_become_champion_questions_on_the_page(page: tuple[Any, Any],
                                                                tmp_path: Path) -> None:
    pytest.importorskip("evotorch", reason="evolve needs the evolve extra")
    pg, _ = page
    pg.click("[data-view=evolve]")
    pg.wait_for_selector("#evo-form")
    pg.fill("#evo-form [name=population]", "4")
    pg.fill("#evo-form [name=seconds]", "4")
    pg.click("#evo-form button[type=submit]")
    for gen in range(2):
        pg.wait_for_selector(f"#evo-cands .cand[data-candidate='g000{gen}-03']", timeout=180_000)
        assert pg.locator("#evo-question").count() == 0  # stars until 8 of them are 5s
        for i in range(4):
            pg.locator("#evo-cands .cand").nth(i).locator(".stars button[data-score='5']").click()
            if gen == 0 or i < 3:
                pg.wait_for_selector(
                    f"#evo-cands .cand:nth-child({i + 1}) .stars button.lit >> nth=4")
        if gen == 0:
            pg.click("#evo-next")
    pg.wait_for_selector("#evo-question")  # all eight were 5 stars: saturated
    assert pg.locator("#evo-cands .stars").count() == 0  # the cards ask the question now
    pg.locator("#evo-question button.play").click()
    pg.wait_for_function("() => /\\/g0000-0\\d$/.test(window.studio.player.current?.id || '')")
    card = pg.locator("#evo-cands .cand").nth(1)
    card.locator(".prefer button[data-prefer='1']").click()
    pg.wait_for_selector("#evo-cands .cand:nth-child(2) .prefer button.lit[data-prefer='1']")
    assert "g0001-01" in pg.locator("#evo-question").inner_text()  # the new champion
    shot(pg, tmp_path, "evolve-pair")


@pytest.mark.slow
def test_suite_phase_switch_crossfades_on_a_bar_line(tmp_path: Path) -> None:
    from loopmill.storage.catalog import Catalog
    from loopmill.studio.server import BackgroundStudio
    from tests.studio.conftest import make_catalog

    bpm, bar = 120.0, 88200  # 2 s bars at 44.1 kHz; two phases of 2 bars each
    _, ids = make_catalog(tmp_path, [
        ("calm", "synthwave", bpm, "D minor", "2026-11-20T10:00:00+00:00", 0, 2 * bar, "ogg"),
        ("combat", "synthwave", bpm, "D minor", "2026-11-20T10:00:01+00:00", 0, 2 * bar,
         "ogg")])
    with Catalog(tmp_path / "catalog.sqlite") as cat:  # what `loopmill suite` records
        for lid, name in zip(ids, ("calm", "combat"), strict=True):
            cat.delete(lid)
            cat.add({"name": f"arena/{name}", "suite": "arena", "bpm": bpm, "bars": 2,
                     "uris": [str(tmp_path / "loops" / f"{name}.ogg")]})
    with BackgroundStudio(config(tmp_path)) as server, browser_page() as pg:
        pg.goto(server.url)
        pg.wait_for_selector("body[data-ready='1']")
        row(pg, "arena/calm").locator("button.play").click()
        pg.wait_for_function("() => window.studio.player.current?.src.loop === true")
        pg.wait_for_selector("#phases button[data-phase=combat]")
        pg.wait_for_timeout(500)
        old = pg.evaluate("() => { const c = window.studio.player.current;"
                          " return {t0: c.t0, off: c.offset}; }")
        pg.click("#phases button[data-phase=combat]")
        pg.wait_for_function("() => window.studio.player.current?.entry.info.name ==="
                             " 'arena/combat'")
        sw = pg.evaluate("""() => { const p = window.studio.player, c = p.current;
            return {when: p.lastSwitch.when, at: p.lastSwitch.at, off: c.offset,
                    fade: c.gain.gain.value}; }""")
        assert sw["when"] > sw["at"]
        bars = (sw["when"] - old["t0"] + old["off"]) / 2.0
        assert bars == pytest.approx(round(bars), abs=1e-6)
        # the new phase goes on from the same place in the bar cycle, not from its start
        assert sw["off"] == pytest.approx((round(bars) * 2.0) % 4.0, abs=1e-6)
        assert pg.locator("#phases button.on").inner_text() == "combat"
