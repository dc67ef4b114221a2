"""Helpers shared by ``generate_network.py`` and ``bench.py`` (not part of the application).

Both scripts run from a checkout (``python scripts/...``), so this module puts the project
root on ``sys.path`` before anything imports ``matcher``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

MiB = 2**20


def normalise_url(url: str) -> str:
    """Database URL with the psycopg 3 driver named, as the app's config does."""
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_app(url: str, **extra):
    """The Flask app bound to ``url``, with the rate limits off (scripts are not users)."""
    from matcher import create_app

    config = {
        "SQLALCHEMY_DATABASE_URI": normalise_url(url),
        "SECRET_KEY": "generator",
        "RATELIMIT_ENABLED": False,
    }
    if os.environ.get("KITH_POSTCODE_INDEX"):  # the index the test suite shares
        config["POSTCODE_INDEX_PATH"] = os.environ["KITH_POSTCODE_INDEX"]
    config.update(extra)
    return create_app(config)


def bench_admin(session, email: str):
    """The benchmark's own admin account in its database (created the first time), for
    pages measured as a signed-in admin through Flask-Login's test client."""
    from sqlalchemy import select

    from matcher.models import User
    from matcher.services import accounts

    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        # A password nobody needs: the test client signs in without one.
        user = accounts.create_user(session, email, "admin", password=os.urandom(16).hex())
        session.commit()
    return user


def rss_bytes(pid: int | str = "self") -> int:
    """Resident set size of a process, from /proc (0 when it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def children_of(pid: int) -> list[int]:
    """Direct child process ids of ``pid`` (gunicorn's workers), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of durations in seconds, in milliseconds."""
    if not len(seconds):
        return float("nan")
    return float(np.percentile(np.asarray(seconds, dtype=np.float64), q) * 1000.0)


class Stopwatch:
    """``with Stopwatch() as t: ...`` then ``t.seconds``."""

    def __enter__(self):
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        return False


def postcode_arrays(index) -> dict[str, np.ndarray]:
    """Every postcode of the index as arrays: keys, lat, lon, local authority and district.

    The index exposes districts publicly but not its postcode arrays; reading them here keeps
    the generator from guessing inward codes. ``district`` is the position of each postcode's
    district in ``index.districts()``.
    """
    scale = float(index.header["coordinate_scale"])
    keys = np.asarray(index._unit_key)
    district_keys = np.asarray(index._district_key)
    district_mask = np.uint64(0xFFFF_FFFF_0000_0000)
    return {
        "key": keys,
        "lat": np.asarray(index._unit_lat) / scale,
        "lon": np.asarray(index._unit_lon) / scale,
        "la": np.asarray(index._unit_la).astype(np.int64),
        "district": np.searchsorted(district_keys, keys & district_mask),
    }


def postcode_text(keys: np.ndarray) -> list[str]:
    """Normalised postcodes ("SW1A 1AA") for packed ONS keys."""
    raw = np.asarray(keys, dtype=">u8").tobytes()
    out = []
    for i in range(len(keys)):
        ons = raw[8 * i:8 * i + 7].decode("ascii")
        out.append(f"{ons[:4].strip()} {ons[4:]}")
    return out
