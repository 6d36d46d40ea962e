"""A PostgreSQL server of the test's own, that the test may stop and start.

The restart test (tests/load/test_faults.py) stops and starts PostgreSQL twice; done to the
machine's own server, that would cut every other test of the run off too. Here it gets a
cluster nobody else uses: ``initdb`` into a temporary directory, the server on a free port
with its socket in that directory, run as the ``postgres`` user when the tests run as root
(PostgreSQL refuses to run as root), without fsync (the test kills no server mid-write: a
fast shutdown writes everything). Stopped and removed afterwards. It needs the server
binaries of the machine's PostgreSQL (``pg_config --bindir``, else
Debian's /usr/lib/postgresql/N/bin).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text


def _bindir() -> Path | None:
    found = shutil.which("pg_config")
    candidates = []
    if found:
        done = subprocess.run([found, "--bindir"], capture_output=True, text=True)
        if done.returncode == 0:
            candidates.append(Path(done.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()),
                None)


def unavailable() -> str | None:
    """Why a private cluster cannot be made here, or None."""
    if _bindir() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run PostgreSQL as"
    return None


class Cluster:
    """A running private cluster: its URL, and stop/start as a restart does."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory, self.port = directory, port
        self.data, self.log = directory / "data", directory / "server.log"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    def _ctl(self, *args: str) -> None:
        cmd = [str(_bindir() / "pg_ctl"), "-D", str(self.data), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 " \
                  "-c max_connections=200 -c fsync=off"
        self._ctl("-w", "-l", str(self.log), "-o", options, "start")

    def stop(self) -> None:
        self._ctl("-w", "-m", "fast", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def wait_ready(self, timeout: float = 60) -> None:
        engine = create_engine(self.url)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    with engine.connect() as conn:
                        conn.execute(text("SELECT 1"))
                    return
                except Exception:  # noqa: BLE001 - not up yet
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        finally:
            engine.dispose()


@contextmanager
def private_cluster(port: int) -> Iterator[Cluster]:
    """A new cluster on ``port`` (trust auth for local connections), removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="matcher-pg-"))
    cluster = Cluster(directory, port)
    try:
        initdb = [str(_bindir() / "initdb"), "-D", str(cluster.data), "-U", "postgres",
                  "-A", "trust", "-E", "UTF8", "--no-sync"]
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(directory, owner.pw_uid, owner.pw_gid)
            initdb = ["runuser", "-u", "postgres", "--", *initdb]
        subprocess.run(initdb, check=True, capture_output=True, timeout=120)
        cluster.start()
        cluster.wait_ready()
        yield cluster
    finally:
        if cluster.running():
            try:
                cluster.stop()
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(directory, ignore_errors=True)
