"""The composer's loops develop: sections, fills, motif variation, distinct bars, stereo."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill.analysis.structure import channel_correlation, distinct_bars, sample_copies
from loopmill.engines.composer.controls import ComposerControls, from_unit, to_unit
from loopmill.engines.composer.develop import make_motif
from loopmill.engines.composer.engine import ComposerEngine
from loopmill.engines.composer.form import plan_form
from loopmill.engines.composer.genres import STYLES
from loopmill.engines.composer.groove import drum_part
from loopmill.errors import BadInputError
from loopmill.prompts import parse_prompt

SR = 16000


def _loop(genre: str, *, bars: int, bpm: float, seed: int = 3,
          controls: ComposerControls | None = None) -> tuple[np.ndarray, object]:
    dur = bars * 240.0 / bpm
    spec = parse_prompt(f"{genre}, A minor, {bpm:g} BPM", genre=genre, seed=seed,
                        min_duration=dur - 0.01, max_duration=dur + 0.01)
    eng = ComposerEngine()
    arr = eng.plan(spec, seed=seed, controls=controls)
    return eng.render(arr, sr=SR, seed=seed), arr


def test_plan_form_covers_the_loop_and_variation_zero_is_one_idea() -> None:
    secs = plan_form(bars=16, form="AABA", variation=0.8)
    assert [(s.letter, s.variant, s.start_bar, s.bars) for s in secs] == [
        ("A", 0, 0, 4), ("A", 1, 4, 4), ("B", 0, 8, 4), ("A", 2, 12, 4)]
    assert max(s.intensity for s in secs) == secs[2].intensity  # B is the peak
    flat = plan_form(bars=16, form="AABA", variation=0.0)
    assert {s.letter for s in flat} == {"A"} and len({s.intensity for s in flat}) == 1
    assert sum(s.bars for s in plan_form(bars=6, form="ABAB", variation=1)) == 6
    with pytest.raises(BadInputError, match="unknown form 'sonata'"):
        plan_form(bars=8, form="sonata", variation=0.5)


def test_drums_fill_at_phrase_ends_and_crash_on_phrase_starts() -> None:
    secs = plan_form(bars=16, form="AABA", variation=1.0)
    hits = drum_part(STYLES["rock"], sections=secs, bpm=120, energy=0.8, density=0.6,
                     variation=1.0, humanize=0.0, rng=np.random.default_rng(1))
    toms = {int(p // 4) for piece in ("tom", "tom_hi", "tom_lo") for p, _ in hits[piece]}
    assert toms == {3, 7, 11, 15}  # the last bar of every section
    assert {round(p) for p, _ in hits["crash"]} == {0, 16, 32, 48}
    ghosts = [v for p, v in hits["snare"] if p % 1.0 and v < 0.3]
    assert ghosts  # soft sixteenths between the backbeats


def test_motif_density_adds_notes_without_reshuffling() -> None:
    sparse = make_motif(np.random.default_rng(5), density=0.2)
    busy = make_motif(np.random.default_rng(5), density=0.8)
    assert len(busy.rhythm) > len(sparse.rhythm)
    assert {s for s, _ in sparse.rhythm} <= {s for s, _ in busy.rhythm}


@pytest.mark.parametrize(("genre", "bpm"), [("synthwave", 110), ("house", 124)])
def test_sixteen_bars_are_mostly_distinct_and_wide(genre: str, bpm: float) -> None:
    y, arr = _loop(genre, bars=16, bpm=bpm)
    assert arr.form.count(" ") == 3  # type: ignore[attr-defined]  # four sections
    assert distinct_bars(y, sr=SR, bars=16) >= 10
    assert sample_copies(y, bars=16) == 0
    assert channel_correlation(y) < 0.75
    # mono-compatible: folding to mono keeps most of the level
    assert np.sqrt(np.mean(y.mean(axis=0) ** 2)) > 0.6 * np.sqrt(np.mean(y**2))


@pytest.mark.parametrize(("genre", "bpm", "seed"), [("orchestral", 100, 1), ("horror", 70, 1),
                                                    ("horror", 70, 4), ("fantasy", 96, 5)])
def test_orchestral_and_horror_develop_phrase_by_phrase(genre: str, bpm: float,
                                                        seed: int) -> None:
    # seeds where A' and B' used to repeat A and B (8, 7 and fantasy 8 distinct bars of 16)
    y, arr = _loop(genre, bars=16, bpm=bpm, seed=seed)
    assert distinct_bars(y, sr=SR, bars=16) >= 10
    assert "ostinato" in arr.parts  # type: ignore[attr-defined]
    again, _ = _loop(genre, bars=16, bpm=bpm, seed=seed)
    np.testing.assert_array_equal(again, y)


def test_dnb_is_wide_and_still_mono_compatible() -> None:
    y, _ = _loop("dnb", bars=8, bpm=172, seed=2)
    assert channel_correlation(y) <= 0.6  # was 0.67: a mono sub and centred parts
    assert np.sqrt(np.mean(y.mean(axis=0) ** 2)) > 0.7 * np.sqrt(np.mean(y**2))


def test_ping_pong_alternates_right_and_left_and_wraps() -> None:
    from loopmill.engines.composer.stereo import ping_pong

    y = np.zeros((2, 1000), dtype=np.float32)
    y[:, 900] = 1.0
    out = ping_pong(y, sr=1000, delay_s=0.05, feedback=0.5, mix=0.4, taps=3)
    assert out[1, 950] == pytest.approx(0.4) and out[0, 950] == 0.0  # right first
    assert out[0, 0] == pytest.approx(0.2) and out[1, 0] == 0.0  # then left, wrapped
    assert out[1, 50] == pytest.approx(0.1)
    assert np.count_nonzero(out) == 3
    with pytest.raises(BadInputError, match="stereo audio"):
        ping_pong(y[0], sr=1000, delay_s=0.05, feedback=0.5, mix=0.4)


def test_every_genre_develops_over_eight_bars() -> None:
    for genre in STYLES:
        hi = STYLES[genre].bpm_range[1]
        y, arr = _loop(genre, bars=8, bpm=float(hi), seed=2)
        assert len(arr.sections) == 4, genre  # type: ignore[attr-defined]
        assert sample_copies(y, bars=8) == 0, genre
        assert distinct_bars(y, sr=SR, bars=8) >= 4, genre  # the old composer: 0
        # the bass stays centred: below 150 Hz its two channels are the same
        from loopmill.engines.composer.mixer import render_stem

        bass = render_stem(arr, "bass", n=y.shape[1], sr=SR, seed=2)  # type: ignore[arg-type]
        spec = np.fft.rfft(bass, axis=1)
        band = np.fft.rfftfreq(bass.shape[1], 1 / SR) < 150
        left, right = spec[0, band], spec[1, band]
        corr = np.real(np.vdot(left, right)) / (np.linalg.norm(left) * np.linalg.norm(right))
        assert corr > 0.98, genre


def _features(y: np.ndarray) -> np.ndarray:
    from loopmill.analysis.features import compute_features

    mel = compute_features(y, sr=SR).mel_db
    return np.concatenate([mel.mean(axis=1), mel.std(axis=1)])


def test_nearby_controls_make_nearby_music() -> None:
    rng = np.random.default_rng(0)
    base = from_unit(rng.uniform(0.2, 0.8, len(to_unit(ComposerControls()))))
    x = to_unit(base)
    ref = _features(_loop("synthwave", bars=8, bpm=110, controls=base)[0])
    dists = []
    for step in (0.03, 0.12, 0.4):
        d = []
        for k in range(2):
            v = np.clip(x + step * np.random.default_rng(k).choice([-1, 1], x.size), 0, 1)
            y, _ = _loop("synthwave", bars=8, bpm=110, controls=from_unit(v))
            d.append(np.linalg.norm(_features(y) - ref))
        dists.append(float(np.mean(d)))
    assert dists[0] < dists[1] < dists[2], dists
