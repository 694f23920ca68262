"""Generate jobs on the real worker pool, progress over Server-Sent Events, cancel; and
``loopmill studio`` itself: it prints the URL, serves, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.studio.conftest import config

ROOT = Path(__file__).resolve().parents[2]


def call(url: str, body: dict[str, Any] | None = None, method: str | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"),
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def read_events(url: str, until: Any, timeout: float = 90.0) -> list[tuple[str, dict[str, Any]]]:
    """Read the event stream until ``until(events)`` holds (then hang up)."""
    events: list[tuple[str, dict[str, Any]]] = []
    deadline = time.monotonic() + timeout
    with urllib.request.urlopen(url + "api/events", timeout=timeout) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        kind = None
        for raw in resp:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((str(kind), json.loads(line[6:])))
                if until(events):
                    return events
            assert time.monotonic() < deadline, "no end in sight"
    return events


def test_generate_job_streams_progress_and_fills_the_library(tmp_path: Path,
                                                             library: Any) -> None:
    from loopmill.studio.server import BackgroundStudio

    with BackgroundStudio(config(tmp_path)) as s:
        # the pipeline's own request checks the form, with the field names
        for bad, message in (({"engine": "nope"}, "unknown engine 'nope'"),
                             ({"formats": ["aiff"]}, "unknown format 'aiff'"),
                             ({"min_duration": 2}, "out of range")):
            with pytest.raises(urllib.error.HTTPError) as err:
                call(s.url + "api/jobs", {"prompt": "calm lofi"} | bad)
            assert err.value.code == 400 and message in json.loads(err.value.read())["detail"]
        job = call(s.url + "api/jobs", {"prompt": "calm lofi, F major, 120 BPM", "count": 2,
                                        "max_duration": 8, "seed": 21,
                                        "formats": ["ogg", "flac"]})
        assert job["status"] == "queued" and job["total"] == 2 and job["seed"] == 21
        events = read_events(s.url, lambda ev: any(
            k == "catalog" and e["loops"] == 6 for k, e in ev) and any(
            e["job"]["status"] in ("done", "failed") for k, e in ev if k != "catalog"))
        catalog = [e for k, e in events if k == "catalog"]
        assert catalog[-1]["loops"] == 6  # 4 + 2: the page refreshes on it
        events = [(k, e) for k, e in events if k != "catalog"]
        items = [e for k, e in events if k == "item" and e["job"]["id"] == job["id"]]
        assert [e["job"]["done"] for e in items] == [1, 2], items[-1]["job"]["errors"]
        statuses = [e["job"]["status"] for _, e in events if e["job"]["id"] == job["id"]]
        assert statuses[0] == "queued" and "running" in statuses and statuses[-1] == "done"
        made = call(s.url + f"api/loops?run_id={items[-1]['job']['run_id']}&sort=id&order=asc")
        assert made["total"] == 2
        assert [r["id"] for r in made["rows"]] == items[-1]["job"]["loop_ids"]
        assert [r["seed"] for r in made["rows"]] == [21, 22]
        for r in made["rows"]:
            assert r["formats"] == ["ogg", "flac"] and r["bpm"] == 120 and r["key"] == "F major"
            info = call(s.url + f"api/loops/{r['id']}")
            assert info["loop"]["has_loop_points"] and info["loop"]["loop_start"] == 0
        assert len(list((tmp_path / "made").glob("studio_*.ogg"))) == 2

        # cancel: the items not started are dropped, the one in hand is kept
        job = call(s.url + "api/jobs", {"prompt": "dark techno, 120 BPM", "count": 5,
                                        "max_duration": 8})
        cancelled = call(s.url + f"api/jobs/{job['id']}/cancel", method="POST")
        assert cancelled["status"] in ("cancelling", "cancelled")
        deadline = time.monotonic() + 60
        while (j := call(s.url + f"api/jobs/{job['id']}"))["status"] == "cancelling":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert j["status"] == "cancelled" and j["done"] <= 2 and j["done"] + j["failed"] < 5
        with pytest.raises(urllib.error.HTTPError) as err:
            call(s.url + "api/jobs/nosuchjob/cancel", method="POST")
        assert err.value.code == 400


def _studio(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    code = "from loopmill.cli.main import main; main()"
    return subprocess.Popen([sys.executable, "-c", code, "studio", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_cli_prints_url_serves_and_stops_on_ctrl_c(tmp_path: Path, library: Any) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    bad = _studio("--port", "70000", env=env)
    _, err = bad.communicate(timeout=60)
    assert bad.returncode == 2 and err.strip().splitlines() == [
        "error: port 70000 is out of range; use 0 to 65535"]
    proc = _studio("--port", "0", "--catalog", str(tmp_path / "catalog.sqlite"),
                   "--dest", str(tmp_path / "made"), "--root", str(tmp_path), env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("loopmill studio at http://127.0.0.1:"), line
        url = line.split()[3]
        assert "token" not in url
        health = call(url + "api/health")
        assert health["ok"] and health["loops"] == 4
        page = urllib.request.urlopen(url, timeout=10).read().decode()
        assert '<script type="module" src="/static/js/main.js">' in page
        assert "https://" not in page  # nothing from a CDN
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "studio stopped" in out and "Traceback" not in err
