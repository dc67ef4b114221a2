"""Benchmark the offline postcode index against simpler designs, measured in the same run.

    python scripts/bench_geocoding.py [--index PATH] [--queries 20000]

Each approach runs in its own fresh process so that load times and memory are its own:
  * index (mmap)      this module: one memory-mapped file, binary search on uint64 keys
  * index (read)      the same file read into memory instead of mapped
  * dict (pickle)     a plain Python dict {postcode: (lat, lon, la code)} of the same data,
                      loaded from a pickle (the obvious alternative design)
  * pyproj per call   grid references in a dict, converted with pyproj on every lookup
Every approach parses the user's text with ``parse_postcode`` first, as the app must.
"Cold load" evicts the file from the page cache first (posix_fadvise), then opens it.
Memory is the growth of the process's resident set (RSS) after loading and after the lookups.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from matcher.domain.geocoding.index import (  # noqa: E402
    PostcodeIndex,
    build_index,
    read_source,
)
from matcher.domain.postcodes import parse_postcode  # noqa: E402

MiB = 2**20


def _rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _evict(path: Path) -> None:
    """Drop one file's pages from the page cache so the next read is cold."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _queries(index_path: Path, count: int) -> list[str]:
    index = PostcodeIndex.load(index_path)
    rng = np.random.default_rng(1)
    keys = index._unit_key[rng.choice(len(index), size=count, replace=False)]
    spellings = []
    for n, key in enumerate(keys.tolist()):
        ons = key.to_bytes(8, "big")[:7].decode()
        text = parse_postcode(ons).normalised
        # a mix of user spellings, as typed into forms
        spellings.append(text.lower().replace(" ", "") if n % 3 == 0 else text)
    return spellings


def _time_lookups(lookup, queries) -> float:
    started = time.perf_counter()
    for text in queries:
        lookup(text)
    return len(queries) / (time.perf_counter() - started)


def worker(kind: str, index_path: Path, data_path: Path, queries_path: Path) -> dict:
    """Runs in a fresh process: load one design, then time lookups."""
    queries = json.loads(queries_path.read_text())
    out: dict = {}
    rss0 = _rss()
    if kind in ("mmap", "read"):
        _evict(index_path)
        started = time.perf_counter()
        index = PostcodeIndex.load(index_path, use_mmap=kind == "mmap")
        out["load_s"] = time.perf_counter() - started
        out["rss_load"] = _rss() - rss0
        out["first_lookup_s"] = _time_first(index.lookup, queries[0])
        out["single_per_s"] = _time_lookups(index.lookup, queries)
        started = time.perf_counter()
        index.lookup_many(queries)
        out["bulk_per_s"] = len(queries) / (time.perf_counter() - started)
        out["file_bytes"] = index_path.stat().st_size
    elif kind == "dict":
        _evict(data_path)
        started = time.perf_counter()
        with open(data_path, "rb") as handle:
            table = pickle.load(handle)  # noqa: S301 - our own file, written moments ago
        out["load_s"] = time.perf_counter() - started
        out["rss_load"] = _rss() - rss0

        def lookup(text):
            return table[parse_postcode(text).normalised]

        out["first_lookup_s"] = _time_first(lookup, queries[0])
        out["single_per_s"] = _time_lookups(lookup, queries)
        out["bulk_per_s"] = None
        out["file_bytes"] = data_path.stat().st_size
    elif kind == "pyproj":
        from pyproj import Transformer

        started = time.perf_counter()
        grid = {}
        for _, pcd, laua, east, north in read_source():
            for ons, la, e, n in zip(pcd.tolist(), laua.tolist(), east.tolist(),
                                     north.tolist(), strict=True):
                grid[ons.decode()] = (e, n, la)
        british = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
        irish = Transformer.from_crs("EPSG:29903", "EPSG:4326", always_xy=True)
        out["load_s"] = time.perf_counter() - started
        out["rss_load"] = _rss() - rss0

        def lookup(text):
            postcode = parse_postcode(text)
            east, north, la = grid[postcode.ons]
            transformer = irish if postcode.area == "BT" else british
            lon, lat = transformer.transform(east, north)
            return lat, lon, la

        out["first_lookup_s"] = _time_first(lookup, queries[0])
        out["single_per_s"] = _time_lookups(lookup, queries)
        out["bulk_per_s"] = None
        out["file_bytes"] = None
    out["rss_after"] = _rss() - rss0
    return out


def _time_first(lookup, text) -> float:
    started = time.perf_counter()
    lookup(text)
    return time.perf_counter() - started


def _run_worker(kind, index_path, data_path, queries_path) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--index", str(index_path),
         "--dict-file", str(data_path), "--queries-file", str(queries_path)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _dict_pickle(index_path: Path, out_path: Path) -> float:
    """Write the same data as a pickled dict; returns the seconds it took."""
    started = time.perf_counter()
    index = PostcodeIndex.load(index_path)
    codes = index.header["local_authorities"]
    table = {}
    for key, lat, lon, la in zip(index._unit_key.tolist(), index._unit_lat.tolist(),
                                 index._unit_lon.tolist(), index._unit_la.tolist(), strict=True):
        table[parse_postcode(key.to_bytes(8, "big")[:7].decode()).normalised] = (
            lat / 1e7, lon / 1e7, codes[la])
    with open(out_path, "wb") as handle:
        pickle.dump(table, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return time.perf_counter() - started


def _fmt(value, spec, scale=1.0):
    width = int(spec.split(".")[0].rstrip(","))
    return "-".rjust(width) if value is None else format(value * scale, spec)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="existing index file (skips the build)")
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--dict-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--queries-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.index, args.dict_file, args.queries_file)))
        return 0

    with tempfile.TemporaryDirectory(prefix="kith-bench-") as tmp:
        tmp = Path(tmp)
        build_s = None
        index_path = args.index
        if index_path is None:
            index_path = tmp / "index.bin"
            print("Building the index...", flush=True)
            build_s = build_index(index_path).seconds
        print("Writing the dict baseline...", flush=True)
        dict_path = tmp / "postcodes.pickle"
        dict_build_s = _dict_pickle(index_path, dict_path)
        queries_path = tmp / "queries.json"
        queries_path.write_text(json.dumps(_queries(index_path, args.queries)))

        rows = []
        for label, kind, built in (
            ("index (mmap)", "mmap", build_s),
            ("index (read)", "read", build_s),
            ("dict (pickle)", "dict", dict_build_s),
            ("pyproj per call", "pyproj", None),
        ):
            print(f"Measuring {label}...", flush=True)
            rows.append((label, built, _run_worker(kind, index_path, dict_path, queries_path)))

    header = (f"{'approach':<17}{'build s':>9}{'cold load ms':>14}{'1st lookup ms':>15}"
              f"{'single/s':>11}{'bulk/s':>11}{'RSS load MiB':>14}{'RSS after MiB':>15}"
              f"{'file MiB':>10}")
    print()
    print(f"{args.queries:,} lookups of random real postcodes, Python {sys.version.split()[0]}")
    print(header)
    print("-" * len(header))
    for label, built, r in rows:
        print(
            f"{label:<17}{_fmt(built, '9.1f')}{_fmt(r['load_s'], '14.1f', 1000)}"
            f"{_fmt(r['first_lookup_s'], '15.2f', 1000)}{_fmt(r['single_per_s'], '11,.0f')}"
            f"{_fmt(r['bulk_per_s'], '11,.0f')}{_fmt(r['rss_load'], '14.1f', 1 / MiB)}"
            f"{_fmt(r['rss_after'], '15.1f', 1 / MiB)}{_fmt(r['file_bytes'], '10.1f', 1 / MiB)}"
        )
    print("build s for 'dict (pickle)' is the time to write it from the index; "
          "'pyproj per call' loads the raw source files instead.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
