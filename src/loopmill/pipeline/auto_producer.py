"""The prompt producer of a bulk run: a thread that keeps specs ready for the workers.

It first hands out the items a resumed run left unfinished, then asks the prompt
provider for new specs in batches, so a slow provider (an LLM a few seconds per
answer) works while the workers render. Each new spec gets the next index and the
seed ``run_seed + index``, is planned (journalled) before anyone sees it, and never
repeats a prompt text the run already used. The queue between the producer and the
scheduler is bounded: the producer asks for prompts only as fast as they are used.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from loopmill.errors import Failure, LoopmillError

if TYPE_CHECKING:
    from loopmill.prompts.providers import PromptProvider

__all__ = ["PromptProducer"]

Item = tuple[int, dict[str, Any]]


class PromptProducer:
    """Specs for a run, from a thread, through a bounded queue.

    Parameters
    ----------
    make_provider : callable
        Returns the prompt provider; called in the producer's thread, after the
        pending items are queued.
    seed : int
        The run's seed: a new item ``i`` gets the seed ``seed + i`` (mod 2**31).
    target : int or None
        How many new specs to plan; None plans until ``stop`` is set or the provider
        runs out.
    ask : int
        How many specs to ask the provider for at a time (at most what is left).
    on_plan : callable
        Called with ``(index, spec_dict)`` for each new spec before it is queued (the
        journal's :meth:`~loopmill.pipeline.auto_journal.RunJournal.plan`).
    stop : threading.Event
        Set it to stop producing; the producer returns within a fraction of a second
        (or when the provider's call in progress returns).
    pending : sequence of (int, dict)
        Items planned earlier and not made: queued first, as they are.
    next_index : int
        The index of the first new spec.
    used_texts : iterable of str
        Prompt texts the run already used; a new spec repeating one is skipped.
    queue_size : int
        How many items may wait in the queue.

    Attributes
    ----------
    error : Failure or None
        Why the provider broke down (a :class:`~loopmill.errors.ProviderError` or
        another :class:`~loopmill.errors.LoopmillError`, with the fields it names),
        once the producer stopped.
    """

    def __init__(
        self, *, make_provider: Callable[[], PromptProvider], seed: int,
        target: int | None, ask: int, on_plan: Callable[[int, dict[str, Any]], None],
        stop: threading.Event, pending: Sequence[Item] = (), next_index: int = 0,
        used_texts: Iterable[str] = (), queue_size: int = 4,
    ) -> None:
        self._make_provider = make_provider
        self._seed = seed
        self._target = target
        self._ask = max(1, ask)
        self._on_plan = on_plan
        self._stop = stop
        self._pending = list(pending)
        self.next_index = next_index
        self._used = set(used_texts)
        self._queue: queue.Queue[Item] = queue.Queue(maxsize=max(1, queue_size))
        self._finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loopmill-prompts", daemon=True)
        self.error: Failure | None = None
        self.planned = 0

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to end (after ``stop`` or when it ran out)."""
        if self._thread.is_alive():
            self._thread.join(timeout)

    def get(self, timeout: float) -> Item | None:
        """The next ``(index, spec_dict)``, or None if none came within ``timeout``."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def exhausted(self) -> bool:
        """True once the producer has stopped and every item it queued was taken."""
        return self._finished.is_set() and self._queue.empty()

    def _put(self, item: Item) -> bool:
        """Queue ``item``, waiting for room; False if ``stop`` came first."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._pending:
                if not self._put(item):
                    return
            self._produce(self._make_provider())
        except LoopmillError as exc:  # ProviderError, or a provider that cannot start
            self.error = Failure.of(exc)
        finally:
            self._finished.set()

    def _produce(self, provider: PromptProvider) -> None:
        target = self._target
        while not self._stop.is_set() and (target is None or self.planned < target):
            want = self._ask if target is None else min(self._ask, target - self.planned)
            batch = provider.batch(want)
            if not batch:
                return  # a file or the terminal ran out of prompts
            for spec in batch:
                if spec.text in self._used:
                    continue
                self._used.add(spec.text)
                index = self.next_index
                spec = spec.with_overrides(seed=(self._seed + index) % 2**31)
                item = (index, spec.to_dict())
                self._on_plan(*item)
                self.next_index += 1
                self.planned += 1
                if not self._put(item):
                    return
                if target is not None and self.planned >= target:
                    return
