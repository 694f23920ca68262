"""Known answers for the composer's music theory."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill.engines.composer.theory import (
    GENRES,
    Scale,
    choose_progression,
    chord,
    midi_to_hz,
    mode_intervals,
    note_to_midi,
    parse_tonic,
    suggest_mode,
    uses_sevenths,
    voice_lead,
    voicing_movement,
)
from loopmill.errors import BadInputError


def test_pitch_helpers() -> None:
    assert note_to_midi("C#4") == 61
    assert note_to_midi("A4") == 69
    assert note_to_midi("Bb3") == 58
    assert note_to_midi("C-1") == 0
    assert midi_to_hz(69) == pytest.approx(440.0)
    assert midi_to_hz(57) == pytest.approx(220.0)
    assert [parse_tonic(t) for t in ("D", "F#", "Bb", "Db", "F♯", "E♭", "c")] == [
        2, 6, 10, 1, 6, 3, 0]
    for bad in ("H", "C#4x", ""):
        with pytest.raises(BadInputError):
            parse_tonic(bad)
    with pytest.raises(BadInputError):
        note_to_midi("C")


def test_scales() -> None:
    assert Scale.parse("C", "major").notes(60, 72) == [60, 62, 64, 65, 67, 69, 71, 72]
    assert sorted(Scale.parse("D", "dorian").pitch_classes) == [0, 2, 4, 5, 7, 9, 11]
    assert Scale.parse("D", "dorian").note(1, octave=4) == 62
    assert Scale.parse("D", "dorian").note(3, octave=4) == 65
    assert mode_intervals("harmonic minor") == (0, 2, 3, 5, 7, 8, 11)
    assert mode_intervals("blues") == (0, 3, 5, 6, 7, 10)
    assert len(mode_intervals("minor_pentatonic")) == 5
    with pytest.raises(BadInputError):
        mode_intervals("hypermixo")


def test_chords() -> None:
    assert chord(1, key_pc=9, mode="minor", octave=3) == [57, 60, 64]  # A minor
    assert chord(5, key_pc=0, mode="major", octave=3, sevenths=True) == [55, 59, 62, 65]  # G7
    assert chord(2, key_pc=0, mode="major", octave=4, sevenths=True) == [62, 65, 69, 72]  # Dm7
    assert chord(1, key_pc=0, mode="major", octave=4, sevenths=True) == [60, 64, 67, 71]  # Cmaj7
    # harmonic-minor dominant in A minor: E G# B
    assert chord(5, key_pc=9, mode="minor", octave=3, harmonic_dominant=True) == [64, 68, 71]
    assert chord(5, key_pc=9, mode="minor", octave=3) == [64, 67, 71]
    with pytest.raises(BadInputError):
        chord(8, key_pc=0, mode="major")


@pytest.mark.parametrize("genre", GENRES)
def test_progressions_start_on_tonic_and_stay_in_scale(genre: str) -> None:
    rng = np.random.default_rng(1)
    for moods in ([], ["dark", "tense"], ["happy", "triumphant"], ["calm"]):
        for mode in ("major", "minor", "dorian", "minor_pentatonic"):
            for bars in (1, 2, 3, 4, 6, 8):
                prog = choose_progression(genre=genre, moods=moods, mode=mode, rng=rng,
                                          bars=bars)
                assert len(prog) == bars
                assert prog[0] == 1
                if bars > 1:
                    assert prog[-1] in (2, 4, 5, 7)
                scale = Scale(7, "minor" if mode == "minor_pentatonic" else mode)
                for d in prog:
                    notes = chord(d, key_pc=7, mode=mode, sevenths=uses_sevenths(genre))
                    assert all(scale.contains(m) for m in notes)


def test_mood_bias_and_determinism() -> None:
    def draw(moods: list[str], mode: str, seed: int) -> list[list[int]]:
        rng = np.random.default_rng(seed)
        return [choose_progression(genre="synthwave", moods=moods, mode=mode, rng=rng)
                for _ in range(200)]

    assert draw(["dark"], "minor", 3) == draw(["dark"], "minor", 3)
    dark = draw(["dark", "tense"], "minor", 4)
    happy = draw(["happy", "triumphant"], "major", 4)
    minor_like = {(1, 6, 7, 5), (1, 6, 4, 7), (1, 4, 6, 5)}
    assert sum(tuple(p) in minor_like for p in dark) > sum(tuple(p) in minor_like for p in happy)
    assert sum(p == [1, 5, 6, 4] for p in happy) > sum(p == [1, 5, 6, 4] for p in dark)
    assert suggest_mode(genre="synthwave", moods=["dark"]) == "minor"
    assert suggest_mode(genre="chiptune", moods=["happy"]) == "major"
    assert uses_sevenths("jazz") and uses_sevenths("lofi") and not uses_sevenths("rock")
    with pytest.raises(BadInputError):
        choose_progression(genre="polka", moods=[], mode="major", rng=np.random.default_rng(0))


def _total(chords: list[list[int]]) -> int:
    return sum(voicing_movement(a, b) for a, b in zip(chords, chords[1:] + chords[:1], strict=True))


def test_voice_lead_moves_less_than_blocks() -> None:
    for degrees, sevenths in (([1, 5, 6, 4], False), ([1, 6, 2, 5], True), ([1, 4, 6, 7], False)):
        blocks = [chord(d, key_pc=0, mode="major", octave=4, sevenths=sevenths) for d in degrees]
        led = voice_lead(blocks, low=52, high=76)
        assert _total(led) < _total(blocks)
        for src, out in zip(blocks, led, strict=True):
            assert {m % 12 for m in out} == {m % 12 for m in src}
            assert len(out) == len(src)
            assert all(52 <= m <= 76 for m in out)
    led = voice_lead([[60, 64, 67], [55, 59, 62]])
    assert _total(led) <= 6
    assert voice_lead([]) == []
    with pytest.raises(BadInputError):
        voice_lead([[60, 64, 67]], low=60, high=64)


def test_voice_lead_is_the_cheapest_of_all_voicing_combinations() -> None:
    """The batched programme against brute force over every candidate combination,
    chords of different sizes included (movement, loop closed, plus the centring term)."""
    import itertools

    from loopmill.engines.composer.theory import _candidates

    low, high = 50, 74
    centre = (low + high) / 2

    def cost(vs: list[list[int]]) -> float:
        return _total(vs) + sum(abs(sum(v) / len(v) - centre) / 100.0 for v in vs)

    rng = np.random.default_rng(3)
    for _ in range(12):
        chords = [sorted({int(r) + int(x) for x in rng.choice([0, 3, 4, 7, 10, 14], k)})
                  for r, k in zip(rng.integers(45, 70, 4), rng.integers(1, 5, 4), strict=True)]
        led = voice_lead(chords, low=low, high=high)
        brute = min(cost([list(v) for v in combo]) for combo in
                    itertools.product(*(_candidates(c, low, high) for c in chords)))
        assert cost(led) == pytest.approx(brute, abs=1e-9)
