"""Render and measure designs: the pipeline's engines make the audio, an embedder and the
noise meter measure it. With ``workers > 1`` the work runs in spawned worker processes
set up like the bulk pipeline's (:func:`loopmill.pipeline.auto_item.worker_setup`: one
thread each, Ctrl-C left to the coordinator).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from loopmill.errors import LoopmillError
from loopmill.evolve.fitness import Measures
from loopmill.evolve.genomes import Design

__all__ = ["Evaluated", "Evaluator", "evaluate_job", "render_design"]


@dataclass(frozen=True)
class Evaluated:
    """One rendered and measured design.

    Attributes
    ----------
    measures : Measures
    info : dict
        What the engine reported: bpm, bars, key, seed, seconds.
    audio : ndarray ``[C, T]`` or None
        Kept only when asked (auditions).
    """

    measures: Measures
    info: dict[str, Any]
    audio: np.ndarray | None = None


def render_design(job: dict[str, Any], *, sr: int) -> tuple[np.ndarray, dict[str, Any]]:
    """The audio of a design (``Design.job()``) for scoring, through the pipeline's engine.

    The composer's loop is seamless as made. An engine that continues audio (MusicGen)
    is asked for just the spec's length (``generate_audio``): scoring needs the sound,
    not a cut loop — the generation's best is cut and finished when it is written.
    """
    from loopmill.engines.params import GenerationParams
    from loopmill.engines.registry import get_engine
    from loopmill.prompts.spec import MusicSpec

    spec = MusicSpec.from_dict(job["spec"])
    params = GenerationParams.from_dict(job["params"])
    eng = get_engine(job["engine"], model=job.get("model"))
    if eng.capabilities.continuation and not eng.capabilities.seamless:
        audio = eng.generate_audio(spec, params, seconds=spec.max_duration, sr=sr,
                                   seed=spec.seed or 0)
        info: dict[str, Any] = {"bpm": spec.bpm, "bars": None, "key": spec.key_name,
                                "seed": spec.seed}
    else:
        out = eng.generate(spec, params, sr=sr)
        audio = out.audio
        info = {"bpm": out.bpm, "bars": out.bars, "key": out.key, "seed": out.seed}
    info["seconds"] = round(audio.shape[1] / sr, 3)
    return np.asarray(audio, dtype=np.float32), info


def evaluate_job(job: dict[str, Any]) -> Evaluated | LoopmillError:
    """Render and measure one design (what a worker runs); errors are returned."""
    from loopmill.evolve.embed import make_embedder
    from loopmill.evolve.fitness import measure

    try:
        audio, info = render_design(job["design"], sr=job["sr"])
        m = measure(audio, sr=job["sr"], embedder=make_embedder(job["embedder"]),
                    seam=job["seam"], loudness=job["loudness"])
    except LoopmillError as exc:
        return exc
    except Exception as exc:  # a worker's surprise travels back as one error
        return LoopmillError(f"{type(exc).__name__}: {exc}")
    return Evaluated(measures=m, info=info, audio=audio if job["keep_audio"] else None)


class Evaluator:
    """Render and measure designs, here or in ``workers`` processes.

    Parameters
    ----------
    embedder : str
        ``features`` or ``clap:PATH``.
    sr : int
        Rate of the scoring renders.
    workers : int
        Worker processes (1: in this process).
    seam, loudness : bool
        Also measure the seam / the loudness penalty of each loop.
    """

    def __init__(self, *, embedder: str = "features", sr: int = 22050, workers: int = 1,
                 seam: bool = False, loudness: bool = False) -> None:
        self.embedder, self.sr, self.workers, self.seam = embedder, sr, workers, seam
        self.loudness = loudness
        self._pool: ProcessPoolExecutor | None = None
        self.evaluations = 0

    def _jobs(self, designs: list[Design], keep_audio: bool) -> list[dict[str, Any]]:
        return [{"design": d.job(), "sr": self.sr, "embedder": self.embedder,
                 "seam": self.seam, "loudness": self.loudness, "keep_audio": keep_audio}
                for d in designs]

    def __call__(self, designs: list[Design], *,
                 keep_audio: bool = False) -> list[Evaluated | LoopmillError]:
        """One result per design, in order (a failed render is its error)."""
        jobs = self._jobs(designs, keep_audio)
        self.evaluations += len(jobs)
        if self.workers <= 1 or len(jobs) == 1 or designs[0].engine != "composer":
            return [evaluate_job(j) for j in jobs]
        if self._pool is None:
            import multiprocessing

            from loopmill.pipeline.auto_item import worker_setup

            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=worker_setup,
                                             mp_context=multiprocessing.get_context("spawn"))
        chunk = max(1, len(jobs) // (self.workers * 2))
        return list(self._pool.map(evaluate_job, jobs, chunksize=chunk))

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
