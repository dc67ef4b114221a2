"""The authorisation matrix: every route x every role, inside and outside the role's scope.

Actors (columns of the README's "Authorisation matrix"):

* ``anon``: a visitor who is not signed in;
* ``link`` / ``link-other``: a group using its own private edit link / a link that is not
  its own (made up, or of a withdrawn group). Away from the link pages a group is simply an
  anonymous visitor, so ``link`` is tested there with the anonymous expectations;
* ``staff`` / ``staff-out``: care-home staff on their own home / on another home (for
  groups: an approved group / a group that is not approved);
* ``coord`` / ``coord-out``: the coordinator for Wales on Welsh records / on English ones;
* ``admin``: an admin (everything is in scope).

Every cell sends the request and checks the status. Every response is also searched for the
private contact details of every group the actor may not manage: they must never appear.
``test_every_route_is_in_the_matrix`` fails when a route exists that the matrix does not
cover, and ``test_readme_shows_this_matrix`` keeps the README's table the same as this one
(print it with ``python -m tests.web.test_authorisation``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from matcher.services import open_referral
from tests.web.conftest import group_form

ANON, LINK, LINK_OTHER = "anon", "link", "link-other"
STAFF, STAFF_OUT, COORD, COORD_OUT, ADMIN = "staff", "staff-out", "coord", "coord-out", "admin"
ACTORS = (ANON, LINK, LINK_OTHER, STAFF, STAFF_OUT, COORD, COORD_OUT, ADMIN)
OUTSIDE = {LINK_OTHER, STAFF_OUT, COORD_OUT}
HEADINGS = {
    ANON: "anonymous", LINK: "group link", LINK_OTHER: "other link", STAFF: "staff: own home",
    STAFF_OUT: "staff: other", COORD: "coordinator: own nation", COORD_OUT: "coordinator: other",
    ADMIN: "admin",
}
LOGIN = "sign-in"  # a redirect (302) to the sign-in page
README = Path(__file__).resolve().parents[2] / "README.md"

CONTACTS = {
    "group_w": ("Gwenllian Privatename", "gwen.private@example.org", "01632 960111"),
    "group_w2": ("Wyn Privatename", "wyn.private@example.org", "01632 960444"),
    "group_e": ("Edmund Privatename", "ed.private@example.org", "01632 960222"),
    "group_link": ("Pat Privatename", "pat.private@example.org", "01632 960333"),
    "group_pending": ("Penny Privatename", "penny.private@example.org", "01632 960555"),
}
WELSH_GROUPS = ("group_w", "group_w2", "group_link", "group_pending")


# --- the world every cell runs in --------------------------------------------------------------

@dataclass
class World:
    ids: dict[str, int]
    users: dict[str, object]
    headers: dict[str, dict[str, str]]
    link_token: str
    calendar_token: str = ""
    feedback_token: str = ""

    def inside(self, actor: str) -> bool:
        return actor not in OUTSIDE

    def home(self, actor: str) -> int:
        return self.ids["home_w" if self.inside(actor) else "home_e"]

    def group(self, actor: str) -> int:
        """A group: in scope; for staff outside, one that is not approved; else English."""
        if self.inside(actor):
            return self.ids["group_w"]
        return self.ids["group_pending" if actor == STAFF_OUT else "group_e"]

    def fresh_group(self, actor: str) -> int:
        """An approved group without an open introduction to ``home(actor)``."""
        return self.ids["group_w2" if self.inside(actor) else "group_e2"]

    def intro(self, actor: str) -> int:
        return self.ids["intro_w" if self.inside(actor) else "intro_e"]

    def visit_intro(self, actor: str) -> int:
        """An introduced introduction, for planning visits."""
        return self.ids["intro_vw" if self.inside(actor) else "intro_ve"]

    def visit(self, actor: str) -> int:
        return self.ids["visit_w" if self.inside(actor) else "visit_e"]

    def allocation(self, actor: str) -> int:
        return self.ids["alloc_w" if self.inside(actor) else "alloc_e"]

    def review(self, actor: str) -> int:
        """A register row waiting for a coordinator to say whether it continues the home."""
        return self.ids["review_w" if self.inside(actor) else "review_e"]

    def nation(self, actor: str) -> str:
        return "wales" if self.inside(actor) else "england"

    def postcode(self, actor: str) -> str:
        return "LL55 4BB" if self.inside(actor) else "SW1P 3BU"

    def token(self, actor: str) -> str:
        return self.link_token if actor == LINK else "not-this-groups-link-0123456789"


def _contact(key: str) -> dict[str, str]:
    name, email, phone = CONTACTS[key]
    return {"name": name, "email": email, "phone": phone}


@pytest.fixture
def world(app, db, make_user, make_home, make_group) -> World:
    """Wales and England, each with a home, approved groups, an introduction and an
    allocation; a pending Welsh registration with a private link; a user for every role."""
    from matcher.models import VisitFeedback
    from matcher.runtime import postcode_index, ranker_cache
    from matcher.services import allocations, calendars, introductions, records, reminders, visits
    from matcher.services.audit import SYSTEM

    ids: dict[str, int] = {}
    home_w = make_home(name="Bryn Awel", postcode="LL55 4UR")
    home_e = make_home(name="Rose Court", postcode="SW1A 1AA",
                       languages=[{"language": "English", "residents": 30}])
    ids["home_w"], ids["home_e"] = home_w.id, home_e.id
    for key, name, postcode, status in [
        ("group_w", "Côr Llanberis", "LL55 4EL", "approved"),
        ("group_w2", "Llanberis Knitters", "LL55 4AA", "approved"),
        ("group_pending", "Pending Choir", "LL55 3AA", "pending"),
        ("group_e", "Westminster Choir", "SW1A 2AA", "approved"),
        ("group_e2", "Whitehall Knitters", "SW1A 2AB", "approved"),
    ]:
        contact = _contact(key) if key in CONTACTS else None
        ids[key] = make_group(status=status, name=name, postcode=postcode,
                              contact=contact or {}).id
    from matcher.schemas import GroupInputSchema
    data = GroupInputSchema().load({
        "name": "Llanberis Linkers", "kind": "arts_group", "postcode": "LL55 4BB",
        "interests": ["painting"], "contact": _contact("group_link"), "consent": True})
    linked, token, _ = records.create_group(db.session, postcode_index(app), data, SYSTEM,
                                            status="pending", source="form",
                                            privacy_notice_version="test")
    ids["group_link"] = linked.id
    cache = ranker_cache(app)
    for key, home, group in (("intro_w", home_w, "group_w"), ("intro_e", home_e, "group_e")):
        intro = introductions.create_introduction(
            db.session, home, db.session.get(type(linked), ids[group]), SYSTEM)
        ids[key] = intro.id
    for suffix, home, name, postcode in (("w", home_w, "Llanberis Letters", "LL55 4AB"),
                                         ("e", home_e, "Pimlico Pen Friends", "SW1A 2AD")):
        group = make_group(name=name, postcode=postcode, kind="other")
        intro = introductions.create_introduction(db.session, home, group, SYSTEM,
                                                  status="requested")
        introductions.transition(db.session, intro, "introduced", SYSTEM)
        visit = visits.plan(db.session, intro, {
            "starts_at": dt.datetime.now(dt.UTC) + dt.timedelta(days=3),
            "duration_minutes": 60, "mode": "letters"}, SYSTEM)
        ids[f"group_v{suffix}"] = group.id
        calendar_token = calendars.address_token(db.session, app.config["SECRET_KEY"], home_w)
        if suffix == "w":
            feedback_token = "feedback-link-of-the-welsh-visit-0123456789"
            db.session.add(VisitFeedback(visit_id=visit.id, respondent="group",
                                         occurrence_key=visits.occurrences(visit)[0].key,
                                         token_hash=reminders.hash_token(feedback_token)))
        ids[f"intro_v{suffix}"], ids[f"visit_{suffix}"] = intro.id, visit.id
    # A home's request to the group with the private link, for the link's own answer.
    ids["intro_link"] = introductions.create_introduction(
        db.session, home_e, linked, SYSTEM, status="requested").id
    # The linked group has a visit of its own, for the visit pages behind its link.
    home_l = make_home(name="Pimlico Lodge", postcode="SW1A 2AD",
                       languages=[{"language": "English", "residents": 20}])
    intro = introductions.create_introduction(db.session, home_l, linked, SYSTEM,
                                              status="requested")
    introductions.transition(db.session, intro, "introduced", SYSTEM)
    ids["visit_link"] = visits.plan(db.session, intro, {
        "starts_at": dt.datetime.now(dt.UTC) + dt.timedelta(days=4), "duration_minutes": 30,
        "mode": "letters"}, SYSTEM).id
    db.session.commit()
    for key, nation in (("alloc_w", "wales"), ("alloc_e", "england")):
        ids[key] = allocations.create_allocation(db.session, cache, SYSTEM, nation=nation,
                                                 per_home=2).id
    db.session.commit()
    from matcher.services import notifications
    from matcher.services.uow import unit_of_work
    with unit_of_work(db.session):
        ids["outbox"] = notifications.queue_email(
            db.session, template="registration_approved", to_email="outbox.test@example.org",
            recipient_role="group", event_key="authorisation-matrix",
            context={"group_name": "Côr Llanberis"}).id
    users, headers = {}, {}
    for actor, role, kwargs in [
        (ADMIN, "admin", {}),
        (COORD, "coordinator", {"nation": "wales"}),
        (STAFF, "care_home", {"care_home_id": home_w.id}),
    ]:
        users[actor], headers[actor] = make_user(role, **kwargs)
    users[COORD_OUT], headers[COORD_OUT] = users[COORD], headers[COORD]
    users[STAFF_OUT], headers[STAFF_OUT] = users[STAFF], headers[STAFF]
    from matcher.models import ImportReview
    for key, home in (("review_w", home_w), ("review_e", home_e)):
        review = ImportReview(care_home=home, regulator="ciw", name=f"{home.name} Newydd",
                              postcode=home.postcode, score=0.7, incoming={
                                  "fields": {"name": f"{home.name} Newydd",
                                             "external_key": f"test:{key}"},
                                  "geo": {"postcode": home.postcode}})
        db.session.add(review)
        db.session.flush()
        ids[key] = review.id
    db.session.commit()
    return World(ids=ids, users=users, headers=headers, link_token=token,
                 calendar_token=calendar_token, feedback_token=feedback_token)


# --- the matrix ---------------------------------------------------------------------------------

def api(anon=401, staff=None, staff_out=None, coord=None, coord_out=None, admin=None,
        everyone=None) -> dict[str, object]:
    """Expectations by actor (``everyone``: the same for all; scope does not apply)."""
    if everyone is not None:
        return dict.fromkeys((ANON, LINK, STAFF, COORD, ADMIN), everyone)
    return {ANON: anon, LINK: anon, STAFF: staff, STAFF_OUT: staff_out, COORD: coord,
            COORD_OUT: coord_out, ADMIN: admin}


def _registration(w, a) -> int:
    """The pending Welsh registration for actors inside Wales; for the others, an English
    group (out of a Welsh coordinator's reach, visible but not theirs to care-home staff)."""
    return w.ids["group_pending" if w.inside(a) else "group_e"]


def _merge_path(w, a, prefix: str) -> str:
    """Merging :func:`_registration` into the approved Welsh group, under ``prefix``."""
    return f"{prefix}/groups/{_registration(w, a)}/merge/{w.ids['group_w']}"


def page(anon=LOGIN, staff=None, staff_out=None, coord=None, coord_out=None, admin=None):
    return api(anon, staff, staff_out, coord, coord_out, admin)


def link(own, other=404):
    return {LINK: own, LINK_OTHER: other}


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    expect: dict[str, object]
    path: Callable[[World, str], str]
    json: Callable[[World, str], dict] | None = None
    form: Callable[[World, str], dict] | None = None


def home_body(w, a):
    return {"name": "New Home", "postcode": w.postcode(a), "residents": 20}


def group_body(w, a):
    return {"name": "New Group", "kind": "choir", "postcode": w.postcode(a), "consent": True,
            "contact": {"email": "new.group@example.org"}}


PROFILE_FORM = {
    "residents": "31", "interests": "singing, gardening", "interests_text": "",
    "languages-0-language": "Welsh", "languages-0-residents": "12",
    "languages-1-language": "", "languages-1-residents": "",
    "visiting_status": "open", "visiting_review_date-day": "",
    "visiting_review_date-month": "", "visiting_review_date-year": "",
    "search_radius_km": "15",
}

ROUTES = [
    # --- public pages and documents -------------------------------------------------------
    Route("GET", "/", api(everyone=200), lambda w, a: "/"),
    Route("GET", "/accessibility", api(everyone=200), lambda w, a: "/accessibility"),
    Route("GET", "/privacy", api(everyone=200), lambda w, a: "/privacy"),
    Route("GET", "/register", api(everyone=200), lambda w, a: "/register"),
    Route("POST", "/register", api(everyone=303), lambda w, a: "/register",
          form=lambda w, a: group_form()),
    Route("GET", "/register/done", api(everyone=302), lambda w, a: "/register/done"),
    Route("GET", "/login", page(200, 302, None, 302, None, 302), lambda w, a: "/login"),
    Route("POST", "/login", api(everyone=422), lambda w, a: "/login",
          form=lambda w, a: {"email": "nobody@example.org", "password": "wrong"}),
    Route("GET", "/login/reset", api(everyone=200), lambda w, a: "/login/reset"),
    Route("POST", "/login/reset", api(everyone=200), lambda w, a: "/login/reset",
          form=lambda w, a: {"email": "nobody@example.org"}),
    Route("GET", "/login/reset/<token>", api(everyone=410),
          lambda w, a: "/login/reset/1.1.not-a-valid-link"),
    Route("POST", "/login/reset/<token>", api(everyone=410),
          lambda w, a: "/login/reset/1.1.not-a-valid-link",
          form=lambda w, a: {"password": "a long new password", "confirm": "a long new password"}),
    Route("GET", "/invitations/<token>", api(everyone=410),
          lambda w, a: "/invitations/1.1.not-a-valid-link"),
    Route("POST", "/invitations/<token>", api(everyone=410),
          lambda w, a: "/invitations/1.1.not-a-valid-link",
          form=lambda w, a: {"password": "a long new password", "confirm": "a long new password"}),
    Route("GET", "/logout", page(302, 200, None, 200, None, 200), lambda w, a: "/logout"),
    Route("POST", "/logout", api(everyone=303), lambda w, a: "/logout", form=lambda w, a: {}),
    Route("GET", "/groups/withdrawn", api(everyone=200), lambda w, a: "/groups/withdrawn"),
    Route("GET", "/groups/lost-link", api(everyone=200), lambda w, a: "/groups/lost-link"),
    Route("POST", "/groups/lost-link", api(everyone=200), lambda w, a: "/groups/lost-link",
          form=lambda w, a: {"email": "nobody@example.org"}),
    Route("GET", "/static/<path:filename>", api(everyone=200),
          lambda w, a: "/static/css/kith.css"),
    Route("GET", "/api/docs", api(everyone=200), lambda w, a: "/api/docs"),
    Route("GET", "/api/openapi.json", api(everyone=200), lambda w, a: "/api/openapi.json"),
    Route("GET", "/api/v1/geocode", api(everyone=200),
          lambda w, a: "/api/v1/geocode?postcode=LL55+4EL"),
    Route("GET", "/api/v1/open-referral/", api(everyone=200),
          lambda w, a: "/api/v1/open-referral/"),
    Route("GET", "/api/v1/open-referral/services", api(everyone=200),
          lambda w, a: "/api/v1/open-referral/services"),
    Route("GET", "/api/v1/open-referral/services/<string:service_id>", api(everyone=200),
          lambda w, a: f"/api/v1/open-referral/services/{w.ids['group_w']}"),
    Route("GET", "/api/v1/open-referral/service_at_locations", api(everyone=200),
          lambda w, a: "/api/v1/open-referral/service_at_locations"),
    Route("GET", "/api/v1/open-referral/service_at_locations/<string:sal_id>",
          api(everyone=200), lambda w, a: "/api/v1/open-referral/service_at_locations/"
          + open_referral.object_id("service_at_location", w.ids["group_w"])),
    Route("GET", "/api/v1/open-referral/taxonomies", api(everyone=200),
          lambda w, a: "/api/v1/open-referral/taxonomies"),
    Route("GET", "/api/v1/open-referral/taxonomies/<string:taxonomy_id>", api(everyone=200),
          lambda w, a: "/api/v1/open-referral/taxonomies/"
          + open_referral.taxonomy_id("kith:partner-kinds")),
    Route("GET", "/api/v1/open-referral/taxonomy_terms", api(everyone=200),
          lambda w, a: "/api/v1/open-referral/taxonomy_terms"),
    Route("GET", "/api/v1/open-referral/taxonomy_terms/<string:term_id>", api(everyone=200),
          lambda w, a: "/api/v1/open-referral/taxonomy_terms/"
          + open_referral.term_id("kith:delivery", open_referral.REMOTE_TERM)),
    # --- a group's private link --------------------------------------------------------------
    Route("GET", "/groups/edit/<token>", link(200), lambda w, a: f"/groups/edit/{w.token(a)}"),
    Route("POST", "/groups/edit/<token>", link(303), lambda w, a: f"/groups/edit/{w.token(a)}",
          form=lambda w, a: group_form(name="Llanberis Linkers")),
    Route("POST", "/groups/edit/<token>/introductions/<int:intro_id>", link(303),
          lambda w, a: f"/groups/edit/{w.token(a)}/introductions/{w.ids['intro_link']}",
          form=lambda w, a: {"answer": "decline"}),
    Route("GET", "/groups/edit/<token>/visits", link(200),
          lambda w, a: f"/groups/edit/{w.token(a)}/visits"),
    Route("POST", "/groups/edit/<token>/visits", link(422),
          lambda w, a: f"/groups/edit/{w.token(a)}/visits", form=lambda w, a: {}),
    Route("POST", "/groups/edit/<token>/visits/<int:visit_id>", link(303),
          lambda w, a: f"/groups/edit/{w.token(a)}/visits/{w.ids['visit_link']}",
          form=lambda w, a: {"action": "cancel"}),
    Route("POST", "/groups/edit/<token>/calendar", link(303),
          lambda w, a: f"/groups/edit/{w.token(a)}/calendar", form=lambda w, a: {}),
    Route("GET", "/groups/edit/<token>/download", link(200),
          lambda w, a: f"/groups/edit/{w.token(a)}/download"),
    Route("GET", "/groups/edit/<token>/withdraw", link(200),
          lambda w, a: f"/groups/edit/{w.token(a)}/withdraw"),
    Route("POST", "/groups/edit/<token>/withdraw", link(303),
          lambda w, a: f"/groups/edit/{w.token(a)}/withdraw", form=lambda w, a: {}),
    # --- care-home pages -----------------------------------------------------------------------
    Route("GET", "/care-homes/<int:home_id>/partners", page(LOGIN, 200, 404, 200, 404, 200),
          lambda w, a: f"/care-homes/{w.home(a)}/partners"),
    Route("POST", "/care-homes/<int:home_id>/partners/<int:group_id>/introduce",
          page(LOGIN, 303, 404, 303, 404, 303),
          lambda w, a: f"/care-homes/{w.home(a)}/partners/{w.fresh_group(a)}/introduce",
          form=lambda w, a: {}),
    Route("POST", "/care-homes/<int:home_id>/introductions/<int:intro_id>/withdraw",
          page(LOGIN, 303, 404, 303, 404, 303),
          lambda w, a: f"/care-homes/{w.home(a)}/introductions/{w.intro(a)}/withdraw",
          form=lambda w, a: {}),
    Route("GET", "/care-homes/<int:home_id>/profile", page(LOGIN, 200, 404, 200, 404, 200),
          lambda w, a: f"/care-homes/{w.home(a)}/profile"),
    Route("POST", "/care-homes/<int:home_id>/profile", page(LOGIN, 303, 404, 303, 404, 303),
          lambda w, a: f"/care-homes/{w.home(a)}/profile", form=lambda w, a: PROFILE_FORM),
    Route("GET", "/care-homes/<int:home_id>/visits", page(LOGIN, 200, 404, 200, 404, 200),
          lambda w, a: f"/care-homes/{w.home(a)}/visits"),
    Route("POST", "/care-homes/<int:home_id>/visits", page(LOGIN, 303, 404, 303, 404, 303),
          lambda w, a: f"/care-homes/{w.home(a)}/visits",
          form=lambda w, a: {"introduction_id": str(w.visit_intro(a)),
                             "date": (dt.date.today() + dt.timedelta(days=9)).isoformat(),
                             "time": "14:00", "duration_minutes": "45", "mode": "phone",
                             "repeat": "none"}),
    Route("POST", "/care-homes/<int:home_id>/calendar", page(LOGIN, 303, 404, 303, 404, 303),
          lambda w, a: f"/care-homes/{w.home(a)}/calendar", form=lambda w, a: {}),
    # --- private visit links: the address or link is the key, whoever holds it -------------
    Route("GET", "/calendar/<token>.ics", api(everyone=200),
          lambda w, a: f"/calendar/{w.calendar_token}.ics"),
    Route("GET", "/feedback/<token>", api(everyone=200),
          lambda w, a: f"/feedback/{w.feedback_token}"),
    Route("POST", "/feedback/<token>", api(everyone=200),
          lambda w, a: f"/feedback/{w.feedback_token}", form=lambda w, a: {"rating": "5"}),
    # --- coordinator and admin pages -----------------------------------------------------------
    Route("GET", "/coordinator", page(LOGIN, 403, None, 200, None, 200),
          lambda w, a: "/coordinator"),
    Route("GET", "/coordinator/care-homes", page(LOGIN, 403, None, 200, None, 200),
          lambda w, a: "/coordinator/care-homes"),
    Route("GET", "/coordinator/import-reviews", page(LOGIN, 403, None, 200, None, 200),
          lambda w, a: "/coordinator/import-reviews"),
    Route("POST", "/coordinator/import-reviews/<int:review_id>",
          page(LOGIN, 403, 403, 303, 404, 303),
          lambda w, a: f"/coordinator/import-reviews/{w.review(a)}",
          form=lambda w, a: {"answer": "same"}),
    Route("GET", "/coordinator/network", page(LOGIN, 403, None, 200, None, 200),
          lambda w, a: "/coordinator/network"),
    Route("GET", "/coordinator/network/data", page(LOGIN, 403, None, 200, None, 200),
          lambda w, a: "/coordinator/network/data?bbox=-6,50,2,56&zoom=7"),
    Route("GET", "/coordinator/reports", page(LOGIN, 403, None, 200, None, 200),
          lambda w, a: "/coordinator/reports"),
    Route("GET", "/coordinator/allocations", page(LOGIN, 403, None, 200, None, 200),
          lambda w, a: "/coordinator/allocations"),
    Route("POST", "/coordinator/allocations", page(LOGIN, 403, None, 303, None, 303),
          lambda w, a: "/coordinator/allocations",
          form=lambda w, a: {"strategy": "fair", "per_home": "1"}),
    Route("GET", "/coordinator/allocations/<int:allocation_id>",
          page(LOGIN, 403, 403, 200, 404, 200),
          lambda w, a: f"/coordinator/allocations/{w.allocation(a)}"),
    Route("GET", "/coordinator/allocations/<int:allocation_id>.csv",
          page(LOGIN, 403, 403, 200, 404, 200),
          lambda w, a: f"/coordinator/allocations/{w.allocation(a)}.csv"),
    Route("GET", "/coordinator/groups/<int:group_id>", page(LOGIN, 403, 403, 200, 404, 200),
          lambda w, a: f"/coordinator/groups/{w.group(a)}"),
    Route("POST", "/coordinator/groups/<int:group_id>/decision",
          page(LOGIN, 403, 403, 303, 404, 303),
          lambda w, a: f"/coordinator/groups/{w.group(a)}/decision",
          form=lambda w, a: {"decision": "pause", "status_reason": "Summer break"}),
    Route("POST", "/coordinator/groups/<int:group_id>/duplicate",
          page(LOGIN, 403, 403, 303, 404, 303),
          lambda w, a: f"/coordinator/groups/{_registration(w, a)}/duplicate",
          form=lambda w, a: {"duplicate_of": str(w.ids["group_w"])}),
    Route("GET", "/coordinator/groups/<int:group_id>/merge",
          page(LOGIN, 403, 403, 303, 404, 303),
          lambda w, a: f"/coordinator/groups/{_registration(w, a)}/merge"
                       f"?merge_with={w.ids['group_w']}"),
    Route("GET", "/coordinator/groups/<int:group_id>/merge/<int:original_id>",
          page(LOGIN, 403, 403, 200, 404, 200),
          lambda w, a: _merge_path(w, a, "/coordinator")),
    Route("POST", "/coordinator/groups/<int:group_id>/merge/<int:original_id>",
          page(LOGIN, 403, 403, 303, 404, 303),
          lambda w, a: _merge_path(w, a, "/coordinator")),
    # No changes wait in this world: a coordinator in scope gets 409 (nothing to decide).
    Route("POST", "/coordinator/groups/<int:group_id>/changes",
          page(LOGIN, 403, 403, 409, 404, 409),
          lambda w, a: f"/coordinator/groups/{w.group(a)}/changes",
          form=lambda w, a: {"decision": "approve"}),
    Route("POST", "/coordinator/introductions/<int:intro_id>/status",
          page(LOGIN, 403, 403, 303, 404, 303),
          lambda w, a: f"/coordinator/introductions/{w.intro(a)}/status",
          form=lambda w, a: {"status": "requested"}),
    Route("GET", "/coordinator/visits", page(LOGIN, 403, None, 200, None, 200),
          lambda w, a: "/coordinator/visits"),
    Route("GET", "/coordinator/match-list.csv", page(LOGIN, 403, None, 200, None, 200),
          lambda w, a: "/coordinator/match-list.csv"),
    Route("GET", "/coordinator/users", page(LOGIN, 403, None, 200, None, 200),
          lambda w, a: "/coordinator/users"),
    Route("GET", "/coordinator/users/new", page(LOGIN, 403, None, 200, None, 200),
          lambda w, a: "/coordinator/users/new"),
    # Outside: an English home, which a Welsh coordinator cannot invite staff for.
    Route("POST", "/coordinator/users/new", page(LOGIN, 403, 403, 303, 422, 303),
          lambda w, a: "/coordinator/users/new",
          form=lambda w, a: {"email": "invited.matrix@example.org", "role": "care_home",
                             "care_home_id": str(w.home(a))}),
    # Outside: the admin's account, which no coordinator manages.
    Route("POST", "/coordinator/users/<int:user_id>", page(LOGIN, 403, 403, 303, 404, 303),
          lambda w, a: f"/coordinator/users/{w.users[STAFF if w.inside(a) else ADMIN].id}",
          form=lambda w, a: {"action": "resend"}),
    Route("GET", "/admin/audit", page(LOGIN, 403, None, 403, None, 200),
          lambda w, a: "/admin/audit"),
    Route("GET", "/admin/outbox", page(LOGIN, 403, None, 403, None, 200),
          lambda w, a: "/admin/outbox"),
    Route("GET", "/admin/outbox/<int:message_id>", page(LOGIN, 403, None, 403, None, 200),
          lambda w, a: f"/admin/outbox/{w.ids['outbox']}"),
    Route("POST", "/admin/outbox/<int:message_id>/retry", page(LOGIN, 403, None, 403, None, 303),
          lambda w, a: f"/admin/outbox/{w.ids['outbox']}/retry", form=lambda w, a: {}),
    # --- the JSON API --------------------------------------------------------------------------
    Route("GET", "/api/v1/care-homes", api(401, 200, None, 200, None, 200),
          lambda w, a: "/api/v1/care-homes"),
    Route("POST", "/api/v1/care-homes", api(401, 403, 403, 201, 403, 201),
          lambda w, a: "/api/v1/care-homes", json=home_body),
    Route("GET", "/api/v1/care-homes/<int:home_id>", api(401, 200, 404, 200, 404, 200),
          lambda w, a: f"/api/v1/care-homes/{w.home(a)}"),
    Route("PATCH", "/api/v1/care-homes/<int:home_id>", api(401, 200, 404, 200, 404, 200),
          lambda w, a: f"/api/v1/care-homes/{w.home(a)}", json=lambda w, a: {"residents": 31}),
    Route("DELETE", "/api/v1/care-homes/<int:home_id>", api(401, 403, 404, 204, 404, 204),
          lambda w, a: f"/api/v1/care-homes/{w.home(a)}"),
    Route("GET", "/api/v1/care-homes/<int:home_id>/matches", api(401, 200, 404, 200, 404, 200),
          lambda w, a: f"/api/v1/care-homes/{w.home(a)}/matches"),
    Route("GET", "/api/v1/groups", api(401, 200, None, 200, None, 200),
          lambda w, a: "/api/v1/groups"),
    Route("POST", "/api/v1/groups", api(401, 403, 403, 201, 403, 201),
          lambda w, a: "/api/v1/groups", json=group_body),
    Route("GET", "/api/v1/groups/<int:group_id>", api(401, 200, 404, 200, 404, 200),
          lambda w, a: f"/api/v1/groups/{w.group(a)}"),
    Route("PATCH", "/api/v1/groups/<int:group_id>", api(401, 403, 404, 200, 404, 200),
          lambda w, a: f"/api/v1/groups/{w.group(a)}",
          json=lambda w, a: {"capacity_per_month": 3}),
    Route("DELETE", "/api/v1/groups/<int:group_id>", api(401, 403, 404, 204, 404, 204),
          lambda w, a: f"/api/v1/groups/{w.group(a)}"),
    # A pending registration is out of care-home staff's sight (and of another nation's); an
    # approved group they see is not theirs to merge (403).
    Route("GET", "/api/v1/groups/<int:group_id>/merge/<int:into_id>",
          api(401, 404, 403, 200, 404, 200),
          lambda w, a: _merge_path(w, a, "/api/v1")),
    Route("POST", "/api/v1/groups/<int:group_id>/merge/<int:into_id>",
          api(401, 404, 403, 200, 404, 200),
          lambda w, a: _merge_path(w, a, "/api/v1"),
          json=lambda w, a: {"choices": {}}),
    Route("GET", "/api/v1/groups/<int:group_id>/matches", api(401, 200, 404, 200, 404, 200),
          lambda w, a: f"/api/v1/groups/{w.group(a)}/matches"),
    Route("GET", "/api/v1/introductions", api(401, 200, None, 200, None, 200),
          lambda w, a: "/api/v1/introductions"),
    Route("POST", "/api/v1/introductions", api(401, 201, 404, 201, 404, 201),
          lambda w, a: "/api/v1/introductions",
          json=lambda w, a: {"care_home_id": w.home(a), "group_id": w.fresh_group(a)}),
    Route("GET", "/api/v1/introductions/<int:intro_id>", api(401, 200, 404, 200, 404, 200),
          lambda w, a: f"/api/v1/introductions/{w.intro(a)}"),
    Route("PATCH", "/api/v1/introductions/<int:intro_id>", api(401, 200, 404, 200, 404, 200),
          lambda w, a: f"/api/v1/introductions/{w.intro(a)}",
          json=lambda w, a: {"status": "requested"}),
    Route("POST", "/api/v1/introductions/<int:intro_id>/visits",
          api(401, 201, 404, 201, 404, 201),
          lambda w, a: f"/api/v1/introductions/{w.visit_intro(a)}/visits",
          json=lambda w, a: {"starts_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=9))
                             .isoformat(), "duration_minutes": 45, "mode": "phone"}),
    Route("GET", "/api/v1/visits", api(401, 200, None, 200, None, 200),
          lambda w, a: "/api/v1/visits"),
    Route("GET", "/api/v1/visits/<int:visit_id>", api(401, 200, 404, 200, 404, 200),
          lambda w, a: f"/api/v1/visits/{w.visit(a)}"),
    Route("PATCH", "/api/v1/visits/<int:visit_id>", api(401, 200, 404, 200, 404, 200),
          lambda w, a: f"/api/v1/visits/{w.visit(a)}",
          json=lambda w, a: {"notes": "Bring the song sheets."}),
    Route("GET", "/api/v1/match-lists", api(401, 403, 403, 200, 403, 200),
          lambda w, a: f"/api/v1/match-lists?nation={w.nation(a)}"),
    Route("GET", "/api/v1/allocations", api(401, 403, None, 200, None, 200),
          lambda w, a: "/api/v1/allocations"),
    Route("POST", "/api/v1/allocations", api(401, 403, 403, 201, 403, 201),
          lambda w, a: "/api/v1/allocations",
          json=lambda w, a: {"nation": w.nation(a), "per_home": 1}),
    Route("GET", "/api/v1/allocations/<int:allocation_id>", api(401, 403, 403, 200, 404, 200),
          lambda w, a: f"/api/v1/allocations/{w.allocation(a)}?format=csv"),
    Route("GET", "/api/v1/reports/network", api(401, 403, 403, 200, 403, 200),
          lambda w, a: f"/api/v1/reports/network?nation={w.nation(a)}&format=csv"),
    Route("GET", "/api/v1/audit", api(401, 403, None, 403, None, 200),
          lambda w, a: "/api/v1/audit"),
]
MATRIX = {(route.method, route.rule): route for route in ROUTES}
CELLS = [(route, actor) for route in ROUTES for actor in ACTORS
         if route.expect.get(actor) is not None]


# --- running a cell ----------------------------------------------------------------------------

def _sign_in_session(client, user) -> None:
    from flask import g

    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    g.pop("_login_user", None)  # the test's app context outlives a request: forget its user


def _forbidden_contacts(actor: str) -> list[str]:
    """The private details this actor must never be shown."""
    if actor == ADMIN:
        return []
    hidden = set(CONTACTS)
    if actor in (COORD, COORD_OUT):
        hidden -= set(WELSH_GROUPS)
    if actor == LINK:
        hidden.discard("group_link")
    return [text for key in sorted(hidden) for text in CONTACTS[key]]


def send(client, world: World, route: Route, actor: str):
    """Send the cell's request as ``actor``."""
    headers = {}
    if route.rule.startswith("/api/v1/") and actor in world.headers:
        headers = world.headers[actor]
    elif actor in world.users:
        _sign_in_session(client, world.users[actor])
    elif actor == LINK and not route.rule.startswith("/groups/edit/"):
        # A group that has just used its link, then goes elsewhere: anonymous, with a session.
        client.get(f"/groups/edit/{world.link_token}")
    path = route.path(world, actor)
    kwargs: dict = {"headers": headers}
    if route.json is not None:
        kwargs["json"] = route.json(world, actor)
    if route.form is not None:
        kwargs["data"] = route.form(world, actor)
    return client.open(path, method=route.method, **kwargs)


@pytest.mark.parametrize(("route", "actor"), CELLS,
                         ids=[f"{r.method} {r.rule} [{a}]" for r, a in CELLS])
def test_cell(client, world, route, actor):
    expected = route.expect[actor]
    response = send(client, world, route, actor)
    body = response.get_data(as_text=True)
    if expected == LOGIN:
        assert response.status_code == 302, body[:500]
        assert response.headers["Location"].startswith("/login"), response.headers["Location"]
    else:
        assert response.status_code == expected, body[:500]
    if route.method == "GET" and response.status_code == 200:
        assert body, "an allowed GET gives the actor something"
    leaked = [text for text in _forbidden_contacts(actor) if text in body]
    assert not leaked, f"private contact details in the response: {leaked}"


# --- the matrix covers every route, and the README shows it ----------------------------------

def _app_routes(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_is_in_the_matrix(app):
    routes = _app_routes(app)
    missing = sorted(routes - set(MATRIX))
    assert not missing, ("Add these routes to the authorisation matrix (tests/web/"
                         f"test_authorisation.py and the README): {missing}")
    assert not sorted(set(MATRIX) - routes), "the matrix names routes the app does not have"


def _cell_text(route: Route, actor: str) -> str:
    expected = route.expect.get(actor)
    if expected is None:
        return "–"
    return "sign-in" if expected == LOGIN else str(expected)


def matrix_markdown() -> str:
    """The matrix as the README's Markdown table."""
    lines = ["| method | path | " + " | ".join(HEADINGS[a] for a in ACTORS) + " |",
             "|---|---|" + "---|" * len(ACTORS)]
    for route in ROUTES:
        cells = " | ".join(_cell_text(route, actor) for actor in ACTORS)
        lines.append(f"| {route.method} | `{route.rule}` | {cells} |")
    return "\n".join(lines) + "\n"


def test_readme_shows_this_matrix():
    readme = README.read_text(encoding="utf-8")
    assert matrix_markdown() in readme, (
        "The README's authorisation matrix differs from the tested one: replace it with the "
        "output of `python -m tests.web.test_authorisation`.")


# --- scoped lists: the right rows, not only the right status ---------------------------------

def _ids(response) -> set[int]:
    assert response.status_code == 200, response.json
    return {item["id"] for item in response.json}


def test_lists_hold_only_what_the_caller_may_see(client, world):
    w = world
    staff, coord, admin = w.headers[STAFF], w.headers[COORD], w.headers[ADMIN]
    assert _ids(client.get("/api/v1/care-homes", headers=staff)) == {w.ids["home_w"]}
    assert _ids(client.get("/api/v1/care-homes", headers=coord)) == {w.ids["home_w"]}
    assert {w.ids["home_w"], w.ids["home_e"]} <= _ids(client.get("/api/v1/care-homes",
                                                                  headers=admin))
    approved = {w.ids[k] for k in ("group_w", "group_w2", "group_e", "group_e2", "group_vw",
                                   "group_ve")}
    assert _ids(client.get("/api/v1/groups", headers=staff)) == approved
    welsh = {w.ids[k] for k in ("group_w", "group_w2", "group_pending", "group_link",
                                "group_vw")}
    assert _ids(client.get("/api/v1/groups", headers=coord)) == welsh
    welsh_intros = {w.ids["intro_w"], w.ids["intro_vw"]}
    assert _ids(client.get("/api/v1/introductions", headers=staff)) == welsh_intros
    assert _ids(client.get("/api/v1/introductions", headers=coord)) == welsh_intros
    for headers in (staff, coord):
        listed = client.get("/api/v1/visits", headers=headers).json
        assert {row["visit_id"] for row in listed} == {w.ids["visit_w"]}
    assert _ids(client.get("/api/v1/allocations", headers=coord)) == {w.ids["alloc_w"]}
    # asking for another nation's rows by filter gives nothing, not someone else's data
    assert _ids(client.get("/api/v1/care-homes?nation=england", headers=coord)) == set()
    assert _ids(client.get("/api/v1/introductions?nation=england", headers=coord)) == set()
    matches = client.get(f"/api/v1/groups/{w.ids['group_w']}/matches", headers=staff).json
    assert {m["care_home"]["id"] for m in matches["matches"]} <= {w.ids["home_w"]}


def test_contact_details_reach_only_the_groups_coordinators_and_admins(client, world):
    w = world
    group = f"/api/v1/groups/{w.ids['group_w']}"
    email = CONTACTS["group_w"][1]
    assert client.get(group, headers=w.headers[COORD]).json["contact"]["email"] == email
    assert client.get(group, headers=w.headers[ADMIN]).json["contact"]["email"] == email
    assert client.get(group, headers=w.headers[STAFF]).json["contact"] is None
    listed = client.get("/api/v1/groups", headers=w.headers[STAFF]).json
    assert all(item["contact"] is None for item in listed)
    _sign_in_session(client, w.users[COORD])
    assert email in client.get(f"/coordinator/groups/{w.ids['group_w']}").get_data(as_text=True)


def test_coordinators_cannot_move_records_out_of_their_nation(client, world, db):
    from matcher.models import CareHome, CommunityGroup

    w, coord = world, world.headers[COORD]
    moved = client.patch(f"/api/v1/care-homes/{w.ids['home_w']}", json={"postcode": "SW1A 1AA"},
                         headers=coord)
    assert moved.status_code == 403
    db.session.expire_all()
    assert db.session.get(CareHome, w.ids["home_w"]).nation == "wales"
    moved = client.patch(f"/api/v1/groups/{w.ids['group_w']}", json={"postcode": "SW1A 1AA"},
                         headers=coord)
    assert moved.status_code == 403
    assert db.session.get(CommunityGroup, w.ids["group_w"]).nation == "wales"


def test_care_home_staff_cannot_move_their_home_to_another_nation(client, world, db):
    from matcher.models import CareHome

    w, url = world, f"/api/v1/care-homes/{world.ids['home_w']}"
    moved = client.patch(url, json={"postcode": "SW1A 1AA"}, headers=w.headers[STAFF])
    assert moved.status_code == 422
    assert "needs your network coordinator" in moved.json["errors"]["postcode"][0]
    db.session.expire_all()
    home = db.session.get(CareHome, w.ids["home_w"])
    assert (home.nation, home.postcode) == ("wales", "LL55 4UR")
    # A new postcode in the same nation is theirs to give; an admin may move the home.
    assert client.patch(url, json={"postcode": "LL55 4EL"},
                        headers=w.headers[STAFF]).status_code == 200
    moved = client.patch(url, json={"postcode": "SW1A 1AA"}, headers=w.headers[ADMIN])
    assert moved.status_code == 200 and moved.json["nation"] == "england"


# --- out of scope looks exactly like missing ---------------------------------------------------

PROBES = [  # (actor, method, path with {id}, record of the other nation or out of sight, body)
    (COORD, "GET", "/api/v1/care-homes/{id}", "home_e", None),
    (COORD, "PATCH", "/api/v1/care-homes/{id}", "home_e", {"residents": 31}),
    (COORD, "DELETE", "/api/v1/care-homes/{id}", "home_e", None),
    (COORD, "GET", "/api/v1/care-homes/{id}/matches", "home_e", None),
    (COORD, "GET", "/api/v1/groups/{id}", "group_e", None),
    (COORD, "PATCH", "/api/v1/groups/{id}", "group_e", {"capacity_per_month": 3}),
    (COORD, "DELETE", "/api/v1/groups/{id}", "group_e", None),
    (COORD, "GET", "/api/v1/groups/{id}/matches", "group_e", None),
    (COORD, "GET", "/api/v1/introductions/{id}", "intro_e", None),
    (COORD, "PATCH", "/api/v1/introductions/{id}", "intro_e", {"status": "requested"}),
    (COORD, "GET", "/api/v1/allocations/{id}", "alloc_e", None),
    (STAFF, "GET", "/api/v1/care-homes/{id}", "home_e", None),
    (STAFF, "GET", "/api/v1/groups/{id}", "group_pending", None),
    (STAFF, "PATCH", "/api/v1/groups/{id}", "group_pending", {"capacity_per_month": 3}),
    (STAFF, "GET", "/api/v1/groups/{id}/matches", "group_pending", None),
    (STAFF, "GET", "/api/v1/introductions/{id}", "intro_e", None),
    (COORD, "GET", "/coordinator/groups/{id}", "group_e", None),
    (COORD, "POST", "/coordinator/groups/{id}/decision", "group_e", {"decision": "pause"}),
    (COORD, "POST", "/coordinator/introductions/{id}/status", "intro_e", {"status": "requested"}),
    (COORD, "GET", "/care-homes/{id}/partners", "home_e", None),
    (COORD, "GET", "/care-homes/{id}/profile", "home_e", None),
    (STAFF, "GET", "/care-homes/{id}/partners", "home_e", None),
    (STAFF, "POST", "/care-homes/{id}/profile", "home_e", PROFILE_FORM),
]


def _without_id(text: str, record_id: int) -> str:
    return re.sub(rf"(id |/){record_id}\b", r"\1<id>", text)


def _probe(client, world, actor, method, path, body):
    api_call = path.startswith("/api/")
    if not api_call:
        _sign_in_session(client, world.users[actor])
    kwargs = {"headers": world.headers[actor] if api_call else {}}
    if body is not None:
        kwargs["json" if api_call else "data"] = body
    response = client.open(path, method=method, **kwargs)
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize(("actor", "method", "path", "key", "body"), PROBES,
                         ids=[f"{m} {p} [{a}]" for a, m, p, _, _ in PROBES])
def test_an_id_outside_the_callers_scope_is_answered_as_one_that_does_not_exist(
        client, world, actor, method, path, key, body):
    existing = world.ids[key]
    missing = max(world.ids.values()) + 1000
    status, text = _probe(client, world, actor, method, path.format(id=existing), body)
    status_missing, text_missing = _probe(client, world, actor, method,
                                          path.format(id=missing), body)
    assert status == status_missing == 404
    # The same words too (the API's message names the id asked for, nothing else).
    assert _without_id(text, existing) == _without_id(text_missing, missing)


def test_a_pending_group_cannot_be_probed_through_an_introduction(client, world):
    w = world
    statuses = []
    for group_id in (w.ids["group_pending"], max(w.ids.values()) + 1000):
        response = client.post("/api/v1/introductions", headers=w.headers[STAFF],
                               json={"care_home_id": w.ids["home_w"], "group_id": group_id})
        statuses.append((response.status_code, _without_id(response.json["message"], group_id)))
    assert statuses[0] == statuses[1] and statuses[0][0] == 404


if __name__ == "__main__":
    print(matrix_markdown(), end="")
