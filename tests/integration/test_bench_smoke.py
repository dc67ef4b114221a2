"""Smoke run of the UK-scale benchmark: it completes and prints its table (figures not checked).

The quick run uses tiny sizes, SQLite in a temporary directory and short load tests on
loopback; the figures it prints mean little on a shared CI machine, so none is asserted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_completes_and_prints_its_table(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "TEST_DATABASE_URL")}  # never the shared database
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--quick"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    header = next((line for line in lines if line.startswith("| size")), None)
    assert header is not None, done.stdout[-3000:]
    assert "measure" in header and "baseline" in header and "target" in header
    assert any("Kith benchmark" in line for line in lines)
    print(done.stdout)  # shown with pytest -s: the figures of this run
