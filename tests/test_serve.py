"""`matcher serve` as `make run` starts it: a real server process answering over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import httpx
import pytest

from tests import local_http
from tests.importing.test_cli_import import MATCHER


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_serve_answers_health_on_an_empty_database(tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}"}
    proc = subprocess.Popen([MATCHER, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                health = local_http.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not start:\n{proc.stdout.read()}")
                time.sleep(0.5)
        assert health.json() == {"status": "ok"}
        ready = local_http.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json()["database"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
