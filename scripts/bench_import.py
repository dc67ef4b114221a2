"""Benchmark importing a regulator's register, against the obvious baseline.

    python scripts/bench_import.py [--rows 15000] [--baseline-rows 1000] [--seed 1]
        [--database-url sqlite:///... | postgresql://...]

Writes a CQC directory CSV (the layout of
``tests/fixtures/directories/cqc_01_October_2025_CQC_directory.csv``) of ``--rows`` English
care homes on real postcodes drawn from the offline index, then times ``import care-homes``
(the service the CLI calls) on an empty database: the first import (every home created), the
same file again (every home unchanged) and a release in which a tenth of the homes moved
(updated). The baseline, in the same run on the same rows, is what a hand-written importer
would do: each row through the API's own write path (``records.create_home``), committed one
at a time, for ``--baseline-rows`` rows. Without ``--database-url`` a temporary SQLite file
is used; a given database must be a scratch one: its care homes are deleted first.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _benchlib  # noqa: E402
import numpy as np  # noqa: E402

HEADER = ["Name", "Also known as", "Address", "Postcode", "Phone number",
          "Service's website (if available)", "Service types", "Date of latest check",
          "Specialisms/services", "Provider name", "Local authority", "Region",
          "Location URL", "CQC Location ID (for office use only)",
          "CQC Provider ID (for office use only)"]


def english_postcodes(index, count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct English postcodes of the index, drawn at random."""
    keys = _benchlib.postcode_arrays(index)["key"]
    chosen: list[str] = []
    seen: set[str] = set()
    while len(chosen) < count:
        for text in _benchlib.postcode_text(rng.choice(keys, size=count, replace=False)):
            if text not in seen and index.lookup(text).nation == "england":
                seen.add(text)
                chosen.append(text)
                if len(chosen) == count:
                    break
    return chosen


def write_register(path: Path, postcodes: list[str], moved: dict[int, str] | None = None) -> None:
    """A CQC directory CSV: one residential home per postcode (``moved`` replaces some)."""
    moved = moved or {}
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("CQC Locations data\n\nThis data was produced for a benchmark\n\n")
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i, postcode in enumerate(postcodes):
            writer.writerow([f"Benchmark House {i}", "", f"{i + 1} Example Road,Town",
                             moved.get(i, postcode), "", "", "Residential homes", "",
                             "Dementia", "Provider", "", "", "", f"1-9{i:09d}", "1-1"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=15_000)
    parser.add_argument("--baseline-rows", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    from sqlalchemy import delete

    from matcher.directories import parse_care_homes
    from matcher.extensions import db
    from matcher.models import AuditLog, CareHome, ImportReview
    from matcher.runtime import postcode_index
    from matcher.schemas.care_homes import CareHomeInputSchema
    from matcher.services import imports, records
    from matcher.services.audit import SYSTEM

    work = Path(tempfile.mkdtemp(prefix="kith-bench-import-"))
    url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
    app = _benchlib.make_app(url)
    rng = np.random.default_rng(args.seed)
    with app.app_context():
        from matcher.cli import upgrade_schema

        upgrade_schema()
        session, index, schema = db.session, postcode_index(app), CareHomeInputSchema()

        def empty() -> None:
            for model in (ImportReview, CareHome, AuditLog):
                session.execute(delete(model))
            session.commit()

        postcodes = english_postcodes(index, args.rows, rng)
        register = work / "register.csv"
        write_register(register, postcodes)
        moved_rows = random.Random(args.seed).sample(range(args.rows), args.rows // 10)
        others = english_postcodes(index, len(moved_rows), rng)
        release = work / "release.csv"
        write_register(release, postcodes, dict(zip(moved_rows, others, strict=True)))
        print(f"{args.rows:,} homes on {url.split('://')[0]}; files in {work}")
        print(f"{'what':<52} {'seconds':>8} {'rows/s':>9}")

        def timed_import(label: str, path: Path, expect: str) -> None:
            started = time.perf_counter()
            report = imports.import_care_homes(session, index, path, "cqc", schema, SYSTEM)
            session.commit()
            seconds = time.perf_counter() - started
            assert expect in report.summary(), report.summary()
            print(f"{label:<52} {seconds:>8.2f} {args.rows / seconds:>9,.0f}")

        empty()
        timed_import("Kith: first import (every home created)", register,
                     f"{args.rows} created")
        timed_import("Kith: the same file again (every home unchanged)", register,
                     f"{args.rows} unchanged")
        timed_import("Kith: a release, a tenth of the homes moved", release,
                     f"{len(moved_rows)} updated")

        # Baseline: the rows one by one through the API's write path, one commit each.
        empty()
        parsed = parse_care_homes(register, "cqc")
        rows = parsed.records[: args.baseline_rows]
        started = time.perf_counter()
        for record in rows:
            data = schema.load(imports._home_payload(record, "cqc"))
            records.create_home(session, index, data, SYSTEM)
            session.commit()
        seconds = time.perf_counter() - started
        print(f"{'baseline: row by row, a commit each (' + format(len(rows), ',') + ' rows)':<52} "
              f"{seconds:>8.2f} {len(rows) / seconds:>9,.0f}")
        empty()


if __name__ == "__main__":
    main()
