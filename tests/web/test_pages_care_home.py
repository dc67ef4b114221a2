"""Care-home pages: who may see them, the suggestions, introductions and the profile form."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from matcher.models import Introduction
from tests.web.conftest import control_value, parse_page

PASSWORD = "a long enough password"


def staff_of(make_user, sign_in, home):
    user, _ = make_user("care_home", care_home_id=home.id, password=PASSWORD)
    sign_in(user.email, PASSWORD)
    return user


def test_staff_of_another_home_are_refused(make_user, make_home, make_group, sign_in, client):
    make_group()
    mine = make_home(name="Plas Mine")
    theirs = make_home(name="Plas Theirs")
    staff_of(make_user, sign_in, mine)
    assert client.get(f"/care-homes/{mine.id}/partners").status_code == 200
    refused = client.get(f"/care-homes/{theirs.id}/partners")
    # another home's pages are answered as pages that do not exist
    assert refused.status_code == 404
    assert "Page not found" in refused.get_data(as_text=True)
    assert client.get(f"/care-homes/{theirs.id}/profile").status_code == 404
    assert client.post(f"/care-homes/{theirs.id}/profile", data={}).status_code == 404


def test_coordinators_see_only_their_nation(make_user, make_home, make_group, sign_in, client):
    make_group()
    welsh = make_home()
    scottish = make_home(name="Glen House", postcode="EH1 1YZ")
    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    sign_in(user.email, PASSWORD)
    assert client.get(f"/care-homes/{welsh.id}/partners").status_code == 200
    assert client.get(f"/care-homes/{scottish.id}/partners").status_code == 404
    assert client.get("/care-homes/999999/partners").status_code == 404


def test_partners_page_ranks_nearby_groups_with_reasons(make_user, make_home, make_group,
                                                       sign_in, client):
    home = make_home()
    choir = make_group()
    make_group(name="Pending Singers", status="pending")
    staff_of(make_user, sign_in, home)
    response = client.get(f"/care-homes/{home.id}/partners")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert choir.name in html
    assert "Pending Singers" not in html  # only approved partners are suggested
    assert re.search(r"\d+%</span> <span class=\"kith-match__score-label\">match", html)
    assert "How the score is made up" in html and "kith-bar__fill--" in html
    assert "Request an introduction" in html
    # the map reads its markers from a data attribute, not an inline script
    data = json.loads(re.search(r"data-map='([^']*)'", html).group(1).replace("&#39;", "'"))
    assert data["home"]["lat"] == home.lat
    assert any(p["id"] == choir.id for p in data["partners"])
    assert "<script>" not in html


def test_partners_page_explains_when_nobody_is_within_reach(make_user, make_home, make_group,
                                                            sign_in, client):
    make_group(postcode="EH1 1YZ")  # Edinburgh: far beyond either radius
    home = make_home()
    staff_of(make_user, sign_in, home)
    html = client.get(f"/care-homes/{home.id}/partners").get_data(as_text=True)
    assert "0 suggestions" in html and "No approved partners are within reach" in html


def test_partners_page_works_before_any_group_is_approved(make_user, make_home, sign_in,
                                                         client):
    # A new network's first home: nobody to suggest yet, which must not be an error page.
    home = make_home()
    staff_of(make_user, sign_in, home)
    response = client.get(f"/care-homes/{home.id}/partners")
    assert response.status_code == 200
    assert "0 suggestions" in response.get_data(as_text=True)


def test_filters_narrow_the_suggestions(make_user, make_home, make_group, sign_in, client):
    home = make_home()
    choir = make_group()
    school = make_group(name="Ysgol Example", kind="school", interests=["reading"])
    staff_of(make_user, sign_in, home)
    html = client.get(f"/care-homes/{home.id}/partners?kind=school").get_data(as_text=True)
    assert school.name in html and choir.name not in html
    assert 'value="school" selected' in html
    html = client.get(f"/care-homes/{home.id}/partners?language=klingonish&radius=far"
                      ).get_data(as_text=True)
    links = parse_page(html).summary_links
    assert "#language" in links and "#radius" in links


def test_request_an_introduction(make_user, make_home, make_group, sign_in, client, db):
    home = make_home()
    choir = make_group()
    staff_of(make_user, sign_in, home)
    response = client.post(f"/care-homes/{home.id}/partners/{choir.id}/introduce",
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Introduction requested" in html
    intro = db.session.scalar(select(Introduction).where(
        Introduction.care_home_id == home.id, Introduction.group_id == choir.id))
    assert intro.status == "requested"
    assert intro.score is not None and 0 < intro.score <= 1
    assert set(intro.components) >= {"distance", "interests"}
    # a second request is not a second introduction
    again = client.post(f"/care-homes/{home.id}/partners/{choir.id}/introduce",
                        follow_redirects=True).get_data(as_text=True)
    assert "already asked" in again
    assert len(db.session.scalars(select(Introduction).where(
        Introduction.care_home_id == home.id)).all()) == 1


def test_cannot_request_a_group_that_is_not_approved(make_user, make_home, make_group,
                                                    sign_in, client):
    home = make_home()
    pending = make_group(status="pending")
    staff_of(make_user, sign_in, home)
    response = client.post(f"/care-homes/{home.id}/partners/{pending.id}/introduce")
    assert response.status_code == 404  # a group staff may not see, as if it did not exist


def test_profile_form_saves_interests_languages_and_visiting(make_user, make_home, make_group,
                                                            sign_in, client, db):
    make_group()
    home = make_home()
    staff_of(make_user, sign_in, home)
    page = client.get(f"/care-homes/{home.id}/profile").get_data(as_text=True)
    assert control_value(page, "languages-0-language") == "Welsh"
    assert control_value(page, "languages-0-residents") == "12"
    form = {
        "residents": "40", "interests": "singing, dogs\nrugby",
        "interests_text": "Many were miners and love male voice choirs.",
        "languages-0-language": "Cymraeg", "languages-0-residents": "15",
        "languages-1-language": "Polish", "languages-1-residents": "3",
        "languages-2-language": "", "languages-2-residents": "",
        "care_types": ["dementia", "nursing"], "facilities": ["garden"],
        "visiting_status": "restricted", "visiting_review_date-day": "14",
        "visiting_review_date-month": "12", "visiting_review_date-year": "2026",
        "search_radius_km": "12",
    }
    response = client.post(f"/care-homes/{home.id}/profile", data=form)
    assert response.status_code == 303
    db.session.refresh(home)
    assert home.interests == ["singing", "dogs", "rugby"]
    assert [(lang["tag"], lang["residents"]) for lang in home.languages] == [("cy", 15), ("pl", 3)]
    assert home.visiting_status == "restricted"
    assert str(home.visiting_review_date) == "2026-12-14"
    assert home.search_radius_km == 12 and home.care_types == ["dementia", "nursing"]
    partners = client.get(f"/care-homes/{home.id}/partners").get_data(as_text=True)
    assert "Visiting is restricted" in partners


def test_profile_errors_point_at_the_row(make_user, make_home, sign_in, client, db):
    home = make_home()
    staff_of(make_user, sign_in, home)
    form = {
        "residents": "30", "interests": "singing",
        "languages-0-language": "Welsh", "languages-0-residents": "12",
        "languages-1-language": "Klingonish", "languages-1-residents": "2",
        "languages-2-language": "Polish", "languages-2-residents": "",
        "visiting_status": "open", "search_radius_km": "500",
        "visiting_review_date-day": "40", "visiting_review_date-month": "1",
        "visiting_review_date-year": "2026",
    }
    response = client.post(f"/care-homes/{home.id}/profile", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    links = parse_page(html).summary_links
    assert {"#languages-1-language", "#languages-2-residents", "#search_radius_km",
            "#visiting_review_date-day"} <= set(links)
    assert control_value(html, "languages-1-language") == "Klingonish"
    db.session.refresh(home)
    assert home.search_radius_km == 15


def card_text(html: str, group_id: int) -> str | None:
    """The words of one partner's card, tags stripped and spaces collapsed (None if absent)."""
    found = re.search(rf'<li class="kith-match" id="partner-{group_id}">(.*?)</li>\s*'
                      r'(?:<li class="kith-match"|</ol>)', html, re.S)
    if not found:
        return None
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_the_card_says_what_a_home_needs_to_decide(make_user, make_home, make_group, sign_in,
                                                   client):
    home = make_home()
    school = make_group(
        name="Ysgol Llanrug", kind="school",
        description="Year 5 pupils come to sing and read with residents, with two teachers.",
        availability=["tue_pm", "thu_pm"], works_with_children=True,
        remote_modes=["video", "letters"],
        safeguarding={"scheme": "DBS", "status": "valid", "expires_on": "2099-03-03"})
    lapsed = make_group(name="Côr Lapsed", availability=["mon_am", "tue_am", "wed_am",
                                                         "thu_am", "fri_am"],
                        safeguarding={"scheme": "DBS", "status": "valid",
                                      "expires_on": "2020-06-01"})
    unrecorded = make_group(name="Côr Heb Wiriad")
    staff_of(make_user, sign_in, home)
    html = client.get(f"/care-homes/{home.id}/partners").get_data(as_text=True)
    words = card_text(html, school.id)
    assert "Year 5 pupils come to sing and read with residents" in words
    assert "Can visit Tuesday and Thursday afternoons" in words
    assert "Children come on the visits" in words
    assert "Keeping in touch Video calls and letters or cards" in words
    assert "Safeguarding DBS check valid until 3 March 2099" in words
    assert "Check needed to visit in person" not in words
    lapsed_words = card_text(html, lapsed.id)
    assert "Can visit weekday mornings" in lapsed_words
    assert "Adults only: no children come" in lapsed_words and "In person only" in lapsed_words
    assert "DBS check expired on 1 June 2020" in lapsed_words
    assert "Check needed to visit in person" in lapsed_words
    unrecorded_words = card_text(html, unrecorded.id)
    assert "No check recorded" in unrecorded_words and "Can visit Not said yet" in unrecorded_words
    # The score breakdown is still there, folded away below the plain words.
    assert words.index("Safeguarding") < words.index("How the score is made up")
    assert re.search(r'<details class="govuk-details kith-match__score-details">\s*<summary[^>]*>'
                     r'\s*<span class="govuk-details__summary-text">How the score is made up',
                     html)


def test_the_card_shows_an_open_introduction_and_a_declined_pair_is_not_suggested(
        make_user, make_home, make_group, sign_in, client, db):
    from matcher.services import introductions
    from matcher.services.audit import SYSTEM

    home = make_home()
    asked, declined = make_group(), make_group(name="Côr Declined")
    introductions.create_introduction(db.session, home, asked, SYSTEM, status="requested")
    intro = introductions.create_introduction(db.session, home, declined, SYSTEM)
    introductions.transition(db.session, intro, "declined", SYSTEM)
    db.session.commit()
    staff_of(make_user, sign_in, home)
    html = client.get(f"/care-homes/{home.id}/partners").get_data(as_text=True)
    words = card_text(html, asked.id)
    assert "Introduction requested" in words and "Request an introduction" not in words
    assert card_text(html, declined.id) is None
    # It is still in the home's own list of introductions.
    assert "Côr Declined" in html.split("Your introductions")[1]
