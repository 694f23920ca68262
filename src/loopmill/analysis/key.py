"""Key estimation: energy-weighted chroma against 24 rotated key profiles.

The profiles are Temperley's (2007), counted from the Kostka-Payne harmony textbook
corpus: how often each scale degree sounds in a segment of a piece in that key.  They
suit chord-based music (pop, game and dance loops) better than the Krumhansl-Kessler
probe-tone ratings: those rate the non-diatonic degrees of a major key almost as high
as the diatonic ones (2.2-2.5 against 2.9-3.7 for ii, vi, vii), so a minor-key loop
that dwells on its VI and VII chords scores best as the relative major, and a loop on
I-vi-IV-V as vi.  With Temperley's near-zero chromatic weights (0.06-0.13 against
0.37-0.75), the diatonic set and the tonic triad weigh more against the chord that
merely sounds longest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from loopmill.analysis.features import Features

__all__ = ["BASS_PROFILES", "BASS_WEIGHT", "KEY_PROFILES", "Key", "estimate_key",
           "key_correlations"]

# Temperley (2007, "Music and Probability") Kostka-Payne profiles, index 0 = tonic:
# the share of segments in which each scale degree sounds.
KEY_PROFILES: dict[str, np.ndarray] = {
    "major": np.array([0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366,
                       0.057, 0.400]),
    "minor": np.array([0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067,
                       0.133, 0.330]),
}
# How often each degree is the bass (chord root) of a bar in common-practice and
# pop harmony, index 0 = tonic: I most, then V and IV, then vi/VI and iii/III; in minor
# the bVII a little.  A coarse, hand-set profile (not fitted): it only has to tell
# the tonic from the third and the fifth, which share most pitches of the chroma.
BASS_PROFILES: dict[str, np.ndarray] = {
    "major": np.array([1.0, 0.0, 0.1, 0.0, 0.3, 0.5, 0.0, 0.6, 0.0, 0.3, 0.0, 0.1]),
    "minor": np.array([1.0, 0.0, 0.1, 0.3, 0.0, 0.5, 0.0, 0.6, 0.3, 0.0, 0.1, 0.0]),
}
#: Weight of the bass correlation against the full-range chroma correlation.
BASS_WEIGHT = 0.5
# Spelling with the fewer accidentals (F# major rather than Gb, Eb minor not D#).
_MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MINOR_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
_MODES: tuple[Literal["major", "minor"], ...] = ("major", "minor")


@dataclass(frozen=True)
class Key:
    """A musical key.

    Attributes
    ----------
    tonic : str
        Tonic spelled as in the usual key signature: "C", "F#", "Bb", "Eb", "G#", ...
    mode : {"major", "minor"}
    confidence : float
        Pearson correlation (0 to 1) of the chroma with the winning key's profile;
        below ~0.5 the key is ambiguous (atonal, drums only, modulating).
    """

    tonic: str
    mode: Literal["major", "minor"]
    confidence: float

    @property
    def pitch_class(self) -> int:
        """Tonic as a pitch class, 0 = C."""
        names = _MAJOR_NAMES if self.mode == "major" else _MINOR_NAMES
        return names.index(self.tonic)

    def __str__(self) -> str:
        return f"{self.tonic} {self.mode}"


def key_correlations(
    chroma_profile: np.ndarray, *, profiles: dict[str, np.ndarray] = KEY_PROFILES
) -> np.ndarray:
    """Pearson correlation of a 12-bin pitch-class profile with every key.

    Parameters
    ----------
    chroma_profile : np.ndarray, shape (12,)
        Pitch-class weights, index 0 = C.
    profiles : dict
        ``{"major": (12,), "minor": (12,)}`` key profiles, index 0 = tonic
        (:data:`KEY_PROFILES`; :data:`BASS_PROFILES` for a bass chroma).

    Returns
    -------
    np.ndarray, shape (2, 12)
        Row 0 major, row 1 minor; column = tonic pitch class.
    """
    x = np.asarray(chroma_profile, dtype=np.float64)
    x = x - x.mean()
    out = np.zeros((2, 12))
    nx = float(np.linalg.norm(x))
    if nx < 1e-12:
        return out
    for r, mode in enumerate(_MODES):
        prof = profiles[mode] - profiles[mode].mean()
        # rotations: profile for tonic t has its tonic weight at index t
        rot = np.stack([np.roll(prof, t) for t in range(12)])
        out[r] = rot @ x / (np.linalg.norm(prof) * nx)
    return out


def estimate_key(*, features: Features) -> Key:
    """Estimate the key of a track from its chroma.

    Frames are weighted by their RMS (loud passages count more) before the chroma is
    summed over time; the sum is correlated with the 24 rotated Temperley
    (Kostka-Payne) profiles of :data:`KEY_PROFILES`.  The bass-register chroma, summed
    over time without the RMS weights (one global scale: its frames keep their level), is
    correlated with :data:`BASS_PROFILES` and added with weight
    :data:`BASS_WEIGHT`: the full chroma tells the scale, the bass tells which of the
    keys sharing it is home (A minor or C major, C major or G major), the way a
    listener hears the tonic in the bass at the phrase starts and cadences.

    Parameters
    ----------
    features : Features
        Output of :func:`~loopmill.analysis.compute_features`.

    Returns
    -------
    Key
    """
    weights = features.rms.astype(np.float64)
    corr = key_correlations(features.chroma.astype(np.float64) @ weights)
    bass = features.bass_chroma.astype(np.float64).sum(axis=1)
    score = corr + BASS_WEIGHT * key_correlations(bass, profiles=BASS_PROFILES)
    r, t = np.unravel_index(int(np.argmax(score)), score.shape)
    mode = _MODES[int(r)]
    names = _MAJOR_NAMES if mode == "major" else _MINOR_NAMES
    return Key(tonic=names[int(t)], mode=mode, confidence=float(np.clip(corr[r, t], 0.0, 1.0)))
