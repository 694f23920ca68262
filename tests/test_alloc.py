"""The command line's allocator tuning: it takes effect on glibc and changes no result."""

from __future__ import annotations

import subprocess
import sys

import pytest

from loopmill._alloc import keep_freed_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_takes_effect_and_audio_is_unchanged() -> None:
    code = (
        "import sys, numpy as np\n"
        "from loopmill._alloc import keep_freed_memory\n"
        "if sys.argv[1] == '1': assert keep_freed_memory()\n"
        "from loopmill import generate\n"
        "y = generate('house', seed=4, min_duration=8, max_duration=12).audio\n"
        "import hashlib; print(hashlib.sha256(y.tobytes()).hexdigest())\n"
    )
    outs = {
        flag: subprocess.run(
            [sys.executable, "-c", code, flag], capture_output=True, text=True, check=True
        ).stdout
        for flag in ("0", "1")
    }
    assert outs["0"] == outs["1"]
    assert keep_freed_memory() is True
