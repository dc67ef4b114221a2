"""The partner card in words: visiting times, children, remote contact, the check."""

import pytest

from matcher.presentation.partner_card import (
    long_date,
    remote_sentence,
    safeguarding_sentence,
    visit_times,
)


@pytest.mark.parametrize(("slots", "words"), [
    (["tue_pm", "thu_pm"], "Tuesday and Thursday afternoons"),
    (["thu_pm", "tue_pm", "sat_am"], "Saturday mornings; Tuesday and Thursday afternoons"),
    ([f"{d}_am" for d in ("mon", "tue", "wed", "thu", "fri")], "weekday mornings"),
    (["sat_eve", "sun_eve"], "weekend evenings"),
    ([f"{d}_pm" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")], "every afternoon"),
    (["mon_am", "wed_am", "fri_am"], "Monday, Wednesday and Friday mornings"),
    ([], ""),
    (None, ""),
])
def test_visit_times_group_days_by_part_of_the_day(slots, words):
    assert visit_times(slots) == words


@pytest.mark.parametrize(("check", "words"), [
    ({"scheme": "DBS", "status": "valid", "expires_on": "2027-03-03"},
     "DBS check valid until 3 March 2027"),
    ({"scheme": "PVG", "status": "valid", "expires_on": None},
     "PVG check valid (no expiry date recorded)"),
    ({"scheme": "DBS", "status": "expired", "expires_on": "2026-06-01"},
     "DBS check expired on 1 June 2026"),
    ({"scheme": "AccessNI", "status": "pending", "expires_on": None},
     "AccessNI check applied for, not yet confirmed"),
    ({"scheme": None, "status": "none", "expires_on": None}, "No check recorded"),
    (None, "No check recorded"),
])
def test_the_check_in_plain_words(check, words):
    assert safeguarding_sentence(check) == words


def test_remote_contact_and_dates():
    assert remote_sentence(True, ["video", "letters"]) == "Video calls and letters or cards"
    assert remote_sentence(True, []) == "Remotely (how not said yet)"
    assert remote_sentence(False, []) == "In person only"
    assert long_date("2099-12-25") == "25 December 2099" and long_date(None) == ""
