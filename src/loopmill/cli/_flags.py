"""The one table from request field names to command-line flags.

The library's messages name fields (``bpm 500 is out of range; use 24 to 240``) and
declare them on the error (``field="bpm"``); :func:`cli_message` rewrites exactly those
into the flags a user typed (``--bpm 500 is out of range; use 24 to 240``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from loopmill.errors import Failure, LoopmillError

#: field name → flag. A field missing here keeps its name in messages.
FIELD_FLAGS: dict[str, str] = {
    # the request (generate, suite, auto)
    "prompt": "PROMPT",
    "engine": "--engine",
    "model": "--model",
    "bpm": "--bpm",
    "key": "--key",
    "genre": "--genre",
    "min_duration": "--min-duration",
    "max_duration": "--max-duration",
    "seed": "--seed",
    "formats": "--format",
    "format": "--format",
    "dest": "--dest",
    "file_prefix": "--file-prefix",
    "count": "--count",
    "sample_rate": "--sample-rate",
    "soundfont": "--soundfont",
    "controls": "--controls",
    "variations": "--variations",
    "batch_size": "--batch-size",
    "max_attempts": "--max-attempts",
    "temperature": "--temperature",
    "top_k": "--top-k",
    "top_p": "--top-p",
    "guidance": "--guidance",
    "continue_from": "--continue",
    "melody": "--melody",
    "bars": "--bars",
    "beats_per_bar": "--beats-per-bar",
    "catalog": "--catalog",
    # auto
    "prompt_provider": "--prompt-provider",
    "prompt_file": "--prompt-file",
    "use_case": "--use-case",
    "llm_base_url": "--llm-base-url",
    "llm_api_key_env": "--llm-api-key-env",
    "retries": "--retries",
    "backend": "--backend",
    "resources": "--resources",
    "runs_dir": "--runs-dir",
    "s3_endpoint_url": "--s3-endpoint-url",
    "llm_model": "--llm-model",
    "workers": "--workers",
    "scheduler": "--scheduler",
    "resume": "--resume",
    "since": "--since",
    # suite
    "phases": "--phases",
    "phases_file": "--phases-file",
    # loop / inspect
    "loudness": "--loudness",
    "target_lufs": "--loudness",  # LoopOptions.target_lufs
    "tag_only": "--tag-only",
    "max_input_duration": "--max-input-duration",
    "until": "--until",
    # train / dataset / sample
    "max_steps": "--max-steps",
    "lr": "--lr",
    "epochs": "--epochs",
    "seq_len": "--seq-len",
    "chunk_seconds": "--chunk-seconds",
    "device": "--device",
    "checkpoint": "CHECKPOINT",
    "seconds": "--seconds",
    "config": "--config",
    "out": "--out",
    "overlap": "--overlap",
    "max_silence": "--max-silence",
    "silence_db": "--silence-db",
    "dim": "--dim",
    "q_levels": "--q-levels",
    "hidden": "--hidden",
    "n_layers": "--n-layers",
    # evolve / studio
    "generations": "--generations",
    "population": "--population",
    "search": "--search",
    "fitness": "--fitness",
    "feedback": "--feedback",
    "genome": "--genome",
    "target": "--target",
    "embedder": "--embedder",
    "listener": "--listener",
    "port": "--port",
    "host": "--host",
    "log_level": "--log-level",
}


def flag_for(field: str) -> str:
    """The flag of ``field`` (its name when the table has none)."""
    return FIELD_FLAGS.get(field, field)


def cli_message(exc: LoopmillError) -> str:
    """``exc``'s message with each field it declares written as its flag.

    Every whole-word use of a declared field (``key``, not ``keyboard``) becomes the
    flag, so a message that declares a field uses its word only to name it ("the
    composer engine" is written in a message that does not declare ``engine``).
    """
    return with_flags(str(exc), exc.fields)


def failure_message(failure: Failure) -> str:
    """A report's :class:`~loopmill.errors.Failure` as the CLI prints it: its label as
    it is, its message with its fields written as flags (as :func:`cli_message`)."""
    return str(dataclasses.replace(failure, message=with_flags(failure.message, failure.fields)))


def with_flags(message: str, fields: Iterable[str]) -> str:
    """``message`` with each of ``fields`` written as its flag (see :func:`cli_message`)."""
    text = message
    for name in fields:
        flag = FIELD_FLAGS.get(name)
        if flag is None:
            continue
        # whole words only: "key" is rewritten, "keyboard" and "seed_key" are not; nor is
        # a part of a path the message quotes ("/srv/dest/a.ogg", "out/x", "catalog.sqlite")
        text = re.sub(rf"(?<![\w\-/\\.]){re.escape(name)}(?![\w\-/\\]|\.\w)", flag, text)
    return text
