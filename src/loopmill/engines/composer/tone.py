"""Brightness and space: how two continuous controls change patches and effect boards.

Both act as smooth scale factors (no thresholds), so nearby control values give nearby
sound: brightness multiplies every low-pass cut-off by ``4 ** (brightness - 0.5)``
(half to double), space scales every reverb's wet level and room size.
"""

from __future__ import annotations

import dataclasses

import pedalboard

from loopmill.engines.composer.synth import Patch

__all__ = ["bright_factor", "tilt", "tune_board", "tune_patch"]

_MAX_CUTOFF = 18000.0


def bright_factor(brightness: float) -> float:
    """Cut-off multiplier for ``brightness`` in 0..1: 0.5 (dark) .. 1 (0.5) .. 2 (bright)."""
    return float(4.0 ** (brightness - 0.5))


def tune_patch(patch: Patch, *, brightness: float) -> Patch:
    """``patch`` with its low-pass cut-off scaled by :func:`bright_factor`."""
    if patch.filter_cutoff is None:
        return patch
    cut = min(patch.filter_cutoff * bright_factor(brightness), _MAX_CUTOFF)
    return dataclasses.replace(patch, filter_cutoff=cut)


def tune_board(
    board: pedalboard.Pedalboard, *, brightness: float, space: float
) -> pedalboard.Pedalboard:
    """Scale a board's low-pass cut-offs (brightness) and reverbs (space) in place.

    ``space`` 0.5 keeps the genre's reverb; 0 removes the wet signal, 1 doubles it
    (capped at 1) with a larger room. Returns ``board``.
    """
    f = bright_factor(brightness)
    for p in board:
        if isinstance(p, pedalboard.LowpassFilter):
            p.cutoff_frequency_hz = min(float(p.cutoff_frequency_hz) * f, _MAX_CUTOFF)
        elif isinstance(p, pedalboard.LadderFilter):
            p.cutoff_hz = min(float(p.cutoff_hz) * f, _MAX_CUTOFF)
        elif isinstance(p, pedalboard.Reverb) and float(p.freeze_mode) < 0.5:
            p.wet_level = min(float(p.wet_level) * 2.0 * space, 1.0)
            p.room_size = min(max(float(p.room_size) + 0.2 * (space - 0.5), 0.0), 0.98)
        elif isinstance(p, pedalboard.Delay):
            p.mix = min(float(p.mix) * 2.0 * space, 1.0)
    return board


def tilt(brightness: float) -> list[pedalboard.Plugin]:
    """A master tilt EQ: +-9 dB high shelf at 3 kHz, the opposite low shelf at 250 Hz."""
    db = 18.0 * (brightness - 0.5)
    return [
        pedalboard.HighShelfFilter(cutoff_frequency_hz=3000.0, gain_db=db),
        pedalboard.LowShelfFilter(cutoff_frequency_hz=250.0, gain_db=-0.5 * db),
    ]
