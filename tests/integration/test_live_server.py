"""The server as ``make run`` starts it: private-link tokens stay out of its access log
(issue #19, Low 13)."""

from __future__ import annotations

import time

import pytest
import requests

from tests.integration.make_run_server import gunicorn_as_make_run
from tests.integration.test_concurrency import init_db, server_env

pytestmark = pytest.mark.slow

@pytest.fixture
def server(tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'kith.sqlite3'}", tmp_path)
    init_db(env)
    with gunicorn_as_make_run(env, tmp_path) as (process, base_url):
        yield base_url, tmp_path


def _log(tmp_path) -> str:
    return "\n".join(p.read_text() for p in tmp_path.glob("gunicorn-*.log"))


def test_private_link_tokens_are_not_in_the_access_log(server):
    base_url, tmp_path = server
    token = "TopSecretEditToken1234567890"
    requests.get(f"{base_url}/groups/edit/{token}", timeout=10)
    requests.get(f"{base_url}/groups/edit/{token}/download", timeout=10,
                 headers={"Referer": f"{base_url}/groups/edit/{token}"})
    requests.get(f"{base_url}/register", timeout=10)
    deadline = time.monotonic() + 5
    while "/register" not in _log(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    log = _log(tmp_path)
    assert "/groups/edit/[redacted]" in log
    assert token not in log
