"""``catalog rebuild``: a new catalog from the loops' files and sidecars at a destination.

Every loop file carries its loop points and loopmill's tags (tempo, bars, key, seam
score), and with ``--keep-metadata`` a JSON sidecar with the prompt, the spec, the
params and the seed: enough to make a lost or damaged catalog again. The new catalog
is built under a hidden name and renamed into place; the old file is kept beside it
(``<name>.damaged-<time>``), never deleted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopmill.errors import BadInputError, LoopmillError

__all__ = ["RebuildReport", "rebuild_catalog"]

_SIDE_COLUMNS = ("prompt", "run_id", "engine", "seed", "bpm", "key", "bars", "duration",
                 "loudness_lufs", "true_peak_db", "seam_score", "detected_bpm", "detected_key",
                 "spec", "params", "timings")


@dataclass
class RebuildReport:
    """What a rebuild found and where the old catalog went."""

    catalog: Path
    rows: int = 0
    kept_old: Path | None = None
    skipped: list[str] = field(default_factory=list)


def _from_sidecar(meta: dict[str, Any]) -> dict[str, Any]:
    record = {k: meta[k] for k in _SIDE_COLUMNS if k in meta}
    found = meta.get("spec")
    spec: dict[str, Any] = found if isinstance(found, dict) else {}
    record["genre"] = meta.get("genre") or spec.get("genre")
    if "prompt" not in record:
        record["prompt"] = spec.get("text")
    return record


def _from_tags(path: Path) -> dict[str, Any]:
    from loopmill.audio import info, read_tags

    tags = read_tags(path)

    def num(key: str) -> float | None:
        try:
            return float(tags[key])
        except (KeyError, ValueError):
            return None

    bars = num("LOOPMILL_BARS")
    return {"duration": round(info(path).duration, 4), "bpm": num("LOOPMILL_BPM"),
            "key": tags.get("LOOPMILL_KEY"), "bars": None if bars is None else int(bars),
            "seam_score": num("LOOPMILL_SEAM_SCORE")}


def _records(dest: Path, report: RebuildReport) -> list[tuple[float, dict[str, Any]]]:
    from loopmill.audio import WRITE_FORMATS

    groups: dict[Path, list[Path]] = {}
    for p in sorted(dest.rglob("*")):
        if any(part.startswith(".") for part in p.relative_to(dest).parts):
            continue  # staging files, spools, probes
        if p.is_file() and p.suffix[1:].lower() in WRITE_FORMATS:
            groups.setdefault(p.with_suffix(""), []).append(p)
    out: list[tuple[float, dict[str, Any]]] = []
    for base, files in groups.items():
        sidecar = base.with_name(base.name + ".json")
        try:
            if sidecar.is_file():
                meta = json.loads(sidecar.read_text(encoding="utf-8"))
                if not isinstance(meta, dict) or meta.get("tool") != "loopmill":
                    raise ValueError("not a loopmill sidecar")
                record = _from_sidecar(meta)
                files = [*files, sidecar]
            else:
                record = _from_tags(files[0])
        except (OSError, ValueError, LoopmillError) as exc:
            report.skipped.append(f"{files[0]}: {exc}")
            continue
        mtime = min(f.stat().st_mtime for f in files)
        record.update({
            "name": base.name, "uris": [str(f.resolve()) for f in files],
            "created": dt.datetime.fromtimestamp(mtime, dt.timezone.utc).isoformat(
                timespec="seconds"),
            "extra": {"rebuilt": True},
        })
        out.append((mtime, record))
    out.sort(key=lambda item: item[0])
    return out


def rebuild_catalog(dest: str | Path, *, catalog: str | Path | None = None) -> RebuildReport:
    """Make the catalog again from the loop files (and sidecars) under ``dest``.

    Parameters
    ----------
    dest : path
        A local folder that ``generate`` or ``auto`` wrote to (searched recursively;
        hidden files are skipped).
    catalog : path, optional
        The catalog to replace (default: ``LOOPMILL_CATALOG`` or the user data one).

    Returns
    -------
    RebuildReport
        Rows written, unreadable files skipped, where the old catalog was kept.

    Raises
    ------
    BadInputError
        ``dest`` is a URL or not a folder.
    StorageError
        The new catalog cannot be written.
    """
    from loopmill.storage.catalog import Catalog, default_catalog_path
    from loopmill.storage.sink import is_url

    if is_url(dest):
        raise BadInputError(f"catalog rebuild reads a local folder, not {dest}; copy the "
                            "files down first (e.g. `aws s3 sync`)")
    folder = Path(str(dest).removeprefix("file://"))
    if not folder.is_dir():
        raise BadInputError(f"{folder} is not a folder; pass the folder the loops were "
                            "written to")
    path = Path(catalog) if catalog is not None else default_catalog_path()
    report = RebuildReport(catalog=path)
    records = _records(folder, report)
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(f".{path.name}.rebuild-{secrets.token_hex(4)}")
    try:
        with Catalog(fresh) as cat:
            for _, record in records:
                cat.add(record)
                report.rows += 1
        if path.exists():
            report.kept_old = path.with_name(
                f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(path, report.kept_old)
            for side in ("-wal", "-shm"):  # the old file's journal goes with it
                old = path.with_name(path.name + side)
                if old.exists():
                    os.replace(old, report.kept_old.with_name(report.kept_old.name + side))
        os.replace(fresh, path)
    finally:
        for leftover in (fresh, fresh.with_name(fresh.name + "-wal"),
                         fresh.with_name(fresh.name + "-shm")):
            leftover.unlink(missing_ok=True)
    return report
