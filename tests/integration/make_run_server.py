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
def gunicorn_as_make_run(env: dict[str, str], tmp_path: Path):
    """gunicorn started as ``scripts/run.sh`` starts it (``gunicorn.conf.py``); yields
    (process, base URL). Its log (access log included) is ``tmp_path/gunicorn-<port>.log``."""
    port = free_port()
    log_path = tmp_path / f"gunicorn-{port}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env={**env, "HOST": "127.0.0.1", "PORT": str(port), "WORKERS": "2"},
            stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            return True
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
