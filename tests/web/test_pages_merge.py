"""Merging a duplicate registration into the group Kith already has, from the review page."""

from __future__ import annotations

from sqlalchemy import select

from matcher.models import AuditLog, CommunityGroup, OutboxMessage

PASSWORD = "coordinating is fun"


def _coordinator(make_user, sign_in, nation="wales"):
    user, _ = make_user("coordinator", nation=nation, password=PASSWORD)
    sign_in(user.email, PASSWORD)
    return user


def _pair(make_group, **again):
    original = make_group(name="Côr Llanberis", interests=["singing", "hymns"],
                          contact={"name": "Dafydd Example", "email": "dafydd@example.org"})
    registration = make_group(
        status="pending", name="Côr Llanberis", postcode="LL55 4AA",
        **{"interests": ["singing", "carols"], "languages": ["Welsh", "Polish"],
           "contact": {"name": "Siân Jones", "email": "sian@example.org",
                       "phone": "01632 960001"}, "preferred_language": "cy", **again})
    return original, registration


def test_the_review_page_offers_to_compare_and_merge(make_user, make_group, sign_in, client):
    original, registration = _pair(make_group)
    _coordinator(make_user, sign_in)
    review = client.get(f"/coordinator/groups/{registration.id}").get_data(as_text=True)
    assert f"/coordinator/groups/{registration.id}/merge/{original.id}" in review
    assert "Compare and merge into Côr Llanberis" in review

    page = client.get(f"/coordinator/groups/{registration.id}/merge/{original.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Merge this registration into Côr Llanberis" in html
    # Only what differs is asked about: activities, languages, the postcode and the contact.
    legends = [chunk.split("</legend>")[0].split(">")[-1]
               for chunk in html.split("govuk-fieldset__legend--m")[1:]]
    assert legends == ["Activities", "Languages", "Postcode and town", "Contact"]
    assert "singing, hymns, carols" in html  # combining is offered, and chosen unless changed
    assert 'name="part-interests" type="radio" value="combine" checked' in html
    assert 'name="part-contact" type="radio" value="keep" checked' in html
    assert "Siân Jones" in html and "sian@example.org" in html and "01632 960001" in html


def test_merging_updates_the_group_closes_the_registration_and_tells_its_contact(
        make_user, make_group, sign_in, client, db):
    original, registration = _pair(make_group)
    user = _coordinator(make_user, sign_in)
    response = client.post(f"/coordinator/groups/{registration.id}/merge/{original.id}",
                           data={"part-interests": "combine", "part-languages": "combine",
                                 "part-postcode": "keep", "part-contact": "take"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/coordinator/groups/{original.id}")
    db.session.expire_all()
    kept = db.session.get(CommunityGroup, original.id)
    assert kept.status == "approved" and kept.postcode == "LL55 4EL"
    assert kept.interests == ["singing", "hymns", "carols"]
    assert [lang["tag"] for lang in kept.languages] == ["cy", "en", "pl"]
    # The new contact comes with the consent they gave and the language they chose.
    assert (kept.contact_name, kept.contact_email, kept.contact_phone) == (
        "Siân Jones", "sian@example.org", "01632 960001")
    closed = db.session.get(CommunityGroup, registration.id)
    assert kept.consent_at == closed.consent_at and kept.preferred_language == "cy"
    assert closed.status == "rejected" and "Côr Llanberis" in closed.status_reason

    [email] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_email == "sian@example.org")).all()
    assert email.template == "registration_merged" and email.language == "cy"
    assert email.context["existing_name"] == "Côr Llanberis"
    assert email.context["contact_taken"] is True
    merge = db.session.scalars(select(AuditLog).where(
        AuditLog.entity_id == registration.id, AuditLog.action == "merge")).one()
    assert merge.user_id == user.id and merge.changes["merged_into"] == [None, original.id]
    changed = db.session.scalars(select(AuditLog).where(
        AuditLog.entity_type == "community_groups", AuditLog.entity_id == original.id,
        AuditLog.action == "update")).all()
    assert any(entry.changes.get("interests") == [["singing", "hymns"],
                                                   ["singing", "hymns", "carols"]]
               for entry in changed)

    page = client.get(f"/coordinator/groups/{original.id}").get_data(as_text=True)
    assert ("was merged into Côr Llanberis, which now has its activities, languages and "
            "contact.") in page
    # Merged once, it is no longer a registration to merge.
    again = client.post(f"/coordinator/groups/{registration.id}/merge/{original.id}",
                        data={"part-contact": "take"})
    assert again.status_code == 409
    # As the email says, the new contact can get the group's own private link.
    client.post("/logout")
    client.post("/groups/lost-link", data={"email": "sian@example.org"})
    links = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_email == "sian@example.org",
        OutboxMessage.template == "edit_link")).all()
    assert original.id in [link.context["group_id"] for link in links]


def test_keeping_everything_still_closes_the_registration_with_nothing_changed(
        make_user, make_group, sign_in, client, db):
    original, registration = _pair(make_group)
    before = db.session.get(CommunityGroup, original.id).interests
    _coordinator(make_user, sign_in)
    response = client.post(f"/coordinator/groups/{registration.id}/merge/{original.id}",
                           data={"part-interests": "keep", "part-languages": "keep",
                                 "part-postcode": "keep", "part-contact": "keep"})
    assert response.status_code == 303
    db.session.expire_all()
    kept = db.session.get(CommunityGroup, original.id)
    assert kept.interests == before and kept.contact_email == "dafydd@example.org"
    [email] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "registration_merged")).all()
    assert email.to_email == "sian@example.org" and email.context["contact_taken"] is False
    # The registration's own decline email is not sent as well.
    assert db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "registration_declined")).all() == []


def test_a_choice_that_cannot_be_made_shows_the_page_again_and_changes_nothing(
        make_user, make_group, sign_in, client, db):
    original, registration = _pair(make_group)
    _coordinator(make_user, sign_in)
    response = client.post(f"/coordinator/groups/{registration.id}/merge/{original.id}",
                           data={"part-contact": "combine", "part-interests": "take"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Choose what Côr Llanberis keeps for contact" in html
    assert 'href="#part-contact"' in html
    # The coordinator's other choice is kept on the page.
    assert 'name="part-interests" type="radio" value="take" checked' in html
    db.session.expire_all()
    assert db.session.get(CommunityGroup, registration.id).status == "pending"
    assert db.session.get(CommunityGroup, original.id).interests == ["singing", "hymns"]


def test_only_a_group_the_coordinator_manages_can_be_merged_into(
        make_user, make_group, sign_in, client, db):
    english = make_group(name="Westminster Choir", postcode="SW1A 2AA")
    _, registration = _pair(make_group)
    _coordinator(make_user, sign_in)
    for other in (english.id, registration.id, 999999):
        assert client.get(f"/coordinator/groups/{registration.id}/merge/{other}"
                          ).status_code == 404
        assert client.post(f"/coordinator/groups/{registration.id}/merge/{other}"
                           ).status_code == 404
    assert db.session.get(CommunityGroup, registration.id).status == "pending"


def test_the_merge_page_reads_in_welsh(make_user, make_group, sign_in, client):
    from tests.web.welsh import english_leftovers

    original, registration = _pair(make_group)
    _coordinator(make_user, sign_in)
    url = f"/coordinator/groups/{registration.id}/merge/{original.id}"
    html = client.get(f"{url}?lang=cy").get_data(as_text=True)
    assert "Uno'r cofrestriad hwn â Côr Llanberis" in html

    def leftovers(page):  # the signed-in coordinator's address names their role
        return [text for text in english_leftovers(page) if "@" not in text]

    assert leftovers(html) == []
    refused = client.post(url, data={"part-contact": "combine"})
    assert refused.status_code == 422
    assert "Mae problem wedi codi" in refused.get_data(as_text=True)
    assert leftovers(refused.get_data(as_text=True)) == []
    merged = client.post(url, data={"part-contact": "take"}, follow_redirects=True)
    html = merged.get_data(as_text=True)
    assert merged.status_code == 200 and "wedi&#39;i uno â Côr Llanberis" in html
    assert leftovers(html) == []


def test_a_registration_that_adds_nothing_says_so_in_both_languages(
        make_user, make_group, sign_in, client):
    from tests.web.welsh import english_leftovers

    original = make_group(name="Côr Llanberis")
    again = make_group(status="pending", name="Côr Llanberis")
    _coordinator(make_user, sign_in)
    url = f"/coordinator/groups/{again.id}/merge/{original.id}"
    assert "This registration says nothing that Côr Llanberis does not already have." in \
        client.get(url).get_data(as_text=True)
    html = client.get(f"{url}?lang=cy").get_data(as_text=True)
    assert "Does dim yn y cofrestriad hwn nad yw gan Côr Llanberis eisoes." in html
    assert [text for text in english_leftovers(html) if "@" not in text] == []


def test_a_group_the_check_did_not_flag_is_found_by_name_postcode_or_number(
        make_user, make_group, sign_in, client, db):
    hale = make_group(name="Hale Community Choir", postcode="LL55 4EL",
                      contact={"name": "Ann", "email": "ann@example.org"})
    make_group(name="Hale Bell Ringers", postcode="LL55 4AA",
               contact={"name": "Bob", "email": "bob@example.org"})
    make_group(name="Westminster Choir", postcode="SW1A 2AA")
    registration = make_group(status="pending", name="The Hale Singers", postcode="CF10 1AA",
                              contact={"name": "Cai", "email": "cai@example.org"})
    _coordinator(make_user, sign_in)
    review = client.get(f"/coordinator/groups/{registration.id}").get_data(as_text=True)
    assert "Possible duplicate of" not in review and "It is a group Kith already has" in review
    find = f"/coordinator/groups/{registration.id}/merge"

    # One match opens the comparison.
    for text in ("community choir", str(hale.id)):
        response = client.get(find, query_string={"merge_with": text})
        assert response.status_code == 303, text
        assert response.headers["Location"].endswith(f"{find}/{hale.id}")
    # Several are listed to choose from, by name; the form keeps what was typed.
    response = client.get(find, query_string={"merge_with": "hale"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "2 groups match ‘hale’: choose one" in html and 'value="hale"' in html
    assert html.index("Compare and merge into Hale Bell Ringers") \
        < html.index("Compare and merge into Hale Community Choir")
    assert f'href="{find}/{hale.id}"' in html
    # Neither another nation's group nor the registration itself is found.
    for text in ("Westminster", "Hale Singers", str(registration.id)):
        response = client.get(find, query_string={"merge_with": text})
        assert response.status_code == 422, text
        assert f"No group in your network matches ‘{text}’" in response.get_data(as_text=True)
    response = client.get(find, query_string={"merge_with": "  "})
    assert "Enter the name, postcode or number of the group it duplicates" in \
        response.get_data(as_text=True)
    # Once decided, it is no registration to merge.
    db.session.get(CommunityGroup, registration.id).status = "approved"
    db.session.commit()
    assert client.get(find, query_string={"merge_with": "hale"}).status_code == 409


def test_finding_the_group_reads_in_welsh(make_user, make_group, sign_in, client):
    from tests.web.welsh import english_leftovers

    make_group(name="Côr Llanberis", postcode="LL55 4EL")
    make_group(name="Côr Meibion Llanberis", postcode="LL55 4AA")
    registration = make_group(status="pending", name="Cantorion Eryri", postcode="CF10 1AA",
                              contact={"name": "Cai", "email": "cai@enghraifft.cymru"})
    _coordinator(make_user, sign_in)
    response = client.get(f"/coordinator/groups/{registration.id}/merge",
                          query_string={"merge_with": "llanberis", "lang": "cy"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Mae problem wedi codi" in html
    assert [text for text in english_leftovers(html)
            if "@" not in text and "Llanberis" not in text] == []
