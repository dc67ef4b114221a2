"""Merging a duplicate registration: what differs, and what the existing group ends with."""

from __future__ import annotations

import datetime as dt

import pytest

from matcher.domain import merging

CONSENTED = dt.datetime(2026, 11, 1, 9, 30, tzinfo=dt.UTC)


def _group(**values):
    base = {field: None for field in merging.FIELDS}
    base.update(name="Côr Llanberis", kind="choir", description="We sing.",
                interests=["singing"], languages=[{"tag": "cy", "name": "Welsh"}],
                postcode="LL55 4UR", travel_radius_km=10.0, availability=["sat_pm"],
                offers_remote=False, remote_modes=[], works_with_children=False,
                contact_name="Dafydd", contact_email="dafydd@example.org",
                preferred_language="cy")
    base.update(values)
    return base


def test_the_same_group_registered_again_differs_only_where_it_says_something_else():
    existing = _group()
    again = _group(name="CÔR  LLANBERIS", interests=["Hymns"],
                   contact_email="siân@example.org", contact_name="Siân",
                   consent_at=CONSENTED, privacy_notice_version="2026-06",
                   description="", capacity_per_month=None)
    found = merging.differences(existing, again)
    # Case and spacing are not a difference, an empty field says nothing, consent alone is
    # carried with the contact rather than compared.
    assert [d.part.key for d in found] == ["interests", "contact"]
    interests, contact = found
    assert interests.combined == {"interests": ["singing", "Hymns"]}
    assert contact.combined is None
    assert contact.taken["consent_at"] == CONSENTED


def test_defaults_combine_lists_and_keep_the_rest():
    found = merging.differences(_group(), _group(interests=["hymns"], contact_phone="01632 960001"))
    assert merging.default_choices(found) == {"interests": "combine", "contact": "keep"}
    assert merging.merged_values(found, {}) == {"interests": ["singing", "hymns"]}


def test_taking_the_contact_moves_the_person_with_their_consent_and_language():
    again = _group(contact_name="Siân", contact_email="sian@example.org",
                   contact_phone="01632 960001", preferred_language="en",
                   consent_at=CONSENTED, privacy_notice_version="2026-06")
    found = merging.differences(_group(), again)
    values = merging.merged_values(found, {"contact": "take"})
    assert values == {"contact_name": "Siân", "contact_email": "sian@example.org",
                      "contact_phone": "01632 960001", "preferred_language": "en",
                      "consent_at": CONSENTED, "privacy_notice_version": "2026-06"}


def test_a_safeguarding_check_moves_as_a_whole():
    existing = _group(safeguarding_scheme="DBS", safeguarding_status="expired",
                      safeguarding_expires_on=dt.date(2025, 1, 1))
    again = _group(safeguarding_scheme="DBS", safeguarding_status="valid",
                   safeguarding_expires_on=dt.date(2028, 1, 1))
    [check] = merging.differences(existing, again)
    assert check.part.key == "safeguarding" and check.combined is None
    assert merging.merged_values([check], {"safeguarding": "take"}) == {
        "safeguarding_scheme": "DBS", "safeguarding_status": "valid",
        "safeguarding_expires_on": dt.date(2028, 1, 1)}


def test_languages_combine_by_tag_and_availability_in_the_week_s_order():
    existing = _group(availability=["sat_pm"], languages=[{"tag": "cy", "name": "Welsh"}])
    again = _group(availability=["mon_am", "sat_pm"],
                   languages=[{"tag": "pl", "name": "Polish"}, {"tag": "cy", "name": "Cymraeg"},
                              {"tag": "uk", "name": "Ukrainian"}])
    found = {d.part.key: d for d in merging.differences(existing, again)}
    # Every language the existing group has is in the registration too: combining adds
    # nothing to it, though it keeps the existing group's own order first.
    assert found["languages"].combined is None
    [languages] = merging.differences(existing, _group(languages=[{"tag": "pl"}]))
    assert languages.combined == {"languages": [{"tag": "cy", "name": "Welsh"}, {"tag": "pl"}]}
    # The registration's slots already hold the existing ones: combining says nothing more.
    assert found["availability"].combined is None
    assert merging.merged_values(list(found.values()), {"availability": "take"}
                                 )["availability"] == ["mon_am", "sat_pm"]


def test_flexible_availability_combined_with_set_times_stays_flexible():
    [part] = merging.differences(_group(availability=None), _group(availability=["sun_am"]))
    assert part.combined is None  # flexible already covers Sunday mornings
    [part] = merging.differences(_group(availability=["sat_pm"]),
                                 _group(availability=["sun_am"]))
    assert part.combined == {"availability": ["sat_pm", "sun_am"]}


@pytest.mark.parametrize("choices", [{"contact": "combine"}, {"contact": "merge"},
                                     {"name": "take"}])
def test_a_choice_that_cannot_be_made_is_refused(choices):
    found = merging.differences(_group(), _group(contact_email="new@example.org"))
    assert merging.check_choices(found, choices) == list(choices)
    with pytest.raises(ValueError):
        merging.merged_values(found, choices)


def test_the_town_moves_with_the_postcode():
    [place] = merging.differences(_group(town="Llanberis"),
                                  _group(postcode="LL55 4AA", town="Llanberis"))
    assert place.part.key == "postcode"
    assert merging.merged_values([place], {"postcode": "take"}) == {
        "postcode": "LL55 4AA", "town": "Llanberis"}
    # A registration that gives no town says nothing about the existing group's.
    assert merging.differences(_group(town="Llanberis"), _group(town=None)) == []
    [place] = merging.differences(_group(town="Llanberis"), _group(postcode="LL55 4AA"))
    assert place.taken == {"postcode": "LL55 4AA", "town": "Llanberis"}


def test_a_contact_is_taken_as_one_person():
    existing = _group(contact_phone="01632 960001")
    [contact] = merging.differences(existing, _group(contact_name="Siân",
                                                     contact_email="sian@example.org"))
    # The new person's details, not theirs mixed with the phone of the one before.
    assert contact.taken["contact_phone"] is None


def test_nothing_new_means_nothing_to_decide():
    assert merging.differences(_group(), _group(description="  we   SING. ")) == []
