"""Frame-level features shared by tempo, bar, key analysis and the loop engine.

Everything is computed once per track by :func:`compute_features`: mono mixdown,
resampling to the analysis rate, a magnitude STFT and from it a log-mel spectrogram,
a tuning-corrected chroma (and a bass-register one from a finer STFT of the decimated
signal), the frame RMS and a spectral-flux onset envelope.  A finer energy-flux
envelope (hop of a few milliseconds) is kept for sub-frame beat placement.

Frames follow librosa's ``center=True`` convention: frame ``f`` is centred on analysis
sample ``f * hop_length`` (the signal is zero-padded by ``n_fft // 2`` on both sides),
so its time is ``f * hop_length / sr`` seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import soxr
from numpy.lib.stride_tricks import sliding_window_view

from loopmill.audio.resample import resample_mono_stream
from loopmill.errors import BadInputError

__all__ = ["Features", "compute_features", "mel_filterbank", "to_mono"]

N_MELS = 64
TOP_DB = 80.0
FINE_HOP = 128  # samples at the analysis rate (5.8 ms at 22.05 kHz)
CHROMA_FMIN = 55.0
CHROMA_FMAX = 5000.0
BASS_FMIN = 60.0  # above the fundamental of most kick drums (40-55 Hz)
BASS_FMAX = 250.0
BASS_DECIMATE = 8  # the bass STFT runs at analysis_sr / 8 (2.76 kHz): 2.7 Hz bins
BASS_N_FFT = 1024  # 0.37 s at 2.76 kHz: resolves semitones down to 60 Hz
BASS_MEDIAN_S = 0.35  # median over time: keeps sustained bass notes, drops drum hits
BASS_STRIDE = 4  # bass frames on every 4th main frame (93 ms at 22.05 kHz), then held
_CHUNK = 1024  # frames per rfft batch: keeps the working set in cache


@dataclass(frozen=True, eq=False)
class Features:
    """Frame-level features of one track at the analysis rate.

    Attributes
    ----------
    sr : int
        The analysis sample rate (not the rate of the input audio).
    hop_length : int
        Hop between frames, in analysis samples.
    n_fft : int
        STFT window length, in analysis samples.
    duration : float
        Length of the input audio in seconds.
    mel_db : np.ndarray, shape (64, F), float32
        Log-power mel spectrogram in dB (slaney mel scale and area normalisation,
        ``10 * log10(power)``), floored at ``max - 80 dB``.
    chroma : np.ndarray, shape (12, F), float32
        Pitch-class energy (index 0 = C), each frame scaled so its maximum is 1
        (quiet frames are scaled by a global floor instead, so they stay near 0).
        Built from STFT magnitudes between 55 Hz and 5 kHz, corrected for ``tuning``.
    bass_chroma : np.ndarray, shape (12, F), float32
        Pitch-class energy of the bass register (60-250 Hz) from a fine STFT of the
        signal decimated 8x, median-filtered over 0.35 s (a harmonic/percussive split:
        sustained bass notes stay, drum hits go); scaled so its maximum is 1.
    rms : np.ndarray, shape (F,), float32
        Root mean square of the mono analysis signal over each ``n_fft`` window.
    onset_env : np.ndarray, shape (F,), float32
        Onset strength: positive spectral flux of ``mel_db`` against a 3-band
        max-filtered previous frame, averaged over bands, with a 0.5 s moving average
        removed (half-wave rectified) and divided by its standard deviation.
    onset_fine : np.ndarray, shape (G,), float32
        Fine onset envelope: positive first difference of log energy of the
        high-passed (first-differenced) signal in non-overlapping blocks of
        ``fine_hop`` samples; value ``g`` belongs to the block starting at analysis
        sample ``g * fine_hop``.  Used to place beats to a few ms.
    fine_hop : int
        Block length of ``onset_fine`` in analysis samples.
    tuning : float
        Estimated deviation from A440 tuning, in semitones (-0.5 to 0.5).
    """

    sr: int
    hop_length: int
    n_fft: int
    duration: float
    mel_db: np.ndarray
    chroma: np.ndarray
    bass_chroma: np.ndarray
    rms: np.ndarray
    onset_env: np.ndarray
    onset_fine: np.ndarray
    fine_hop: int
    tuning: float

    @property
    def n_frames(self) -> int:
        """Number of frames ``F``."""
        return int(self.rms.shape[0])

    def frame_times(self) -> np.ndarray:
        """Centre time of every frame.

        Returns
        -------
        np.ndarray, shape (F,), float64
            ``arange(F) * hop_length / sr`` in seconds.
        """
        return np.arange(self.n_frames) * (self.hop_length / self.sr)

    def time_to_frame(self, times: np.ndarray | float) -> np.ndarray:
        """Nearest frame index for each time (seconds), clipped to ``[0, F - 1]``.

        Parameters
        ----------
        times : np.ndarray, shape (N,), or float
            Times in seconds.

        Returns
        -------
        np.ndarray, shape (N,), int64
        """
        idx = np.rint(np.asarray(times, dtype=np.float64) * self.sr / self.hop_length)
        return np.clip(idx, 0, self.n_frames - 1).astype(np.int64)


def to_mono(y: np.ndarray) -> np.ndarray:
    """Validate audio and mix it down to mono.

    Parameters
    ----------
    y : np.ndarray, shape (channels, samples) or (samples,)
        Audio samples.

    Returns
    -------
    np.ndarray, shape (samples,), float32
    """
    if not isinstance(y, np.ndarray):
        raise BadInputError(
            f"audio must be a numpy array shaped [channels, samples], got {type(y).__name__}"
        )
    if y.ndim == 1:
        mono = y
    elif y.ndim == 2:
        if y.shape[0] == 0 or y.shape[0] > 64:
            raise BadInputError(
                f"audio has shape {y.shape}; expected [channels, samples] "
                "(transpose it if it is [samples, channels])"
            )
        mono = y.mean(axis=0, dtype=np.float32) if y.shape[0] > 1 else y[0]
    else:
        raise BadInputError(f"audio has {y.ndim} dimensions; expected [channels, samples]")
    mono = np.asarray(mono, dtype=np.float32)
    if mono.size == 0:
        raise BadInputError("audio is empty (0 samples); pass at least a few seconds of audio")
    if not np.isfinite(mono).all():
        raise BadInputError("audio contains NaN or infinite samples; clean or re-decode it")
    return mono


def _mono_resampled(y: np.ndarray, *, sr: int, analysis_sr: int) -> np.ndarray:
    """Mono mixdown at ``analysis_sr``, computed block by block.

    Mixing down and resampling a block at a time through a streaming resampler
    means the full-rate mono signal (74 MB for 7 minutes) never exists at once.
    """
    if y.ndim == 1 or y.shape[0] == 1 or sr == analysis_sr:
        mono = to_mono(y)
        if sr == analysis_sr:
            return mono
        return np.asarray(soxr.resample(mono, sr, analysis_sr, quality="MQ"), dtype=np.float32)
    to_mono(y[:, :1])  # shape checks only
    n, step = y.shape[1], 1 << 18

    def blocks() -> Iterator[np.ndarray]:
        for a in range(0, n, step):
            block = y[:, a : a + step]
            if not np.isfinite(block).all():
                raise BadInputError("audio contains NaN or infinite samples; clean or re-decode it")
            yield block.T

    return resample_mono_stream(blocks(), orig_sr=sr, target_sr=analysis_sr, frames_hint=n)


def _check_rate(sr: object, name: str = "sr") -> int:
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or int(sr) <= 0:
        raise BadInputError(f"{name}={sr!r} is not a sample rate; pass a positive integer in Hz")
    return int(sr)


def _hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    """Slaney mel scale: linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    lin = f / (200.0 / 3)
    logstep = np.log(6.4) / 27.0
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) / logstep, lin)


def _mel_to_hz(m: np.ndarray | float) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    logstep = np.log(6.4) / 27.0
    return np.where(m >= 15.0, 1000.0 * np.exp(logstep * (m - 15.0)), m * (200.0 / 3))


def mel_filterbank(*, sr: int, n_fft: int, n_mels: int = N_MELS) -> np.ndarray:
    """Slaney-style triangular mel filterbank (area-normalised, 0 Hz to ``sr / 2``).

    Parameters
    ----------
    sr : int
        Sample rate of the STFT.
    n_fft : int
        STFT length.
    n_mels : int
        Number of bands.

    Returns
    -------
    np.ndarray, shape (n_mels, 1 + n_fft // 2), float32
    """
    fft_freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    mel_pts = np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2.0), n_mels + 2)
    hz_pts = _mel_to_hz(mel_pts)
    lower = (fft_freqs[None, :] - hz_pts[:-2, None]) / np.diff(hz_pts)[:-1, None]
    upper = (hz_pts[2:, None] - fft_freqs[None, :]) / np.diff(hz_pts)[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (hz_pts[2:] - hz_pts[:-2]))[:, None]
    return weights.astype(np.float32)


def mel_band_centres(*, sr: int, n_mels: int = N_MELS) -> np.ndarray:
    """Centre frequency (Hz) of each band of :func:`mel_filterbank`, shape (n_mels,)."""
    mel_pts = np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2.0), n_mels + 2)
    return np.asarray(_mel_to_hz(mel_pts[1:-1]))


def _class_weights(
    f: np.ndarray, *, df: float, tuning: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each STFT bin of centre ``f`` (Hz, spacing ``df``) spread over the 12 pitch classes.

    A Gaussian in semitones whose width is half the bin's bandwidth in semitones (at
    least 0.5), so coarse low bins blur instead of landing on a wrong class; each
    bin's weights sum to 1. Returns the bins' MIDI numbers (tuning-corrected), the
    weights (12, bins) and the bandwidths in semitones.
    """
    semis = 12.0 * np.log2(f / 440.0) + 69.0 - tuning  # MIDI number, tuning-corrected
    width = 12.0 * np.log2((f + df / 2) / (f - df / 2))  # bin bandwidth in semitones
    sigma = np.maximum(0.5, 0.5 * width)
    # circular distance (semitones) between bin pitch and each class, over octaves
    diff = (semis[None, :] - np.arange(12)[:, None] + 6.0) % 12.0 - 6.0
    w = np.exp(-0.5 * (diff / sigma[None, :]) ** 2)
    w /= w.sum(axis=0, keepdims=True)
    return semis, w, width


def _chroma_filterbank(*, sr: int, n_fft: int, tuning: float) -> np.ndarray:
    """Map STFT bins (55 Hz to 5 kHz) onto 12 pitch classes, shape (12, 1 + n_fft // 2).

    Each bin spreads over pitch classes with a Gaussian in semitones whose width is
    half the bin's bandwidth in semitones (at least 0.5), so coarse low bins blur
    instead of landing on a wrong class; blurry bins are down-weighted and a broad
    octave weighting centred near C5 favours the melodic/harmonic register.
    """
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    df = sr / n_fft
    sel = (freqs >= CHROMA_FMIN) & (freqs <= CHROMA_FMAX)
    semis, w, width = _class_weights(freqs[sel], df=df, tuning=tuning)
    octave = (semis - 72.0) / 12.0  # octaves from C5
    w *= (np.exp(-0.5 * (octave / 2.0) ** 2) / np.maximum(1.0, width))[None, :]
    out = np.zeros((12, freqs.size), dtype=np.float32)
    out[:, sel] = w
    return out


def _bass_chroma(
    x: np.ndarray, *, sr: int, hop_length: int, n_frames: int, tuning: float
) -> np.ndarray:
    """Bass-register chroma (12, ``n_frames``) on the frame grid of the main STFT.

    The mono signal is decimated by :data:`BASS_DECIMATE` so a short FFT has the
    resolution a bass line needs (a semitone at 60 Hz is 3.6 Hz); frame ``f`` is centred
    on analysis sample ``f * hop_length`` like the main frames.  Each bin between
    :data:`BASS_FMIN` and :data:`BASS_FMAX` goes to its pitch class (Gaussian in
    semitones, :func:`_class_weights`, without the octave weighting); the
    result is median-filtered over :data:`BASS_MEDIAN_S` seconds.  Bass notes are
    long and the window is 0.37 s, so only every :data:`BASS_STRIDE`-th frame is
    computed and held over the frames between (a quarter of the FFTs).
    """
    lo_sr = sr / BASS_DECIMATE
    xl = np.asarray(soxr.resample(x, sr, lo_sr, quality="MQ"), dtype=np.float32)
    n_fft = BASS_N_FFT
    freqs = np.fft.rfftfreq(n_fft, 1.0 / lo_sr)
    n_bins = int(np.searchsorted(freqs, BASS_FMAX, side="right"))
    f = freqs[:n_bins]
    sel = f >= BASS_FMIN
    _, w, width = _class_weights(f[sel], df=lo_sr / n_fft, tuning=tuning)
    fb = np.zeros((12, n_bins), dtype=np.float32)
    fb[:, sel] = w / np.maximum(1.0, width)[None, :]
    xp = np.pad(xl, (n_fft // 2, n_fft // 2))
    step = hop_length * BASS_STRIDE
    n_coarse = -(-n_frames // BASS_STRIDE)
    centres = np.rint(np.arange(n_coarse) * (step / BASS_DECIMATE)).astype(np.int64)
    centres = np.minimum(centres, xl.shape[0])
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    coarse = np.empty((n_coarse, 12), dtype=np.float32)
    offsets = np.arange(n_fft)
    for a in range(0, n_coarse, _CHUNK):
        frames = xp[centres[a : a + _CHUNK, None] + offsets[None, :]]
        mag = np.abs(np.fft.rfft(frames * window, axis=1)[:, :n_bins]).astype(np.float32)
        coarse[a : a + _CHUNK] = mag @ fb.T
    width_f = max(1, round(BASS_MEDIAN_S * sr / step)) | 1  # odd
    padded = np.pad(coarse, ((width_f // 2, width_f // 2), (0, 0)), mode="edge")
    coarse = np.median(sliding_window_view(padded, width_f, axis=0), axis=-1)
    out = np.repeat(coarse, BASS_STRIDE, axis=0)[:n_frames]
    peak = float(out.max())
    return np.ascontiguousarray((out / peak if peak > 1e-12 else out).T, dtype=np.float32)


def _estimate_tuning(mag: np.ndarray, *, sr: int, n_fft: int) -> float:
    """Tuning offset (semitones) from the fractional pitch of spectral peaks.

    ``mag`` is a (frames, bins) magnitude array (a subsample of frames is enough).
    """
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    lo = int(np.searchsorted(freqs, 150.0))
    hi = int(np.searchsorted(freqs, 3000.0))
    if hi - lo < 3 or mag.shape[0] == 0:
        return 0.0
    band = np.log(mag[:, lo - 1 : hi + 1] + 1e-9)
    c = band[:, 1:-1]
    left, right = band[:, :-2], band[:, 2:]
    thresh = np.log(mag[:, lo:hi].max(axis=1, keepdims=True) + 1e-9) - np.log(10.0)  # -20 dB
    peaks = (c > left) & (c >= right) & (c > thresh)
    fi, bi = np.nonzero(peaks)
    if fi.size < 8:
        return 0.0
    a, b, cc = left[fi, bi], c[fi, bi], right[fi, bi]
    den = a - 2 * b + cc
    delta = np.where(np.abs(den) > 1e-12, 0.5 * (a - cc) / np.where(den == 0, 1, den), 0.0)
    f = (lo + bi + np.clip(delta, -0.5, 0.5)) * (sr / n_fft)
    semis = 12.0 * np.log2(f / 440.0)
    dev = semis - np.rint(semis)
    weight = mag[:, lo:hi][fi, bi]
    z = np.sum(weight * np.exp(2j * np.pi * dev)) / max(float(weight.sum()), 1e-12)
    if abs(z) < 0.1:  # no consistent tuning (noise, drums): assume A440
        return 0.0
    return float(np.angle(z) / (2 * np.pi))


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average with edge-shrinking windows, same length as ``x``."""
    width = max(1, int(width))
    c = np.concatenate([[0.0], np.cumsum(x, dtype=np.float64)])
    n = x.shape[0]
    idx = np.arange(n)
    lo = np.clip(idx - width // 2, 0, n)
    hi = np.clip(idx + width // 2 + 1, 0, n)
    return (c[hi] - c[lo]) / (hi - lo)


def _fine_onset(x: np.ndarray, hop: int) -> np.ndarray:
    n_blocks = x.shape[0] // hop
    if n_blocks < 2:
        return np.zeros(max(n_blocks, 1), dtype=np.float32)
    energy = np.empty(n_blocks, dtype=np.float64)
    step = 8192  # blocks at a time: the differenced signal is never held whole
    for a in range(0, n_blocks, step):
        b = min(n_blocks, a + step)
        seg = x[a * hop : b * hop]
        # first difference: a high-pass that keeps sustained bass notes (whose period
        # is longer than a block) from rippling the block energies
        d = np.diff(seg, prepend=x[a * hop - 1] if a else seg[:1]).reshape(b - a, hop)
        energy[a:b] = np.einsum("ij,ij->i", d, d, dtype=np.float64) / hop
    eps = 1e-3 * float(energy.mean()) + 1e-12
    log_e = np.log(energy + eps)
    out = np.zeros(n_blocks, dtype=np.float32)
    out[1:] = np.maximum(0.0, np.diff(log_e))
    return out


def compute_features(
    y: np.ndarray,
    *,
    sr: int,
    analysis_sr: int = 22050,
    hop_length: int = 512,
    n_fft: int = 2048,
) -> Features:
    """Compute the frame-level features of a track.

    Parameters
    ----------
    y : np.ndarray, shape (channels, samples) or (samples,)
        Audio, float (any scale; typically -1..1).
    sr : int
        Sample rate of ``y`` in Hz.
    analysis_sr : int
        Rate the mono mixdown is resampled to before analysis (soxr, medium quality).
    hop_length : int
        Hop between frames, in analysis samples.
    n_fft : int
        STFT window (Hann) length, in analysis samples.

    Returns
    -------
    Features
        With ``F = 1 + n_analysis_samples // hop_length`` frames.

    Raises
    ------
    BadInputError
        If the audio is not a finite numeric array or a rate/size is invalid.
    """
    sr = _check_rate(sr)
    analysis_sr = _check_rate(analysis_sr, "analysis_sr")
    if not isinstance(hop_length, (int, np.integer)) or hop_length <= 0:
        raise BadInputError(f"hop_length={hop_length!r} is invalid; pass a positive integer")
    if not isinstance(n_fft, (int, np.integer)) or n_fft < 16 or n_fft < hop_length:
        raise BadInputError(f"n_fft={n_fft!r} is invalid; pass an integer >= 16 and >= hop_length")
    duration = y.shape[-1] / sr
    x = _mono_resampled(y, sr=sr, analysis_sr=analysis_sr)

    # --- magnitude STFT, centred frames, batched rfft -------------------------------
    pad = n_fft // 2
    onset_fine = _fine_onset(x, FINE_HOP)
    xp = np.pad(x, (pad, pad))
    del x  # only the padded copy is needed from here on
    frames = sliding_window_view(xp, n_fft)[::hop_length]
    n_frames = frames.shape[0]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    mel_fb_t = mel_filterbank(sr=analysis_sr, n_fft=n_fft).T  # (K, 64)

    # Tuning from ~400 frames spread over the track, before the main pass needs it.
    probe = frames[:: max(1, n_frames // 400)]
    tuning = _estimate_tuning(
        np.abs(np.fft.rfft(probe * window, axis=1)).astype(np.float32),
        sr=analysis_sr,
        n_fft=n_fft,
    )
    chroma_fb_t = _chroma_filterbank(sr=analysis_sr, n_fft=n_fft, tuning=tuning).T
    bass_chroma = _bass_chroma(xp[pad : xp.shape[0] - pad], sr=analysis_sr,
                               hop_length=hop_length, n_frames=n_frames, tuning=tuning)

    # Reduce each chunk of the STFT to mel, chroma and RMS at once, so the full
    # spectrogram (~40 MB for 4 minutes) is never held: peak memory matters here.
    mel = np.empty((n_frames, mel_fb_t.shape[1]), dtype=np.float32)
    chroma = np.empty((n_frames, 12), dtype=np.float32)
    rms = np.empty(n_frames, dtype=np.float32)
    for start in range(0, n_frames, _CHUNK):
        chunk = frames[start : start + _CHUNK]
        mag = np.abs(np.fft.rfft(chunk * window, axis=1)).astype(np.float32)
        mel[start : start + _CHUNK] = (mag * mag) @ mel_fb_t
        chroma[start : start + _CHUNK] = mag @ chroma_fb_t
        rms[start : start + _CHUNK] = np.sqrt(np.einsum("ij,ij->i", chunk, chunk) / n_fft)

    # --- log-mel -------------------------------------------------------------------
    mel_db = 10.0 * np.log10(np.maximum(mel, 1e-10))
    mel_db = np.maximum(mel_db, mel_db.max() - TOP_DB).astype(np.float32)

    # --- chroma normalisation ------------------------------------------------------
    peak = chroma.max(axis=1, keepdims=True)
    floor = 1e-3 * float(peak.max()) + 1e-12
    chroma = (chroma / np.maximum(peak, floor)).astype(np.float32)

    # --- onset envelope: log-mel flux with a 3-band max filter (SuperFlux-style) ----
    ref = mel_db.copy()
    ref[:, 1:] = np.maximum(ref[:, 1:], mel_db[:, :-1])
    ref[:, :-1] = np.maximum(ref[:, :-1], mel_db[:, 1:])
    flux = np.zeros(n_frames, dtype=np.float64)
    if n_frames > 1:
        flux[1:] = np.maximum(0.0, mel_db[1:] - ref[:-1]).mean(axis=1)
    flux = np.maximum(0.0, flux - _moving_average(flux, round(0.5 * analysis_sr / hop_length)))
    std = float(flux.std())
    onset_env = (flux / std if std > 1e-12 else flux).astype(np.float32)

    return Features(
        sr=analysis_sr,
        hop_length=int(hop_length),
        n_fft=int(n_fft),
        duration=float(duration),
        mel_db=np.ascontiguousarray(mel_db.T),
        chroma=np.ascontiguousarray(chroma.T),
        bass_chroma=bass_chroma,
        rms=rms,
        onset_env=onset_env,
        onset_fine=onset_fine,
        fine_hop=FINE_HOP,
        tuning=tuning,
    )
