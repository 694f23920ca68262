"""Pictures of composer loops: a log-mel spectrogram and the bar-by-bar similarity matrix.

For each genre one 16-bar loop (the prompts and tempos of ``composer_quality.py``) is
rendered by this tree and, with ``--baseline``, by another source tree (in a
subprocess with its own ``PYTHONPATH``), and drawn as one PNG per genre: spectrogram
(left and right channel, and side) on top, similarity matrix below (bars x bars,
log-mel correlation at the best bar phase, ``loopmill.analysis.structure``; a twin is
>= 0.95), new beside base.

Usage::

    PYTHONPATH=src python benchmarks/composer_look.py --genres orchestral,horror \\
        --baseline /tmp/base/src --out /tmp/look
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from composer_quality import _KEYS, PROMPTS, RENDER, SR


def _render(src: Path, genres: list[str], seed: int, out: Path) -> dict[str, int]:
    jobs = []
    for g in genres:
        prompt, bpm = PROMPTS[g]
        jobs.append([g, prompt, g, bpm, f"{_KEYS[(5 * (seed - 1)) % 12]} minor", seed])
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.run([sys.executable, "-c", RENDER, json.dumps(jobs), str(out)],
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"rendering with {src} failed:\n{proc.stderr[-2000:]}")
    return {n: b for n, b, _, _ in json.loads(proc.stdout)}


def _draw(path: Path, genre: str, loops: dict[str, tuple[np.ndarray, int]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from loopmill.analysis.features import compute_features
    from loopmill.analysis.structure import (
        TWIN_CORRELATION,
        bar_similarity,
        channel_correlation,
        distinct_bars,
    )

    fig, axes = plt.subplots(2, len(loops), figsize=(7 * len(loops), 9), squeeze=False,
                             gridspec_kw={"height_ratios": [1.2, 1]})
    for col, (name, (y, bars)) in enumerate(loops.items()):
        side = (y[0] - y[1])[None, :] * 0.5
        mels = [compute_features(ch[None, :], sr=SR).mel_db for ch in (y[0], y[1], side[0])]
        img = np.concatenate(mels, axis=0)  # L, R, side stacked (64 bands each)
        ax = axes[0, col]
        ax.imshow(img, origin="lower", aspect="auto", cmap="magma",
                  vmin=img.max() - 80, vmax=img.max(),
                  extent=(0, bars, 0, img.shape[0]))
        for b in range(1, bars):
            ax.axvline(b, color="white", lw=0.3, alpha=0.5)
        ax.set_yticks([32, 96, 160], ["L", "R", "side"])
        ax.set_xlabel("bar")
        ax.set_title(f"{genre} — {name}: ICC {channel_correlation(y):.2f}")
        c = bar_similarity(y, sr=SR, bars=bars)
        ax = axes[1, col]
        im = ax.imshow(c, vmin=0.5, vmax=1.0, cmap="viridis")
        twins = np.argwhere((c >= TWIN_CORRELATION) & ~np.eye(bars, dtype=bool))
        ax.scatter(twins[:, 1], twins[:, 0], marker="x", color="red", s=25)
        ax.set_title(f"bar similarity: {distinct_bars(y, sr=SR, bars=bars)}/{bars} distinct "
                     f"(x: twin >= {TWIN_CORRELATION})")
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> None:
    """Render and draw one PNG per genre."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genres", default="orchestral,horror")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--baseline", type=Path, help="src folder of the baseline composer")
    ap.add_argument("--out", type=Path, default=Path("composer-look"))
    ap.add_argument("--save", action="store_true", help="also keep the loops as .npy")
    args = ap.parse_args()
    genres = [g for g in args.genres.split(",") if g]
    here = Path(__file__).resolve().parents[1] / "src"
    trees = {"new": here} | ({"base": args.baseline} if args.baseline else {})
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        made = {}
        for name, src in trees.items():
            (Path(tmp) / name).mkdir()
            made[name] = _render(src, genres, args.seed, Path(tmp) / name)
        for g in genres:
            loops = {name: (np.load(Path(tmp) / name / f"{g}.npy"), made[name][g])
                     for name in trees if g in made[name]}
            if args.save:
                for name, (y, _) in loops.items():
                    np.save(args.out / f"{g}-{name}.npy", y)
            _draw(args.out / f"{g}-s{args.seed}.png", g, loops)
            print(args.out / f"{g}-s{args.seed}.png")


if __name__ == "__main__":
    main()
