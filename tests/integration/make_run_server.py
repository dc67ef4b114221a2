"""gunicorn started exactly as ``make run`` starts it, for tests against a live server."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT
from tests.integration.pg_cluster import free_port, wait_until


@contextmanager
def live_gunicorn(env: dict[str, str], tmp_path: Path, options=None):
    """gunicorn on 127.0.0.1:<free port> with these command-line ``options(port)`` (default:
    ``gunicorn.conf.py``, as ``scripts/run.sh`` starts it); yields (process, base URL) once it
    answers. Its log (access log included) is ``tmp_path/gunicorn-<port>.log``; a traceback
    in it (every 500 logs one) fails the test."""
    port = free_port()
    log_path = tmp_path / f"gunicorn-{port}.log"
    args = options(port) if options else ["-c", "gunicorn.conf.py"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *args, "wsgi:app"],
            cwd=ROOT, env={**env, "HOST": "127.0.0.1", "PORT": str(port), "WORKERS": "2"},
            stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            return True  # it died: stop waiting and report below
        try:
            return requests.get(f"{base_url}/register", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    try:
        if not wait_until(answers, timeout=120, interval=0.5) or process.poll() is not None:
            pytest.fail(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
        yield process, base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert "Traceback" not in log_path.read_text(), log_path.read_text()[-3000:]


def gunicorn_as_make_run(env: dict[str, str], tmp_path: Path):
    """gunicorn exactly as ``make run`` starts it; yields (process, base URL)."""
    return live_gunicorn(env, tmp_path)
