"""Schemathesis against the live server, as an outside tester runs it (issue #19 item 16):
gunicorn as ``make run`` starts it on the demo data, every operation of
``/api/openapi.json``, ``--checks all``, with an admin's token, from a directory of its own
(nothing of the repository's configures or teaches the fuzzer: the OpenAPI document alone
says what is valid). Fewer examples than the full run recorded in BENCHMARKS.md, to keep CI
time down. No failure may be reported and the server may log no traceback (``live_gunicorn``
checks the log).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.make_run_server import gunicorn_as_make_run
from tests.integration.test_concurrency import init_db, server_env

pytestmark = pytest.mark.slow

# The full run of BENCHMARKS.md: KITH_FUZZ_EXAMPLES=100 (with -s to see its summary).
EXAMPLES = int(os.environ.get("KITH_FUZZ_EXAMPLES", "20"))


def _flask(env, *args) -> str:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=env, check=True, capture_output=True, text=True,
                          timeout=300).stdout


@pytest.fixture
def server(tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'kith.sqlite3'}", tmp_path)
    init_db(env)
    _flask(env, "seed-demo")
    token = _flask(env, "create-user", "fuzz-admin@example.org", "--role", "admin",
                   "--password", "Fuzz-admin-passw0rd").strip().splitlines()[-1].split()[-1]
    with gunicorn_as_make_run(env, tmp_path) as (_, base_url):
        yield base_url, token


def test_schemathesis_finds_nothing_with_every_check(server, tmp_path):
    base_url, token = server
    cli = Path(sys.executable).with_name("schemathesis")
    run = subprocess.run(
        [str(cli), "run", f"{base_url}/api/openapi.json", "--checks", "all",
         "--max-examples", str(EXAMPLES), "--seed", "1", "--generation-database", "none",
         "--no-color", "--header", f"Authorization: Bearer {token}",
         # One worker: hypothesis describes its filters with ast.parse, which is not
         # thread-safe in this CPython 3.11 ("AST constructor recursion depth mismatch",
         # CPython gh-106905): with two workers a CI run failed with a Runtime Error.
         "--workers", "1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    output = run.stdout + run.stderr
    print(output[output.find("SUMMARY"):] if "SUMMARY" in output else output[-3000:])
    assert "schemathesis.toml" not in output  # no configuration but the command line
    failures = re.findall(r"^_+ (.+?) _+$", output, re.MULTILINE)
    assert run.returncode == 0 and not failures, output[-6000:]
    assert re.search(r"Tested: +\d+", output)
