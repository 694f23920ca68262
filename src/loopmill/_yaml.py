"""Read one YAML file into a pydantic model, with one-line errors that name the key."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from loopmill.errors import BadInputError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path, model: type[M], *, field: str | None = None) -> M:
    """Parse and validate ``path``; ``field`` names the request field it came from.

    ``field`` (``"config"``) is declared on the error, so the CLI says ``--config``.

    Raises
    ------
    BadInputError
        Unreadable file, bad YAML, or a key or value the model refuses
        (``file: a.b: message``).
    """
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return model.model_validate(data)
    except OSError as exc:
        raise BadInputError(f"cannot read {field or 'file'} {path}: {exc.strerror}",
                            field=field) from None
    except yaml.YAMLError as exc:
        raise BadInputError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise BadInputError(f"{path}: {where}: {err['msg']}") from None
