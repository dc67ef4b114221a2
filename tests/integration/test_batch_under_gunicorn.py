"""Match lists and allocations under gunicorn, as ``make run`` serves them (issue #19, High 1).

With 50 or more homes in scope the batch ranker used to fork a process pool inside the web
worker; now and then a child deadlocked, the request hung until gunicorn's timeout and the
pool's processes were left behind holding memory. This test starts gunicorn exactly as
``scripts/run.sh`` does (``gunicorn.conf.py``: preloaded, two workers) on the demo network
with three homes added (50 in all), calls every batch endpoint repeatedly and concurrently,
and checks that each answers in time, that no worker ever starts a process of its own, and
that nothing is left once gunicorn stops.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT
from tests.integration.make_run_server import gunicorn_as_make_run
from tests.integration.test_concurrency import (  # noqa: F401  (fixtures used below)
    init_db,
    postgresql_url,
    private_cluster,
    server_env,
)

pytestmark = pytest.mark.slow

ROUNDS = 4          # each endpoint, per round
CONCURRENCY = 6     # requests in flight at once (three times the workers)
TIMEOUT_S = 25      # under gunicorn's 30 s: a hang shows as a timeout, not a 500
PASSWORD = "a long enough passphrase"


def _flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=env, check=True, capture_output=True, text=True, timeout=300)
    return done.stdout


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(p) for p in text.split()}


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie holds no memory and no port


@pytest.fixture
def served(tmp_path, request):
    """The demo network plus three homes, served by gunicorn; yields (process, url, token)."""
    url = request.getfixturevalue("postgresql_url") if _on_postgresql() else (
        f"sqlite:///{tmp_path / 'kith.sqlite3'}")
    env = server_env(url, tmp_path)
    init_db(env)
    _flask(env, "seed-demo")
    token = _flask(env, "create-user", "batch-admin@example.org", "--role", "admin",
                   "--password", PASSWORD).split()[-1]
    with gunicorn_as_make_run(env, tmp_path) as (process, base_url):
        headers = {"Authorization": f"Bearer {token}"}
        for name, postcode in (("Added Home One", "LL55 1AB"), ("Added Home Two", "CF10 1EP"),
                               ("Added Home Three", "EH1 1YZ")):
            answer = requests.post(f"{base_url}/api/v1/care-homes", headers=headers,
                                   json={"name": name, "postcode": postcode, "residents": 30,
                                         "interests": ["singing", "gardening"]}, timeout=30)
            assert answer.status_code == 201, answer.text
        yield process, base_url, headers


def _signed_in(base_url: str) -> requests.Session:
    """A browser session signed in as the admin (CSRF token read from the form)."""
    browser = requests.Session()
    form = browser.get(f"{base_url}/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    answer = browser.post(f"{base_url}/login", timeout=30, allow_redirects=False,
                          data={"csrf_token": token, "email": "batch-admin@example.org",
                                "password": PASSWORD})
    assert answer.status_code == 303, answer.text[:500]
    return browser


def _on_postgresql() -> bool:
    return (os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
            or "").startswith("postgres")


def test_batch_endpoints_answer_without_forking_or_leaving_processes(served):
    process, base_url, headers = served
    homes = requests.get(f"{base_url}/api/v1/care-homes?page_size=100", headers=headers,
                         timeout=30)
    assert homes.status_code == 200
    assert len(homes.json()) >= 50  # the size at which the old code forked a pool

    calls = [
        ("POST", "/api/v1/allocations", {"per_home": 2}),
        ("GET", "/api/v1/match-lists?format=json", None),
        ("GET", "/api/v1/match-lists?format=csv", None),
        ("PAGE", "/coordinator/match-list.csv", None),
    ] * ROUNDS
    browser = _signed_in(base_url)

    workers = _children(process.pid)
    assert len(workers) == 2
    seen: set[int] = set(workers)
    forked: set[int] = set()
    stop = threading.Event()

    def watch() -> None:
        # Any process a worker starts (a pool's child) is what hung and leaked before.
        while not stop.is_set():
            for worker in _children(process.pid):
                seen.add(worker)
                for child in _children(worker):
                    forked.add(child)
                    seen.add(child)
            time.sleep(0.02)

    def call(spec):
        method, path, body = spec
        started = time.monotonic()
        try:
            if method == "PAGE":  # the dashboard's download, with the sign-in cookie
                answer = browser.get(base_url + path, timeout=TIMEOUT_S, allow_redirects=False)
            else:
                answer = requests.request(method, base_url + path, headers=headers, json=body,
                                          timeout=TIMEOUT_S)
        except requests.Timeout:
            return path, "timeout", time.monotonic() - started, ""
        return path, answer.status_code, time.monotonic() - started, answer.text[:300]

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            results = list(pool.map(call, calls))
    finally:
        stop.set()
        watcher.join()

    failed = [r for r in results if r[1] not in (200, 201)]
    assert not failed, failed
    csv_answers = [r for r in results if "csv" in r[0]]
    assert len(csv_answers) == 2 * ROUNDS
    assert all("care_home_id" in r[3] for r in csv_answers), csv_answers[:2]
    assert not forked, f"a web worker started processes {sorted(forked)}"

    process.terminate()
    process.wait(timeout=30)
    left = [pid for pid in seen if _alive(pid)]
    assert not left, f"processes left behind after gunicorn stopped: {left}"
