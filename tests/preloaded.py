"""Start the product's own command lines (``python -m uvicorn``, ``matcher``) without paying
for their libraries' imports each time.

A test run starts about 40 servers and 100 ``matcher`` commands. Each used to spend
several seconds of CPU importing SciPy, scikit-learn, pandas, SQLAlchemy and FastAPI before
it did anything, on a run bound by CPU. Here, a fork server (multiprocessing's
``forkserver``) imports those third-party libraries once per test process; each server or
command is a child forked from it that sets its own environment, sends its output where
asked and runs the command line as ``python -m`` would. Our own modules are
preloaded too (``matcher`` and ``api``, but for the command line, which runs as ``__main__``):
none reads the environment when imported (settings are read by ``get_settings()`` when first
called; a test shows a child starts with none read) and none starts a thread. One library
does read it when imported: prometheus_client decides from ``PROMETHEUS_MULTIPROC_DIR``
whether the workers' metrics are added up, so a process that sets it (in its environment, or
``matcher serve --workers N``, which sets it itself) starts as a subprocess. What runs
is the product's code over real HTTP, as before; a SIGKILL kills the server as it did.

A server with several workers is a forked child too, whose uvicorn forks its workers from
itself instead of spawning each afresh (a spawned worker imported everything again: about
4 s of CPU each, 20 workers a run); each worker serves the app, as a spawned one does.
tests/test_serve.py runs the installed ``matcher`` script. ``TEST_PRELOADED=0`` starts
every process with ``subprocess`` (``make coverage`` does: the coverage of a forked child is
not saved).
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import multiprocessing.util  # its exit handler first, so that ours runs before it
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# What our modules import from outside the standard library (grep of matcher/ and api/),
# and what uvicorn serves with. Importing a missing one is skipped by the fork server.
LIBRARIES = [
    "numpy", "pandas", "scipy.optimize", "scipy.sparse", "scipy.stats", "sklearn",
    "sklearn.base", "sklearn.compose", "sklearn.exceptions", "sklearn.impute",
    "sklearn.linear_model", "sklearn.metrics", "sklearn.model_selection", "sklearn.pipeline",
    "sklearn.preprocessing", "sklearn.utils.validation", "threadpoolctl", "joblib",
    "sqlalchemy", "sqlalchemy.orm", "sqlalchemy.dialects.postgresql",
    "sqlalchemy.dialects.sqlite", "psycopg", "alembic", "alembic.config",
    "alembic.runtime.migration", "alembic.script", "fastapi", "fastapi.responses",
    "fastapi.routing", "fastapi.security", "fastapi.staticfiles", "starlette.routing",
    "pydantic", "pydantic_settings", "jinja2", "markupsafe", "argon2", "jwt", "rapidfuzz",
    "openpyxl", "ortools.graph.python", "typer", "uvicorn",
    "uvicorn.main", "uvicorn.config", "uvicorn.server", "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.http.httptools_impl", "uvicorn.lifespan.on", "uvicorn.loops.auto",
    "httptools", "h11", "multipart", "python_multipart", "psutil", "rich",
]


#: Run as ``__main__`` by the tests: preloaded, runpy would warn and run a second copy.
RUN_AS_MAIN = {"matcher.cli"}


def _own_modules() -> list[str]:
    """Every module of ``matcher`` and ``api`` but their ``__main__`` scripts, the migrations
    (Alembic runs those itself) and RUN_AS_MAIN."""
    root = Path(__file__).resolve().parent.parent
    names = []
    for path in sorted([*(root / "matcher").rglob("*.py"), *(root / "api").rglob("*.py")]):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__main__" or "migrations" in parts:
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return [name for name in names if name not in RUN_AS_MAIN]


_CONTEXT = None
_STARTED: list = []


@atexit.register  # before multiprocessing's own exit handler, which joins every child
def _stop_leftovers() -> None:
    """A server a failed test left running is stopped with the test process."""
    for child in _STARTED:
        if child.exitcode is None:
            child.kill()


def enabled() -> bool:
    return os.environ.get("TEST_PRELOADED", "1") != "0"


def context():
    """The fork server's multiprocessing context (made when first asked): the servers and
    commands here, and a test's own worker processes (the soak's clients), are its children,
    with the libraries imported already."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(LIBRARIES + _own_modules())
    return _CONTEXT


def _run(module: str, args: list[str], env: dict[str, str], cwd: str, out: str | None,
         err: str | None, stdin: bytes | None) -> None:
    """In the forked child: the environment, the output and ``python -m module args``."""
    import runpy

    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    read, write = os.pipe()  # stdin: what was given (small: it fits the pipe), else empty
    os.write(write, stdin or b"")
    os.close(write)
    os.dup2(read, 0)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - the process's own
    for fd, path in ((1, out), (2, err or out)):
        sink = os.open(path or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(sink, fd)
        os.close(sink)
    sys.argv = [module, *args]
    if module == "uvicorn":  # its workers, if several, forked from here (see the docstring)
        import uvicorn._subprocess

        uvicorn._subprocess.spawn = multiprocessing.get_context("fork")
    runpy.run_module(module, run_name="__main__", alter_sys=True)


class Process:
    """The part of ``subprocess.Popen`` the tests use, over a forked child."""

    def __init__(self, child):
        self._child = child
        self.pid = child.pid

    @property
    def returncode(self) -> int | None:
        return self._child.exitcode

    def poll(self) -> int | None:
        return self._child.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._child.join(timeout)
        if self._child.exitcode is None:
            raise subprocess.TimeoutExpired("preloaded child", timeout)
        return self._child.exitcode

    def terminate(self) -> None:
        if self._child.exitcode is None:
            self._child.terminate()

    def kill(self) -> None:
        if self._child.exitcode is None:
            self._child.kill()


def _sums_metrics(module: str, args: list[str], env: dict[str, str]) -> bool:
    """Whether the process adds up its workers' metrics (see the module docstring)."""
    serves_workers = module == "matcher.cli" and args[:1] == ["serve"] and any(
        a.startswith("--workers") for a in args)
    return bool(env.get("PROMETHEUS_MULTIPROC_DIR")) or serves_workers


def start(module: str, args: list[str], *, env: dict[str, str], out: Path | None = None,
          err: Path | None = None, stdin: bytes | None = None):
    """``python -m module args`` with ``env``, its stdout appended to ``out`` and its stderr
    to ``err`` (else to ``out``; discarded when neither is given): a forked child of the fork
    server, or a subprocess when preloading is off or the process adds up its workers'
    metrics."""
    if stdin is not None and len(stdin) > 60_000:  # the child writes it into a pipe itself
        raise ValueError("tests.preloaded passes small inputs only (under 60 kB)")
    if not enabled() or _sums_metrics(module, args, env):
        sink = open(out, "ab") if out else subprocess.DEVNULL  # noqa: SIM115 - the child's
        errors = open(err, "ab") if err else subprocess.STDOUT  # noqa: SIM115 - the child's
        proc = subprocess.Popen([sys.executable, "-m", module, *args], env=env, stdout=sink,
                                stderr=errors, stdin=subprocess.PIPE)
        for mine in (sink, errors):  # the child has its own copies
            if hasattr(mine, "close"):
                mine.close()
        with contextlib.suppress(BrokenPipeError):  # a child that does not read its input
            proc.stdin.write(stdin or b"")
            proc.stdin.close()
        return proc
    child = context().Process(
        target=_run, args=(module, args, env, os.getcwd(), str(out) if out else None,
                           str(err) if err else None, stdin))
    child.start()
    _STARTED[:] = [c for c in _STARTED if c.exitcode is None] + [child]
    return Process(child)


def run(module: str, args: list[str], *, env: dict[str, str], input: str | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess:
    """``subprocess.run([python, -m, module, *args], capture_output=True, text=True)``, with
    the command forked from the fork server when preloading is on."""
    with tempfile.TemporaryDirectory(prefix="preloaded-") as tmp:
        out, err = Path(tmp, "stdout"), Path(tmp, "stderr")
        proc = start(module, args, env=env, out=out, err=err,
                     stdin=input.encode() if input is not None else None)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        read = lambda path: path.read_text(encoding="utf-8") if path.exists() else ""  # noqa: E731
        return subprocess.CompletedProcess([module, *args], code, read(out), read(err))


def matcher(*args: str, env: dict[str, str], input: str | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """The ``matcher`` command line (``python -m matcher.cli``) with ``env``, its output
    captured. tests/test_serve.py runs the installed ``matcher`` script itself."""
    return run("matcher.cli", list(args), env=env, input=input, timeout=timeout)
