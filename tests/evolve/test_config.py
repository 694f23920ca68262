"""The run file's names checked against the registries: genome, searcher, GA operators."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopmill.errors import BadInputError
from loopmill.evolve.config import EvolveConfig, resolve_config
from loopmill.evolve.genomes import GENOMES
from loopmill.evolve.searchers import GA_OPERATORS, SEARCHERS


def _error(**overrides: object) -> str:
    with pytest.raises(BadInputError) as info:
        resolve_config(overrides=overrides)
    return str(info.value)


def test_known_names_pass_and_the_searcher_may_be_left_out() -> None:
    cfg = resolve_config(overrides={"generator.genome": "prompt"})
    assert cfg.generator.genome == "prompt"
    assert cfg.search.searcher is None and cfg.searcher == "grammar"  # defaulted from genome
    cfg = resolve_config(overrides={"search.searcher": "random"})
    assert cfg.searcher == "random"
    name = next(iter(GA_OPERATORS))
    cfg = EvolveConfig.model_validate({"GA_operators": [{"name": name, "stdev": 0.1}]})
    assert cfg.GA_operators is not None and cfg.GA_operators[0].name == name


def test_an_unknown_name_is_refused_naming_the_key_and_the_choices() -> None:
    assert _error(**{"generator.genome": "dna"}) == (
        f"evolve settings: generator.genome: unknown genome 'dna'; use one of "
        f"{', '.join(GENOMES)}")
    assert _error(**{"search.searcher": "pso"}) == (
        f"evolve settings: search.searcher: unknown searcher 'pso'; use one of "
        f"{', '.join(SEARCHERS)}")


def test_an_unknown_ga_operator_in_a_run_file(tmp_path: Path) -> None:
    f = tmp_path / "run.yaml"
    f.write_text("GA_operators:\n  - {name: GaussianMutation, stdev: 0.1}\n  - {name: Flip}\n")
    with pytest.raises(BadInputError) as info:
        resolve_config(f)
    assert str(info.value) == (
        f"{f}: GA_operators.1.name: unknown GA operator 'Flip'; use one of "
        f"{', '.join(GA_OPERATORS)}")


def test_surrogate_options_are_checked_one_line_naming_the_key() -> None:
    cfg = resolve_config(overrides={"search.searcher": "surrogate", "search.proposals": "snes",
                                    "search.pool": 64, "search.beta": 0.0})
    assert (cfg.search.proposals, cfg.search.pool, cfg.search.beta) == ("snes", 64, 0.0)
    bad = {"search.proposals": "grid", "search.pool": 1, "search.beta": -0.5}
    for key, value in bad.items():
        msg = _error(**{key: value})
        assert msg.startswith(f"evolve settings: {key}: ") and "\n" not in msg, msg
