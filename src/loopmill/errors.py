"""The error hierarchy: every failure a user can fix is a ``LoopmillError``.

Messages name the bad value and the fix in one line; the CLI prints them without a
traceback and exits non-zero.
"""

from __future__ import annotations


class LoopmillError(Exception):
    """Root of every error loopmill raises on purpose."""

    exit_code: int = 1


class BadInputError(LoopmillError, ValueError):
    """The input (a file, a flag value, a parameter) cannot be used as given."""

    exit_code = 2


class UnsupportedFormatError(BadInputError):
    """A file format loopmill cannot read or write (possibly without an optional tool)."""


class NoLoopFoundError(LoopmillError):
    """The audio is valid but holds no loop that meets the constraints."""


class MissingDependencyError(LoopmillError):
    """An optional package or program is needed; the message says what to install."""


class MissingModelError(LoopmillError):
    """Model weights cannot be found locally and cannot be downloaded."""

    exit_code = 2  # the user can fix it: download the model or point --model at a folder


class StorageError(LoopmillError):
    """A destination cannot be written (permissions, disk full, unreachable server)."""

    exit_code = 2  # the user can fix it: another --dest, free space, start the server


class ProviderError(LoopmillError):
    """A prompt provider failed: an LLM server unreachable, too slow, or answering nonsense."""

    exit_code = 2  # the user can fix it: start the server, fix the URL or model, or the file
