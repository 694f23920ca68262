"""Loop-seamless effects: tails wrap around the seam; every genre chain works."""

from __future__ import annotations

import numpy as np
import pedalboard
import pytest

from loopmill.engines.composer.effects import (
    GENRE_CHAINS,
    ROLES,
    Send,
    bus_reverb,
    chain_for,
    process_loop,
    split_send,
    tail_seconds,
)
from loopmill.errors import BadInputError
from loopmill.loops.seam import seam_score

SR = 22050
T = 2 * SR


def _clicks() -> np.ndarray:
    """Short decaying noise bursts at 0.25, 0.75, 1.25 and 1.75 s: silence at the seam."""
    rng = np.random.default_rng(1)
    y = np.zeros((1, T), np.float32)
    n = 220
    burst = rng.standard_normal(n) * np.exp(-np.arange(n) / 40.0) * 0.5
    for s in (0.25, 0.75, 1.25, 1.75):
        k = int(s * SR)
        y[0, k:k + n] += burst.astype(np.float32)
    return y


def _long_reverb() -> pedalboard.Pedalboard:
    return pedalboard.Pedalboard([pedalboard.Reverb(room_size=0.9, wet_level=0.5,
                                                    dry_level=0.8)])


def test_reverb_tail_wraps_into_loop_start() -> None:
    y = _clicks()
    board = _long_reverb()
    out = process_loop(y, sr=SR, board=board)
    assert out.shape == y.shape and out.dtype == np.float32
    head = int(0.05 * SR)
    cold = board(y, SR, reset=True)  # a non-wrapping render starts without the tail
    e_wrap = float(np.sum(out[:, :head] ** 2))
    e_cold = float(np.sum(cold[:, :head] ** 2))
    assert e_wrap > 1e-4
    assert e_wrap > 100 * e_cold
    # the loop equals one period of the steady state of the loop played for ever
    steady = board(np.tile(y, (1, 6)), SR, reset=True)[:, -T:]
    assert np.max(np.abs(out - steady)) < 1e-3 * np.max(np.abs(steady))
    assert seam_score(out, sr=SR, start=0, end=T) == 0


def test_mono_to_stereo_and_deterministic() -> None:
    y = _clicks()
    board = chain_for("synthwave", role="pad", bpm=120.0)
    a = process_loop(y, sr=SR, board=board, channels=2)
    b = process_loop(y, sr=SR, board=board, channels=2)
    assert a.shape == (2, T)
    np.testing.assert_array_equal(a, b)
    # the chorus rate is fitted to the loop for the call only
    assert board[0].rate_hz == pytest.approx(0.6)
    assert seam_score(a, sr=SR, start=0, end=T) == 0


def test_short_loop_long_tail_uses_many_passes() -> None:
    n = SR // 2
    y = _clicks()[:, :n] + 0.0
    y[0, 100:320] = 0.3
    board = pedalboard.Pedalboard([pedalboard.Reverb(room_size=0.95)])
    assert tail_seconds(board) > 3
    out = process_loop(y, sr=SR, board=board)
    steady = board(np.tile(y, (1, 40)), SR, reset=True)[:, -n:]
    assert np.max(np.abs(out - steady)) < 2e-3 * np.max(np.abs(steady))


@pytest.mark.parametrize("genre", [*GENRE_CHAINS, "polka"])
def test_every_genre_and_role(genre: str) -> None:
    rng = np.random.default_rng(0)
    y = (rng.standard_normal((2, SR)) * 0.2).astype(np.float32)
    for role in ROLES:
        for moods in ((), ("dark", "dreamy"), ("bright",)):
            board = chain_for(genre, role=role, moods=moods, bpm=120.0)
            assert isinstance(board, pedalboard.Pedalboard)
            out = process_loop(y, sr=SR, board=board)
            assert out.shape == y.shape
            assert np.all(np.isfinite(out))


def test_moods_nudge() -> None:
    plain = chain_for("lofi", role="pad", bpm=120.0)
    dark = chain_for("lofi", role="pad", moods=("dark",), bpm=120.0)
    assert dark[0].cutoff_frequency_hz < plain[0].cutoff_frequency_hz
    dreamy = chain_for("synthwave", role="pad", moods=("dreamy",), bpm=120.0)
    assert dreamy[-1].room_size > chain_for("synthwave", role="pad", bpm=120.0)[-1].room_size


def test_bad_inputs() -> None:
    with pytest.raises(BadInputError, match="role"):
        chain_for("lofi", role="vocals", bpm=120.0)
    with pytest.raises(BadInputError):
        process_loop(np.zeros((2, 0), np.float32), sr=SR, board=_long_reverb())
    with pytest.raises(BadInputError, match="channels"):
        process_loop(np.zeros((2, 100), np.float32), sr=SR, board=_long_reverb(), channels=3)


def test_reverb_bus_equals_one_reverb_per_stem() -> None:
    """Stems whose reverbs share settings: one bus reverb gives the same mix."""
    rng = np.random.default_rng(3)
    a = _clicks()
    b = np.roll(_clicks(), SR // 3, axis=1) * rng.uniform(0.5, 1.0)
    boards = [
        pedalboard.Pedalboard([pedalboard.Gain(-3.0),
                               pedalboard.Reverb(room_size=0.7, wet_level=0.3, dry_level=0.8)]),
        pedalboard.Pedalboard([pedalboard.Reverb(room_size=0.7, wet_level=0.1, dry_level=0.5)]),
    ]
    reference = sum(process_loop(y, sr=SR, board=bd, channels=2)
                    for y, bd in zip((a, b), boards, strict=True))
    mix = np.zeros((2, T), np.float32)
    bus = np.zeros((2, T), np.float32)
    sends = []
    for y, bd in zip((a, b), boards, strict=True):
        rest, send = split_send(bd)
        assert send is not None and len(rest) == len(bd) - 1
        assert not any(isinstance(p, pedalboard.Reverb) for p in rest)
        wet = process_loop(y, sr=SR, board=rest, channels=2) if len(rest) else np.repeat(y, 2, 0)
        mix += send.dry * wet
        bus += send.wet * wet
        sends.append(send)
    mix += process_loop(bus, sr=SR, board=bus_reverb(sends), channels=2)
    err = np.abs(mix - reference).max()
    assert err < 1e-3 * np.abs(reference).max()
    # and a bus that forgets a send is measurably different
    assert np.abs(mix - sends[1].dry * np.repeat(b, 2, 0) - reference).max() > 0.05


def test_split_send_without_reverb_and_bus_settings() -> None:
    board = pedalboard.Pedalboard([pedalboard.Delay(0.2, 0.3, 0.2)])
    rest, send = split_send(board)
    assert send is None and rest is board
    verb = bus_reverb([Send(1.6, 0.3, 0.9, 0.2, 1.0), Send(1.6, 0.1, 0.5, 0.6, 0.0)])
    assert verb.room_size == pytest.approx(0.8, abs=1e-6)
    assert verb.damping == pytest.approx(0.3, abs=1e-6)
    assert verb.width == pytest.approx(0.75, abs=1e-6)
    assert verb.dry_level == 0.0 and verb.wet_level == 1.0
    with pytest.raises(BadInputError, match="no stem sends"):
        bus_reverb([Send(1.0, 0.0, 0.5, 0.5, 1.0)])
