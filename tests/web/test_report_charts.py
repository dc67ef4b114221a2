"""The coordinator's charts: series per month, the funnel, nation scope and the page."""

from __future__ import annotations

import datetime as dt
import json

from matcher.models import Visit, VisitOccurrence
from matcher.services import introductions, report_charts
from matcher.services.audit import SYSTEM

PASSWORD = "coordinating is fun"
TODAY = dt.date(2026, 12, 4)


def _at(month: str, day: int = 10) -> dt.datetime:
    year, number = (int(part) for part in month.split("-"))
    return dt.datetime(year, number, day, 12, tzinfo=dt.UTC)


def _network(db, make_home, make_group):
    """Two Welsh registrations in October and one in December, one Scottish; introductions
    that got as far as active, introduced and declined; two visits done in November."""
    home = make_home()
    groups = [make_group(name=f"Côr {n}", postcode="LL55 4EL") for n in range(3)]
    scottish = make_group(name="Leith Singers", postcode="EH6 7EQ")
    for group, month in zip(groups, ("2026-10", "2026-10", "2026-12"), strict=True):
        group.created_at = _at(month)
    scottish.created_at = _at("2026-10")
    active = introductions.create_introduction(db.session, home, groups[0], SYSTEM,
                                               status="requested")
    for status in ("introduced", "active"):
        introductions.transition(db.session, active, status, SYSTEM)
    introduced = introductions.create_introduction(db.session, home, groups[1], SYSTEM,
                                                   status="requested")
    introductions.transition(db.session, introduced, "introduced", SYSTEM)
    declined = introductions.create_introduction(db.session, home, groups[2], SYSTEM)
    introductions.transition(db.session, declined, "declined", SYSTEM)
    for intro, month in ((active, "2026-09"), (introduced, "2026-11"), (declined, "2026-11")):
        intro.created_at = _at(month)
    visit = Visit(introduction_id=active.id, starts_at=_at("2026-11", 3),
                  start_local="2026-11-03T12:00:00+00:00", ends_at=_at("2026-11", 24),
                  duration_minutes=60, mode="in_person", repeat="weekly")
    db.session.add(visit)
    db.session.flush()
    for day in (3, 10):
        db.session.add(VisitOccurrence(visit_id=visit.id, key=f"2026-11-{day:02d}T12:00:00Z",
                                       starts_at=_at("2026-11", day), status="done"))
    db.session.add(VisitOccurrence(visit_id=visit.id, key="2026-11-17T12:00:00Z",
                                   starts_at=_at("2026-11", 17), status="missed"))
    db.session.commit()


def test_series_per_month_and_funnel(db, make_home, make_group, make_user):
    _network(db, make_home, make_group)
    coordinator, _ = make_user("coordinator", nation="wales")
    charts = report_charts.charts(db.session, coordinator, nation=None, months=4, today=TODAY)
    assert charts.months == ["2026-09", "2026-10", "2026-11", "2026-12"]
    assert charts.registrations == [0, 2, 0, 1]  # the Scottish choir is not Wales's
    assert charts.introductions == [1, 0, 2, 0]
    assert charts.visits_done == [0, 0, 2, 0]  # the missed one is not counted
    assert dict(charts.funnel) == {"suggested": 3, "requested": 2, "introduced": 2,
                                   "active": 1}
    assert dict(charts.closed)["declined"] == 1
    admin, _ = make_user("admin")
    everyone = report_charts.charts(db.session, admin, nation=None, months=4, today=TODAY)
    assert everyone.registrations == [0, 3, 0, 1]
    scotland = report_charts.charts(db.session, admin, nation="scotland", months=4, today=TODAY)
    assert scotland.introductions == [0, 0, 0, 0] and scotland.registrations == [0, 1, 0, 0]


def test_months_back_crosses_the_year():
    assert report_charts.months_back(dt.date(2027, 2, 1), 3) == ["2026-12", "2027-01", "2027-02"]


def test_reports_page_has_a_table_behind_every_chart(client, db, make_home, make_group,
                                                     make_user, sign_in):
    _network(db, make_home, make_group)
    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    sign_in(user.email, PASSWORD)
    response = client.get("/coordinator/reports")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for key in ("registrations", "introductions", "funnel", "visits_done"):
        assert f'data-chart="{key}"' in html
        assert f'id="table-{key}"' in html
    assert "<caption" in html and "<script>" not in html  # data in a JSON block, no inline JS
    block = html.split('id="report-charts-data">', 1)[1].split("</script>", 1)[0]
    data = json.loads(block)
    assert len(data["months"]) == len(data["month_labels"]) == 12
    assert data["funnel"] == [3, 2, 2, 1]
    funnel = html.split('id="table-funnel"', 1)[1].split("</table>", 1)[0]
    assert "<td class=\"govuk-table__cell govuk-table__cell--numeric\">3</td>" in funnel
