"""loopmill.analysis: tempo, beats, downbeats, key and loudness of a track.

Typical use::

    from loopmill.analysis import analyze
    result = analyze(y, sr=44100)          # y: float32 [channels, samples]
    result.bpm, result.downbeats, str(result.key), result.to_dict()

The building blocks are public too: :func:`compute_features` (log-mel, chroma, RMS,
onset envelopes; reused by the loop engine), :func:`track_beats`,
:func:`find_downbeats` and :func:`estimate_key`.
"""

from __future__ import annotations

from loopmill.analysis.bars import find_downbeats, meter_scores
from loopmill.analysis.features import Features, compute_features, mel_filterbank
from loopmill.analysis.key import Key, estimate_key, key_correlations
from loopmill.analysis.summary import Analysis, analyze
from loopmill.analysis.tempo import BeatTrack, track_beats

__all__ = [
    "Analysis",
    "BeatTrack",
    "Features",
    "Key",
    "analyze",
    "compute_features",
    "estimate_key",
    "find_downbeats",
    "key_correlations",
    "mel_filterbank",
    "meter_scores",
    "track_beats",
]
