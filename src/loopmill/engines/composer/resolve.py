"""Resolve :class:`ComposerControls` for one loop: every ``None`` becomes the genre's choice.

The resolved controls are what the composer renders and what it records
(``EngineOutput.info["controls"]``): handing them back (``generate --controls`` with a
sidecar) makes the same loop again, and a search moves through them smoothly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from loopmill.engines.composer.controls import CONTINUOUS, ComposerControls
from loopmill.errors import BadInputError

__all__ = ["MOOD_ENERGY", "controls_from_extra", "resolve_controls"]

#: mood -> energy, for a spec without an energy of its own.
MOOD_ENERGY = {
    "calm": 0.35, "peaceful": 0.3, "dreamy": 0.4, "sad": 0.4, "melancholic": 0.4,
    "energetic": 0.85, "aggressive": 0.9, "epic": 0.8, "triumphant": 0.8, "tense": 0.7,
    "happy": 0.65, "contemplative": 0.35, "playful": 0.6,
}


#: the composer's own defaults where a genre has none (others: 0.5)
_DEFAULTS = {"variation": 0.7, "humanize": 0.5, "stereo_width": 0.5}


def controls_from_extra(extra: Mapping[str, Any]) -> ComposerControls:
    """The controls in ``GenerationParams.extra["controls"]`` (object, dict or absent).

    Raises
    ------
    BadInputError
        The value is neither a ``ComposerControls`` nor a valid mapping.
    """
    raw = extra.get("controls")
    if raw is None:
        return ComposerControls()
    if isinstance(raw, ComposerControls):
        return raw
    if isinstance(raw, Mapping):
        return ComposerControls.from_dict(raw)
    raise BadInputError(
        f"params.extra['controls'] is a {type(raw).__name__}; pass a ComposerControls or a "
        "dict of control names to values"
    )


def resolve_controls(
    controls: ComposerControls,
    *,
    defaults: Mapping[str, float],
    moods: tuple[str, ...],
    energy: float | None,
) -> ComposerControls:
    """Fill every ``None`` continuous control.

    Parameters
    ----------
    controls : ComposerControls
        What the caller set.
    defaults : mapping
        The genre's choices (``Style.defaults``): control name -> value.
    moods : tuple of str
        Moods set the energy when neither the controls nor ``energy`` do.
    energy : float or None
        The spec's own energy (from the prompt's words).

    Returns
    -------
    ComposerControls
        No continuous control is ``None``; ``form`` stays as given.
    """
    if energy is None:
        known = [MOOD_ENERGY[m] for m in moods if m in MOOD_ENERGY]
        energy = float(np.mean(known)) if known else 0.6
    fill: dict[str, float] = {"energy": float(energy)}
    for name in CONTINUOUS:
        if name != "energy":
            fill[name] = float(defaults.get(name, _DEFAULTS.get(name, 0.5)))
    e = fill["energy"] if controls.energy is None else float(controls.energy)
    # Busier melody with more energy, unless the genre fixed it.
    if "melody_density" not in defaults:
        fill["melody_density"] = 0.15 + 0.7 * e
    return controls.resolve(**fill)
