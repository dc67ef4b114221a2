"""Kith at UK scale: one table of figures, each beside a baseline measured in the same run.

    python scripts/bench.py --sizes 1e5,1e6 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1/kith_bench
    python scripts/bench.py --quick            # CI smoke run: tiny sizes, SQLite, ~30 s

For each size (number of partners, with --homes care homes) the script fills the database
with ``generate_network.py`` (unless it already holds exactly that synthetic network), then:

* in-process (its own subprocess): refits the ranker from the database, times one home's
  top-20 over random homes against PostGIS ``ST_DWithin`` with SQL scoring (PostgreSQL with
  PostGIS) or a bounding-box SQL query with per-row scoring in Python (otherwise), the all-UK
  batch (every home, ``Ranker.rank_many`` on both cores) against a one-home-at-a-time loop
  over a sample, extrapolated; the batch through the matching service; saving and loading the
  fitted index; and geocoding lookups against parsing alone;
* under gunicorn (2 workers, on loopback): the time until a new server answers its first
  match request when it must refit from the database, then again with the index the first
  server saved (memory-mapped); requests per second and p50/p99 latency of the match
  endpoint against a trivial endpoint (``GET /api/v1/geocode?postcode=SW1A1AA``: no token, no
  database, one index lookup), of an authenticated record read, and of geocoding random
  postcodes against the app's 404 response (routing and error handler only); and each
  worker's peak resident memory (VmHWM from /proc) and proportional share (Pss).

The load generator is wrk when installed (bounded by time), else a Python client with
keep-alive threads (bounded by count and time). Anything that cannot be measured is reported
as "not measured: <reason>" instead of stopping the run. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _benchlib  # noqa: E402
import numpy as np  # noqa: E402
from _benchlib import ROOT, MiB, percentile_ms  # noqa: E402

TITLE = "Kith benchmark"
HEADER = ("size", "measure", "figure", "baseline (same run)", "baseline", "target", "met")
TARGETS = {
    "rank_p50_ms": 5.0,            # one home's top-20 p50 at 1e6 partners
    "match_vs_trivial": 0.60,      # match endpoint rate / trivial endpoint rate at 1e5
    "match_rps_1e6": 300.0,        # match endpoint requests per second at 1e6
    "batch_s": 10.0,               # all-UK batch
    "worker_rss_mib": 1024.0,      # resident memory per worker at 1e6
    "ready_s": 5.0,                # worker ready at 1e6
}
MILLION = 1_000_000


# ------------------------------------------------------------------------------ helpers
def _parse_size(text: str) -> int:
    return int(float(text))


def _fmt_size(n: int) -> str:
    if n >= 1000 and n % 1000 == 0:
        exponent = len(str(n)) - 1
        if n == 10**exponent:
            return f"1e{exponent}"
    return f"{n:,}"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _not_measured(reason: str) -> dict:
    return {"not_measured": reason}


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0][:160]


def _pg_admin_url(url: str) -> str:
    """A libpq URL (for psycopg) from a SQLAlchemy one."""
    return re.sub(r"^postgresql\+psycopg://", "postgresql://", _benchlib.normalise_url(url))


def _is_pg(url: str) -> bool:
    return _benchlib.normalise_url(url).startswith("postgresql")


def _synthetic_counts(url: str, seed: int) -> tuple[int, int] | None:
    """(homes, partners) with this seed's synthetic keys, or None when there is no schema."""
    from sqlalchemy import create_engine, text

    engine = create_engine(_benchlib.normalise_url(url))
    try:
        with engine.connect() as conn:
            counts = []
            for table, letter in (("care_homes", "h"), ("community_groups", "p")):
                counts.append(int(conn.execute(text(
                    f"SELECT count(*) FROM {table} WHERE external_key LIKE :p"),  # noqa: S608
                    {"p": f"synthetic:s{seed}:{letter}%"}).scalar()))
                total = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar())
                if total != counts[-1]:
                    return None  # other rows too: regenerate for a clean comparison
            return counts[0], counts[1]
    except Exception:  # noqa: BLE001 - no database or no schema yet
        return None
    finally:
        engine.dispose()


def _other_rows(url: str) -> int:
    """Homes and groups that are not synthetic (0 when there is no schema yet)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(_benchlib.normalise_url(url))
    try:
        with engine.connect() as conn:
            return sum(int(conn.execute(text(
                f"SELECT count(*) FROM {table} WHERE external_key IS NULL "  # noqa: S608
                "OR external_key NOT LIKE 'synthetic:%'")).scalar())
                for table in ("care_homes", "community_groups"))
    except Exception:  # noqa: BLE001 - no schema yet
        return 0
    finally:
        engine.dispose()


def _ensure_pg_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist."""
    import psycopg
    from sqlalchemy.engine import make_url

    target = make_url(_benchlib.normalise_url(url))
    admin = target.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(_pg_admin_url(admin), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              (target.database,)).fetchone()
        if not exists:
            _say(f"Creating database {target.database}")
            conn.execute(f'CREATE DATABASE "{target.database}"')


def _generate(url: str, homes: int, partners: int, seed: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_network.py"), "--database-url", url,
         "--homes", str(homes), "--partners", str(partners), "--seed", str(seed), "--replace"],
        check=True, cwd=ROOT, stdout=sys.stderr)
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _proc_status(pid: int) -> dict[str, int]:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) * 1024
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    out["Pss"] = int(line.split()[1]) * 1024
    except OSError:
        pass
    return out


# ------------------------------------------------------------------ in-process phase
def inprocess_phase(args) -> dict:
    """Runs in its own process, so that its memory figures (RSS after the fit) are its own."""
    from sqlalchemy import select

    from matcher.domain.postcodes import parse_postcode
    from matcher.extensions import db
    from matcher.models import CareHome
    from matcher.services import matching

    out: dict = {}
    app = _benchlib.make_app(args.database_url)
    rng = random.Random(args.seed)
    with app.app_context():
        session = db.session
        rss0 = _benchlib.rss_bytes()
        cache = matching.RankerCache(weights=app.config["RANKING_WEIGHTS"])
        t0 = time.perf_counter()
        ranker = cache.ranker(session)
        out["refit_s"] = time.perf_counter() - t0
        out["partners_indexed"] = int(ranker.n_partners_)
        out["rss_after_fit_mib"] = (_benchlib.rss_bytes() - rss0) / MiB
        t0 = time.perf_counter()
        home_rows = list(session.scalars(select(CareHome).order_by(CareHome.id)))
        homes = [matching.home_for(h) for h in home_rows]
        out["homes"] = len(homes)
        out["load_homes_s"] = time.perf_counter() - t0

        # one home's top-20
        sample = rng.sample(homes, min(args.queries, len(homes)))
        out["sample_home_ids"] = [h.id for h in sample]
        for home in sample[:5]:
            ranker.rank(home, k=20)
        times, cpu, found = [], [], []
        for home in sample:
            t, c = time.perf_counter(), time.thread_time()
            found.append(len(ranker.rank(home, k=20)))
            cpu.append(time.thread_time() - c)
            times.append(time.perf_counter() - t)
        # CPU time beside wall time: on a shared machine the wall clock includes waiting for a core
        out["rank"] = {"p50_ms": percentile_ms(times, 50), "p95_ms": percentile_ms(times, 95),
                       "cpu_p50_ms": percentile_ms(cpu, 50), "n": len(times),
                       "mean_matches": float(np.mean(found))}
        out["rank_baseline"] = _rank_baseline(args, session, ranker, sample)

        # persistence, then the batches from the saved, memory-mapped index, as a worker
        # started from it runs them (forking from a process that holds little)
        index_tmp = tempfile.TemporaryDirectory(prefix="kith-bench-index-")
        index_path = Path(index_tmp.name) / "index"
        t0 = time.perf_counter()
        ranker.save(index_path)
        out["save_s"] = time.perf_counter() - t0
        out["index_mib"] = sum(f.stat().st_size for f in index_path.iterdir()) / MiB
        from matcher.domain.ranking import Ranker

        t0 = time.perf_counter()
        loaded = Ranker.load(index_path)
        out["load_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        loaded.rank(sample[0], k=20)
        out["first_query_after_load_s"] = time.perf_counter() - t0
        cache._ranker = ranker = loaded
        gc.collect()

        # all-UK batch
        t0 = time.perf_counter()
        ranked = ranker.rank_many(homes, k=20, n_jobs=2)
        out["batch"] = {"seconds": time.perf_counter() - t0, "homes": len(ranked),
                        "matches": sum(len(v) for v in ranked.values())}
        loop_sample = sample[:min(len(sample), args.batch_sample)]
        from matcher.domain.ranking.batch import no_gc

        # The same footing as the batch's workers: the collector paused, the index's pages
        # and the homes' words not yet seen by this process.
        with no_gc():
            t0, c0 = time.perf_counter(), time.thread_time()
            for home in loop_sample:
                ranker.rank(home, k=20)
            loop_s, loop_cpu = time.perf_counter() - t0, time.thread_time() - c0
        scale = len(homes) / max(len(loop_sample), 1)
        out["batch_baseline"] = {"sample": len(loop_sample), "seconds": loop_s,
                                 "extrapolated_s": loop_s * scale,
                                 "extrapolated_cpu_s": loop_cpu * scale}
        # The match list twice: as the CLI builds it (two processes) and as the API answers
        # it (in the web worker's own process: a request never forks, issue #19).
        for key, jobs in (("service_batch", 2), ("service_batch_web", 1)):
            try:
                t0 = time.perf_counter()
                listed = matching.batch_matches(session, cache, home_rows, per_home=5,
                                                n_jobs=jobs)
                out[key] = {"seconds": time.perf_counter() - t0, "homes": len(listed)}
            except Exception as exc:  # noqa: BLE001
                out[key] = _not_measured(_short(exc))

        # the endpoints in-process (Flask test client: no HTTP server, no other load)
        try:
            app.extensions["kith.rankers"] = cache  # the app's per-worker cache, already fitted
            out["endpoints"] = _endpoint_costs(app, sample, args)
        except Exception as exc:  # noqa: BLE001
            session.rollback()
            out["endpoints"] = _not_measured(_short(exc))

        index_tmp.cleanup()

        # geocoding in-process
        index = _app_index(app)
        queries = _postcode_queries(index, args.geocode_queries, args.seed)
        out["postcodes"] = queries[:2000]
        t0 = time.perf_counter()
        for text in queries:
            index.lookup(text)
        single = time.perf_counter() - t0
        t0 = time.perf_counter()
        index.lookup_many(queries)
        bulk = time.perf_counter() - t0
        t0 = time.perf_counter()
        for text in queries:
            parse_postcode(text)
        parse = time.perf_counter() - t0
        out["geocode"] = {"single_per_s": len(queries) / single,
                          "bulk_per_s": len(queries) / bulk,
                          "parse_only_per_s": len(queries) / parse, "n": len(queries)}
        db.engine.dispose()
    return out


def _endpoint_costs(app, sample, args) -> dict:
    """p50 of the match endpoint, a record read and the trivial endpoint via the test client.

    The app's ranker cache is the one already fitted, so the figures are per request.
    """
    from matcher.extensions import db
    from matcher.services import accounts

    user = accounts.create_user(db.session, f"bench-inproc-{time.time_ns()}@example.org",
                                "admin")
    headers = {"Authorization": f"Bearer {accounts.issue_token(db.session, user, 1)}"}
    db.session.commit()
    client = app.test_client()
    ids = [h.id for h in sample[:args.endpoint_queries]]
    paths = {
        "match": [f"/api/v1/care-homes/{i}/matches?limit=20" for i in ids],
        "record": [f"/api/v1/care-homes/{i}" for i in ids],
        "trivial": ["/api/v1/geocode?postcode=SW1A1AA"] * len(ids),
    }
    client.get(paths["match"][0], headers=headers)
    out = {}
    for name, urls in paths.items():
        for url in urls[:3]:
            client.get(url, headers=headers)
        times = []
        for url in urls:
            t = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append(time.perf_counter() - t)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
        out[name] = {"p50_ms": percentile_ms(times, 50), "p95_ms": percentile_ms(times, 95),
                     "n": len(times)}
    return out


def _app_index(app):
    from matcher.runtime import postcode_index

    return postcode_index(app)


def _postcode_queries(index, count: int, seed: int) -> list[str]:
    arrays = _benchlib.postcode_arrays(index)
    rng = np.random.default_rng(seed)
    keys = arrays["key"][rng.choice(len(arrays["key"]), size=count, replace=False)]
    texts = _benchlib.postcode_text(keys)
    # a mix of the spellings people type
    return [t.lower().replace(" ", "") if i % 3 == 0 else t for i, t in enumerate(texts)]


def _rank_baseline(args, session, ranker, sample) -> dict:
    """PostGIS with SQL scoring when available, else a bounding-box query scored in Python."""
    n = min(len(sample), args.baseline_queries)
    if session.get_bind().dialect.name == "postgresql":
        try:
            return _postgis_baseline(session, sample[:n])
        except Exception as exc:  # noqa: BLE001 - fall back to the bounding-box baseline
            session.rollback()
            reason = _short(exc)
            _say(f"PostGIS baseline unavailable ({reason}); using a bounding-box query")
    else:
        reason = "SQLite database"
    try:
        import bench_ranking

        t0 = time.perf_counter()
        baseline = bench_ranking.SqliteBaseline(ranker)
        build_s = time.perf_counter() - t0
        times = []
        for home in sample[:n]:
            t = time.perf_counter()
            baseline.rank(home, k=20)
            times.append(time.perf_counter() - t)
        return {"label": "bounding-box SQL (lat/lon index), rows scored in Python",
                "p50_ms": percentile_ms(times, 50), "p95_ms": percentile_ms(times, 95),
                "n": len(times), "build_s": build_s, "why_not_postgis": reason}
    except Exception as exc:  # noqa: BLE001
        return _not_measured(f"bounding-box baseline failed: {_short(exc)}")


_POSTGIS_SETUP = """
CREATE EXTENSION IF NOT EXISTS postgis;
DROP TABLE IF EXISTS bench_partner_geo;
CREATE TABLE bench_partner_geo AS
SELECT id, name, kind, travel_radius_km, capacity_per_month,
       geography(ST_SetSRID(ST_MakePoint(lon, lat), 4326)) AS geog,
       ARRAY(SELECT lower(x) FROM json_array_elements_text(interests) AS x) AS interests,
       ARRAY(SELECT l ->> 'tag' FROM json_array_elements(languages) AS l) AS langs,
       CASE WHEN availability IS NULL OR json_typeof(availability) <> 'array' THEN NULL
            ELSE ARRAY(SELECT json_array_elements_text(availability)) END AS slots
FROM community_groups WHERE status = 'approved';
CREATE INDEX bench_partner_geo_gist ON bench_partner_geo USING gist (geog);
ANALYZE bench_partner_geo;
"""

# Distance decay to 0 at the nearer radius, exact-word interest overlap (cosine of sets),
# language share of residents, availability overlap, capacity known: the same components as
# the ranker, simplified (no TF-IDF, no taxonomy), all in SQL.
_POSTGIS_QUERY = """
WITH h AS (SELECT geography(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)) AS g)
SELECT p.id, (
    %(wd)s * (1 - d.km / LEAST(%(radius)s, p.travel_radius_km))
  + %(wi)s * COALESCE(cardinality(ARRAY(SELECT unnest(p.interests)
                                         INTERSECT SELECT unnest(%(interests)s::text[])))
                      / sqrt(GREATEST(cardinality(p.interests), 1) * %(n_interests)s), 0)
  + %(wl)s * LEAST(1, (SELECT COALESCE(sum(s.share), 0)
                       FROM unnest(%(tags)s::text[], %(shares)s::float8[]) AS s(tag, share)
                       WHERE s.tag = ANY (p.langs)))
  + %(wa)s * CASE WHEN p.slots IS NULL OR %(slots)s::text[] IS NULL THEN 0.5
                  ELSE cardinality(ARRAY(SELECT unnest(p.slots)
                                         INTERSECT SELECT unnest(%(slots)s::text[])))::float8
                       / GREATEST(LEAST(cardinality(p.slots), %(n_slots)s), 1) END
  + %(wc)s * CASE WHEN p.capacity_per_month IS NULL THEN 0.5 ELSE 1 END
  ) / %(wsum)s AS score, d.km
FROM bench_partner_geo p CROSS JOIN h,
     LATERAL (SELECT ST_Distance(p.geog, h.g, false) / 1000.0 AS km) d
WHERE ST_DWithin(p.geog, h.g, %(radius)s * 1000.0, false) AND d.km <= p.travel_radius_km
ORDER BY score DESC, d.km LIMIT 20
"""


def _postgis_baseline(session, homes) -> dict:
    from matcher.domain.languages import is_english

    conn = session.connection().connection.driver_connection
    conn.commit()
    t0 = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute(_POSTGIS_SETUP)
    conn.commit()
    build_s = time.perf_counter() - t0
    with conn.cursor() as cur:
        cur.execute("SELECT postgis_lib_version()")
        version = cur.fetchone()[0]
    weights = {"wd": 0.35, "wi": 0.35, "wl": 0.2, "wa": 0.05, "wc": 0.05}
    times = []
    with conn.cursor() as cur:
        for home in homes:
            langs = [(t, c) for t, c in home.language_counts() if c and not is_english(t)]
            total = sum(c for _, c in langs) or 1
            interests = sorted({i.lower() for i in home.interests})
            slots = sorted(home.availability) if home.availability else None
            params = {
                "lat": home.lat, "lon": home.lon, "radius": float(home.search_radius_km),
                "interests": interests, "n_interests": max(len(interests), 1),
                "tags": [t for t, _ in langs], "shares": [c / total for _, c in langs],
                "slots": slots, "n_slots": len(slots or ()),
                **weights, "wsum": sum(weights.values()) - (0 if langs else weights["wl"]),
            }
            t = time.perf_counter()
            cur.execute(_POSTGIS_QUERY, params)
            cur.fetchall()
            times.append(time.perf_counter() - t)
        cur.execute("DROP TABLE IF EXISTS bench_partner_geo")
    conn.commit()
    return {"label": f"PostGIS {version} ST_DWithin (GiST) + SQL scoring",
            "p50_ms": percentile_ms(times, 50), "p95_ms": percentile_ms(times, 95),
            "n": len(times), "build_s": build_s}


# ------------------------------------------------------------------------- server phase
class Server:
    """gunicorn with two workers on loopback, for one measurement."""

    def __init__(self, url: str, index_dir: Path, log_path: Path, workers: int = 2,
                 preload: bool = False):
        self.port = _free_port()
        env = {**os.environ, "DATABASE_URL": _benchlib.normalise_url(url),
               "SECRET_KEY": "bench-not-secret", "RANKING_INDEX_DIR": str(index_dir),
               "RATELIMIT_ENABLED": "0", "PYTHONUNBUFFERED": "1"}
        if os.environ.get("KITH_POSTCODE_INDEX"):
            env["POSTCODE_INDEX_PATH"] = os.environ["KITH_POSTCODE_INDEX"]
        self.log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.started = time.perf_counter()
        # A refit at a million partners can outlast gunicorn's default 30 s worker timeout.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b",
             f"127.0.0.1:{self.port}", "--timeout", "600",
             *(["--preload"] if preload else []), "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=self.log)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        return _benchlib.children_of(self.proc.pid)

    def wait_ok(self, path: str, headers: dict, timeout: float, any_status: bool = False
                ) -> float:
        """Seconds from launch until ``path`` answers 200 (or anything, with ``any_status``)."""
        import http.client

        deadline = time.perf_counter() + timeout
        last = "no answer"
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status == 200 or any_status:
                    return time.perf_counter() - self.started
                last = f"HTTP {response.status}"
            except (OSError, http.client.HTTPException) as exc:
                last = _short(exc)
            finally:
                conn.close()
            time.sleep(0.05)
        raise TimeoutError(f"{path} not ready after {timeout:.0f} s ({last})")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _start_create_user(url: str) -> subprocess.Popen:
    """``flask --app wsgi create-user ... --role admin`` against ``url``, in the background."""
    env = {**os.environ, "DATABASE_URL": _benchlib.normalise_url(url),
           "SECRET_KEY": "bench-not-secret"}
    email = f"bench-{os.getpid()}-{int(time.time() * 1000)}@example.org"
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "create-user", email,
                             "--role", "admin"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _token_from(proc: subprocess.Popen) -> str:
    """The API token: the last word of the command's last line."""
    stdout, stderr = proc.communicate(timeout=300)
    if proc.returncode:
        raise RuntimeError(f"create-user failed: {stderr.strip()[-160:]}")
    return stdout.strip().splitlines()[-1].split()[-1]


def _wrk(base: str, paths: list[str], headers: dict, duration: float, connections: int,
         tmp: Path) -> dict:
    script = tmp / f"wrk-{time.time_ns()}.lua"
    lua_paths = ",".join(json.dumps(p) for p in paths)
    header_lines = "".join(f'wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n'
                           for k, v in headers.items())
    script.write_text(
        f"local paths = {{{lua_paths}}}\nlocal i = 0\n{header_lines}"
        "request = function()\n  i = i % #paths + 1\n"
        "  return wrk.format(nil, paths[i])\nend\n"
        "done = function(summary, latency, requests)\n"
        "  io.write(string.format('KITH %d %d %d %d %d %d\\n', summary.requests,"
        " summary.duration, latency:percentile(50), latency:percentile(99),"
        " summary.errors.status, summary.errors.connect + summary.errors.read"
        " + summary.errors.write + summary.errors.timeout))\nend\n")
    done = subprocess.run(["wrk", "-t", "1", "-c", str(connections), "-d", f"{duration:.0f}s",
                           "--timeout", "30s", "-s", str(script), base],
                          capture_output=True, text=True, timeout=duration + 120)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("KITH ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary: {done.stdout[-300:]} {done.stderr[-300:]}")
    requests, duration_us, p50_us, p99_us, bad_status, errors = map(int, line.split()[1:])
    return {"rps": requests / (duration_us / 1e6), "p50_ms": p50_us / 1000,
            "p99_ms": p99_us / 1000, "requests": requests, "non_2xx": bad_status,
            "errors": errors, "tool": "wrk"}


def _python_load(base: str, paths: list[str], headers: dict, duration: float, count: int,
                 connections: int) -> dict:
    """Threads with keep-alive http.client connections, bounded by count and time."""
    import http.client

    host, port = base.removeprefix("http://").split(":")
    deadline = time.perf_counter() + duration
    lock = threading.Lock()
    state = {"next": 0, "latencies": [], "bad": 0, "errors": 0}

    def work():
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        while time.perf_counter() < deadline:
            with lock:
                i = state["next"]
                if i >= count:
                    break
                state["next"] += 1
            path = paths[i % len(paths)]
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                elapsed = time.perf_counter() - t
                with lock:
                    state["latencies"].append(elapsed)
                    if not 200 <= response.status < 300 and response.status != 404:
                        state["bad"] += 1
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                with lock:
                    state["errors"] += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    lat = state["latencies"]
    return {"rps": len(lat) / elapsed, "p50_ms": percentile_ms(lat, 50),
            "p99_ms": percentile_ms(lat, 99), "requests": len(lat), "non_2xx": state["bad"],
            "errors": state["errors"], "tool": "python http.client"}


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes, from /proc/<pid>/stat."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _load(args, server: Server, paths, headers, tmp: Path) -> dict:
    workers = server.workers()
    cpu0 = _cpu_seconds(workers)
    if shutil.which("wrk") and not args.no_wrk:
        out = _wrk(server.base, paths, headers, args.duration, args.connections, tmp)
    else:
        out = _python_load(server.base, paths, headers, args.duration, args.requests,
                           args.connections)
    # CPU per request in the workers: what the rate would be on idle cores, whatever else runs
    out["worker_cpu_ms"] = (_cpu_seconds(workers) - cpu0) * 1000 / max(out["requests"], 1)
    return out


def _warm(server: Server, paths: list[str], headers: dict, rounds: int = 6) -> None:
    """A few concurrent requests so both workers have loaded everything."""
    def hit(path):
        request = urllib.request.Request(server.base + path, headers=headers)
        with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=600):  # noqa: S310
            pass

    for r in range(rounds):
        threads = [threading.Thread(target=hit, args=(paths[(2 * r + j) % len(paths)],))
                   for j in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def _memory(server: Server) -> dict:
    workers = server.workers()
    stats = [_proc_status(pid) for pid in workers]
    if not stats:
        return _not_measured("no gunicorn workers found in /proc")
    return {"workers": len(stats),
            "peak_rss_mib": max(s.get("VmHWM", 0) for s in stats) / MiB,
            "rss_mib": max(s.get("VmRSS", 0) for s in stats) / MiB,
            "pss_mib": max(s.get("Pss", 0) for s in stats) / MiB}


def _some_home_ids(url: str, count: int, seed: int) -> list[int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(_benchlib.normalise_url(url))
    try:
        with engine.connect() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT id FROM care_homes"))]
    finally:
        engine.dispose()
    return random.Random(seed).sample(ids, min(count, len(ids)))


def server_phase(args, url: str, inproc: dict, tmp: Path, create_user: subprocess.Popen
                 ) -> dict:
    out: dict = {}
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return {"error": "gunicorn is not installed"}
    try:
        token = _token_from(create_user)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        return {"error": _short(exc)}
    auth = {"Authorization": f"Bearer {token}"}
    home_ids = inproc.get("sample_home_ids") or _some_home_ids(url, args.queries, args.seed)
    if not home_ids:
        return {"error": "no care homes to ask for"}
    match_paths = [f"/api/v1/care-homes/{i}/matches?limit=20" for i in home_ids]
    record_paths = [f"/api/v1/care-homes/{i}" for i in home_ids]
    trivial = ["/api/v1/geocode?postcode=SW1A1AA"]
    postcodes = inproc.get("postcodes") or ["SW1A1AA"]
    geocode_paths = [f"/api/v1/geocode?postcode={p.replace(' ', '%20')}" for p in postcodes]
    floor_paths = ["/api/v1/no-such-thing"]
    index_dir = tmp / f"ranking-index-{time.time_ns()}"
    log_path = tmp / "gunicorn.log"

    # 1. cold: no saved index, so the worker refits from the database (the baseline)
    server = Server(url, index_dir, log_path)
    try:
        out["boot_refit_s"] = server.wait_ok(floor_paths[0], {}, args.ready_timeout, True)
        out["ready_refit_s"] = server.wait_ok(match_paths[0], auth, args.ready_timeout)
        _warm(server, match_paths, auth)
        out["memory_refit"] = _memory(server)
    except Exception as exc:  # noqa: BLE001
        out["ready_refit_s"] = _not_measured(_short(exc))
    finally:
        server.stop()
    if not (index_dir / "current").exists():
        out["ready_persisted_s"] = _not_measured(
            "the first server saved no ranking index (RANKING_INDEX_DIR) to start from")

    # 2. warm start from the saved index, then the load tests on this server
    server = Server(url, index_dir, log_path)
    try:
        out["boot_persisted_s"] = server.wait_ok(floor_paths[0], {}, args.ready_timeout, True)
        if "ready_persisted_s" not in out:
            out["ready_persisted_s"] = server.wait_ok(match_paths[0], auth, args.ready_timeout)
        else:
            server.wait_ok(match_paths[0], auth, args.ready_timeout)
        _warm(server, match_paths, auth)
        for name, paths, headers in (("match", match_paths, auth), ("trivial", trivial, {}),
                                     ("record", record_paths, auth),
                                     ("geocode", geocode_paths, {}),
                                     ("floor", floor_paths, {})):
            try:
                out[name] = _load(args, server, paths, headers, tmp)
            except Exception as exc:  # noqa: BLE001
                out[name] = _not_measured(_short(exc))
        out["memory"] = _memory(server)
    except Exception as exc:  # noqa: BLE001
        out["error"] = _short(exc)
    finally:
        server.stop()

    # 3. the same with --preload: the app is imported once, before the workers fork
    if (index_dir / "current").exists() and not args.quick:
        server = Server(url, index_dir, log_path, preload=True)
        try:
            out["boot_preload_s"] = server.wait_ok(floor_paths[0], {}, args.ready_timeout, True)
            out["ready_preload_s"] = server.wait_ok(match_paths[0], auth, args.ready_timeout)
            _warm(server, match_paths, auth)
            out["memory_preload"] = _memory(server)
        except Exception as exc:  # noqa: BLE001
            out["ready_preload_s"] = _not_measured(_short(exc))
        finally:
            server.stop()
    return out


# ------------------------------------------------------------------------------ the table
def _ms(d: dict, keys=("p50_ms", "p95_ms")) -> str:
    return " / ".join(f"{d[k]:.2f}" if d[k] < 10 else f"{d[k]:.0f}" for k in keys) + " ms"


def _rate(d: dict, expect_404: bool = False) -> str:
    text = f"{d['rps']:,.0f} req/s, p50 {d['p50_ms']:.1f} ms, p99 {d['p99_ms']:.0f} ms"
    if "worker_cpu_ms" in d:
        text += f", {d['worker_cpu_ms']:.1f} ms CPU/req"
    bad = (0 if expect_404 else d.get("non_2xx", 0)) + d.get("errors", 0)
    return text + (f", {bad:,} failed" if bad else "")


def _reason(*parts) -> str | None:
    for part in parts:
        if isinstance(part, dict) and "not_measured" in part:
            return part["not_measured"]
        if part is None:
            return "not measured: missing"
    return None


def rows_for(size: int, r: dict) -> list[tuple]:
    """Table rows for one size: (size, measure, figure, baseline label, baseline, target, met)."""
    s = _fmt_size(size)
    rows = []
    if "error" in r:
        return [(s, "everything", f"not measured: {r['error']}", "", "", "", "")]
    inp = r.get("inprocess", {})
    srv = r.get("server", {})
    big = size >= MILLION

    def nm(reason):
        return f"not measured: {reason}"

    # one home's top-20
    if "rank" in inp:
        base = inp.get("rank_baseline", {})
        target = f"p50 <= {TARGETS['rank_p50_ms']:.0f} ms" + ("" if big else " (at 1e6)")
        met = ("yes" if inp["rank"]["p50_ms"] <= TARGETS["rank_p50_ms"] else "NO") if big else ""
        rows.append((s, f"one home's top-20 in-process, p50 / p95 (n={inp['rank']['n']})",
                     _ms(inp["rank"]) + f" (CPU p50 {inp['rank']['cpu_p50_ms']:.2f} ms)",
                     base.get("label", "baseline"),
                     _ms(base) if "p50_ms" in base else nm(base.get("not_measured", "?")),
                     target, met))
    else:
        rows.append((s, "one home's top-20 in-process", nm(inp.get("error", "?")), "", "", "",
                     ""))
    # batch
    if "batch" in inp:
        b, bb = inp["batch"], inp["batch_baseline"]
        rows.append((s, f"all-UK batch: {b['homes']:,} homes x top-20, rank_many on 2 cores",
                     f"{b['seconds']:.1f} s",
                     f"one home at a time, 1 core ({bb['sample']} homes, extrapolated)",
                     f"{bb['extrapolated_s']:.1f} s (CPU {bb['extrapolated_cpu_s']:.1f} s)",
                     f"<= {TARGETS['batch_s']:.0f} s",
                     "yes" if b["seconds"] <= TARGETS["batch_s"] else "NO"))
        sb = inp.get("service_batch", {})
        met = ("yes" if sb["seconds"] <= TARGETS["batch_s"] else "NO") if "seconds" in sb else ""
        rows.append((s, "all-UK match list: matching.batch_matches (top-5, with DB details), "
                        "2 processes (CLI)",
                     f"{sb['seconds']:.1f} s" if "seconds" in sb else nm(_reason(sb) or "?"),
                     "one home at a time, 1 core (row above)", f"{bb['extrapolated_s']:.1f} s",
                     f"<= {TARGETS['batch_s']:.0f} s", met))
        sw = inp.get("service_batch_web", {})
        rows.append((s, "all-UK match list as the API answers it (one process, no fork)",
                     f"{sw['seconds']:.1f} s" if "seconds" in sw else nm(_reason(sw) or "?"),
                     "one home at a time, 1 core (row above)", f"{bb['extrapolated_s']:.1f} s",
                     "", ""))
    # start-up
    ready, refit = srv.get("ready_persisted_s"), srv.get("ready_refit_s")
    if ready is not None or refit is not None:
        def up(seconds, boot):
            if not isinstance(seconds, float):
                return nm(_reason(seconds) or "?")
            return f"{seconds:.1f} s" + (f" (process answering at {boot:.1f} s)"
                                         if isinstance(boot, float) else "")

        fig = up(ready, srv.get("boot_persisted_s"))
        base = up(refit, srv.get("boot_refit_s"))
        pre = srv.get("ready_preload_s")
        # `make run` starts gunicorn with --preload, so that start-up is the one to meet.
        main, main_boot = (pre, srv.get("boot_preload_s")) if pre is not None else (ready, None)
        met = ""
        if big and isinstance(main, float):
            met = "yes" if main <= TARGETS["ready_s"] else "NO"
        mem_pre = srv.get("memory_preload")
        extra = (f"; worker peak {mem_pre['peak_rss_mib']:,.0f} MiB, "
                 f"Pss {mem_pre['pss_mib']:,.0f} MiB"
                 if isinstance(mem_pre, dict) and "peak_rss_mib" in mem_pre else "")
        label = ("worker start-up until its first match answer (saved index, mmap, "
                 + ("gunicorn --preload as in make run)" if pre is not None else "no --preload)"))
        rows.append((s, label, up(main, main_boot) + (extra if pre is not None else ""),
                     "same, refitting from the database", base,
                     f"<= {TARGETS['ready_s']:.0f} s" + ("" if big else " (at 1e6)"), met))
        if pre is not None:
            rows.append((s, "the same start-up without --preload (each worker imports the app)",
                         fig, "with --preload (row above)", up(pre, srv.get("boot_preload_s")),
                         "", ""))
    elif "refit_s" in inp:
        rows.append((s, "worker start-up", nm(srv.get("error", "no server run")),
                     "refit from the database in-process", f"{inp['refit_s']:.1f} s", "", ""))
    if "load_s" in inp:
        rows.append((s, "ranking index: Ranker.load (mmap) + first query",
                     f"{(inp['load_s'] + inp['first_query_after_load_s']) * 1000:.0f} ms"
                     f" ({inp['index_mib']:.0f} MiB on disk)",
                     "load_partners + fit (refit from the database)", f"{inp['refit_s']:.1f} s",
                     "", ""))
    # memory
    mem, mem_refit = srv.get("memory"), srv.get("memory_refit")
    if isinstance(mem, dict) and "peak_rss_mib" in mem:
        base = (f"peak {mem_refit['peak_rss_mib']:,.0f} MiB, Pss {mem_refit['pss_mib']:,.0f} MiB"
                if isinstance(mem_refit, dict) and "peak_rss_mib" in mem_refit
                else nm(_reason(mem_refit) or "?"))
        met = ("yes" if mem["peak_rss_mib"] <= TARGETS["worker_rss_mib"] else "NO") if big else ""
        rows.append((s, "memory per gunicorn worker, worst of 2 (saved index, after load test)",
                     f"peak {mem['peak_rss_mib']:,.0f} MiB, Pss {mem['pss_mib']:,.0f} MiB",
                     "worker that refitted from the database", base,
                     "<= 1024 MiB" + ("" if big else " (at 1e6)"), met))
    if "error" in srv:
        rows.append((s, "gunicorn measurements", nm(srv["error"]), "", "", "", ""))
    # endpoint rates
    match, trivial = srv.get("match"), srv.get("trivial")
    if match is not None or trivial is not None:
        fig = _rate(match) if isinstance(match, dict) and "rps" in match \
            else nm(_reason(match) or srv.get("error", "?"))
        base = _rate(trivial) if isinstance(trivial, dict) and "rps" in trivial \
            else nm(_reason(trivial) or "?")
        if size >= MILLION:
            target, met = f">= {TARGETS['match_rps_1e6']:.0f} req/s", ""
            if isinstance(match, dict) and "rps" in match:
                met = "yes" if match["rps"] >= TARGETS["match_rps_1e6"] else "NO"
        else:
            target, met = f">= {TARGETS['match_vs_trivial']:.0%} of trivial", ""
            if isinstance(match, dict) and "rps" in match and isinstance(trivial, dict) \
                    and "rps" in trivial:
                ratio = match["rps"] / trivial["rps"]
                met = f"{'yes' if ratio >= TARGETS['match_vs_trivial'] else 'NO'} ({ratio:.0%})"
                record = srv.get("record")
                if isinstance(record, dict) and "rps" in record:
                    met += f"; {match['rps'] / record['rps']:.0%} of a record read"
        rows.append((s, "GET /care-homes/<id>/matches?limit=20, gunicorn -w 2", fig,
                     "trivial: GET /geocode?postcode=SW1A1AA", base, target, met))
        record = srv.get("record")
        if isinstance(record, dict) and "rps" in record:
            rows.append((s, "GET /care-homes/<id> (same token check and home read)",
                         _rate(record), "trivial: GET /geocode?postcode=SW1A1AA", base, "", ""))
    ep = inp.get("endpoints")
    if isinstance(ep, dict) and "match" in ep:
        rows.append((s, "match endpoint in-process (Flask test client), p50 / p95",
                     _ms(ep["match"]), "GET /care-homes/<id>; trivial GET /geocode",
                     f"{_ms(ep['record'])}; {_ms(ep['trivial'])}", "", ""))
    elif ep is not None:
        rows.append((s, "match endpoint in-process (Flask test client)",
                     nm(_reason(ep) or "?"), "", "", "", ""))
    geo = inp.get("geocode")
    if geo:
        rows.append((s, "geocoding in-process: lookup() of random real postcodes",
                     f"{geo['single_per_s']:,.0f} /s (lookup_many {geo['bulk_per_s']:,.0f} /s)",
                     "parse_postcode() alone", f"{geo['parse_only_per_s']:,.0f} /s", "", ""))
    endpoint = srv.get("geocode")
    if endpoint is not None:
        floor = srv.get("floor")
        rows.append((s, "geocoding via GET /geocode, random real postcodes",
                     _rate(endpoint) if "rps" in endpoint else nm(_reason(endpoint) or "?"),
                     "the app's 404 JSON (routing + error handler)",
                     _rate(floor, expect_404=True) if isinstance(floor, dict) and "rps" in floor
                     else nm(_reason(floor) or "?"), "", ""))
    return rows


def print_table(rows: list[tuple], context: str) -> None:
    widths = [max(len(str(row[i])) for row in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) \
            + " |"

    print(f"\n{TITLE}: {context}")
    print(line(HEADER))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))


def _context(args, url_kind: str, load_at_start: float) -> str:
    load = os.getloadavg()
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {url_kind}, "
            f"load average {load_at_start:.1f} at the start, {load[0]:.1f} at the end"
            + (", QUICK smoke run (tiny sizes, figures not meaningful)" if args.quick else ""))


# ------------------------------------------------------------------------------- main
def run_size(args, size: int, tmp: Path) -> dict:
    result: dict = {"size": size}
    url = (args.database_url or f"sqlite:///{tmp / 'bench-{size}.sqlite3'}").replace(
        "{size}", _fmt_size(size).replace(",", ""))
    result["database"] = "postgresql" if _is_pg(url) else "sqlite"
    if _is_pg(url):
        try:
            _ensure_pg_database(url)
        except Exception as exc:  # noqa: BLE001
            result["error"] = f"cannot reach or create the database: {_short(exc)}"
            return result
    others = _other_rows(url)
    if others and not args.allow_existing:
        result["error"] = (f"the database holds {others:,} homes or groups that are not "
                           "synthetic; use a database of your own (or --allow-existing)")
        return result
    homes = args.homes
    counts = _synthetic_counts(url, args.seed)
    if counts == (homes, size) and not args.regenerate:
        _say(f"[{_fmt_size(size)}] reusing the synthetic network already in the database")
    else:
        _say(f"[{_fmt_size(size)}] generating {homes:,} homes and {size:,} partners...")
        try:
            result["generate_s"] = _generate(url, homes, size, args.seed)
        except subprocess.CalledProcessError as exc:
            result["error"] = f"generate_network.py failed ({exc.returncode})"
            return result
    _say(f"[{_fmt_size(size)}] in-process measurements...")
    create_user = None if args.skip_server else _start_create_user(url)
    done = subprocess.run(
        [sys.executable, __file__, "--phase", "inprocess", "--database-url", url,
         "--seed", str(args.seed), "--queries", str(args.queries),
         "--baseline-queries", str(args.baseline_queries),
         "--batch-sample", str(args.batch_sample),
         "--geocode-queries", str(args.geocode_queries),
         "--endpoint-queries", str(args.endpoint_queries)],
        cwd=ROOT, capture_output=True, text=True)
    sys.stderr.write(done.stderr[-4000:] if done.returncode else "")
    try:
        result["inprocess"] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        result["inprocess"] = {"error": f"in-process phase failed ({done.returncode}): "
                                        + (done.stderr.strip().splitlines() or ['?'])[-1][:160]}
    if args.skip_server:
        result["server"] = {"error": "--skip-server"}
    else:
        _say(f"[{_fmt_size(size)}] gunicorn measurements...")
        try:
            result["server"] = server_phase(args, url, result["inprocess"], tmp, create_user)
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            result["server"] = {"error": _short(exc)}
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e5,1e6",
                        help="partner counts, comma-separated (default 1e5,1e6)")
    parser.add_argument("--homes", type=int, default=17_000)
    parser.add_argument("--database-url",
                        help="database to fill and measure; '{size}' in it becomes 1e5, "
                             "1e6... (one database per size, created on PostgreSQL if "
                             "missing). Default: a SQLite file per size in a temporary "
                             "directory. Use a database of your own, never a shared one")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true",
                        help="CI smoke run: 2,000 partners, 60 homes, SQLite, short load tests")
    parser.add_argument("--queries", type=int, default=300, help="homes for latency figures")
    parser.add_argument("--baseline-queries", type=int, default=100)
    parser.add_argument("--batch-sample", type=int, default=300,
                        help="homes in the one-at-a-time baseline loop")
    parser.add_argument("--geocode-queries", type=int, default=20_000)
    parser.add_argument("--endpoint-queries", type=int, default=200,
                        help="requests per endpoint through the Flask test client")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load test")
    parser.add_argument("--requests", type=int, default=20_000,
                        help="request cap per load test (Python client)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--ready-timeout", type=float, default=600.0)
    parser.add_argument("--allow-existing", action="store_true",
                        help="measure even though the database holds real (non-synthetic) rows")
    parser.add_argument("--regenerate", action="store_true",
                        help="regenerate the network even when the database already holds it")
    parser.add_argument("--no-wrk", action="store_true", help="use the Python load client")
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phase == "inprocess":
        try:
            result = inprocess_phase(args)
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            result = {"error": _short(exc)}
        print(json.dumps(result))
        return 0

    if args.quick:
        args.sizes, args.homes = "2000", 60
        args.queries, args.baseline_queries, args.batch_sample = 40, 20, 30
        args.geocode_queries, args.duration, args.requests = 2000, 1.0, 300
        args.endpoint_queries = 20
    load_at_start = os.getloadavg()[0]
    sizes = [_parse_size(s) for s in args.sizes.split(",") if s.strip()]
    results = []
    with tempfile.TemporaryDirectory(prefix="kith-bench-") as tmp:
        for size in sizes:
            results.append(run_size(args, size, Path(tmp)))
    rows = [row for r in results for row in rows_for(r["size"], r)]
    url_kind = "PostgreSQL" if args.database_url and _is_pg(args.database_url) else "SQLite"
    print_table(rows, _context(args, url_kind, load_at_start))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
