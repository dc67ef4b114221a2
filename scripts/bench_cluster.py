"""Requests per second of the match endpoint through nginx: two app nodes against one.

    python scripts/bench_cluster.py --seconds 15 --clients 8

Starts the multi-node layout of ``scripts/cluster.sh`` twice on a scratch PostgreSQL database
(the demo network loaded), first with one node and then with two, and drives
``GET /api/v1/care-homes/<id>/matches`` through nginx with ``--clients`` threads for
``--seconds`` each, over every demo home in turn. Prints requests per second, p50 and p95
latency and the share of errors for both, measured in the same run. Needs nginx, PostgreSQL on
127.0.0.1:5432 and Redis on 127.0.0.1:6379. Rate limits are off for the run.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _environment(database: str, directory: Path, nodes: str) -> dict:
    env = {**os.environ,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/sbin{os.pathsep}"
                   f"{os.environ['PATH']}",
           "VENV": "no-such-venv", "CLUSTER_DIR": str(directory),
           "CLUSTER_PORT": str(_free_port("127.0.0.1")), "NODES": nodes,
           "NODE_PORT": str(max(_free_port(n) for n in nodes.split())),
           "DATABASE_URL": f"{PG}/{database}", "REDIS_URL": "redis://127.0.0.1:6379/6",
           "RATELIMIT_ENABLED": "false", "SECRET_KEY": "bench-cluster-not-secret"}
    for variable in ("TEST_DATABASE_URL", "TASKS_IMMEDIATE", "TASKS_URL"):
        env.pop(variable, None)
    return env


def _flask(env: dict, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=env, check=True, capture_output=True, text=True,
                          timeout=600).stdout


def drive(base: str, token: str, homes: list[int], seconds: float, clients: int) -> dict:
    """Send match requests from ``clients`` threads for ``seconds``; latency and throughput."""
    deadline = time.monotonic() + seconds

    def client(offset: int) -> tuple[list[float], int]:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        latencies, errors, i = [], 0, offset
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                ok = session.get(f"{base}/api/v1/care-homes/{homes[i % len(homes)]}/matches",
                                 timeout=30).status_code == 200
            except requests.RequestException:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += not ok
            i += clients
        return latencies, errors

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(client, range(clients)))
    elapsed = time.monotonic() - started
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = sum(e for _, e in results)
    return {"requests": len(latencies), "rps": len(latencies) / elapsed,
            "p50_ms": 1000 * statistics.median(latencies),
            "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
            "errors": errors / max(1, len(latencies))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    database = f"kith_bench_cluster_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    script = str(ROOT / "scripts" / "cluster.sh")
    rows = []
    try:
        for label, nodes in (("one node", "127.0.0.2"), ("two nodes", "127.0.0.2 127.0.0.3")):
            with tempfile.TemporaryDirectory() as directory:
                env = _environment(database, Path(directory), nodes)
                if not rows:
                    _flask(env, "init-db")
                    _flask(env, "seed-demo")
                subprocess.run(["bash", script, "up"], env=env, check=True,
                               capture_output=True, timeout=600)
                try:
                    token = _flask(env, "create-user", f"bench-{uuid.uuid4().hex[:6]}@example.org",
                                   "--role", "admin").split()[-1]
                    engine = create_engine(env["DATABASE_URL"])
                    with engine.connect() as conn:
                        homes = list(conn.scalars(text("SELECT id FROM care_homes ORDER BY id")))
                    engine.dispose()
                    base = f"http://127.0.0.1:{env['CLUSTER_PORT']}"
                    drive(base, token, homes, 2.0, args.clients)  # warm every worker
                    rows.append((label, drive(base, token, homes, args.seconds, args.clients)))
                finally:
                    subprocess.run(["bash", script, "down"], env=env, capture_output=True,
                                   timeout=120)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()

    print(f"GET /api/v1/care-homes/<id>/matches through nginx, {args.clients} clients, "
          f"{args.seconds:g} s each, {os.cpu_count()} CPU cores on this machine")
    print(f"{'layout':<10} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
    for label, r in rows:
        print(f"{label:<10} {r['requests']:>9} {r['rps']:>8.1f} {r['p50_ms']:>8.1f} "
              f"{r['p95_ms']:>8.1f} {r['errors']:>7.1%}")
    if len(rows) == 2 and rows[0][1]["rps"]:
        print(f"two nodes / one node: {rows[1][1]['rps'] / rows[0][1]['rps']:.2f}x")


if __name__ == "__main__":
    main()
