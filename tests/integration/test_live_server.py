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


def test_slow_clients_cannot_take_the_site_down(server):
    """More slow connections than gunicorn has worker processes (two, as `make run` starts
    it), each trickling an unfinished request, while a visitor asks for a page: it answers
    at once (threads, not whole workers, wait on the slow clients; #19 Medium 5)."""
    import socket

    base_url, _ = server
    host, port = base_url.removeprefix("http://").split(":")
    slow = []
    try:
        for _ in range(4):
            conn = socket.create_connection((host, int(port)), timeout=5)
            conn.sendall(b"GET /register HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            slow.append(conn)
        time.sleep(0.5)  # let the server pick them up
        started = time.monotonic()
        answer = requests.get(f"{base_url}/register", timeout=10)
        assert answer.status_code == 200
        assert time.monotonic() - started < 5
        for conn in slow:  # still trickling, still connected
            conn.sendall(b"x")
    finally:
        for conn in slow:
            conn.close()
