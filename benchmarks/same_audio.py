"""Is this tree's audio the same as another commit's? The proof for a speed change.

Renders the same prompts and seeds with ``REV``'s ``src`` and with this tree's (each
side in a fresh process, one per side for all loops), and prints, per loop, whether
the finished float32 audio is bit-identical, and if not its largest absolute
difference (and that in dB under full scale), the number of samples that differ and
the loudness reports of both sides.

Usage: ``python benchmarks/same_audio.py --vs main [--seeds 2] [--all-genres]``
(exit status 1 when any loop differs by more than ``--tolerance``, 0 by default:
bit-identical).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

RENDER = """
import json, sys
from pathlib import Path
import numpy as np
import loopmill
out = Path(sys.argv[1])
for i, (prompt, seed, lo, hi) in enumerate(json.loads(sys.argv[2])):
    loop = loopmill.generate(prompt, seed=seed, min_duration=lo, max_duration=hi)
    np.save(out / f"{i}.npy", np.asarray(loop.audio, dtype=np.float32))
    (out / f"{i}.json").write_text(json.dumps({"bpm": loop.bpm, "sr": loop.sr}))
"""

#: one prompt per genre the composer has (a 60 s loop each unless the genre's tempo
#: gives another whole number of bars in 60-64 s)
PROMPTS = (
    "mysterious synthwave, D minor, 90 BPM",
    "calm lofi hip hop, F major, 80 BPM",
    "energetic chiptune boss battle, E minor, 150 BPM",
    "epic orchestral, C minor, 100 BPM",
    "dark ambient drone",
    "hard trap, 140 BPM",
)
MORE = (
    "deep house, 124 BPM",
    "rock anthem, E minor",
    "smooth jazz lounge",
    "fantasy tavern",
    "horror",
    "fast dnb",
    "heavy metal",
    "world music, dorian",
)


def _render(env: dict[str, str], cases: list[tuple[str, int, float, float]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-c", RENDER, str(out), json.dumps(cases)],
                          env=env, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"render failed in {out}: {proc.stderr[-2000:]}")


def main() -> None:
    """Render both sides and print the comparison table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vs", metavar="REV", default="main", help="the commit to compare with")
    ap.add_argument("--seeds", type=int, default=2, help="seeds per prompt (0, 1, ...)")
    ap.add_argument("--all-genres", action="store_true", help="every genre, not six")
    ap.add_argument("--tolerance", type=float, default=0.0,
                    help="largest absolute difference that still passes (0: bit-identical)")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from _vs import sides

    prompts = PROMPTS + (MORE if args.all_genres else ())
    cases = [(p, s, 60.0, 64.0) for p in prompts for s in range(args.seeds)]
    worst = 0.0
    print(f"# same audio: {args.vs} vs this tree, {len(cases)} loops\n")
    print("| prompt | seed | identical | max abs diff | dBFS | samples differing |")
    print("|---|---:|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        envs = sides(args.vs, Path(tmp))
        for side in ("old", "new"):
            _render(envs[side], cases, Path(tmp) / side)
        for i, (prompt, seed, _, _) in enumerate(cases):
            a = np.load(Path(tmp) / "old" / f"{i}.npy")
            b = np.load(Path(tmp) / "new" / f"{i}.npy")
            if a.shape != b.shape:
                print(f"| {prompt} | {seed} | no (shape {a.shape} vs {b.shape}) | | | |")
                worst = math.inf
                continue
            same = a.tobytes() == b.tobytes()
            diff = float(np.max(np.abs(a.astype(np.float64) - b))) if not same else 0.0
            db = f"{20 * math.log10(diff):.0f}" if diff > 0 else "-inf"
            print(f"| {prompt} | {seed} | {'yes' if same else 'no'} | {diff:.3g} | {db} | "
                  f"{int(np.count_nonzero(a != b))} |")
            worst = max(worst, diff)
    print(f"\nlargest difference: {worst:.3g}")
    raise SystemExit(0 if worst <= args.tolerance else 1)


if __name__ == "__main__":
    main()
