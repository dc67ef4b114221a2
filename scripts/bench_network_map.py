"""Benchmark the network map's data answer at national scale, against a naive baseline.

    python scripts/bench_network_map.py \\
        --database-url postgresql://postgres@127.0.0.1/kith_bench_1e6 \\
        [--generate --homes 17000 --partners 1000000 --seed 1] [--queries 40] \\
        [--baseline-queries 5]

For each zoom level it sends ``/coordinator/network/data`` requests through the Flask test
client, as a signed-in admin, for a 1024 x 768 px map window centred on random care homes
(the UK-wide view at zoom 6 covers the whole country), and prints p50/p95 of the server's
time (the whole request: session, filters, grid count, names of the points sent, JSON),
what was sent (cells or points) and the size of the answer. The baseline, in the same run
on the same windows, is the obvious implementation: read every home and approved partner in
the box from the database and send them all as JSON points. The first answer of a worker
(reading the snapshot and finding the cold spots) is timed on its own.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _benchlib  # noqa: E402
import numpy as np  # noqa: E402

ZOOMS = (6, 8, 10, 12, 14)
WIDTH_PX, HEIGHT_PX = 1024, 768
EMAIL = "bench-network-map@example.org"


def window(lat: float, lon: float, zoom: int) -> tuple[float, float, float, float]:
    """The (west, south, east, north) of a WIDTH x HEIGHT map centred on (lat, lon)."""
    lon_span = WIDTH_PX / 256 * 360 / 2 ** zoom
    lat_span = lon_span * math.cos(math.radians(lat)) * HEIGHT_PX / WIDTH_PX
    return (lon - lon_span / 2, lat - lat_span / 2, lon + lon_span / 2, lat + lat_span / 2)


def baseline(session, box) -> bytes:
    """Every home and approved partner in the box, from the database, as JSON points."""
    from sqlalchemy import select

    from matcher.models import CareHome, CommunityGroup

    west, south, east, north = box
    homes = session.execute(select(CareHome.id, CareHome.name, CareHome.lat, CareHome.lon).where(
        CareHome.lat.between(south, north), CareHome.lon.between(west, east))).all()
    partners = session.execute(select(
        CommunityGroup.id, CommunityGroup.name, CommunityGroup.kind, CommunityGroup.lat,
        CommunityGroup.lon).where(
        CommunityGroup.status == "approved", CommunityGroup.lat.between(south, north),
        CommunityGroup.lon.between(west, east))).all()
    return json.dumps({
        "homes": [{"id": i, "name": n, "lat": a, "lon": b} for i, n, a, b in homes],
        "partners": [{"id": i, "name": n, "kind": k, "lat": a, "lon": b}
                     for i, n, k, a, b in partners],
    }).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--generate", action="store_true",
                        help="fill the database first with scripts/generate_network.py")
    parser.add_argument("--homes", type=int, default=17_000)
    parser.add_argument("--partners", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=40, help="windows per zoom level")
    parser.add_argument("--baseline-queries", type=int, default=5,
                        help="windows per zoom level for the (slow) baseline")
    args = parser.parse_args()
    if args.generate:
        subprocess.run([sys.executable, str(Path(__file__).with_name("generate_network.py")),
                        "--homes", str(args.homes), "--partners", str(args.partners),
                        "--seed", str(args.seed), "--database-url", args.database_url,
                        "--replace"], check=True)

    from flask_login import FlaskLoginClient
    from sqlalchemy import func, select

    from matcher.extensions import db
    from matcher.models import CareHome, CommunityGroup, User
    from matcher.runtime import network_cache

    app = _benchlib.make_app(args.database_url)
    app.test_client_class = FlaskLoginClient
    rng = random.Random(args.seed)
    with app.app_context():
        session = db.session
        user = _benchlib.bench_admin(session, EMAIL)
        homes = session.scalar(select(func.count()).select_from(CareHome))
        partners = session.scalar(select(func.count()).select_from(CommunityGroup).where(
            CommunityGroup.status == "approved"))
        centres = [tuple(row) for row in session.execute(
            select(CareHome.lat, CareHome.lon).order_by(CareHome.id)).all()]
        user_id = user.id
    print(f"network: {homes:,} care homes, {partners:,} approved partners")

    with app.app_context():
        user = db.session.get(User, user_id)
        client = app.test_client(user=user)
        started = time.perf_counter()
        first = client.get("/coordinator/network/data?zoom=6")
        cold_load = time.perf_counter() - started
        assert first.status_code == 200, first.status_code
        cache = network_cache(app)
        snapshot = cache.get(db.session)
        mib = sum(getattr(column, name).nbytes for column in (snapshot.homes, snapshot.partners)
                  for name in ("ids", "lat", "lon", "radius", "nation", "la", "kind")) / 2**20
        print(f"first answer of a worker (reads the snapshot, finds the cold spots): "
              f"{cold_load * 1000:,.0f} ms; snapshot arrays {mib:.1f} MiB; "
              f"{first.get_json()['homes']['cold']:,} cold spots UK-wide")
        # The page's own overview (tables under the map), once warm.
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            page = client.get("/coordinator/network")
            timings.append(time.perf_counter() - started)
            assert page.status_code == 200
        print(f"the page /coordinator/network (UK, warm): p50 "
              f"{_benchlib.percentile_ms(timings, 50):,.0f} ms")

        header = ("| zoom | windows | Kith p50 ms | Kith p95 ms | sent (mean) | answer KiB "
                  "| baseline p50 ms | baseline p95 ms | baseline points (mean) | baseline KiB |")
        print()
        print(header)
        print("|" + "---|" * 10)
        for zoom in ZOOMS:
            if zoom == 6:
                boxes = [(-8.7, 49.8, 1.8, 60.9)] * args.queries
            else:
                boxes = [window(*rng.choice(centres), zoom) for _ in range(args.queries)]
            times, sizes, sent = [], [], []
            for box in boxes:
                url = (f"/coordinator/network/data?bbox={','.join(f'{v:.5f}' for v in box)}"
                       f"&zoom={zoom}")
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200
                body = response.get_json()
                sizes.append(len(response.data))
                kind = body["mode"]
                items = sum(len(body[w].get(kind, [])) for w in ("homes", "partners"))
                sent.append((kind, items))
            cells = [n for k, n in sent if k == "cells"]
            points = [n for k, n in sent if k == "points"]
            what = ", ".join(part for part in (
                f"{np.mean(cells):,.0f} cells" if cells else "",
                f"{np.mean(points):,.0f} points" if points else "") if part)
            base_times, base_sizes, base_points = [], [], []
            for box in boxes[:args.baseline_queries]:
                started = time.perf_counter()
                body = baseline(db.session, box)
                base_times.append(time.perf_counter() - started)
                base_sizes.append(len(body))
                parsed = json.loads(body)
                base_points.append(len(parsed["homes"]) + len(parsed["partners"]))
                db.session.rollback()
            print(f"| {zoom} | {len(boxes)} | {_benchlib.percentile_ms(times, 50):,.1f} | "
                  f"{_benchlib.percentile_ms(times, 95):,.1f} | {what} | "
                  f"{np.mean(sizes) / 1024:,.1f} | "
                  f"{_benchlib.percentile_ms(base_times, 50):,.1f} | "
                  f"{_benchlib.percentile_ms(base_times, 95):,.1f} | "
                  f"{np.mean(base_points):,.0f} | {np.mean(base_sizes) / 1024:,.0f} |")


if __name__ == "__main__":
    main()
