"""Benchmark the charts page (``/coordinator/reports``) at national scale, against a baseline.

    python scripts/bench_report_charts.py \\
        --database-url postgresql://postgres@127.0.0.1/kith_bench_1e6 [--runs 15]

Fill the database first with ``scripts/generate_network.py`` (its partners' registration
dates spread over the last year and a half). For Wales and for the whole UK it prints p50 and
p95 of the page's server time through the Flask test client as a signed-in admin (session,
the three monthly series, the funnel, the template), and of the monthly registration counts
alone, measured two ways in the same run: Kith's (one index range count a month, in one
statement) and the baseline it replaced (format every row's month in the database and group
by it, on the schema before migration 0011: its indexes are dropped inside a transaction
that is rolled back).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _benchlib  # noqa: E402

EMAIL = "bench-report-charts@example.org"


def baseline_per_month(session, query, column, months):
    """The implementation before the charts' indexes: each row's month formatted and grouped."""
    from sqlalchemy import func

    from matcher.services.report_charts import _next, _start

    if session.get_bind().dialect.name == "postgresql":
        bucket = func.to_char(func.timezone("UTC", column), "YYYY-MM")
    else:
        bucket = func.strftime("%Y-%m", column)
    bucket = bucket.label("month")
    rows = session.execute(
        query.with_only_columns(bucket, func.count())
        .where(column >= _start(months[0]), column < _next(months[-1])).group_by(bucket)).all()
    found = {str(month): int(count) for month, count in rows}
    return [found.get(month, 0) for month in months]


def timed(fn, runs: int) -> tuple[list[float], object]:
    out, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        out.append(time.perf_counter() - started)
    return out, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from flask_login import FlaskLoginClient
    from sqlalchemy import func, select, text

    from matcher.extensions import db
    from matcher.models import CommunityGroup, User
    from matcher.services.report_charts import DEFAULT_MONTHS, _per_month, months_back

    app = _benchlib.make_app(args.database_url)
    app.test_client_class = FlaskLoginClient
    with app.app_context():
        session = db.session
        user = _benchlib.bench_admin(session, EMAIL)
        user_id = user.id
        total = session.scalar(select(func.count()).select_from(CommunityGroup))
        print(f"{total:,} registrations in the database "
              f"({session.get_bind().dialect.name})")
        months = months_back(dt.datetime.now(dt.UTC).date(), DEFAULT_MONTHS)
        print(f"{'scope':<10} {'what':<42} {'p50 ms':>8} {'p95 ms':>8}")
        for nation in ("wales", None):
            query = select(CommunityGroup.id)
            if nation:
                query = query.where(CommunityGroup.nation == nation)
            scope = nation or "UK"
            kith, counts = timed(lambda q=query: _per_month(
                session, q, CommunityGroup.created_at, months), args.runs)
            for name in ("ix_groups_created_at", "ix_groups_nation_created_at"):
                session.execute(text(f"DROP INDEX {name}"))
            base, expected = timed(lambda q=query: baseline_per_month(
                session, q, CommunityGroup.created_at, months), args.runs)
            session.rollback()  # the indexes are back
            assert counts == expected, (counts, expected)
            print(f"{scope:<10} {'registrations a month: Kith':<42} "
                  f"{_benchlib.percentile_ms(kith, 50):>8.1f} "
                  f"{_benchlib.percentile_ms(kith, 95):>8.1f}")
            print(f"{scope:<10} {'registrations a month: baseline (group by)':<42} "
                  f"{_benchlib.percentile_ms(base, 50):>8.1f} "
                  f"{_benchlib.percentile_ms(base, 95):>8.1f}")
            print(f"{'':<10} ({sum(counts):,} registrations in the last {len(months)} months)")

    with app.app_context():
        client = app.test_client(user=db.session.get(User, user_id))
        for nation in ("wales", None):
            url = "/coordinator/reports" + (f"?nation={nation}" if nation else "")

            def page(url=url):
                response = client.get(url)
                assert response.status_code == 200, response.status_code
                return response

            page()  # the first request of a worker also loads the app's caches
            seconds, _ = timed(page, args.runs)
            print(f"{nation or 'UK':<10} {'the whole page (server time)':<42} "
                  f"{_benchlib.percentile_ms(seconds, 50):>8.1f} "
                  f"{_benchlib.percentile_ms(seconds, 95):>8.1f}")


if __name__ == "__main__":
    main()
