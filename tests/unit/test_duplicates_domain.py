"""The duplicate rule alone: names, phone numbers, emails and distance."""

from __future__ import annotations

from matcher.domain.duplicates import (
    NAME_THRESHOLD,
    Candidate,
    find_duplicates,
    name_similarity,
    normalise_name,
    normalise_phone,
)

HALE = (53.378, -2.349)


def test_names_are_compared_without_case_accents_punctuation_or_filler():
    assert normalise_name("The  Côr & Friends!") == "cor friends"
    assert name_similarity("St Mary's Choir", "st marys choir") == 1.0
    assert name_similarity("Choir of Hale Village", "Hale Village Choir") >= NAME_THRESHOLD
    assert name_similarity("Hale Comunity Choir", "Hale Community Choir") >= NAME_THRESHOLD


def test_one_shared_word_is_not_a_similar_name():
    assert name_similarity("Hale Choir", "Bowdon Choir") < NAME_THRESHOLD
    assert name_similarity("Knitters", "Altrincham Knit and Natter Club") < NAME_THRESHOLD
    assert name_similarity("Hale Choir", "Hale Choir and Orchestra of Sale") < NAME_THRESHOLD


def test_phone_numbers_match_however_they_are_written():
    assert normalise_phone("+44 (0)7700 900123") == "07700900123"
    assert normalise_phone("0044 7700 900123") == "07700900123"
    assert normalise_phone("07700-900-123") == "07700900123"
    assert normalise_phone("123") is None


def _group(id_, name, lat=HALE[0], lon=HALE[1], **contact):
    return Candidate(id_, name, lat, lon, contact.get("email"), contact.get("phone"))


def test_same_email_or_phone_is_a_duplicate_wherever_it_is():
    new = _group(1, "Singers", email="Chair@Choir.example", phone="0161 496 0000")
    far = _group(2, "Totally different", lat=51.5, lon=-0.1, email="chair@choir.example")
    phone = _group(3, "Other", lat=55.9, lon=-3.2, phone="+44 161 496 0000")
    found = find_duplicates(new, [far, phone])
    assert sorted((d.id, d.reasons) for d in found) == [(2, ("email",)), (3, ("phone",))]


def test_a_similar_name_counts_only_nearby():
    new = _group(1, "Hale Community Choir")
    near = _group(2, "Hale Comunity Choir", lat=HALE[0] + 0.002)  # about 0.2 km
    far = _group(3, "Hale Community Choir", lat=HALE[0] - 1.8)  # about 200 km south
    found = find_duplicates(new, [near, far, new])
    assert [d.id for d in found] == [2]
    assert found[0].reasons == ("name",) and found[0].distance_km == 0.2


def test_contact_matches_come_before_similar_names():
    new = _group(1, "Hale Choir", email="a@example.org")
    by_name = _group(2, "Hale Choir")
    by_email = _group(3, "Something else", email="a@example.org")
    assert [d.id for d in find_duplicates(new, [by_name, by_email])] == [3, 2]
