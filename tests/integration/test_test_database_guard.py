"""`make test` with DATABASE_URL pointing at a database with real data refuses, leaving it as
it was; an empty database, or one an earlier run marked as the suite's own, is used."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine

from tests.conftest import foreign_data, mark_as_test_database

ROOT = Path(__file__).resolve().parent.parent.parent


def _development_database(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE care_homes (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO care_homes (name) VALUES (?)",
                         [("Plas Menai",), ("Bryn Seiont",)])


def test_the_suite_refuses_a_database_holding_data_and_leaves_it_untouched(tmp_path):
    path = tmp_path / "development.sqlite3"
    _development_database(path)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    env.pop("TEST_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/integration/test_migrations.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "Refusing to run the tests" in done.stdout
    assert "2 rows in care_homes" in done.stdout and "Nothing was changed" in done.stdout
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM care_homes ORDER BY id")] == [
            "Plas Menai", "Bryn Seiont"]


def test_an_empty_or_marked_database_may_be_used(tmp_path):
    empty = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert foreign_data(empty) is None
    held = tmp_path / "held.sqlite3"
    _development_database(held)
    engine = create_engine(f"sqlite:///{held}")
    assert "not a test database" in foreign_data(engine)
    mark_as_test_database(engine)
    assert foreign_data(engine) is None
    engine.dispose()
    empty.dispose()


def test_the_run_s_own_database_carries_the_mark(app, db):
    # So that the next run on the same DATABASE_URL (CI's, a developer's test database) may
    # empty it again even though it now holds what this run left.
    from tests.conftest import _has_test_mark

    # The test's own connection: on SQLite a second one would wait for its write lock.
    assert _has_test_mark(db.session.connection())
