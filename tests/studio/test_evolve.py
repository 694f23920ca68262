"""The studio's evolve routes: requests checked at the door, and (slow) a real session
that renders, takes ratings, steps, writes its best and survives a server restart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.studio.conftest import config


def test_bad_evolve_requests_are_refused(client: Any) -> None:
    assert client.get("/api/evolve").json() == {"sessions": []}
    r = client.post("/api/evolve", json={"target": "0123456789abcdef.wav"})
    assert r.status_code == 400 and "no upload" in r.json()["detail"]
    r = client.post("/api/evolve", json={"target": "../../etc/passwd"})
    assert r.status_code == 400 and "no upload" in r.json()["detail"]
    assert client.post("/api/evolve", json={"population": 1}).status_code == 422
    assert client.post("/api/evolve", json={"genome": "embedding"}).status_code == 422
    r = client.get("/api/evolve/nosuch")
    assert r.status_code == 400 and "no evolve session 'nosuch'" in r.json()["detail"]
    assert client.get("/api/evolve/nosuch/candidates/g0000-00/audio").status_code == 404


def _idle(c: Any, sid: str, timeout: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        d: dict[str, Any] = c.get(f"/api/evolve/{sid}").json()
        if not d["busy"]:
            assert d["error"] is None, d["error"]
            return d
        assert time.monotonic() < deadline, d["busy"]
        time.sleep(0.3)


@pytest.mark.slow
def test_session_rates_steps_writes_and_survives_a_restart(tmp_path: Path,
                                                           library: Any) -> None:
    pytest.importorskip("evotorch", reason="evolve needs the evolve extra")
    from fastapi.testclient import TestClient

    from loopmill.storage.catalog import Catalog
    from loopmill.studio import create_app

    base = "http://127.0.0.1:8765"
    with TestClient(create_app(config(tmp_path)), base_url=base) as c:
        sid = c.post("/api/evolve", json={"population": 3, "seconds": 4, "seed": 2}).json()["id"]
        d = _idle(c, sid)
        ids = [x["id"] for x in d["candidates"]]
        assert ids == ["g0000-00", "g0000-01", "g0000-02"] and d["generation"] == 0
        info = c.get(f"/api/evolve/{sid}/candidates/g0000-01").json()
        assert info["loop"]["has_loop_points"] and info["loop"]["loop_end_s"] > 3.5
        assert c.get(f"/api/evolve/{sid}/candidates/g0000-01/audio").content[:4] == b"RIFF"
        for cid, score in zip(ids, (5, 3, 1), strict=True):
            assert c.post(f"/api/evolve/{sid}/rate",
                          json={"candidate": cid, "score": score}).status_code == 200
        bad = c.post(f"/api/evolve/{sid}/rate", json={"candidate": "g9", "score": 3})
        assert bad.status_code == 400 and "g0000-00" in bad.json()["detail"]
        c.post(f"/api/evolve/{sid}/favourite", json={"candidate": "g0000-00"})
        c.post(f"/api/evolve/{sid}/next")
        d = _idle(c, sid)
        assert d["generation"] == 1 and len(d["history"]) == 1
        row = d["history"][0]
        assert row["best"] >= row["mean"] and row["ratings"] == 3
        assert [x["id"] for x in d["candidates"]] == ["g0001-00", "g0001-01", "g0001-02"]
        assert d["favourites"][0]["id"] == "g0000-00"  # kept, and still playable
        assert c.get(f"/api/evolve/{sid}/candidates/g0000-00/audio").status_code == 200
        c.post(f"/api/evolve/{sid}/write", json={"which": "best"})
        d = _idle(c, sid)
        assert len(d["written"]) == 1 and Path(d["written"][0]).is_file()
    with Catalog(tmp_path / "catalog.sqlite") as cat:
        assert sorted(r["score"] for r in cat.ratings(kind="stars")) == [1.0, 3.0, 5.0]
        assert cat.page(text="_best")[1] == 1  # the written loop is in the library
    # a new server on the same folders: the session is there, where it stopped
    with TestClient(create_app(config(tmp_path)), base_url=base) as c:
        assert [s["id"] for s in c.get("/api/evolve").json()["sessions"]] == [sid]
        d = c.get(f"/api/evolve/{sid}").json()
        assert d["generation"] == 1 and len(d["history"]) == 1
        assert [x["id"] for x in d["candidates"]] == ["g0001-00", "g0001-01", "g0001-02"]
        assert c.post(f"/api/evolve/{sid}/rate",
                      json={"candidate": "g0001-02", "score": 4}).status_code == 200


@pytest.mark.slow
def test_saturated_stars_turn_into_champion_questions(tmp_path: Path, library: Any) -> None:
    """Five stars for everyone: once 8 stars are in, the session asks "better than the
    champion?", the champion (an earlier generation's loop) stays playable, and each
    answer counts."""
    pytest.importorskip("evotorch", reason="evolve needs the evolve extra")
    from fastapi.testclient import TestClient

    from loopmill.studio import create_app

    with TestClient(create_app(config(tmp_path)), base_url="http://127.0.0.1:8765") as c:
        sid = c.post("/api/evolve", json={"population": 4, "seconds": 4, "seed": 3}).json()["id"]
        d = _idle(c, sid)
        assert d["question"] == "stars" and d["champion"] is None
        r = c.post(f"/api/evolve/{sid}/prefer", json={"candidate": "g0000-00", "preferred": True})
        assert r.status_code == 400 and "no champion" in r.json()["detail"]
        for gen in range(2):
            for x in d["candidates"]:
                d = c.post(f"/api/evolve/{sid}/rate",
                           json={"candidate": x["id"], "score": 5}).json()
            if gen == 0:
                c.post(f"/api/evolve/{sid}/next")
                d = _idle(c, sid)
                assert d["question"] == "stars"  # 4 stars: not yet saturated
        champ = d["champion"]
        assert d["question"] == "pair" and champ["id"].startswith("g0000-") and champ["playable"]
        assert c.get(f"/api/{champ['source']}/audio").content[:4] == b"RIFF"
        first, second = (x["id"] for x in d["candidates"][:2])
        d = c.post(f"/api/evolve/{sid}/prefer",
                   json={"candidate": first, "preferred": True}).json()
        assert d["champion"]["id"] == first  # the preferred one is the new champion
        d = c.post(f"/api/evolve/{sid}/prefer",
                   json={"candidate": second, "preferred": False}).json()
        assert [x["preferred"] for x in d["candidates"]] == [True, False, None, None]
        assert d["champion"]["id"] == first
        bad = c.post(f"/api/evolve/{sid}/prefer", json={"candidate": first, "preferred": "maybe"})
        assert bad.status_code == 422
        c.post(f"/api/evolve/{sid}/next")
        assert _idle(c, sid)["history"][-1]["ratings"] == 10  # 8 stars, then 2 answers
