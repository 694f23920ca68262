"""The error hierarchy: every failure a user can fix is a ``LoopmillError``.

Messages name the bad value and the fix in one line; the CLI prints them without a
traceback and exits non-zero. A message names request *fields* (``bpm``,
``min_duration``), never command-line flags: a Python caller never typed ``--bpm``.
An error declares the fields it names (``field=``), and the CLI maps each to its flag
in one table (``loopmill.cli._flags``), so the command line still says ``--bpm``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class LoopmillError(Exception):
    """Root of every error loopmill raises on purpose.

    Parameters
    ----------
    message : str
        One line: the bad value and the fix.
    field : str or sequence of str, optional
        The request fields the message names by their field name (``"bpm"``); a front
        end may rewrite them into its own words (the CLI's ``--bpm``).
    """

    exit_code: int = 1

    def __init__(self, message: str = "", *, field: str | Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.fields: tuple[str, ...] = (
            () if field is None else (field,) if isinstance(field, str) else tuple(field))

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors travel between processes (auto's workers): keep the fields on the trip.
        return (_rebuild, (type(self), str(self), self.fields))


def _rebuild(cls: type[LoopmillError], message: str, fields: tuple[str, ...]) -> LoopmillError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.fields = fields
    return err


@dataclass(frozen=True)
class Failure:
    """One item's failure in a report, with the fields its message names.

    A run that goes on past a failing item (``generate --count``, ``auto``, ``loop``
    over a folder) keeps this instead of the error: it pickles and journals as plain
    data, and a front end still knows which words of the message are fields (the CLI
    writes them as flags, as it does for a raised :class:`LoopmillError`).

    Attributes
    ----------
    label : str
        Which item failed (``"loop 2"``, a file's path); never rewritten. May be empty.
    message : str
        The error's message, in field words.
    fields : tuple of str
        The request fields ``message`` names (the error's ``fields``).
    """

    label: str
    message: str
    fields: tuple[str, ...] = ()

    @classmethod
    def of(cls, exc: BaseException, label: str = "") -> Failure:
        """The failure of ``exc`` (its message and, for a ``LoopmillError``, fields)."""
        return cls(label=label, message=str(exc), fields=tuple(getattr(exc, "fields", ())))

    def __str__(self) -> str:
        return f"{self.label}: {self.message}" if self.label else self.message


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
