"""loopmill.audio: read and write audio files, resample, measure loudness, loop tags.

Audio in memory is float32 ``[channels, samples]`` with an explicit ``sr``.
"""

from loopmill.audio.io import WRITE_FORMATS, AudioInfo, info, load, load_region, save
from loopmill.audio.looptags import (
    LoopPoints,
    read_loop_points,
    read_tags,
    write_loop_points,
    write_tags,
)
from loopmill.audio.loudness import integrated_loudness, normalize_loudness, true_peak
from loopmill.audio.resample import resample

__all__ = [
    "WRITE_FORMATS",
    "AudioInfo",
    "LoopPoints",
    "info",
    "integrated_loudness",
    "load",
    "load_region",
    "normalize_loudness",
    "read_loop_points",
    "read_tags",
    "resample",
    "save",
    "true_peak",
    "write_loop_points",
    "write_tags",
]
