"""The demo network read as a coordinator would (issue #13): the Caernarfon home whose
residents love Welsh hymns, sing-alongs and male voice choirs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matcher.domain.interests import Taxonomy, content_stems
from matcher.domain.languages import canonical_tag
from matcher.presentation.reasons import with_reasons

CHOIR = "Caernarfon Male Voice Choir"


@pytest.fixture
def caernarfon(app, db):
    from matcher.models import CareHome, CommunityGroup
    from matcher.runtime import postcode_index
    from matcher.schemas import CareHomeInputSchema, GroupInputSchema
    from matcher.services import matching
    from matcher.services.demo import load_demo

    load_demo(db.session, postcode_index(app), CareHomeInputSchema(), GroupInputSchema(),
              privacy_notice_version=app.config["PRIVACY_NOTICE_VERSION"])
    db.session.flush()
    home = db.session.scalar(select(CareHome).where(CareHome.town == "Caernarfon"))
    assert {"Welsh hymns", "Sing-alongs", "male voice choirs"} <= set(home.interests)
    matches = [with_reasons(m) for m in
               matching.home_matches(db.session, matching.RankerCache(), home, limit=50)]
    groups = {g.id: g for g in db.session.scalars(
        select(CommunityGroup).where(CommunityGroup.id.in_([m["group"]["id"]
                                                            for m in matches])))}
    return home, matches, groups


def _card(matches, name):
    found = [m for m in matches if m["group"]["name"] == name]
    assert found, f"{name} is not suggested"
    return found[0]


def test_the_male_voice_choir_is_near_the_top_with_what_it_offers(caernarfon):
    home, matches, _ = caernarfon
    names = [m["group"]["name"] for m in matches]
    choir = _card(matches, CHOIR)
    rank = names.index(CHOIR)
    assert rank < len(matches) // 2  # in the upper half of the list
    assert choir["shared_interests"] == ["Welsh hymns", "Sing-alongs", "male voice choirs"]
    assert ("shares interests: Welsh hymns — male voice choir, Sing-alongs — male voice "
            "choir, male voice choirs") in choir["reasons"]
    # Whoever comes first is nearer and serves some of the same interests: distance only
    # orders partners that are otherwise alike.
    for above in matches[:rank]:
        assert above["distance_km"] < choir["distance_km"]
        assert above["shared_interests"]


def test_no_card_claims_what_the_partner_does_not_offer(caernarfon):
    home, matches, groups = caernarfon
    cards = {m["group"]["name"]: m for m in matches}
    bowls = cards["Talwrn Bowls Club"]
    assert "Welsh hymns" not in bowls["shared_interests"]
    assert "walks" not in bowls["shared_interests"]
    yoga = cards["Larchwood Seated Yoga"]
    assert not {"Welsh hymns", "Sing-alongs", "male voice choirs"} & set(yoga["shared_interests"])
    for name, card in cards.items():
        if "Meithrin" in name or "nursery" in name.lower():
            assert "old films" not in card["shared_interests"]


def test_every_claimed_interest_is_supported_by_the_partners_own_words(caernarfon):
    """Each shared interest either appears word for word in what the partner wrote, or the
    partner's words name the activity the card gives as its evidence, and the sentence says
    only what the structured reason says."""
    home, matches, groups = caernarfon
    taxonomy = Taxonomy.load()
    for card in matches:
        group = groups[card["group"]["id"]]
        text = " . ".join([*group.interests, group.description or ""])
        words = set(content_stems(text))
        labels = {taxonomy.concept_label(taxonomy.concept_bit(c)) for c in taxonomy.concepts(text)}
        spoken = {canonical_tag(lang["tag"]) for lang in group.languages or ()}
        reason = next((r for r in card["explanations"] if r["code"] == "shared_interests"), None)
        if not card["shared_interests"]:
            assert reason is None
            continue
        assert reason["params"]["interests"] == card["shared_interests"]
        assert set(card["shared_interests"]) <= set(home.interests) | {
            s for _, s in taxonomy.concept_matches(home.interests_text)}
        for interest, via in zip(reason["params"]["interests"], reason["params"]["via"],
                                 strict=True):
            if via is None:
                own = set(content_stems(interest))
                named = own <= words or bool(
                    taxonomy.concepts(interest) - {"welsh"} & taxonomy.concepts(text))
                assert named, (card["group"]["name"], interest)
            else:
                assert via in labels, (card["group"]["name"], interest, via)
            if "Welsh" in interest:  # Welsh hymns: the partner sings in Welsh
                assert "cy" in spoken or "welsh" in words or "cymraeg" in words
