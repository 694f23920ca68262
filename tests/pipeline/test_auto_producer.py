"""The prompt producer alone: pending items first, slow providers, errors, stop."""

from __future__ import annotations

import threading
import time
from typing import Any

from loopmill.errors import BadInputError, ProviderError
from loopmill.pipeline.auto_producer import PromptProducer
from loopmill.prompts.spec import MusicSpec


class FakeProvider:
    """Hands out ``texts`` in order; each batch takes ``delay`` seconds; raises ``fail``
    once the texts run out (or returns [])."""

    name = "fake"

    def __init__(self, texts: list[str], *, delay: float = 0.0,
                 fail: Exception | None = None) -> None:
        self.texts = list(texts)
        self.delay = delay
        self.fail = fail
        self.asked: list[int] = []

    def batch(self, k: int) -> list[MusicSpec]:
        self.asked.append(k)
        time.sleep(self.delay)
        if not self.texts and self.fail is not None:
            raise self.fail
        out, self.texts = self.texts[:k], self.texts[k:]
        return [MusicSpec(t, genre="lofi") for t in out]


def _producer(provider: FakeProvider, planned: list[tuple[int, dict[str, Any]]], **kw: Any
              ) -> PromptProducer:
    kw.setdefault("stop", threading.Event())
    kw.setdefault("seed", 100)
    kw.setdefault("ask", 2)
    kw.setdefault("target", None)
    return PromptProducer(make_provider=lambda: provider,
                          on_plan=lambda i, spec: planned.append((i, spec)), **kw)


def _drain(p: PromptProducer, seconds: float = 10.0) -> list[tuple[int, dict[str, Any]]]:
    got: list[tuple[int, dict[str, Any]]] = []
    deadline = time.monotonic() + seconds
    while not p.exhausted():
        assert time.monotonic() < deadline, "the producer never finished"
        item = p.get(0.05)
        if item is not None:
            got.append(item)
    p.join(5)
    return got


def test_pending_items_come_first_then_new_specs_with_their_seeds() -> None:
    provider = FakeProvider(["a", "b", "c", "d", "e", "f"])
    planned: list[tuple[int, dict[str, Any]]] = []
    pending = [(1, {"text": "old1", "seed": 101}), (3, {"text": "old3", "seed": 103})]
    p = _producer(provider, planned, pending=pending, next_index=5, target=4,
                  used_texts={"old1", "old3", "b"})
    p.start()
    got = _drain(p)
    assert got[:2] == pending  # as they were planned, not planned again
    assert [(i, s["text"], s["seed"]) for i, s in got[2:]] == [
        (5, "a", 105), (6, "c", 106), (7, "d", 107), (8, "e", 108)]  # "b" was used
    assert planned == got[2:] and p.planned == 4 and p.next_index == 9
    assert provider.asked == [2, 2, 1]  # never more than is left to plan
    assert p.error is None


def test_a_slow_provider_overlaps_with_the_consumer() -> None:
    """The first spec is there after one slow answer, not after all of them."""
    provider = FakeProvider([f"p{i}" for i in range(6)], delay=0.4)
    planned: list[tuple[int, dict[str, Any]]] = []
    p = _producer(provider, planned, ask=1, target=6)
    t0 = time.monotonic()
    p.start()
    first = None
    while first is None:
        first = p.get(0.05)
    waited = time.monotonic() - t0
    assert first[0] == 0 and 0.35 < waited < 1.6  # all six answers would take 2.4 s
    assert (0, first[1]) in planned  # journalled before anyone saw it
    assert len(_drain(p)) == 5


def test_a_provider_error_is_kept_and_the_specs_before_it_still_come() -> None:
    provider = FakeProvider(["a", "b", "c"], fail=ProviderError("no answer within 30 s"))
    planned: list[tuple[int, dict[str, Any]]] = []
    p = _producer(provider, planned, ask=2, target=None)
    p.start()
    got = _drain(p)
    assert [s["text"] for _, s in got] == ["a", "b", "c"]
    assert str(p.error) == "no answer within 30 s"


def test_a_provider_that_cannot_start_is_an_error_too() -> None:
    def broken() -> FakeProvider:
        raise BadInputError("prompt_provider 'file' needs a prompt_file", field="prompt_file")

    stop = threading.Event()
    p = PromptProducer(make_provider=broken, seed=0, target=2, ask=2, stop=stop,
                       on_plan=lambda i, s: None, pending=[(0, {"text": "x"})])
    p.start()
    assert _drain(p) == [(0, {"text": "x"})]
    assert p.error is not None and "needs a prompt_file" in p.error.message
    assert p.error.fields == ("prompt_file",)  # kept for the CLI's --prompt-file


def test_a_provider_that_runs_out_ends_without_an_error() -> None:
    provider = FakeProvider(["a"])
    p = _producer(provider, [], target=5)
    p.start()
    assert [i for i, _ in _drain(p)] == [0]
    assert p.error is None and p.planned == 1


def test_stop_ends_a_producer_waiting_for_room() -> None:
    provider = FakeProvider([f"p{i}" for i in range(100)])
    stop = threading.Event()
    planned: list[tuple[int, dict[str, Any]]] = []
    p = _producer(provider, planned, stop=stop, queue_size=2, ask=4)
    p.start()
    deadline = time.monotonic() + 5
    while len(planned) < 3:  # two queued, the third waits for room
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.1)
    assert len(planned) == 3
    stop.set()
    t0 = time.monotonic()
    p.join(5)
    assert time.monotonic() - t0 < 1.0
    a, b = p.get(0.01), p.get(0.01)
    assert a is not None and b is not None and (a[0], b[0]) == (0, 1)
    assert p.get(0.01) is None and p.exhausted()  # the third never got in
