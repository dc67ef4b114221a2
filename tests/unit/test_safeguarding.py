"""Safeguarding checks in the match: when a visit needs one, validity on a fixed day, the
flag and reason on the match, and the order (below an otherwise equal partner with a check)."""

import datetime as dt

import pytest

from matcher.domain import safeguarding
from matcher.domain.ranking import Home, Partner, PartnerTable, Ranker
from matcher.domain.ranking.batch import _pack, _unpack
from matcher.presentation.reasons import render_reasons

TODAY = dt.date(2026, 12, 3)
BANGOR = (53.2274, -4.1293)
DAY = dt.timedelta(days=1)


def partner(pid, *, scheme="DBS", status="valid", expires=None, remote=False, east=0.0,
            **extra):
    lat, lon = BANGOR
    return Partner(id=pid, name=f"Choir {pid}", kind="choir", lat=lat + 0.02,
                   lon=lon + east, travel_radius_km=20, interests=["singing"],
                   languages=["en"], offers_remote=remote, safeguarding_scheme=scheme,
                   safeguarding_status=status, safeguarding_expires_on=expires, **extra)


def home(status="open", nation="wales"):
    lat, lon = BANGOR
    return Home(id=1, name="Cartref", lat=lat, lon=lon, search_radius_km=15,
                interests=["singing"], languages=[("en", 20)], visiting_status=status,
                nation=nation)


def ranked(partners, status="open", today=TODAY, nation="wales"):
    return Ranker().fit(partners).rank(home(status, nation), k=10, today=today)


# --- the rule -------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "expires", "judged", "valid"), [
    ("valid", TODAY + 365 * DAY, "valid", True),
    ("valid", TODAY, "valid", True),  # valid on its last day
    ("valid", TODAY - DAY, "expired", False),
    ("valid", None, "valid", True),
    ("expired", None, "expired", False),
    ("pending", None, "pending", False),
    ("none", None, "none", False),
    (None, None, "none", False),
])
def test_a_check_is_judged_on_the_day_given(status, expires, judged, valid):
    check = safeguarding.judge("DBS", status, expires, TODAY, True)
    assert (check.status, check.valid) == (judged, valid)
    assert check.flagged is (not valid)


@pytest.mark.parametrize(("visiting", "remote", "needed"), [
    ("open", False, True), ("open", True, True),
    ("restricted", False, True), ("restricted", True, False),
    ("closed", True, False),
])
def test_a_check_is_needed_unless_the_contact_is_remote_only(visiting, remote, needed):
    assert safeguarding.needed(visiting, remote) is needed


def test_encoding_keeps_scheme_status_and_date():
    for scheme, status, expires in [("PVG", "valid", TODAY), ("AccessNI", "pending", None),
                                    (None, None, None), ("DBS", "expired", TODAY - DAY)]:
        code, until = safeguarding.encode(scheme, status, expires)
        assert safeguarding.decode(code, until) == (scheme, status or "none", expires)


# --- in the ranking -------------------------------------------------------------------------

def test_an_expired_check_ranks_below_an_otherwise_equal_partner_with_a_valid_one():
    # The expired one is the lower id, which would otherwise win the tie.
    matches = ranked([partner(1, expires=TODAY - DAY), partner(2, expires=TODAY + DAY)])
    assert [m.partner_id for m in matches] == [2, 1]
    expired, valid = matches[1], matches[0]
    assert expired.score == pytest.approx(valid.score)  # the score shown is unchanged
    assert expired.safeguarding.to_dict() == {
        "scheme": "DBS", "status": "expired", "expires_on": "2026-12-02", "valid": False,
        "needed": True}
    assert valid.safeguarding.to_dict()["valid"] is True
    assert "DBS check expired on 2 December 2026: needed to visit in person" in render_reasons(
        expired.reasons)
    assert not any("check" in r for r in render_reasons(valid.reasons))


def test_the_same_check_stops_counting_the_day_after_it_expires():
    partners = [partner(1, expires=TODAY), partner(2, status="none", scheme=None)]
    assert [m.partner_id for m in ranked(partners, today=TODAY)] == [1, 2]
    later = ranked(partners, today=TODAY + DAY)
    assert [m.partner_id for m in later] == [1, 2]  # both lack one now: the id decides
    assert all(not m.safeguarding.valid for m in later)


def test_missing_and_pending_checks_are_flagged_not_hidden():
    matches = ranked([partner(1, status="none", scheme=None), partner(2, status="pending"),
                      partner(3, expires=TODAY + 30 * DAY)])
    assert [m.partner_id for m in matches] == [3, 1, 2]
    words = {m.partner_id: render_reasons(m.reasons) for m in matches}
    # A partner who recorded no scheme is told the one of the home's nation.
    assert "no DBS check recorded: needed to visit in person" in words[1]
    assert "DBS check applied for, not yet confirmed: needed to visit in person" in words[2]


def test_a_scottish_home_names_the_pvg_scheme():
    matches = ranked([partner(1, status=None, scheme=None)], nation="scotland")
    assert "no PVG check recorded: needed to visit in person" in render_reasons(
        matches[0].reasons)


def test_a_remote_only_contact_needs_no_check():
    # Restricted home: the remote partner keeps in touch remotely, so no check is needed.
    matches = ranked([partner(1, status="none", scheme=None, remote=True)], status="restricted")
    assert matches[0].safeguarding.needed is False
    assert not any("check" in r for r in render_reasons(matches[0].reasons))


def test_a_much_better_fit_without_a_check_still_comes_first():
    # The factor is small: it decides between equals, it does not bury a far better fit.
    far_valid = partner(1, expires=TODAY + DAY, east=0.2)  # ~13 km away
    near_none = partner(2, status="none", scheme=None)
    assert [m.partner_id for m in ranked([far_valid, near_none])] == [2, 1]


def test_order_is_right_in_a_crowd_where_scores_are_bounded_first():
    # Thousands of identical candidates take the bounded path of the candidate search;
    # the one valid check must still be first.
    partners = [partner(i, status="none", scheme=None) for i in range(1, 3000)]
    partners.append(partner(5000, expires=TODAY + DAY))
    matches = Ranker().fit(partners).rank(home(), k=5, today=TODAY)
    assert matches[0].partner_id == 5000


def test_checks_survive_updates_saving_and_batches(tmp_path):
    ranker = Ranker().fit([partner(1, expires=TODAY + DAY), partner(2, expires=TODAY + DAY)])
    ranker.partial_update([partner(1, expires=TODAY - DAY)])
    assert [m.partner_id for m in ranker.rank(home(), today=TODAY)] == [2, 1]
    loaded = Ranker.load(ranker.save(tmp_path / "index"))
    matches = loaded.rank(home(), today=TODAY)
    assert [m.partner_id for m in matches] == [2, 1]
    assert matches[1].safeguarding.status == "expired"
    many = loaded.rank_many([home()], today=TODAY)[1]
    assert [_unpack(_pack(m)).safeguarding for m in many] == [m.safeguarding for m in many]
    table = PartnerTable.from_partners([partner(3, scheme="PVG", expires=TODAY)])
    assert safeguarding.decode(table.check[0], table.check_until[0]) == ("PVG", "valid", TODAY)


def test_reverse_matching_flags_the_partners_check_for_each_home():
    ranker = Ranker().fit([partner(1)])
    homes = [home(), Home(id=2, name="Closed", lat=BANGOR[0], lon=BANGOR[1] + 0.01,
                          search_radius_km=15, visiting_status="closed", nation="wales")]
    unchecked = partner(9, status="expired", expires=TODAY - DAY, remote=True)
    found = {m.home_id: m for m in ranker.rank_homes(unchecked, homes=homes, today=TODAY)}
    assert found[1].safeguarding.flagged and not found[2].safeguarding.needed
    assert any("check expired" in r for r in render_reasons(found[1].reasons))
    assert not any("check" in r for r in render_reasons(found[2].reasons))


def test_with_every_weight_zero_a_needed_check_still_orders_equal_partners():
    """Scores of 0 are not lowered by the check, so the order's own key does it: the
    partner without a check comes after one with it, though it is nearer and has the lower
    id; remote-only visits (a closed home) need no check, so there distance decides."""
    zeros = dict.fromkeys(("distance", "interests", "language", "availability", "capacity"), 0)
    partners = [partner(1, status="none", scheme=None), partner(2, east=0.01)]
    fitted = Ranker().fit(partners)
    open_home = fitted.rank(home(), k=10, today=TODAY, weights=zeros)
    assert [m.score for m in open_home] == [0, 0]
    assert [m.partner_id for m in open_home] == [2, 1]
    both_remote = Ranker().fit([partner(1, status="none", scheme=None, remote=True),
                                partner(2, east=0.01, remote=True)])
    closed = both_remote.rank(home("closed"), k=10, today=TODAY, weights=zeros)
    assert [m.partner_id for m in closed] == [1, 2]
