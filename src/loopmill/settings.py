"""One home for loopmill's ranges, defaults and environment variables.

Every limit a user can meet, every default a command or function starts from, and
every environment variable loopmill reads is declared here once; the pipeline, the
engines and the CLI's help texts take them from this module. It imports nothing
heavy (``os`` and the error types), so any module may use it.

Ranges (closed intervals, ``lo <= x <= hi``), one name per concept:

=========================  ============  ==================================================
name                       value         what it bounds
=========================  ============  ==================================================
``BPM_RANGE``              24 … 240      the tempo of music loopmill makes (``bpm``)
``DURATION_RANGE``         8 … 128 s     the length of a loop loopmill makes: ``generate``,
                                         ``suite``, ``auto``, the studio
                                         (``min_duration`` / ``max_duration``)
``RENDER_DURATION_RANGE``  1 … 600 s     what a :class:`~loopmill.prompts.spec.MusicSpec`
                                         may ask an engine to render; wider, because
                                         ``evolve`` renders short candidates (1–60 s)
``TRACK_BPM_RANGE``        20 … 300      ``loop``: the tempo a user's track is stretched to
``SAMPLE_RATES``           44100, 48000  the rate of files loopmill makes
=========================  ============  ==================================================

A loop cut from a user's track (``loop``) has no fixed duration range: any positive
``min_duration <= max_duration`` is accepted, starting from ``TRACK_MIN_DURATION`` ..
``TRACK_MAX_DURATION``; inputs longer than ``MAX_INPUT_DURATION`` are refused.

Environment variables are read by the accessor functions below, at call time (never at
import), so a test's ``monkeypatch.setenv`` takes effect at once. :data:`ENVIRONMENT`
lists them all with what each does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from loopmill.errors import BadInputError

__all__ = [
    "BPM_RANGE", "COMPOSED_FORMAT", "DURATION_RANGE", "ENGINE", "ENVIRONMENT", "FILE_PREFIX",
    "GUIDANCE", "LLM_RETRIES", "LLM_TIMEOUT", "LOG_LEVEL", "LOG_LEVELS", "MAX_ATTEMPTS",
    "MAX_DURATION", "MAX_INPUT_DURATION", "MIN_DURATION", "MODEL_BATCH", "MUSICGEN_MODEL",
    "PROMPT_PROVIDER", "RAW_FORMAT", "RENDER_DURATION_RANGE", "SAMPLE_RATE", "SAMPLE_RATES",
    "STUDIO_HOST", "STUDIO_PORT", "STUDIO_TOKEN_ENV", "SUITE_FORMATS", "TARGET_LUFS",
    "TEMPERATURE", "THREADS", "TOP_K", "TOP_P", "TRACK_BPM_RANGE", "TRACK_MAX_DURATION",
    "TRACK_MIN_DURATION", "TRUE_PEAK_DB", "api_key", "catalog_path", "child_env",
    "hub_endpoint", "hub_offline", "llm_base_url", "runs_dir", "s3_endpoint_url", "span",
    "threads", "user_cache_dir", "user_data_dir", "wandb_configured",
]

# --- ranges -----------------------------------------------------------------------------

BPM_RANGE: Final[tuple[float, float]] = (24.0, 240.0)
DURATION_RANGE: Final[tuple[float, float]] = (8.0, 128.0)
RENDER_DURATION_RANGE: Final[tuple[float, float]] = (1.0, 600.0)
TRACK_BPM_RANGE: Final[tuple[float, float]] = (20.0, 300.0)
SAMPLE_RATES: Final[tuple[int, ...]] = (44100, 48000)


def span(bounds: tuple[float, float]) -> str:
    """A range as messages and help texts write it: ``"24 to 240"``."""
    return f"{bounds[0]:g} to {bounds[1]:g}"


# --- defaults ---------------------------------------------------------------------------

#: a generated loop's length when none is asked for (seconds)
MIN_DURATION: Final = 8.0
MAX_DURATION: Final = 30.0
#: ``loop``: the length a loop cut from a track starts from (seconds)
TRACK_MIN_DURATION: Final = 4.0
TRACK_MAX_DURATION: Final = 120.0
#: ``loop``/``inspect``: longer inputs are refused from the header (seconds)
MAX_INPUT_DURATION: Final = 1800.0

SAMPLE_RATE: Final = 44100
#: every loop loopmill makes: integrated loudness (LUFS) and the true-peak ceiling (dBTP)
TARGET_LUFS: Final = -14.0
TRUE_PEAK_DB: Final = -1.0
ENGINE: Final = "composer"  # built in, offline, no weights
PROMPT_PROVIDER: Final = "template"  # offline, no API key
MUSICGEN_MODEL: Final = "facebook/musicgen-small"
FILE_PREFIX: Final = "loop"

#: One rule for every command's ``--format`` default: ogg for music loopmill composes,
#: ogg and mp3 for a suite (browsers), lossless wav for audio you bring or a model's raw
#: output (``loop``, ``sample``).
COMPOSED_FORMAT: Final = "ogg"
SUITE_FORMATS: Final[tuple[str, ...]] = ("ogg", "mp3")
RAW_FORMAT: Final = "wav"

#: model engines' sampling (the :class:`~loopmill.engines.params.GenerationParams`
#: defaults) and their retry / batch rules
TEMPERATURE: Final = 1.0
TOP_K: Final = 250
TOP_P: Final = 0.0
GUIDANCE: Final = 3.0
MAX_ATTEMPTS: Final = 3
MODEL_BATCH: Final = 8  # loops per batched model call: the GPU's sweet spot

#: an LLM prompt provider's request timeout (seconds) and attempts
LLM_TIMEOUT: Final = 30.0
LLM_RETRIES: Final = 3

STUDIO_HOST: Final = "127.0.0.1"
STUDIO_PORT: Final = 8765

#: threads one loop's work may use when ``LOOPMILL_THREADS`` is not set
THREADS: Final = 2

LOG_LEVELS: Final[tuple[str, ...]] = ("debug", "info", "warning", "error")
LOG_LEVEL: Final = "warning"

# --- environment ------------------------------------------------------------------------

#: The variable the studio's token may come from (the CLI reads it through typer).
STUDIO_TOKEN_ENV: Final = "LOOPMILL_STUDIO_TOKEN"

#: Every environment variable loopmill reads, and what it does.
ENVIRONMENT: Final[dict[str, str]] = {
    "LOOPMILL_CATALOG": "the SQLite catalog (default: <user data>/loopmill/catalog.sqlite)",
    "LOOPMILL_RUNS": "where run folders of auto and evolve go (default: <user data>/runs)",
    "LOOPMILL_THREADS": f"threads one loop's work may use (default {THREADS}); wins for "
                        "every torch model too",
    "LOOPMILL_LLM_BASE_URL": "the OpenAI-compatible server of the openai/ollama prompt "
                             "providers, when none is given",
    STUDIO_TOKEN_ENV: "the studio's token for other hosts",
    "OPENAI_API_KEY": "the API key sent to api.openai.com (and nowhere else)",
    "HF_HUB_OFFLINE": "1: never ask the Hugging Face hub, use the local cache only",
    "TRANSFORMERS_OFFLINE": "the same as HF_HUB_OFFLINE",
    "HF_ENDPOINT": "the Hugging Face hub's address (default https://huggingface.co)",
    "AWS_ENDPOINT_URL_S3": "the S3 endpoint of s3:// destinations (MinIO, moto ...)",
    "AWS_ENDPOINT_URL": "the same, when AWS_ENDPOINT_URL_S3 is not set",
    "WANDB_API_KEY": "evolve's wandb logger: the key (never in the run file)",
    "WANDB_MODE": "evolve's wandb logger: e.g. offline, instead of a key",
    "LOOPMILL_SOUNDFONT": "the General MIDI SoundFont the composer renders its brass and "
                          "lead guitar with (default: a system one, e.g. FluidR3_GM); "
                          "none: synthesise every part",
}

_TRUE = ("1", "true", "yes", "on")


def _env(name: str) -> str | None:
    """The variable ``name``, stripped; None when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or None


def user_data_dir() -> Path:
    """loopmill's folder in the user data directory (catalog, runs, listeners)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("loopmill"))


def user_cache_dir() -> Path:
    """loopmill's folder in the user cache directory (the spool)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("loopmill"))


def catalog_path() -> Path:
    """``LOOPMILL_CATALOG`` or ``<user data>/loopmill/catalog.sqlite``."""
    env = _env("LOOPMILL_CATALOG")
    return Path(env) if env else user_data_dir() / "catalog.sqlite"


def runs_dir() -> Path:
    """Where run folders go: ``LOOPMILL_RUNS`` or the user data folder's ``runs``."""
    env = _env("LOOPMILL_RUNS")
    return Path(env) if env else user_data_dir() / "runs"


def threads() -> int | None:
    """``LOOPMILL_THREADS`` as a count >= 1; None when it is not set.

    Raises
    ------
    BadInputError
        The variable is not a whole number >= 1.
    """
    env = _env("LOOPMILL_THREADS")
    if env is None:
        return None
    try:
        value = int(env)
    except ValueError:
        raise BadInputError(
            f"LOOPMILL_THREADS={env!r} is not a whole number; set it to 1 or more"
        ) from None
    if value < 1:
        raise BadInputError(f"LOOPMILL_THREADS={env!r} must be at least 1")
    return value


def soundfont() -> str | None:
    """``LOOPMILL_SOUNDFONT``: the composer's default SoundFont (a path, or ``none``)."""
    return _env("LOOPMILL_SOUNDFONT")


def llm_base_url() -> str | None:
    """``LOOPMILL_LLM_BASE_URL``: the LLM server to use when none is given."""
    return _env("LOOPMILL_LLM_BASE_URL")


def api_key(name: str = "OPENAI_API_KEY") -> str | None:
    """The API key in the variable ``name``; None when it is unset or empty."""
    return os.environ.get(name) or None


def hub_offline() -> bool:
    """``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` is set to a true value."""
    return any((_env(v) or "").lower() in _TRUE
               for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_endpoint() -> str:
    """The Hugging Face hub's address: ``HF_ENDPOINT`` or https://huggingface.co."""
    return _env("HF_ENDPOINT") or "https://huggingface.co"


def s3_endpoint_url() -> str | None:
    """The S3 endpoint from ``AWS_ENDPOINT_URL_S3``, else ``AWS_ENDPOINT_URL``."""
    return _env("AWS_ENDPOINT_URL_S3") or _env("AWS_ENDPOINT_URL")


def wandb_configured() -> bool:
    """wandb can run without asking: ``WANDB_API_KEY`` or ``WANDB_MODE`` is set."""
    return bool(os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_MODE"))


def child_env(**overrides: str) -> dict[str, str]:
    """This process's environment with ``overrides``, for a program loopmill starts."""
    return {**os.environ, **overrides}
