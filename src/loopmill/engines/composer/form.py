"""Form inside one loop: sections (A A' B A'' ...), their intensity, and phrase marks.

A loop of 8 or more bars is cut into four sections; the form names which material
each plays (``AABA``: A, A', B, A''). Every section has an intensity (the dynamics of
the loop) that returns to the first section's level at the end, so the seam is a
phrase boundary like any other: the last bar is a fill that leads into the loop's
first downbeat.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopmill.errors import BadInputError

__all__ = ["FORM_LETTERS", "Section", "plan_form"]

#: form -> the letter of each of the four sections
FORM_LETTERS: dict[str, tuple[str, str, str, str]] = {
    "AABA": ("A", "A", "B", "A"),
    "ABAB": ("A", "B", "A", "B"),
    "ABAC": ("A", "B", "A", "C"),
    "AAB": ("A", "A", "B", "B"),
    "build": ("A", "A", "B", "B"),
    "through": ("A", "B", "C", "D"),
}
#: form -> intensity of each section (0..1): the loop's dynamics
_INTENSITY: dict[str, tuple[float, float, float, float]] = {
    "AABA": (0.75, 0.9, 1.0, 0.85),
    "ABAB": (0.8, 1.0, 0.85, 1.0),
    "ABAC": (0.8, 0.95, 0.85, 1.0),
    "AAB": (0.75, 0.85, 1.0, 0.95),
    "build": (0.55, 0.75, 0.95, 1.0),
    "through": (0.8, 0.9, 1.0, 0.9),
}


@dataclass(frozen=True)
class Section:
    """One section of the loop.

    Attributes
    ----------
    letter : str
        Its material: ``"A"``, ``"B"``, ...
    variant : int
        How many times this letter played before (0: first statement, 1: A', ...).
    index : int
        Position among the sections, 0-based.
    start_bar, bars : int
        Where it lies in the loop.
    intensity : float
        0..1, scales velocities, layers and drum density.
    """

    letter: str
    variant: int
    index: int
    start_bar: int
    bars: int
    intensity: float

    def has_bar(self, bar: int) -> bool:
        """Whether loop bar ``bar`` (0-based) lies in this section."""
        return self.start_bar <= bar < self.start_bar + self.bars


def plan_form(*, bars: int, form: str, variation: float) -> list[Section]:
    """The sections of a loop of ``bars`` bars.

    Parameters
    ----------
    bars : int
        Loop length; under 4 bars the loop is one section.
    form : str
        A key of :data:`FORM_LETTERS`.
    variation : float
        0..1; at 0 every section is the first one (the loop is one idea repeated),
        intensities flatten towards the first section's.

    Returns
    -------
    list of Section
        Covering bars ``0 .. bars-1`` in order.
    """
    if form not in FORM_LETTERS:
        raise BadInputError(f"unknown form {form!r}; use one of {', '.join(FORM_LETTERS)}")
    if bars < 1:
        raise BadInputError(f"bars={bars} must be at least 1")
    if bars < 4:
        return [Section("A", 0, 0, 0, bars, 0.85)]
    letters = FORM_LETTERS[form]
    levels = _INTENSITY[form]
    size, extra = divmod(bars, 4)
    out: list[Section] = []
    seen: dict[str, int] = {}
    start = 0
    for i, letter in enumerate(letters):
        n = size + (1 if i < extra else 0)
        if variation <= 0.0:
            letter = "A"
        variant = seen.get(letter, 0)
        seen[letter] = variant + 1
        level = levels[0] + (levels[i] - levels[0]) * min(1.0, variation * 1.5)
        out.append(Section(letter, variant, i, start, n, level))
        start += n
    return out
