"""A real API server in a process of its own (``python -m uvicorn``), over a seeded database,
for the API tests, forked from the test process's fork server (tests/preloaded.py: the
libraries already imported; a server's several workers forked from it)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests import local_http, preloaded

SECRET = "test-secret-key-for-the-api-tests-only-0123456789"
# The seeded test databases are not demo databases (they take imports), so their accounts
# (the demo usernames) have this password: the demo password works on a demo database only.
TEST_PASSWORD = "test-password-of-the-seeded-accounts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running server: its URL, its database URL and how to sign in to it."""

    url: str
    db_url: str
    backend: str
    model_dir: Path
    proc: subprocess.Popen | preloaded.Process | None = None
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str, password: str = TEST_PASSWORD) -> str:
        if username not in self._tokens:
            r = local_http.post(f"{self.url}/v1/auth/token",
                           data={"username": username, "password": password}, timeout=30)
            r.raise_for_status()
            self._tokens[username] = r.json()["access_token"]
        return self._tokens[username]

    def client(self, username: str | None = None, **kwargs) -> httpx.Client:
        """An HTTP client signed in as ``username`` (anonymous when None)."""
        headers = {"Authorization": f"Bearer {self.token(username)}"} if username else {}
        return local_http.Client(base_url=self.url, headers=headers, timeout=60, **kwargs)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def server_env(db_url: str, model_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": db_url, "MATCHER_MODEL_DIR": str(model_dir),
           "MATCHER_SECRET_KEY": SECRET, "MATCHER_COOKIE_SECURE": "false",
           # Tests add records straight in the database and ask at once: rebuild in the
           # request (tests/security/test_rebuild_storm.py runs the background rebuilds).
           "MATCHER_REBUILD_MIN_INTERVAL_S": "0",
           # The review as soon as it can be computed, and the first one waited for however
           # long it takes on a busy machine (tests/api/test_review_background.py runs the
           # 202 and the intervals).
           "MATCHER_REVIEW_MIN_INTERVAL_S": "0", "MATCHER_REVIEW_FIRST_WAIT_S": "120"}
    env.update(extra)
    return env


def start(db_url: str, model_dir: Path, backend: str, *, workers: int = 1,
          log: Path | None = None, **extra: str) -> Server:
    """Start uvicorn on a free port and wait until /readyz answers 200."""
    port = free_port()
    args = ["api.main:app", "--host", "127.0.0.1", "--port", str(port), "--workers",
            str(workers), "--no-access-log"]
    env = server_env(db_url, model_dir, **extra)
    if log:
        log.write_bytes(b"")
    proc = preloaded.start("uvicorn", args, env=env, out=log)
    server = Server(f"http://127.0.0.1:{port}", db_url, backend, model_dir, proc)
    deadline = time.monotonic() + 120
    while True:
        try:
            if local_http.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            server.stop()
            detail = log.read_text() if log and log.exists() else ""
            raise RuntimeError(f"the API server did not start:\n{detail}")
        time.sleep(0.3)
