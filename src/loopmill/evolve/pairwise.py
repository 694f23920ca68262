"""Pairwise questions: "this one or the champion?" once star ratings saturate.

Whole stars saturate as a search converges: every loop better than the ones the listener
first heard gets 5 stars, and a listener model learned from them cannot tell the good
loops apart (in the search benchmark 75 % of the ratings CMA-ES and SNES got were 5
stars). A choice between two loops never saturates. ``user_model.pairwise`` says when
the session asks for one instead of stars:

* ``never`` — always stars;
* ``saturated`` (the default) — once more than ``saturation`` of the last
  ``saturation_window`` star ratings were top stars (5, or a like); from then on;
* ``always`` — from the second generation on (the first is rated with stars: there is
  no champion yet, and the stars anchor the listener model's prior).

The champion is the loop each question compares with: until the first pairwise answer,
the rated loop the retrained listener model scores best; after, the loop the listener
last preferred (a preferred candidate takes its place at once).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["PAIRWISE", "ask_pair", "best_rated"]

#: ``user_model.pairwise`` values
PAIRWISE = ("never", "saturated", "always")


def ask_pair(mode: str, stars: Sequence[float], *, pairs: int, champion: bool,
             saturation: float, window: int) -> bool:
    """Whether the next question is a pair (see the module docstring).

    Parameters
    ----------
    mode : str
        ``never``, ``saturated`` or ``always``.
    stars : sequence of float
        The star ratings given so far, in order (likes as 1/5 stars).
    pairs : int
        Pairwise answers given so far (once one is, the session stays with pairs).
    champion : bool
        Whether there is a champion to compare with.
    saturation, window : float, int
        More than ``saturation`` of the last ``window`` stars at the top: saturated.
    """
    if mode == "never" or not champion:
        return False
    if mode == "always" or pairs:
        return True
    recent = list(stars)[-window:]
    top = sum(1 for r in recent if r >= 5.0)
    return len(recent) >= window and top > saturation * len(recent)


def best_rated(predict: Any, rated: list[tuple[str, np.ndarray]]) -> dict[str, Any] | None:
    """The champion before any pairwise answer: of ``rated`` ``(id, embedding)``, the one
    ``predict`` (the listener model's score, ``[N, D] -> [N]``) scores best."""
    if not rated:
        return None
    score = np.asarray(predict(np.stack([e for _, e in rated])))
    cid, emb = rated[int(np.argmax(score))]
    return {"id": cid, "embedding": np.asarray(emb, dtype=np.float64).tolist()}
