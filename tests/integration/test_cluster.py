"""The multi-node layout (scripts/cluster.sh): nginx in front of two app nodes on 127.0.0.2 and
127.0.0.3, sharing PostgreSQL and Redis, with a task worker beside each node.

Skipped without nginx (`.ci/run` installs it), PostgreSQL on 127.0.0.1:5432 or Redis on
127.0.0.1:6379. The cluster gets a database, Redis database and directory of its own.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

pytestmark = [pytest.mark.slow, pytest.mark.no_db_rollback]

ROOT = Path(__file__).resolve().parent.parent.parent
NODES = ("127.0.0.2", "127.0.0.3")
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS_DB = 5
HOME = {"name": "Bryn Awel", "postcode": "LL55 4UR", "residents": 30,
        "interests": ["male voice choirs", "Welsh hymns"],
        "languages": [{"language": "Welsh", "residents": 20}],
        "visiting_status": "open", "search_radius_km": 20}


def group(name: str) -> dict:
    return {"name": name, "kind": "choir", "description": "A male voice choir singing hymns.",
            "interests": ["male voice choir", "hymns"], "languages": ["Welsh"],
            "postcode": "LL55 4EL", "travel_radius_km": 20, "capacity_per_month": 2,
            "offers_remote": False, "consent": True,
            "contact": {"name": "Dafydd Example", "email": "dafydd@example.org",
                        "phone": "01632 960001"}}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.skip("nginx is not installed (apt-get install nginx); the cluster test needs it")
    if not (_reachable("127.0.0.1", 5432) and _reachable("127.0.0.1", 6379)):
        pytest.skip("the cluster test needs PostgreSQL on 127.0.0.1:5432 and Redis on :6379")
    from sqlalchemy import create_engine, text

    database = f"kith_cluster_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    directory = tmp_path_factory.mktemp("cluster")
    port = _free_port("127.0.0.1")
    node_port = max(_free_port(n) for n in NODES)
    env = {**os.environ,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/sbin{os.pathsep}"
                   f"{os.environ['PATH']}",
           "VENV": "no-such-venv", "CLUSTER_DIR": str(directory), "CLUSTER_PORT": str(port),
           "NODE_PORT": str(node_port), "NODE_WORKERS": "1",
           "DATABASE_URL": f"{PG}/{database}",
           "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
           "RATELIMIT_KEY_PREFIX": f"cluster-{uuid.uuid4().hex[:8]}",
           "RATELIMIT_GEOCODE": "6 per minute", "RANKING_CHECK_SECONDS": "0.2",
           "SECRET_KEY": "cluster-test-secret", "MAIL_SERVER": "",
           "POSTCODE_INDEX_PATH": os.environ.get("KITH_POSTCODE_INDEX", "")}
    for variable in ("TEST_DATABASE_URL", "TASKS_IMMEDIATE", "TASKS_URL", "FLASK_DEBUG"):
        env.pop(variable, None)
    if not env["POSTCODE_INDEX_PATH"]:
        env.pop("POSTCODE_INDEX_PATH")
    import redis
    redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
    script = str(ROOT / "scripts" / "cluster.sh")
    try:
        up = subprocess.run(["bash", script, "up"], env=env, capture_output=True, text=True,
                            timeout=300)
        assert up.returncode == 0, up.stdout + up.stderr
        made = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "create-user",
                               "coordinator@example.org", "--role", "coordinator",
                               "--nation", "wales"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120, check=True)
        token = made.stdout.strip().split()[-1]
        yield {"env": env, "script": script, "dir": directory, "proxy": f"http://127.0.0.1:{port}",
               "nodes": [f"http://{n}:{node_port}" for n in NODES],
               "headers": {"Authorization": f"Bearer {token}"}, "database": f"{PG}/{database}"}
    finally:
        subprocess.run(["bash", script, "down"], env=env, capture_output=True, timeout=120)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def test_status_names_every_process(cluster):
    done = subprocess.run(["bash", cluster["script"], "status"], env=cluster["env"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout
    for name in ("nginx", "node-127.0.0.2", "node-127.0.0.3", "worker-127.0.0.2",
                 "worker-127.0.0.3"):
        assert f"{name}: running" in done.stdout


def test_a_partner_added_on_one_node_is_suggested_by_the_other_within_two_seconds(cluster):
    a, b = cluster["nodes"]
    headers = cluster["headers"]
    home = requests.post(f"{a}/api/v1/care-homes", json=HOME, headers=headers, timeout=30)
    assert home.status_code == 201, home.text
    home_id = home.json()["id"]
    # Both nodes have answered once, so each holds a fitted ranker to keep fresh.
    for node in (a, b):
        assert requests.get(f"{node}/api/v1/care-homes/{home_id}/matches", headers=headers,
                            timeout=30).status_code == 200
    added = requests.post(f"{a}/api/v1/groups", json=group("Côr Meibion Llanberis"),
                          headers=headers, timeout=30)
    assert added.status_code == 201, added.text
    group_id, started = added.json()["id"], time.monotonic()
    seen = False
    while time.monotonic() - started < 2.0 and not seen:
        answer = requests.get(f"{b}/api/v1/care-homes/{home_id}/matches", headers=headers,
                              timeout=30).json()
        seen = any(m["group"]["id"] == group_id for m in answer["matches"])
        if not seen:
            time.sleep(0.1)
    assert seen, "the other node did not suggest the new partner within 2 seconds"


def test_rate_limits_count_across_nodes(cluster):
    url = "/api/v1/geocode?postcode=LL55+1DB"
    statuses = [requests.get(cluster["nodes"][i % 2] + url, timeout=30).status_code
                for i in range(7)]
    assert statuses[:6] == [200] * 6 and statuses[6] == 429  # 6 per minute, shared


def test_reminders_and_digests_are_sent_once_not_once_per_node(cluster):
    """Each node's worker runs the periodic tasks; two runs at once still mail once."""
    from sqlalchemy import create_engine, text

    # A registration waiting for its coordinator, through the one write path.
    made = subprocess.run([sys.executable, "-c", (
        "import json, sys\n"
        "from wsgi import app\n"
        "from matcher.extensions import db\n"
        "from matcher.runtime import postcode_index\n"
        "from matcher.schemas import GroupInputSchema\n"
        "from matcher.services import records\n"
        "from matcher.services.audit import SYSTEM\n"
        "with app.app_context():\n"
        "    data = GroupInputSchema().load(json.loads(sys.argv[1]))\n"
        "    records.create_group(db.session, postcode_index(app), data, SYSTEM,\n"
        "                         status='pending', source='api', privacy_notice_version='1')\n"
        "    db.session.commit()\n"), json.dumps(group("Waiting Choir"))],
        cwd=ROOT, env=cluster["env"], capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    engine = create_engine(cluster["database"])

    def run_digest(_):
        return subprocess.run([sys.executable, "-c", (
            "from wsgi import app\n"
            "from matcher.tasks import queue_digests\n"
            "with app.app_context():\n"
            "    print(queue_digests())\n")], cwd=ROOT, env=cluster["env"],
            capture_output=True, text=True, timeout=120)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(run_digest, range(2)))
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    with engine.connect() as conn:
        digests = conn.execute(text(
            "SELECT count(*) FROM outbox_messages WHERE template = 'coordinator_digest' "
            "AND to_email = 'coordinator@example.org'")).scalar_one()
    engine.dispose()
    assert digests == 1


def test_visit_reminders_run_on_both_nodes_at_once_are_sent_once(cluster):
    import datetime as dt

    from sqlalchemy import create_engine, text

    a, b = cluster["nodes"]
    headers = cluster["headers"]
    home = requests.post(f"{a}/api/v1/care-homes", json={**HOME, "name": "Plas Reminder"},
                         headers=headers, timeout=30).json()["id"]
    group_id = requests.post(f"{b}/api/v1/groups", json=group("Côr y Nodyn Atgoffa"),
                             headers=headers, timeout=30).json()["id"]
    intro = requests.post(f"{a}/api/v1/introductions", json={
        "care_home_id": home, "group_id": group_id}, headers=headers, timeout=30).json()
    for status in ("requested", "introduced"):
        moved = requests.patch(f"{b}/api/v1/introductions/{intro['id']}",
                               json={"status": status}, headers=headers, timeout=30)
        assert moved.status_code == 200, moved.text
    start = dt.datetime.combine(dt.date.today() + dt.timedelta(days=3), dt.time(10, 0))
    planned = requests.post(f"{a}/api/v1/introductions/{intro['id']}/visits", json={
        "starts_at": start.isoformat(), "duration_minutes": 60, "mode": "in_person"},
        headers=headers, timeout=30)
    assert planned.status_code == 201, planned.text

    def send_reminders(_):
        return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi",
                               "send-reminders"], cwd=ROOT, env=cluster["env"],
                              capture_output=True, text=True, timeout=120)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # one per node, at once
        runs = list(pool.map(send_reminders, range(2)))
    runs.append(send_reminders(0))  # and again later
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    engine = create_engine(cluster["database"])
    with engine.connect() as conn:
        reminders = conn.execute(text(
            "SELECT count(*) FROM outbox_messages WHERE template = 'visit_reminder' "
            "AND to_email = 'dafydd@example.org' AND event_key LIKE :key"),
            {"key": f"%:{planned.json()['id']}:%"}).scalar_one()
    engine.dispose()
    assert reminders == 1


def test_a_node_killed_under_load_loses_no_accepted_write_and_is_routed_around(cluster):
    from sqlalchemy import create_engine, text

    proxy, headers = cluster["proxy"], cluster["headers"]
    names = [f"Load Choir {i:03d}" for i in range(60)]

    def register(name):
        try:
            r = requests.post(f"{proxy}/api/v1/groups", json=group(name), headers=headers,
                              timeout=30)
            return name, r.status_code, (r.json().get("id") if r.status_code == 201 else None)
        except requests.RequestException:
            return name, None, None

    pid_file = cluster["dir"] / "node-127.0.0.2.pid"
    victim = int(pid_file.read_text().strip())
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(register, n) for n in names[:30]]
        time.sleep(0.3)
        _kill_tree(victim)
        futures += [pool.submit(register, n) for n in names[30:]]
        results = [f.result() for f in futures]
    accepted = {name: gid for name, status, gid in results if status == 201}
    engine = create_engine(cluster["database"])
    with engine.connect() as conn:
        stored = dict(conn.execute(text(
            "SELECT name, id FROM community_groups WHERE name LIKE 'Load Choir %'")).all())
    engine.dispose()
    assert accepted and all(stored.get(name) == gid for name, gid in accepted.items())
    # The proxy routes around the dead node: the later requests all succeed.
    assert all(status == 201 for _, status, _ in results[45:]), results[45:]
    assert requests.get(f"{proxy}/api/v1/geocode?postcode=LL55+4EL",
                        timeout=30).status_code in (200, 429)


def _kill_tree(pid: int) -> None:
    """SIGKILL a gunicorn master and its workers (the node dies as a machine would)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    for child in [int(c) for c in children.split()] + [pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
