"""ComposerControls: validation that names the field, JSON round trips, unit vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from loopmill.engines.composer.controls import (
    CONTINUOUS,
    ComposerControls,
    from_unit,
    load_controls,
    to_unit,
)
from loopmill.errors import BadInputError


def test_defaults_leave_every_choice_to_the_genre() -> None:
    c = ComposerControls()
    assert all(getattr(c, name) is None for name in CONTINUOUS)
    assert c.to_dict(explicit=True) == {"form": "auto"}


def test_frozen() -> None:
    c = ComposerControls(energy=0.2)
    with pytest.raises(Exception, match="frozen"):
        c.energy = 0.5  # type: ignore[misc]


@pytest.mark.parametrize(("data", "message"), [
    ({"energy": 1.5}, "control energy 1.5: input should be less than or equal to 1"),
    ({"swing": -0.1}, "control swing -0.1: input should be greater than or equal to 0"),
    ({"energy": float("nan")}, "control energy nan: input should be a finite number"),
    ({"tempo": 120}, "unknown control 'tempo'; use energy, density"),
    ({"levels": {"kazoo": 1.0}}, "control levels: unknown part 'kazoo'; use one of drums"),
    ({"levels": {"bass": 3.0}}, "control levels: bass 3.0 is out of range; use 0 to 2"),
    ({"instruments": {"tuba": "x"}}, "control instruments: unknown part 'tuba'"),
    ({"form": "sonata"}, "control form 'sonata': input should be 'auto', 'AABA'"),
    ([0.5], "controls must be a JSON object"),
])
def test_bad_controls_name_the_field(data: object, message: str) -> None:
    with pytest.raises(BadInputError) as info:
        ComposerControls.from_dict(data)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_unit_round_trip_and_clipping() -> None:
    rng = np.random.default_rng(3)
    x = rng.random(len(CONTINUOUS))
    c = from_unit(x)
    np.testing.assert_allclose(to_unit(c), x, atol=1e-12)
    lo, hi = CONTINUOUS["swing"]
    assert c.swing == pytest.approx(lo + (hi - lo) * x[list(CONTINUOUS).index("swing")])
    clipped = from_unit(np.full(len(CONTINUOUS), 7.0))
    assert clipped.energy == 1.0 and clipped.swing == CONTINUOUS["swing"][1]
    base = ComposerControls(form="AABA", levels={"lead": 0.5})
    kept = from_unit(x, base=base)
    assert kept.form == "AABA" and kept.levels == {"lead": 0.5}


def test_unit_vector_errors() -> None:
    with pytest.raises(BadInputError, match=f"has {len(CONTINUOUS)} values"):
        from_unit([0.5, 0.5])
    with pytest.raises(BadInputError, match="NaN or infinite"):
        from_unit([float("nan")] * len(CONTINUOUS))


def test_resolve_fills_only_the_open_choices() -> None:
    c = ComposerControls(energy=0.9).resolve(energy=0.2, density=0.4)
    assert (c.energy, c.density) == (0.9, 0.4)
    with pytest.raises(BadInputError, match="unknown control"):
        c.resolve(tempo=1.0)


def test_load_controls_from_file_or_sidecar(tmp_path: Path) -> None:
    plain = tmp_path / "c.json"
    plain.write_text(json.dumps({"energy": 0.7, "form": "ABAC"}))
    assert load_controls(plain) == ComposerControls(energy=0.7, form="ABAC")
    sidecar = tmp_path / "loop.json"
    sidecar.write_text(json.dumps({"seed": 3, "controls": {"space": 0.1}}))
    assert load_controls(sidecar).space == 0.1
    (tmp_path / "bad.json").write_text("{energy: 1}")
    with pytest.raises(BadInputError, match=r"bad.json: not JSON"):
        load_controls(tmp_path / "bad.json")
    with pytest.raises(BadInputError, match="controls file not found"):
        load_controls(tmp_path / "none.json")
