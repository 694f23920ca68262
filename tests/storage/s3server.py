"""A real S3-compatible server (moto's ThreadedMotoServer) on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def s3_server(monkeypatch: pytest.MonkeyPatch, port: int | None = None,
              bucket: str = "loops") -> Iterator[tuple[str, Any]]:
    """Start the server, create ``bucket``; yields (endpoint URL, moto server)."""
    pytest.importorskip("moto.server")
    import boto3
    from moto.server import ThreadedMotoServer

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket=bucket)
    try:
        yield url, server
    finally:
        server.stop()


def read_object(url: str, bucket: str, key: str) -> bytes:
    import boto3

    body = boto3.client("s3", endpoint_url=url).get_object(Bucket=bucket, Key=key)["Body"]
    return bytes(body.read())
