"""Benchmark the Ranker on synthetic UK partners, against a plain SQLite + Python baseline.

    python scripts/bench_ranking.py --sizes 100000 1000000 --queries 200

For each size it reports: time to build the columnar table and to fit, the process memory
(RSS) and the index's own array size, p50/p95 latency of one home's top-20 over random homes,
the same for the baseline (SQLite table with an index on (lat, lon): bounding-box query, then
scoring row by row in Python with the same formulas) and whether both produce the same top
lists; then `rank_many` over all homes, and save/load time.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matcher.domain import catalogue  # noqa: E402
from matcher.domain.geo import haversine_km, limit_km  # noqa: E402
from matcher.domain.interests import words_to_mask  # noqa: E402
from matcher.domain.ranking import Home, PartnerTable, Ranker  # noqa: E402
from matcher.domain.ranking.components import FULL_COVERAGE_AT, PARTIAL_CREDIT  # noqa: E402
from matcher.domain.ranking.grid import ALIVE as _ALIVE  # noqa: E402
from matcher.domain.ranking.grid import APPROVED as _APPROVED  # noqa: E402
from matcher.domain.ranking.grid import CAPACITY_OK as _CAPACITY_OK  # noqa: E402
from matcher.domain.ranking.grid import REMOTE as _REMOTE  # noqa: E402

# (town, lat, lon, population in thousands, roughly) across the four nations. Partners and
# homes cluster around them with a spread growing with the town's size; a share is rural.
TOWNS = [
    ("London", 51.5072, -0.1276, 9000), ("Ealing", 51.5130, -0.3089, 350),
    ("Birmingham", 52.4862, -1.8904, 2600), ("Manchester", 53.4808, -2.2426, 2700),
    ("Leeds", 53.8008, -1.5491, 800), ("Bradford", 53.7950, -1.7594, 540),
    ("Liverpool", 53.4084, -2.9916, 900), ("Sheffield", 53.3811, -1.4701, 700),
    ("Bristol", 51.4545, -2.5879, 700), ("Newcastle", 54.9783, -1.6178, 800),
    ("Nottingham", 52.9548, -1.1581, 700), ("Leicester", 52.6369, -1.1398, 550),
    ("Southampton", 50.9097, -1.4044, 850), ("Plymouth", 50.3755, -4.1427, 260),
    ("Norwich", 52.6309, 1.2974, 210), ("Cambridge", 52.2053, 0.1218, 150),
    ("Oxford", 51.7520, -1.2577, 170), ("Brighton", 50.8225, -0.1372, 480),
    ("York", 53.9600, -1.0873, 200), ("Hull", 53.7676, -0.3274, 320),
    ("Stoke-on-Trent", 53.0027, -2.1794, 370), ("Coventry", 52.4068, -1.5197, 360),
    ("Exeter", 50.7184, -3.5339, 130), ("Carlisle", 54.8925, -2.9329, 110),
    ("Truro", 50.2632, -5.0510, 20), ("Ipswich", 52.0567, 1.1482, 180),
    ("Preston", 53.7632, -2.7031, 320), ("Middlesbrough", 54.5742, -1.2350, 370),
    ("Cardiff", 51.4816, -3.1791, 480), ("Swansea", 51.6214, -3.9436, 300),
    ("Newport", 51.5842, -2.9977, 150), ("Wrexham", 53.0466, -2.9925, 65),
    ("Bangor", 53.2274, -4.1293, 18), ("Aberystwyth", 52.4153, -4.0829, 16),
    ("Carmarthen", 51.8576, -4.3121, 15), ("Glasgow", 55.8642, -4.2518, 1000),
    ("Edinburgh", 55.9533, -3.1883, 530), ("Aberdeen", 57.1497, -2.0943, 220),
    ("Dundee", 56.4620, -2.9707, 150), ("Inverness", 57.4778, -4.2247, 65),
    ("Stornoway", 58.2090, -6.3860, 8), ("Perth", 56.3950, -3.4308, 50),
    ("Stirling", 56.1165, -3.9369, 40), ("Dumfries", 55.0700, -3.6110, 33),
    ("Belfast", 54.5973, -5.9301, 640), ("Derry", 54.9966, -7.3086, 110),
    ("Newry", 54.1751, -6.3402, 30), ("Enniskillen", 54.3438, -7.6315, 14),
    ("Lisburn", 54.5162, -6.0580, 75), ("Ballymena", 54.8636, -6.2763, 30),
]
RURAL_SHARE = 0.15
RURAL_SPREAD_KM = 25.0


def scatter_points(rng: np.random.Generator, n: int):
    """Points around the towns: normal spread of ~pop^0.28 km, plus a rural share."""
    pop = np.array([t[3] for t in TOWNS], dtype=np.float64)
    town = rng.choice(len(TOWNS), size=n, p=pop / pop.sum())
    spread = pop[town] ** 0.28
    rural = rng.random(n) < RURAL_SHARE
    spread[rural] = RURAL_SPREAD_KM
    lat0 = np.array([t[1] for t in TOWNS])[town]
    lon0 = np.array([t[2] for t in TOWNS])[town]
    north = rng.normal(0.0, 1.0, n) * spread
    east = rng.normal(0.0, 1.0, n) * spread
    lat = lat0 + north / 111.2
    lon = lon0 + east / (111.2 * np.cos(np.radians(lat0)))
    return lat, lon, town


ACTIVITIES = [
    "choir", "singing", "sing-along", "knitting", "crochet", "sewing", "dogs", "pet visits",
    "therapy dogs", "cats", "gardening", "allotment", "local history", "reminiscence",
    "church", "gurdwara", "mosque", "hymns", "school visits", "nursery children", "chair yoga",
    "tai chi", "dancing", "walks", "quiz", "bingo", "chess", "dominoes", "baking", "cooking",
    "poetry", "book club", "reading aloud", "video calls", "tablets", "painting", "drawing",
    "pottery", "football", "bowls", "cricket", "film club", "theatre", "bird watching",
    "befriending", "hand massage", "card games", "jigsaws", "brass band", "ukulele",
]
KINDS = list(catalogue.codes(catalogue.GROUP_KINDS))
OTHER_LANGUAGES = ["pl", "cy", "pa", "ur", "gd", "bn", "so", "ar", "ro", "uk", "gu", "yue",
                   "zh", "ga", "bfi", "ta", "lt", "pt"]
_FILLER_TEXT = (
    "we are a small friendly group of neighbours who meet every week in the village hall and "
    "would love to share our time with older people nearby our members include retired "
    "teachers nurses farmers miners parents students and grandparents we bring tea cake songs "
    "stories laughter and patience we have visited hospitals libraries schools and churches "
    "across the county for many years and have safeguarding checks in place happy to travel "
    "by car bus or on foot weekday mornings suit most of us some can come at weekends"
)
FILLER = _FILLER_TEXT.split()


_VOCABULARY = {"size": 30_000}


def args_vocabulary() -> int:
    return _VOCABULARY["size"]


def pseudo_words(count: int, seed: int) -> list[str]:
    """Distinct made-up words (stand-ins for names, places and typos)."""
    rng = random.Random(seed)
    onsets = ["b", "br", "c", "ch", "d", "dr", "f", "g", "gl", "h", "j", "k", "l", "ll", "m",
              "n", "p", "pr", "r", "s", "sh", "st", "t", "th", "tr", "v", "w", "y", "z"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "y", "ae"]
    codas = ["", "n", "r", "l", "s", "th", "ck", "m", "dd", "ng", "st"]
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
                          for _ in range(rng.randint(2, 3))))
    return sorted(words)


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory of this process in MB (``VmHWM`` for the peak so far)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def make_partners(n: int, seed: int) -> PartnerTable:
    rng = np.random.default_rng(seed)
    lat, lon, _ = scatter_points(rng, n)
    n_act = rng.integers(1, 5, size=n)
    act = rng.integers(0, len(ACTIVITIES), size=(n, 4))
    filler = rng.integers(0, len(FILLER), size=(n, 12))
    # Real descriptions name people, places and things: a long Zipf tail of distinct words.
    rare_words = pseudo_words(args_vocabulary(), seed)
    rare = np.minimum(rng.zipf(1.3, size=(n, 4)) - 1, len(rare_words) - 1)
    texts = []
    for i in range(n):
        interests = " . ".join(ACTIVITIES[j] for j in act[i, : n_act[i]])
        texts.append(interests + " . " + " ".join(FILLER[j] for j in filler[i]) + " "
                     + " ".join(rare_words[j] for j in rare[i]))
    langs = [["en"] for _ in range(n)]
    for i in np.flatnonzero(rng.random(n) < 0.15).tolist():
        langs[i] = ["en", OTHER_LANGUAGES[int(rng.integers(len(OTHER_LANGUAGES)))]]
    known_avail = rng.random(n) < 0.6
    avail = rng.integers(0, 1 << 21, size=n).astype(np.uint32) & rng.integers(
        0, 1 << 21, size=n).astype(np.uint32)
    avail = np.where(known_avail, avail, np.uint32(1 << 31)).astype(np.uint32)
    capacity = np.where(rng.random(n) < 0.5, rng.integers(1, 9, size=n), -1)
    active = np.where(capacity > 0, rng.integers(0, 9, size=n) % np.maximum(capacity + 1, 1), 0)
    status = rng.choice(np.array([0, 1, 2], dtype=np.int8), size=n, p=[0.9, 0.05, 0.05])
    return PartnerTable.from_columns(
        ids=np.arange(1, n + 1, dtype=np.int64),
        names=[f"Group {i}" for i in range(1, n + 1)],
        kinds=rng.integers(0, len(KINDS), size=n).astype(np.int16),
        kind_labels=KINDS,
        lat=lat, lon=lon,
        travel_radius_km=rng.uniform(3.0, 25.0, size=n).round(1),
        texts=texts,
        languages=langs,
        availability=avail,
        capacity=capacity,
        active=active,
        remote=rng.random(n) < 0.3,
        status=status,
    )


def make_homes(n: int, seed: int) -> list[Home]:
    rng = random.Random(seed)
    lats, lons, towns = scatter_points(np.random.default_rng(seed), n)
    homes = []
    for i in range(1, n + 1):
        name, lat, lon = TOWNS[towns[i - 1]][0], float(lats[i - 1]), float(lons[i - 1])
        residents = rng.randint(10, 80)
        languages = [("en", residents)]
        if rng.random() < 0.4:
            languages.append((rng.choice(OTHER_LANGUAGES), rng.randint(1, 12)))
        avail = None if rng.random() < 0.5 else {
            f"{d}_{p}" for d in rng.sample(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], 3)
            for p in ("am", "pm")}
        homes.append(Home(
            id=i, name=f"{name} Care Home {i}", lat=lat, lon=lon,
            search_radius_km=float(rng.choice([5, 8, 10, 15])),
            interests=rng.sample(ACTIVITIES, rng.randint(2, 5)),
            interests_text=rng.choice(["", "Many residents worked in the mills.",
                                       "Our residents enjoy a good sing-song and a cuppa."]),
            languages=languages, residents=residents,
            visiting_status=rng.choices(["open", "restricted", "closed"], [85, 10, 5])[0],
            availability=avail, town=name))
    return homes


# ------------------------------------------------------------------------------- baseline
class SqliteBaseline:
    """Partners in SQLite with an index on (lat, lon); each query scores rows in Python."""

    def __init__(self, ranker: Ranker):
        seg = ranker.main_
        n = seg.n
        self.ranker = ranker
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE TABLE partner (id INTEGER PRIMARY KEY, lat REAL, lon REAL, travel REAL, "
            "flags INTEGER, kind INTEGER, con TEXT, avail INTEGER, cap REAL, "
            "terms BLOB, weights BLOB, langs TEXT)")
        tf_col = seg.tf_keys // n
        tf_pos = seg.tf_keys - tf_col * n
        order = np.argsort(tf_pos, kind="stable")
        cols, vals = tf_col[order].astype(np.int32), seg.tf_vals[order]
        bounds = np.searchsorted(tf_pos[order], np.arange(n + 1))
        lang_of = seg.lang_keys // n
        langs: dict[int, list[str]] = {}
        for pos, lang in zip((seg.lang_keys - lang_of * n).tolist(), lang_of.tolist(), strict=True):
            langs.setdefault(pos, []).append(str(lang))
        rows = []
        for p in range(n):
            a, b = bounds[p], bounds[p + 1]
            con = words_to_mask(seg.con[:, p].tolist())  # concept words as one integer
            rows.append((
                int(seg.ids[p]), float(seg.lat[p]), float(seg.lon[p]), float(seg.travel[p]),
                int(seg.flags[p]), int(seg.kind[p]), str(con),
                int(seg.avail[p]), float(seg.cap_comp[p]), cols[a:b].tobytes(),
                vals[a:b].tobytes(), ",".join(langs.get(p, []))))
        self.db.executemany("INSERT INTO partner VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        self.db.execute("CREATE INDEX partner_lat_lon ON partner (lat, lon)")
        self.db.commit()

    def rank(self, home: Home, k: int = 20):
        q = self.ranker._prepare(home, None, None)
        radius = limit_km(q.radius)
        dlat = math.degrees(radius / 6371.0088)
        dlon = dlat / max(math.cos(math.radians(abs(home.lat) + dlat)), 1e-6)
        rows = self.db.execute(
            "SELECT id, lat, lon, travel, flags, con, avail, cap, terms, weights, langs "
            "FROM partner WHERE lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?",
            (home.lat - dlat, home.lat + dlat, home.lon - dlon, home.lon + dlon)).fetchall()
        items = q.cover.items
        qlangs = dict(zip(map(str, q.lang_ids.tolist()), q.lang_w.tolist(), strict=True))
        w, wsum = q.weights.tolist(), q.weight_sum
        need = int(_ALIVE | _CAPACITY_OK)
        scored = []
        for pid, lat, lon, travel, flags, con, avail, cap, terms, _weights, langs in rows:
            if flags & need != need or not flags & _APPROVED:
                continue
            if q.status == "closed" and not flags & _REMOTE:
                continue
            d = float(haversine_km(home.lat, home.lon, lat, lon))
            if d > min(radius, limit_km(travel)):
                continue
            reach = min(q.radius, travel)
            comp_d = min(max(1 - d / reach, 0.0), 1.0) if reach > 0 else 1.0
            # Coverage, interest by interest (matcher.domain.ranking.coverage).
            con = int(con)
            present = set(np.frombuffer(terms, np.int32).tolist()) if terms else set()
            n_served = n_partial = 0
            for item in items:
                m = item.masks
                ok = bool(con & m.serve) and (not m.qualifier or bool(con & m.qualifier))
                cols = item.exact_cols
                ok = ok or (cols is not None and present.issuperset(cols))
                n_served += ok
                n_partial += (not ok) and bool(con & (m.partial | m.serve))
            full = min(len(items), FULL_COVERAGE_AT)
            comp_i = (n_served + PARTIAL_CREDIT * (n_partial > 0)) / full if items else 0.0
            comp_i = 0.0 if not w[1] else min(comp_i, 1.0)
            comp_l = min(sum(qlangs.get(t, 0.0) for t in langs.split(",") if t), 1.0)
            if q.avail & (1 << 31) or avail & (1 << 31):
                comp_a = 0.5
            else:
                both = min((avail & ((1 << 31) - 1)).bit_count(), q.avail_n)
                comp_a = (avail & q.avail).bit_count() / both if both else 0.0
            # Same order of additions as the Ranker, so equal scores stay equal to the bit.
            partial = w[1] * comp_i + w[2] * comp_l + w[4] * cap
            score = w[0] * comp_d + partial
            if w[3]:
                score += w[3] * comp_a
            score /= wsum
            tier = 2.0 * (((w[1] > 0) and n_served > 0) or ((w[2] > 0) and comp_l > 0))
            if q.status == "restricted":
                tier += 4.0 * bool(flags & _REMOTE)
            scored.append((-(tier + score), d, pid, score))
        scored.sort()
        return [(pid, score) for _, _, pid, score in scored[:k]]


def compare_spatial_search(ranker: Ranker, homes: list[Home]) -> None:
    """Candidate search alone: the grid's row ranges against scipy's k-d tree ball query
    on the same 3-D unit vectors (both then apply the partners' own travel radii)."""
    from scipy.spatial import cKDTree

    seg = ranker.main_
    t = time.perf_counter()
    tree = cKDTree(seg.geo[:, :3])
    build_s = time.perf_counter() - t
    grid_t, tree_t, same = [], [], 0
    for home in homes:
        q = ranker._prepare(home, None, None)
        c = time.process_time()
        starts = np.searchsorted(seg.key, q.lo_keys)
        ends = np.searchsorted(seg.key, q.hi_keys)
        spans = [(a, b) for a, b in zip(starts.tolist(), ends.tolist(), strict=True) if b > a]
        if spans:
            geo = np.concatenate([seg.geo[a:b] for a, b in spans])
            pos = np.concatenate([np.arange(a, b) for a, b in spans])
            dot = geo[:, :3] @ np.asarray(q.xyz)
            grid = pos[dot >= np.maximum(geo[:, 3], 1.0 - 0.5 * q.c2)]
        else:
            grid = np.zeros(0, np.int64)
        grid_t.append(time.process_time() - c)
        c = time.process_time()
        found = np.asarray(tree.query_ball_point(q.xyz, math.sqrt(q.c2)), dtype=np.int64)
        if len(found):
            g = seg.geo[found]
            dot = g[:, :3] @ np.asarray(q.xyz)
            found = found[dot >= np.maximum(g[:, 3], 1.0 - 0.5 * q.c2)]
        tree_t.append(time.process_time() - c)
        same += set(grid.tolist()) == set(found.tolist())
    g50, g95 = percentiles(grid_t)
    k50, k95 = percentiles(tree_t)
    print(f"candidate search only, CPU: grid p50 {g50:.2f} ms p95 {g95:.2f} ms (built in fit); "
          f"cKDTree p50 {k50:.2f} ms p95 {k95:.2f} ms (+{build_s:.1f} s to build); "
          f"same candidates {same}/{len(homes)}", flush=True)


def percentiles(values):
    arr = np.array(values) * 1000
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 95))


def bench(size: int, args) -> None:
    print(f"\n=== {size:,} partners ===", flush=True)
    gc.collect()
    t = time.perf_counter()
    table = make_partners(size, args.seed)
    homes = make_homes(args.homes, args.seed + 1)
    print(f"generate data + PartnerTable: {time.perf_counter() - t:.1f} s "
          f"(RSS {rss_mb():.0f} MB)", flush=True)
    before = rss_mb()
    print(load(), flush=True)
    t, c = time.perf_counter(), time.process_time()
    ranker = Ranker(n_jobs=args.n_jobs).fit(table)
    fit_s, fit_cpu = time.perf_counter() - t, time.process_time() - c
    seg = ranker.main_
    index_mb = sum(getattr(seg, name).nbytes for name in vars(seg)
                   if isinstance(getattr(seg, name), np.ndarray)) / 2**20
    print(f"fit: {fit_s:.2f} s wall, {fit_cpu:.2f} s CPU; RSS {before:.0f} -> {rss_mb():.0f} MB "
          f"(peak {rss_mb('VmHWM'):.0f} MB; index arrays {index_mb:.0f} MB; "
          f"{len(ranker.tfidf_.columns):,} TF-IDF stems)", flush=True)
    del table
    gc.collect()
    print(f"RSS after dropping the input table: {rss_mb():.0f} MB", flush=True)

    rng = random.Random(args.seed + 2)
    sample = rng.sample(homes, min(args.queries, len(homes)))
    for home in sample[:5]:
        ranker.rank(home, k=args.k)  # warm-up
    times, cpu, results = [], [], []
    for home in sample:
        t, c = time.perf_counter(), time.process_time()
        results.append(ranker.rank(home, k=args.k))
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    p50, p95 = percentiles(times)
    c50, c95 = percentiles(cpu)
    print(f"rank(home, k={args.k}) over {len(sample)} homes: p50 {p50:.2f} ms, "
          f"p95 {p95:.2f} ms, max {max(times) * 1000:.1f} ms wall; CPU p50 {c50:.2f} ms, "
          f"p95 {c95:.2f} ms", flush=True)

    if args.compare_kdtree:
        compare_spatial_search(ranker, sample)

    if args.baseline_queries:
        t = time.perf_counter()
        baseline = SqliteBaseline(ranker)
        print(f"baseline: SQLite load {time.perf_counter() - t:.1f} s", flush=True)
        btimes, agree, near = [], 0, 0
        chosen = sample[: args.baseline_queries]
        for home, fast in zip(chosen, results, strict=False):
            t = time.perf_counter()
            slow = baseline.rank(home, k=args.k)
            btimes.append(time.perf_counter() - t)
            if [m.partner_id for m in fast] == [pid for pid, _ in slow]:
                agree += 1
            elif np.allclose([m.score for m in fast], [s for _, s in slow], atol=1e-9):
                near += 1  # same scores, order differs only among exact ties
        p50b, p95b = percentiles(btimes)
        print(f"baseline rank over {len(chosen)} homes: p50 {p50b:.1f} ms, p95 {p95b:.1f} ms; "
              f"identical top lists {agree}/{len(chosen)}"
              + (f", same scores with tie order differing {near}" if near else ""), flush=True)
        del baseline
        gc.collect()

    if args.rank_many:
        for k in args.rank_many_k:
            print(load(), flush=True)
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            t, c = time.perf_counter(), time.process_time()
            out = ranker.rank_many(homes, k=k, n_jobs=args.n_jobs)
            rm_s = time.perf_counter() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (time.process_time() - c + after.ru_utime + after.ru_stime
                   - children.ru_utime - children.ru_stime)
            total = sum(len(v) for v in out.values())
            print(f"rank_many: {len(homes):,} homes x top-{k} with n_jobs={args.n_jobs}: "
                  f"{rm_s:.1f} s wall, {cpu:.1f} CPU-s in all processes ({total:,} matches)",
                  flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        ranker.save(tmp)
        save_s = time.perf_counter() - t
        size_mb = sum(f.stat().st_size for f in Path(tmp).iterdir()) / 2**20
        t = time.perf_counter()
        loaded = Ranker.load(tmp)
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        again = loaded.rank(sample[0], k=args.k)
        first_s = time.perf_counter() - t
        same = [m.partner_id for m in again] == [m.partner_id for m in results[0]]
        print(f"save {save_s:.1f} s ({size_mb:.0f} MB on disk); load {load_s:.2f} s; first query "
              f"after load {first_s * 1000:.0f} ms; same answer: {same}", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--baseline-queries", type=int, default=50,
                        help="homes to run through the SQLite baseline (0 to skip)")
    parser.add_argument("--homes", type=int, default=17_000)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--no-rank-many", dest="rank_many", action="store_false")
    parser.add_argument("--no-kdtree", dest="compare_kdtree", action="store_false",
                        help="skip the grid versus k-d tree comparison")
    parser.add_argument("--rank-many-k", type=int, nargs="+", default=[20, 5],
                        help="list lengths for the rank_many runs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--vocabulary", type=int, default=30_000,
                        help="distinct rare words in descriptions (besides common ones)")
    args = parser.parse_args(argv)
    _VOCABULARY["size"] = args.vocabulary
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs")
    for size in args.sizes:
        bench(size, args)


if __name__ == "__main__":
    main()
