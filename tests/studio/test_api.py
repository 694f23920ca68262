"""The studio's HTTP API through FastAPI's test client: library pages, loop points,
peaks, files, delete, ratings, and the guard (traversal, token, Host, body limits)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.studio.conftest import LOOPS, SR, config

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def names(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [r["name"] for r in resp.json()["rows"]]


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["delta", "gamma", "beta", "alpha"]),  # newest first
    ("genre=SYNTHWAVE", ["gamma", "alpha"]),
    ("bpm_min=70&bpm_max=110", ["beta", "alpha"]),
    ("key=d%20minor&sort=bpm&order=asc", ["alpha", "gamma"]),
    ("text=lofi", ["beta"]),
    ("text=%25", []),  # a LIKE wildcard is matched literally
    ("run_id=run-b", ["delta", "gamma"]),
    ("since=2026-11-21&until=2026-11-22", ["gamma", "beta"]),
    ("sort=name&order=asc", ["alpha", "beta", "delta", "gamma"]),
    ("sort=loudness_lufs&order=desc", ["alpha", "beta", "gamma", "delta"]),
])
def test_filters_and_sorting(client: Any, query: str, expected: list[str]) -> None:
    assert names(client.get(f"/api/loops?{query}")) == expected


def test_pagination_counts_every_match(client: Any) -> None:
    first = client.get("/api/loops?sort=name&order=asc&limit=3").json()
    second = client.get("/api/loops?sort=name&order=asc&limit=3&offset=3").json()
    assert first["total"] == second["total"] == 4
    assert [r["name"] for r in first["rows"] + second["rows"]] == ["alpha", "beta", "delta",
                                                                     "gamma"]
    bad = client.get("/api/loops?sort=nonsense")
    assert bad.status_code == 400 and "sort 'nonsense' is unknown" in bad.json()["detail"]
    assert client.get("/api/loops?limit=0").status_code == 422
    f = client.get("/api/facets").json()
    assert f["genre"] == ["ambient", "lofi", "synthwave"] and f["run_id"] == ["run-a", "run-b"]


def test_errors_name_the_fields_the_page_posted(client: Any) -> None:
    """The browser reads the form's own names (``since``), and which inputs to mark."""
    bad = client.get("/api/loops?since=yesterday")
    assert bad.status_code == 400 and bad.json() == {
        "detail": "since 'yesterday' is not a date; write it as 2026-11-22", "fields": ["since"]}
    bad = client.post("/api/jobs", json={"prompt": "calm", "engine": "nope"})
    assert bad.status_code == 400 and bad.json()["fields"] == ["engine"]
    assert bad.json()["detail"].startswith("unknown engine 'nope'; choose one of ")
    bad = client.post("/api/jobs", json={"prompt": "calm", "formats": ["aiff"]})
    assert bad.status_code == 400 and "formats" in bad.json()["fields"]


def test_loop_points_come_from_the_file(client: Any, library: tuple[Path, list[int]]) -> None:
    _, ids = library
    for loop_id, (_, _, _, _, _, start, length, fmts) in zip(ids, LOOPS, strict=True):
        info = client.get(f"/api/loops/{loop_id}").json()
        assert info["play_format"] == fmts.split(",")[0]
        assert info["loop"]["loop_start"] == start and info["loop"]["loop_length"] == length
        assert info["loop"]["loop_start_s"] == pytest.approx(start / SR)
        assert info["loop"]["loop_end_s"] == pytest.approx((start + length) / SR)
    assert client.get("/api/loops/999").status_code == 404


def test_peaks_follow_the_signal(client: Any, tmp_path: Path) -> None:
    from loopmill.audio import LoopPoints, save
    from loopmill.storage.catalog import Catalog

    y = np.zeros((1, 2 * SR), np.float32)
    y[0, SR:] = np.where(np.arange(SR) % 100 < 50, 0.5, -0.25)  # silence, then a square
    path = save(tmp_path / "loops" / "square.wav", y, sr=SR, format="wav",
                loop=LoopPoints(start=0, length=2 * SR))
    with Catalog(tmp_path / "catalog.sqlite") as cat:
        lid = cat.add({"name": "square", "uris": [str(path)]})
    p = client.get(f"/api/loops/{lid}/peaks?bins=100").json()
    assert p["bins"] == 100 and len(p["max"]) == len(p["min"]) == 100
    assert max(abs(v) for v in p["max"][:50] + p["min"][:50]) < 1e-3
    assert all(abs(v - 0.5) < 1e-3 for v in p["max"][50:])
    assert all(abs(v + 0.25) < 1e-3 for v in p["min"][50:])
    assert p["loop_end_s"] == pytest.approx(2.0)


def test_downloads_each_stored_format(client: Any, library: tuple[Path, list[int]]) -> None:
    alpha = library[1][0]
    for fmt, magic in (("ogg", b"OggS"), ("wav", b"RIFF")):
        r = client.get(f"/api/loops/{alpha}/file/{fmt}")
        assert r.status_code == 200 and r.content[:4] == magic
        assert r.headers["content-disposition"].startswith("attachment")
    assert client.get(f"/api/loops/{alpha}/file/mp3").status_code == 404
    assert client.get(f"/api/loops/{alpha}/audio").content[:4] == b"OggS"


def test_delete_removes_files_and_row(client: Any, library: tuple[Path, list[int]],
                                      tmp_path: Path) -> None:
    from loopmill.storage.catalog import Catalog

    alpha = library[1][0]
    client.post(f"/api/loops/{alpha}/rating", json={"score": 3})
    files = [tmp_path / "loops" / "alpha.ogg", tmp_path / "loops" / "alpha.wav"]
    assert all(f.exists() for f in files)
    r = client.delete(f"/api/loops/{alpha}")
    assert r.status_code == 200 and sorted(r.json()["removed"]) == sorted(map(str, files))
    assert not any(f.exists() for f in files)
    assert client.get(f"/api/loops/{alpha}").status_code == 404
    assert client.delete(f"/api/loops/{alpha}").status_code == 404
    with Catalog(tmp_path / "catalog.sqlite") as cat:
        assert cat.count() == 3 and cat.ratings(loop_id=alpha) == []


def test_ratings_are_stored(client: Any, library: tuple[Path, list[int]],
                            tmp_path: Path) -> None:
    from loopmill.storage.catalog import Catalog

    beta = library[1][1]
    assert client.post(f"/api/loops/{beta}/rating", json={"score": 5}).json()["rating"] == 5
    assert client.post(f"/api/loops/{beta}/rating", json={"score": 2}).json()["rating"] == 3.5
    assert client.post(f"/api/loops/{beta}/rating",
                       json={"score": -1, "kind": "like"}).status_code == 200
    bad = client.post(f"/api/loops/{beta}/rating", json={"score": 9})
    assert bad.status_code == 400 and "out of range; use 1 to 5" in bad.json()["detail"]
    assert client.post(f"/api/loops/{beta}/rating",
                       json={"score": 1, "kind": "pair"}).status_code == 422
    with Catalog(tmp_path / "catalog.sqlite") as cat:
        rows = cat.ratings(loop_id=beta)
    assert [(r["kind"], r["score"], r["listener"]) for r in rows] == [
        ("stars", 5.0, "default"), ("stars", 2.0, "default"), ("like", -1.0, "default")]
    page = client.get("/api/loops?rating_min=3").json()
    assert [r["name"] for r in page["rows"]] == ["beta"] and page["rows"][0]["like"] == -1


def test_files_only_from_catalog_uris_inside_the_roots(client: Any, tmp_path: Path) -> None:
    from loopmill.storage.catalog import Catalog

    outside = tmp_path.parent / f"{tmp_path.name}-outside.ogg"
    outside.write_bytes((tmp_path / "loops" / "beta.ogg").read_bytes())
    link = tmp_path / "loops" / "link.ogg"
    os.symlink(outside, link)
    with Catalog(tmp_path / "catalog.sqlite") as cat:
        bad = {name: cat.add({"name": name, "uris": [uri]}) for name, uri in {
            "passwd": "/etc/passwd", "relative": "loops/beta.ogg",
            "dotdot": str(tmp_path / "loops" / ".." / ".." / outside.name),
            "symlink": str(link), "s3": "s3://bucket/beta.ogg", "outside": str(outside),
        }.items()}
    for name, lid in bad.items():
        for path in (f"/api/loops/{lid}/audio", f"/api/loops/{lid}/peaks",
                     f"/api/loops/{lid}/file/{'ogg' if name != 'passwd' else ''}"):
            assert client.get(path).status_code == 404, (name, path)
        assert client.get(f"/api/loops/{lid}").json()["playable"] is False
        client.delete(f"/api/loops/{lid}")  # the row goes; a file outside stays
    assert outside.exists() and link.exists()
    for path in ("/api/loops/1/file/..%2F..%2Fetc%2Fpasswd", "/static/..%2F..%2Fapp.py",
                 "/static/../app.py", "/api/loops/1/file/%2Fetc%2Fpasswd"):
        assert client.get(path).status_code == 404, path
    outside.unlink()


def test_token_is_required_off_loopback(tmp_path: Path, library: Any) -> None:
    from fastapi.testclient import TestClient

    from loopmill.errors import BadInputError
    from loopmill.studio import create_app

    with pytest.raises(BadInputError, match="a token is required"):
        config(tmp_path, host="0.0.0.0")
    token = "t0k3n-" + "x" * 20
    app = create_app(config(tmp_path, host="0.0.0.0", token=token))
    with TestClient(app, base_url="http://192.168.1.20:8765") as c:
        assert c.get("/api/loops").status_code == 401
        assert c.get("/api/loops", headers={"X-Loopmill-Token": token[:-1] + "y"}
                     ).status_code == 401
        assert c.get("/api/loops?token=" + token).status_code == 401  # a header, not a query
        ok = c.get("/api/loops", headers={"X-Loopmill-Token": token})
        assert ok.status_code == 200 and ok.json()["total"] == 4
        assert c.get("/").status_code == 200  # the page's own code is public
        assert c.get("/static/js/player.js").status_code == 200


def test_guard_refuses_other_hosts_forms_and_big_bodies(client: Any) -> None:
    r = client.get("/api/loops", headers={"Host": "evil.example:8765"})
    assert r.status_code == 403 and "not this studio" in r.json()["detail"]
    assert client.get("/api/loops", headers={"Host": "localhost:8765"}).status_code == 200
    form = client.post("/api/loops/1/rating", content="score=5",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415
    big = client.post("/api/jobs", json={"prompt": "x" * 70_000})
    assert big.status_code == 413
    pre = client.options("/api/loops", headers={"Origin": "http://evil.example",
                                                "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in pre.headers
    got = client.get("/api/loops", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in got.headers
    assert "script-src 'self'" in got.headers["content-security-policy"]


def test_head_is_the_loop_regions_first_samples(client: Any, library: Any,
                                                tmp_path: Path) -> None:
    import io

    import soundfile as sf

    from loopmill.audio import load_region

    r = client.get(f"/api/loops/{library[1][0]}/head?seconds=1")
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    y, sr = sf.read(io.BytesIO(r.content), dtype="float32", always_2d=True)
    want, _ = load_region(tmp_path / "loops" / "alpha.ogg", start=11025, stop=11025 + SR)
    assert sr == SR and y.shape == (SR, 2)
    np.testing.assert_array_equal(y.T, want)  # float32 WAV: the very same samples
    assert client.get(f"/api/loops/{library[1][0]}/head?seconds=60").status_code == 422


def test_uploads_are_checked_and_capped(tmp_path: Path, library: Any) -> None:
    from fastapi.testclient import TestClient

    from loopmill.studio import create_app

    app = create_app(config(tmp_path, max_upload=50_000))
    good = (tmp_path / "loops" / "beta.ogg").read_bytes()
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        octet = {"Content-Type": "application/octet-stream"}
        r = c.post("/api/uploads?name=mine.ogg", content=b"not audio " * 100, headers=octet)
        assert r.status_code == 400 and "not readable audio" in r.json()["detail"]
        r = c.post("/api/uploads?name=song.exe", content=b"MZ", headers=octet)
        assert r.status_code == 400 and "send a wav, flac, ogg, mp3 file" in r.json()["detail"]
        assert c.post("/api/uploads?name=a.ogg", content=good,
                      headers=octet).status_code == 413  # 67 kB > 50 kB
        small = (tmp_path / "small.wav")
        import soundfile as sf

        sf.write(small, np.zeros((SR // 10, 2), np.float32), SR)  # 18 kB
        r = c.post("/api/uploads?name=../../x.wav", content=small.read_bytes(), headers=octet)
        assert r.status_code == 201, r.text
        upload_id = r.json()["id"]
        stored = list((tmp_path / "sessions" / "uploads").iterdir())
        assert [p.name for p in stored] == [upload_id] and upload_id.endswith(".wav")
        assert c.post("/api/uploads", content=small.read_bytes(),
                      headers={"Content-Type": "application/json"}).status_code == 415


def test_for_you_needs_ratings_then_ranks_by_the_listener_model(
        client: Any, library: tuple[Path, list[int]]) -> None:
    alpha, beta, _, delta = library[1]
    r = client.get("/api/loops?sort=for_you")
    assert r.status_code == 400 and "rate 3 more loops" in r.json()["detail"]
    for lid, score in ((alpha, 5), (beta, 4), (delta, 1)):
        client.post(f"/api/loops/{lid}/rating", json={"score": score})
    client.post(f"/api/loops/{delta}/rating", json={"score": -1, "kind": "like"})
    page = client.get("/api/loops?sort=for_you").json()
    assert page["total"] == 4
    pred = {r["name"]: r["predicted"] for r in page["rows"]}
    assert pred["alpha"] > pred["delta"] and pred["beta"] > pred["delta"]
    scored = [p for p in pred.values() if p is not None]
    assert [r["predicted"] for r in page["rows"][: len(scored)]] == sorted(scored, reverse=True)
    only = client.get("/api/loops?sort=for_you&genre=synthwave").json()
    assert {r["name"] for r in only["rows"]} == {"alpha", "gamma"} and only["total"] == 2
