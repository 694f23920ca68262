"""Genomes decode to render requests the engines understand."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill.engines.composer.controls import CONTINUOUS, ComposerControls, to_unit
from loopmill.errors import BadInputError
from loopmill.evolve.genomes import ComposerGenome, PromptGenome, make_genome
from loopmill.prompts import parse_prompt


def test_composer_genome_decodes_to_controls_tempo_and_mode() -> None:
    g = ComposerGenome(parse_prompt("dark synthwave"), seconds=8.0, seed=3)
    assert g.dim == len(CONTINUOUS) + 2
    x = np.linspace(0.05, 0.95, g.dim)
    d = g.decode(x)
    controls = ComposerControls.from_dict(d.params.extra["controls"])
    np.testing.assert_allclose(to_unit(controls), x[:11], atol=1e-9)
    lo, hi = g.bpm_range
    assert d.spec.bpm == pytest.approx(lo + (hi - lo) * x[11], abs=0.05)
    assert d.spec.mode == "minor" and d.spec.genre == "synthwave" and d.spec.seed == 3
    assert d.spec.key is not None  # pinned: a run searches one key
    # a whole power-of-two number of bars close to 8 s
    bar = 240.0 / d.spec.bpm
    assert d.spec.min_duration <= 4 * bar <= d.spec.max_duration
    assert g.describe(x)["mode"] == "minor"


def test_composer_genome_clips_and_refuses_bad_vectors() -> None:
    g = ComposerGenome(parse_prompt("lofi"), tempo=False, mode=False)
    assert g.dim == 11
    d = g.decode(np.full(11, 7.0))
    assert ComposerControls.from_dict(d.params.extra["controls"]).energy == 1.0
    with pytest.raises(BadInputError, match="11 values"):
        g.decode(np.zeros(5))
    with pytest.raises(BadInputError, match="NaN"):
        g.decode(np.full(11, np.nan))


def test_prompt_genome_starts_with_the_prompt_and_variations() -> None:
    g = PromptGenome(parse_prompt("calm lofi with piano, 80 BPM"), seed=1)
    pop = g.initial(5, rng=np.random.default_rng(0))
    assert pop[0].text.startswith("calm lofi") and len({p.text for p in pop}) >= 4
    d = g.decode(pop[1])
    assert d.engine == "composer" and d.spec.seed == 1


def test_unknown_genome() -> None:
    with pytest.raises(BadInputError, match="unknown genome 'dna'; use one of composer"):
        make_genome("dna", parse_prompt("x"), seconds=8, seed=0)
