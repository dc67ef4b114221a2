"""`make run` (scripts/run.sh) on a busy port: a clear message naming PORT, nothing built."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_busy_port_stops_make_run_before_anything_is_built_and_names_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "VENV": "no-such-venv",
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        done = subprocess.run(["bash", str(ROOT / "scripts" / "run.sh")], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"Port {port} on 127.0.0.1 is busy" in done.stderr
    assert "PORT=" in done.stderr
    assert "Kith is running" not in done.stdout
    assert "postcodes" not in done.stdout  # the index was not built, nor anything else
