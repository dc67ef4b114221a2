"""The set-up commands a new user runs: init-db and seed-demo are safe to repeat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from matcher.models import CareHome, CommunityGroup

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO = ROOT / "data" / "demo"


def test_init_db_creates_then_upgrades_the_schema_and_is_safe_twice(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'kith.sqlite3'}",
           "SECRET_KEY": "test"}
    for _ in range(2):
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "init-db"],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "Database ready" in result.stdout
    import sqlite3
    with sqlite3.connect(tmp_path / "kith.sqlite3") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"care_homes", "community_groups", "introductions", "users", "audit_log",
            "alembic_version"} <= tables


def test_seed_demo_loads_every_record_once_however_often_it_runs(runner, db):
    homes = len(json.loads((DEMO / "care_homes.json").read_text(encoding="utf-8")))
    groups = len(json.loads((DEMO / "groups.json").read_text(encoding="utf-8")))
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert f"{homes} homes created" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "0 homes created" in second.output and "0 groups created" in second.output
    assert db.session.scalar(select(func.count()).select_from(CareHome)) == homes
    assert db.session.scalar(select(func.count()).select_from(CommunityGroup)) == groups
    nations = set(db.session.scalars(select(CareHome.nation).distinct()))
    assert nations == {"england", "scotland", "wales", "northern-ireland"}


def test_seed_demo_again_never_undoes_a_users_edits(runner, db):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    group = db.session.scalars(select(CommunityGroup).order_by(CommunityGroup.id)).first()
    home = db.session.scalars(select(CareHome).order_by(CareHome.id)).first()
    group.name, home.name = "Renamed by its coordinator", "Renamed by its staff"
    db.session.flush()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "kept as they are" in again.output
    db.session.expire_all()
    assert db.session.get(CommunityGroup, group.id).name == "Renamed by its coordinator"
    assert db.session.get(CareHome, home.id).name == "Renamed by its staff"


def test_seed_demo_goes_on_when_a_deleted_demo_homes_regulator_id_was_reused(runner, db):
    """`make run` seeds the demo at every start: a demo home deleted by a user, whose
    regulator id another home has since taken, must not stop the service starting."""
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    first, second = db.session.scalars(select(CareHome).order_by(CareHome.id).limit(2))
    taken, name = first.regulator_id, first.name
    db.session.delete(first)
    db.session.flush()
    second.regulator, second.regulator_id = first.regulator, taken
    db.session.commit()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "0 homes created" in again.output
    assert f"Demo home left out: {name}" in again.output
    assert db.session.get(CareHome, second.id).regulator_id == taken


def test_build_ranking_index_saves_an_index_workers_load_without_refitting(
        app, runner, db, tmp_path, monkeypatch):
    from matcher.runtime import ranker_cache
    from matcher.services import matching

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    monkeypatch.delitem(app.extensions, "kith.rankers", raising=False)
    monkeypatch.setitem(app.config, "RANKING_INDEX_DIR", None)
    refused = runner.invoke(args=["build-ranking-index"])
    assert refused.exit_code != 0 and "No RANKING_INDEX_DIR" in refused.output

    monkeypatch.delitem(app.extensions, "kith.rankers", raising=False)
    monkeypatch.setitem(app.config, "RANKING_INDEX_DIR", str(tmp_path / "ranking"))
    built = runner.invoke(args=["build-ranking-index"])
    assert built.exit_code == 0, built.output
    approved = db.session.scalar(select(func.count()).select_from(CommunityGroup)
                                 .where(CommunityGroup.status == "approved"))
    assert f"{approved:,} partners" in built.output
    assert (tmp_path / "ranking" / "current" / "meta.json").exists()

    # A new worker memory-maps it: no refit, and the same suggestions as the builder's.
    def no_refit(*args, **kwargs):
        raise AssertionError("a worker refitted although a saved index was there")

    monkeypatch.setattr(matching.RankerCache, "_fit", no_refit)
    worker = matching.RankerCache(index_dir=tmp_path / "ranking")
    home = matching.home_for(db.session.scalars(select(CareHome).order_by(CareHome.id)).first())
    expected = [m.to_dict() for m in ranker_cache(app).ranker(db.session).rank(home)]
    assert expected
    assert [m.to_dict() for m in worker.ranker(db.session).rank(home)] == expected


def test_seed_demo_creates_demo_sign_ins_once_and_the_tour_opens_with_them(
        runner, client, db, tmp_path):
    import re

    path = tmp_path / "demo-sign-ins.txt"
    done = runner.invoke(args=["seed-demo", "--sign-ins", str(path),
                               "--base-url", "http://127.0.0.1:5000"])
    assert done.exit_code == 0, done.output
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_mode & 0o077 == 0  # the passwords are readable by their owner only
    found = dict(re.findall(r"^  (\S+@demo\.kith\.example)\s+(\S+)\s+\(", text, re.M))
    assert {e.split("@")[0] for e in found} == {
        "admin", "coordinator.england", "coordinator.scotland", "coordinator.wales",
        "coordinator.northern-ireland", "staff.plas-eryri"}
    tour = re.search(r"http://127\.0\.0\.1:5000(/care-homes/\d+/partners)", text).group(1)

    # The staff sign-in opens the tour's page: the Welsh home's suggested partners.
    email = "staff.plas-eryri@demo.kith.example"
    signed_in = client.post("/login", data={"email": email, "password": found[email]})
    assert signed_in.status_code == 303
    page = client.get(tour)
    assert page.status_code == 200 and "Plas Eryri" in page.get_data(as_text=True)

    # Again: nobody is created twice, and the only copy of the passwords is kept.
    again = runner.invoke(args=["seed-demo", "--sign-ins", str(path)])
    assert again.exit_code == 0 and "Demo sign-ins are in" in again.output
    assert path.read_text(encoding="utf-8") == text
    # Without --sign-ins (imports, tests), seed-demo creates no account at all.
    from matcher.models import User
    assert db.session.scalar(select(func.count()).select_from(User)) == 6
