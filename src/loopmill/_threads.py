"""How many threads one loop's work may use (rendering, loudness, decoding, encoding).

Two by default: one ``generate`` on this project's 2-core target machine uses both.
A bulk run's worker processes set it to 1, so that N workers use N cores instead of
fighting over them. ``LOOPMILL_THREADS`` sets it for a whole process.
"""

from __future__ import annotations

from typing import Any

from loopmill import settings
from loopmill.errors import BadInputError

_override: int | None = None


def max_threads() -> int:
    """Threads one loop's work may use (>= 1)."""
    if _override is not None:
        return _override
    env = settings.threads()
    return settings.THREADS if env is None else env


def set_max_threads(n: int | None) -> None:
    """Set the per-loop thread count for this process (None: back to the default)."""
    global _override
    if n is not None and n < 1:
        raise BadInputError(f"threads={n} must be at least 1")
    _override = n


#: Below this many parameters a torch model runs its CPU work on one intra-op thread.
SMALL_MODEL_PARAMS = 100_000_000


def torch_threads(n_params: int) -> int:
    """Intra-op threads for a torch model of ``n_params`` parameters on the CPU.

    The rule (measured in benchmarks/torch_threads_bench.py, see docs/benchmarks.md):
    a model under :data:`SMALL_MODEL_PARAMS` (SampleRNN, the LSTM composer, a tiny
    MusicGen) steps through many small matrix products; split over two threads they
    gain little when the cores are idle and lose many times over when another process
    is busy, as the threads spin waiting for each other. Such models get one thread.
    Larger models (MusicGen small and up) get :func:`max_threads`. ``LOOPMILL_THREADS``
    set in the environment wins for every model.
    """
    if _override is not None or settings.threads() is not None:
        return max_threads()
    return 1 if n_params < SMALL_MODEL_PARAMS else max_threads()


def use_torch_threads(model: Any) -> int:
    """Set torch's intra-op threads for ``model`` (a ``torch.nn.Module``) by
    :func:`torch_threads`; returns the count set."""
    import torch

    n = sum(int(p.numel()) for p in model.parameters())
    threads = torch_threads(n)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads
