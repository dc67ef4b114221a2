"""Choosing Welsh or English: the link on every page, ``?lang``, the cookie, the browser."""

from __future__ import annotations

import re

from matcher.i18n import COOKIE


def _html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def _switch(response) -> tuple[str, str]:
    match = re.search(r'class="kith-header__language-link" href="([^"]+)"[^>]*>([^<]+)</a>',
                      response.get_data(as_text=True))
    return match.group(1).replace("&amp;", "&"), match.group(2)


def test_an_english_page_offers_cymraeg_and_a_welsh_page_offers_english(client):
    english = client.get("/register")
    assert _html_lang(english) == "en-GB"
    assert _switch(english) == ("/register?lang=cy", "Cymraeg")
    welsh = client.get("/register?lang=cy")
    assert _html_lang(welsh) == "cy"
    assert _switch(welsh) == ("/register?lang=en", "English")
    assert "Neidio i'r prif gynnwys" in welsh.get_data(as_text=True)
    # The link written in the other language says so, for screen readers.
    link = re.search(r'<a class="kith-header__language-link"[^>]*>', welsh.get_data(as_text=True))
    assert 'lang="en-GB"' in link.group(0)


def test_the_link_keeps_the_person_on_the_same_page_with_the_same_query(client):
    page = client.get("/accessibility?x=1&y=two&lang=en")
    href, _ = _switch(page)
    assert href.startswith("/accessibility?")
    assert "x=1" in href and "y=two" in href and href.endswith("lang=cy")
    assert href.count("lang=") == 1


def test_the_choice_is_remembered_until_changed(client):
    client.get("/register?lang=cy")
    assert client.get_cookie(COOKIE).value == "cy"
    assert _html_lang(client.get("/register")) == "cy"
    assert _html_lang(client.get("/privacy")) == "cy"
    client.get("/privacy?lang=en")
    assert client.get_cookie(COOKIE).value == "en"
    assert _html_lang(client.get("/register")) == "en-GB"


def test_a_welsh_browser_gets_welsh_on_its_first_visit(client):
    page = client.get("/register", headers={"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.6"})
    assert _html_lang(page) == "cy"
    assert page.headers["Content-Language"] == "cy"
    assert "Accept-Language" in page.headers["Vary"]
    # The browser's wish is not a choice: nothing is stored until the person clicks.
    assert client.get_cookie(COOKIE) is None


def test_a_chosen_language_beats_the_browser(client):
    client.get("/register?lang=en")
    page = client.get("/register", headers={"Accept-Language": "cy"})
    assert _html_lang(page) == "en-GB"


def test_an_unknown_language_is_ignored(client):
    page = client.get("/register?lang=fr")
    assert page.status_code == 200
    assert _html_lang(page) == "en-GB"
    assert client.get_cookie(COOKIE) is None


def test_the_sign_in_prompt_is_flashed_in_welsh(client):
    client.get("/register?lang=cy")
    page = client.get("/coordinator", follow_redirects=True)
    assert "Mewngofnodwch i weld y dudalen hon." in page.get_data(as_text=True)


def test_the_api_follows_accept_language_not_the_pages_cookie(client):
    client.get("/register?lang=cy")
    answer = client.get("/api/v1/open-referral/")
    assert answer.headers["Content-Language"] == "en-GB"
    answer = client.get("/api/v1/open-referral/", headers={"Accept-Language": "cy"})
    assert answer.headers["Content-Language"] == "cy"
    assert client.get_cookie(COOKIE).value == "cy"  # the API never changes the choice
    client.get("/api/v1/open-referral/?lang=en")
    assert client.get_cookie(COOKIE).value == "cy"


def test_the_leftover_finder_sees_english_but_not_marked_or_own_words():
    from tests.web.welsh import english_leftovers

    page = ('<html lang="cy"><title>Cofrestru</title><p>Mae problem wedi codi</p>'
            '<p>Enter your name</p><a lang="en-GB" href="?lang=en">English</a>'
            '<span lang="en">the Sunday choir</span><p data-own-words>We sing hymns</p>'
            '<button aria-label="Close the banner">×</button><script>var the = 1;</script>')
    assert english_leftovers(page) == ["Enter your name", "Close the banner"]
