"""The per-loop thread count changes speed only: the audio is bit-identical."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill import _threads
from loopmill.errors import BadInputError
from loopmill.pipeline.generate import generate


def test_one_thread_and_two_threads_give_the_same_loop() -> None:
    try:
        _threads.set_max_threads(1)
        one = generate("synthwave, D minor, 100 BPM", seed=5, min_duration=8, max_duration=12)
        _threads.set_max_threads(2)
        two = generate("synthwave, D minor, 100 BPM", seed=5, min_duration=8, max_duration=12)
    finally:
        _threads.set_max_threads(None)
    np.testing.assert_array_equal(one.audio, two.audio)
    assert one.loudness_lufs == two.loudness_lufs


def test_env_and_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOOPMILL_THREADS", "3")
    assert _threads.max_threads() == 3
    monkeypatch.setenv("LOOPMILL_THREADS", "many")
    with pytest.raises(BadInputError, match="LOOPMILL_THREADS='many' is not a whole number"):
        _threads.max_threads()
    monkeypatch.setenv("LOOPMILL_THREADS", "0")
    with pytest.raises(BadInputError, match="at least 1"):
        _threads.max_threads()
    with pytest.raises(BadInputError, match="threads=0"):
        _threads.set_max_threads(0)


def test_torch_thread_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOOPMILL_THREADS", raising=False)
    assert _threads.torch_threads(50_000) == 1  # README-size SampleRNN
    assert _threads.torch_threads(52_900_000) == 1  # the default SampleRNN
    assert _threads.torch_threads(600_000_000) == _threads.max_threads()  # musicgen-small
    monkeypatch.setenv("LOOPMILL_THREADS", "2")
    assert _threads.torch_threads(50_000) == 2  # the user's word wins


def test_use_torch_threads_sets_torch() -> None:
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert _threads.use_torch_threads(torch.nn.Linear(8, 8)) == 1
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
