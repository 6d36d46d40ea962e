"""Rules of the test suite itself, which keep `make test` quick."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
DIRECT = re.compile(r"\bhttpx\.(Client|get|post|put|patch|delete|request|stream)\(")


def test_tests_make_http_clients_through_local_http():
    """A client made by httpx itself loads the CA bundle (20–40 ms of CPU each time)."""
    direct = [f"{path.relative_to(TESTS)}:{n}" for path in sorted(TESTS.rglob("*.py"))
              if path.name != "local_http.py"
              for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if DIRECT.search(line)]
    assert direct == [], "use tests.local_http instead of httpx directly:\n" + "\n".join(direct)


def test_one_tls_context_serves_every_client():
    from tests import local_http

    with local_http.Client() as first, local_http.Client() as second:
        contexts = {id(c._transport._pool._ssl_context) for c in (first, second)}  # noqa: SLF001
    assert contexts == {id(local_http.TLS)}


def test_a_preloaded_command_gets_its_input_environment_and_exit_code(tmp_path):
    """tests/preloaded.py: ``python -m module`` forked from the fork server, as a subprocess
    would run it (here with preloading on, whatever TEST_PRELOADED says)."""
    import os

    from tests import preloaded

    was = os.environ.pop("TEST_PRELOADED", None)
    try:
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONIOENCODING": "utf-8"}
        done = preloaded.run("json.tool", ["--sort-keys"], env=env,
                             input='{"b": "Hạ Long", "a": 1}')
        assert (done.returncode, done.stderr) == (0, "")
        assert done.stdout == '{\n    "a": 1,\n    "b": "H\\u1ea1 Long"\n}\n'
        bad = preloaded.run("json.tool", [], env=env, input="{not json")
        assert bad.returncode == 1 and "Expecting property name" in bad.stderr
        # The child's environment is the one given, not the test process's.
        os.environ["PROBE_OUTSIDE"] = "the test process's"
        seen = preloaded.run("tests.env_probe", ["PROBE_VALUE", "PROBE_OUTSIDE"],
                             env={**env, "PROBE_VALUE": "xin-chào"})
        assert (seen.returncode, seen.stdout) == (0, "xin-chào -\n")
        # The libraries and our modules are there already, with no setting read; the command
        # line (run as __main__) is imported by the child itself.
        first = preloaded.run("tests.env_probe", [
            "module:sklearn", "module:sqlalchemy", "module:matcher.review.effects",
            "module:api.main", "settings", "module:matcher.cli"], env=env)
        assert first.stdout == "yes yes yes yes unread no\n", first.stdout + first.stderr
        # A process whose workers' metrics are added up starts afresh: prometheus_client
        # reads PROMETHEUS_MULTIPROC_DIR when imported.
        summed = preloaded.run("tests.env_probe", ["module:prometheus_client"],
                               env={**env, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
        assert summed.stdout == "no\n", summed.stdout + summed.stderr
        assert preloaded._sums_metrics("matcher.cli", ["serve", "--workers", "2"], env)
        # The command line runs as `python -m matcher.cli` does, with nothing on stderr.
        help_ = preloaded.matcher("--help", env={**env, "COLUMNS": "100"})
        assert (help_.returncode, help_.stderr) == (0, ""), help_.stderr
        assert "demo" in help_.stdout
    finally:
        os.environ.pop("PROBE_OUTSIDE", None)
        if was is not None:
            os.environ["TEST_PRELOADED"] = was
