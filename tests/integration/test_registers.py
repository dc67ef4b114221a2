"""Successive releases of the regulators' registers: continuation of renamed homes, review of
uncertain pairs, deregistration of departed homes, dry runs (issue #18)."""

from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import func, select

from matcher.models import AuditLog, CareHome, ImportReview

RQIA_HEADER = ["ServiceName", "AddressLine1", "AddressLine2", "Town", "Postcode", "Tel",
               "Category", "Max Approved Places", "Categories of Care",
               "Conditions(AsOnCertificate)", "Manager", "ProviderName"]


def rqia_row(name, line1, postcode, category="Residential (RC)", places=20, codes="RC-I"):
    return [name, line1, None, "Belfast", postcode, None, category, places, codes, None,
            "A Manager", "Example Care Ltd"]


def write_xlsx(path, sheet, rows):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def rqia_file(path, rows):
    return write_xlsx(path, "Automated_REP019_WebRegister", [RQIA_HEADER, *rows])


OLD_RQIA = [
    rqia_row("abbey view", "12 Main Street", "BT7 1NN"),
    rqia_row("Ardlough House", "2 ardlough road", "BT9 7AB", "Nursing (NH)", 40, "NH-I, NH-DE"),
    rqia_row("Beech Court", "1 Low Road", "BT12 6BA"),
    rqia_row("Ashgrove House", "7 Hill St", "BT2 8BG"),
    rqia_row("Closed Lodge", "9 Shore Road", "BT1 1AA"),
]
NEW_RQIA = [
    rqia_row("abbey view care home", "12 Main Street", "BT7 1NN", places=24),
    rqia_row("Ardlough House", "2a ardlough road", "BT9 7AB", "Nursing (NH)", 40, "NH-I, NH-DE"),
    rqia_row("Beech Court", "1 Low Road", "BT12 6BA"),
    rqia_row("Ashbrook House", "9 Hill Street", "BT2 8BG"),
    rqia_row("Harbour View", "3 Quay Street", "BT1 4NX"),
    rqia_row("Belfast Home Support", "3 Example Street", "BT1 5GS", "Domiciliary Care Agency",
             None, None),
]


def run(runner, *args):
    return runner.invoke(args=list(map(str, args)))


def homes(db, **by):
    return db.session.scalars(select(CareHome).filter_by(**by).order_by(CareHome.id)).all()


def one(db, **by):
    return db.session.scalar(select(CareHome).filter_by(**by))


@pytest.fixture
def releases(tmp_path):
    return rqia_file(tmp_path / "rqia_2020.xlsx", OLD_RQIA), \
        rqia_file(tmp_path / "rqia_2025.xlsx", NEW_RQIA)


def test_a_newer_release_updates_continues_and_deregisters(runner, db, releases):
    old, new = releases
    first = run(runner, "import", "care-homes", old)
    assert first.exit_code == 0, first.output
    assert "5 created" in first.output
    ids = {h.name: h.id for h in homes(db)}

    result = run(runner, "import", "care-homes", new)
    assert result.exit_code == 0, result.output
    assert ("1 created, 0 updated, 1 unchanged, 0 rejected, 1 skipped, 2 continued under a new "
            "name, 1 deregistered, 1 to confirm") in result.output
    db.session.expire_all()
    # renamed and re-addressed homes keep their record and id
    abbey = db.session.get(CareHome, ids["abbey view"])
    assert abbey.name == "abbey view care home" and abbey.residents == 24
    ardlough = db.session.get(CareHome, ids["Ardlough House"])
    assert ardlough.address_line1 == "2a ardlough road" and ardlough.status == "active"
    assert "'abbey view', 12 Main Street (home" in result.output
    # the old name is on record
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity_type == "care_homes", AuditLog.entity_id == abbey.id,
        AuditLog.action == "update")) == 1
    # the departed home is kept, deregistered; the new one is created
    closed = db.session.get(CareHome, ids["Closed Lodge"])
    assert closed.status == "deregistered"
    assert one(db, name="Harbour View").status == "active"
    # the uncertain pair is held for a coordinator: neither changed nor duplicated
    assert one(db, name="Ashbrook House") is None
    assert db.session.get(CareHome, ids["Ashgrove House"]).status == "active"
    review = db.session.scalar(select(ImportReview))
    assert review.care_home_id == ids["Ashgrove House"] and review.status == "pending"
    assert f"review {review.id}" in result.output
    assert len(homes(db)) == 6 and len(homes(db, status="active")) == 5

    # importing the same release again changes nothing and keeps the one review
    again = run(runner, "import", "care-homes", new)
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 4 unchanged" in again.output and "1 to confirm" in again.output
    assert db.session.scalar(select(func.count()).select_from(ImportReview)) == 1


def test_a_coordinator_settles_an_uncertain_pair(runner, db, releases):
    old, new = releases
    run(runner, "import", "care-homes", old)
    run(runner, "import", "care-homes", new)
    listed = run(runner, "import", "reviews")
    review = db.session.scalar(select(ImportReview))
    assert f"Review {review.id}: 'Ashbrook House'" in listed.output
    assert "'Ashgrove House'" in listed.output

    ashgrove_id = review.care_home_id
    answer = run(runner, "import", "confirm", review.id, "same")
    assert answer.exit_code == 0, answer.output
    db.session.expire_all()
    home = db.session.get(CareHome, ashgrove_id)
    assert home.name == "Ashbrook House" and home.address_line1 == "9 Hill Street"
    assert home.external_key == "rqia:ashbrook house|9 hill street|bt28bg|rc"
    assert run(runner, "import", "confirm", review.id, "same").exit_code == 1  # answered
    # the next release finds it directly
    result = run(runner, "import", "care-homes", new)
    assert "0 created, 0 updated, 5 unchanged" in result.output, result.output
    assert "to confirm" not in result.output


def test_a_different_home_is_added_and_the_old_one_deregistered(runner, db, releases):
    old, new = releases
    run(runner, "import", "care-homes", old)
    run(runner, "import", "care-homes", new)
    review = db.session.scalar(select(ImportReview))
    answer = run(runner, "import", "confirm", review.id, "different")
    assert answer.exit_code == 0, answer.output
    db.session.expire_all()
    assert one(db, name="Ashbrook House").status == "active"
    assert db.session.get(CareHome, review.care_home_id).status == "deregistered"


def test_a_dry_run_reports_and_writes_nothing(runner, db, releases):
    old, new = releases
    run(runner, "import", "care-homes", old)
    before = [(h.id, h.name, h.status, h.address_line1) for h in homes(db)]
    result = run(runner, "import", "care-homes", new, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was written" in result.output
    assert "1 created" in result.output and "2 continued under a new name" in result.output
    assert "'Closed Lodge' (home" in result.output  # would be deregistered
    assert "'Ashbrook House', 9 Hill Street may continue 'Ashgrove House'" in result.output
    db.session.expire_all()
    assert [(h.id, h.name, h.status, h.address_line1) for h in homes(db)] == before
    assert db.session.scalar(select(func.count()).select_from(ImportReview)) == 0


def test_a_partial_file_deregisters_nobody(runner, db, releases, tmp_path):
    old, _ = releases
    run(runner, "import", "care-homes", old)
    part = rqia_file(tmp_path / "part.xlsx", OLD_RQIA[:2])
    result = run(runner, "import", "care-homes", part, "--partial")
    assert result.exit_code == 0, result.output
    assert "deregistered" not in result.output.split("\n")[1]
    assert len(homes(db, status="active")) == 5


def test_a_deregistered_home_that_returns_is_active_again(runner, db, releases, tmp_path):
    old, new = releases
    run(runner, "import", "care-homes", old)
    run(runner, "import", "care-homes", new)
    closed = one(db, name="Closed Lodge")
    assert closed.status == "deregistered"
    back = rqia_file(tmp_path / "back.xlsx", [*NEW_RQIA, OLD_RQIA[4]])
    result = run(runner, "import", "care-homes", back)
    assert result.exit_code == 0, result.output
    assert "1 deregistered homes are on the register again" in result.output
    db.session.refresh(closed)
    assert closed.status == "active"


def test_rejected_rows_keep_everyone_registered(runner, db, releases, tmp_path):
    old, _ = releases
    run(runner, "import", "care-homes", old)
    broken = rqia_file(tmp_path / "broken.xlsx", [OLD_RQIA[0], rqia_row("No Postcode", "1 A St",
                                                                        None)])
    result = run(runner, "import", "care-homes", broken, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "No home was deregistered: 1 rows were rejected" in result.output
    assert len(homes(db, status="active")) == 5


def test_progress_shows_rows_per_second_and_a_bar_when_asked(runner, db, tmp_path):
    lines = ["name,postcode"] + [f"Home {i},BT1 5GS" for i in range(250)]
    path = tmp_path / "homes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    quiet = run(runner, "import", "care-homes", path)
    assert quiet.exit_code == 0, quiet.output
    assert "rows/s" not in quiet.stderr  # not a terminal, not asked
    shown = run(runner, "import", "care-homes", path, "--progress")
    assert shown.exit_code == 0, shown.output
    assert "250 rows" in shown.stderr and "rows/s" in shown.stderr
    assert "[" + "#" * 30 + "] 100%" in shown.stderr
