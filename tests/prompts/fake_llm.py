"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API.

``FakeLLM.mode`` picks the answer: ``valid``, ``fenced`` (JSON in a code fence),
``malformed``, ``error-then-valid`` (HTTP 500 once), ``slow`` (sleeps past the
client's timeout), ``unauthorized`` (401). Every request is recorded.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROMPTS = [
    {"text": "calm lofi with dusty keys and soft drums", "genre": "lofi", "bpm": 80,
     "key": "F major", "moods": ["calm"], "instruments": ["rhodes", "drums"]},
    {"text": "tense synthwave chase with pulsing bass", "genre": "synthwave", "bpm": 118,
     "key": "D minor", "moods": ["tense"], "instruments": ["synth bass", "drums"]},
    {"text": "way too fast", "genre": "house", "bpm": 400, "key": "C major"},
    {"text": "heroic orchestral theme with horns", "genre": "orchestral", "bpm": 96,
     "key": "Bb major", "moods": ["epic"], "instruments": ["horns", "strings"]},
]


class FakeLLM:
    """Start with ``with FakeLLM() as llm:``; ``llm.base_url`` ends in ``/v1``."""

    def __init__(self) -> None:
        self.mode = "valid"
        self.requests: list[dict[str, Any]] = []
        self.delay = 1.0
        self._failed_once = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "body": body,
                                      "auth": self.headers.get("Authorization")})
                if fake.mode == "unauthorized":
                    return self._send(401, {"error": {"message": "bad key"}})
                if fake.mode == "error-then-valid" and not fake._failed_once:
                    fake._failed_once = True
                    return self._send(500, {"error": {"message": "boom"}})
                if fake.mode == "slow":
                    time.sleep(fake.delay)
                content = json.dumps({"prompts": PROMPTS})
                if fake.mode == "fenced":
                    content = f"Sure! Here you go:\n```json\n{content}\n```\nEnjoy."
                elif fake.mode == "malformed":
                    content = "I am sorry, I cannot write music prompts today."
                self._send(200, {"choices": [{"message": {"role": "assistant",
                                                          "content": content}}]})

            def _send(self, code: int, data: dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
