"""The composer's stereo image: hats that walk by time, an 808 whose growl is wide."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill.analysis.structure import channel_correlation, mono_loss_db
from loopmill.engines.composer.mixer import alternate_sides, render_stem
from loopmill.engines.composer.stereo import harmonics
from loopmill.errors import BadInputError
from tests.engines.test_composer_form import SR, _loop


def test_hats_alternate_by_time_not_by_list_position() -> None:
    hits = {"closed_hat": [(0.0, 0.3), (0.5, 0.3), (1.0, 0.3), (1.5, 0.3), (4.0, 0.3),
                           (4.5, 0.3), (5.0, 0.3)],
            "open_hat": [(0.5, 0.4), (5.0, 0.4)]}
    left, right = alternate_sides(hits, beats_per_bar=4)
    # in time order, left, right, left ...; a new bar starts on the left again
    assert [p for p, _ in left["closed_hat"]] == [0.0, 1.0, 4.0, 5.0]
    assert [p for p, _ in right["closed_hat"]] == [0.5, 1.5, 4.5]
    # an open hat on the closed hat's onset shares its side (by list position the
    # open hat's first hit would have gone left, against the closed one on the right)
    assert right["open_hat"] == [(0.5, 0.4)] and left["open_hat"] == [(5.0, 0.4)]
    shuffled = {p: list(reversed(h)) for p, h in reversed(list(hits.items()))}
    again = alternate_sides(shuffled, beats_per_bar=4)
    for side, other in zip((left, right), again, strict=True):
        assert {p: sorted(h) for p, h in side.items()} == {p: sorted(h) for p, h in other.items()}


def test_harmonics_leave_the_sub_alone_and_loop() -> None:
    sr, n = 8000, 8000
    t = np.arange(n) / sr
    sub = (0.9 * np.sin(2 * np.pi * 50 * t) * np.exp(-3 * (t % 0.5))).astype(np.float32)
    grit = harmonics(sub, sr=sr)
    spec = np.abs(np.fft.rfft(grit)) ** 2
    f = np.fft.rfftfreq(n, 1 / sr)
    low = f < 150  # against the sub there, the layer is 30 dB down: the low end stays mono
    assert spec[low].sum() < 1e-3 * (np.abs(np.fft.rfft(sub)[low]) ** 2).sum()
    assert spec[f >= 150].sum() > 0.95 * spec.sum()  # its 3rd, 4th, 5th ... harmonics
    assert np.sqrt(np.mean(grit**2)) > 0.05 * np.sqrt(np.mean(sub**2))  # -20 dB: a layer
    # circular: a loop's harmonics are the harmonics of the loop played twice, halved
    np.testing.assert_allclose(harmonics(np.tile(sub, 2), sr=sr)[:n], grit, atol=1e-5)
    with pytest.raises(BadInputError, match="mono part"):
        harmonics(np.stack([sub, sub]), sr=sr)


@pytest.mark.parametrize(("genre", "bpm"), [("trap", 140.0), ("synthwave", 96.0)])
def test_trap_and_synthwave_are_wide_with_a_mono_low_end(genre: str, bpm: float) -> None:
    y, arr = _loop(genre, bars=8, bpm=bpm, seed=1)
    assert channel_correlation(y) <= 0.6  # were 0.80 and 0.61 (16 bars, 5 seeds)
    assert mono_loss_db(y) > -3.0  # folding to mono cancels nothing
    bass = render_stem(arr, "bass", n=y.shape[1], sr=SR, seed=1)  # type: ignore[arg-type]
    spec = np.fft.rfft(bass, axis=1)
    f = np.fft.rfftfreq(bass.shape[1], 1 / SR)
    lo, hi = spec[:, f < 150], spec[:, f > 300]
    corr = np.real(np.vdot(lo[0], lo[1])) / (np.linalg.norm(lo[0]) * np.linalg.norm(lo[1]))
    assert corr > 0.98  # the sub is centred
    if genre == "trap":  # and the 808's growl above it is wide
        wide = np.real(np.vdot(hi[0], hi[1])) / (np.linalg.norm(hi[0]) * np.linalg.norm(hi[1]))
        assert wide < 0.5
