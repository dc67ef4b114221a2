"""Audit entries in plain words (English; the pages pass their gettext)."""

from __future__ import annotations

from matcher.presentation.audit_entries import (
    action_label,
    actor_label,
    change_lines,
    entity_label,
)


def test_actions_read_as_what_happened():
    assert action_label("community_groups", "status", {"status": ["pending", "approved"]}) \
        == "Group approved"
    assert action_label("introductions", "status", {"status": ["requested", "introduced"]}) \
        == "Introduction made"
    assert action_label("users", "deactivate") == "Account deactivated"
    assert action_label("care_homes", "status", {"visiting_status": ["open", "closed"]}) \
        == "Visiting status changed"
    assert action_label("import_reviews", "delete") == "Import review: deleted"
    assert action_label("mystery_table", "frobnicate") == "Mystery table: frobnicate"
    assert entity_label("community_groups") == "Group"


def test_changes_read_as_fields_and_labelled_values():
    assert change_lines("community_groups", "status", {
        "status": ["pending", "approved"], "status_reason": ["Needs a check", None]}) == [
        "Status: Waiting for approval → Approved", "Reason: Needs a check → (none)"]
    assert change_lines("care_homes", "update", {
        "visiting_status": ["open", "restricted"], "residents": [30, 31],
        "interests": [["singing"], ["singing", "gardening"]],
        "languages": [[], [{"tag": "cy", "name": "Welsh"}]],
        "offers_remote": [False, True]}) == [
        "Visiting: Open to visitors → Restricted (outbreak measures)", "Residents: 30 → 31",
        "Interests: singing → singing, gardening", "Languages: (none) → Welsh",
        "Remote contact: No → Yes"]


def test_a_merge_and_declined_changes_name_the_fields_they_concern():
    assert action_label("community_groups", "merge") == "Merged into the group it duplicated"
    assert change_lines("community_groups", "merge", {
        "merged_into": [None, 7],
        "fields": [None, ["contact_email", "interests", "preferred_language"]]}) == [
        "Merged into group: (none) → 7",
        "Details taken: (none) → Contact email, Interests, Language we write in"]


def test_a_new_record_shows_its_values_and_hides_personal_details():
    lines = change_lines("users", "create", {"email": "a@example.org", "role": "coordinator",
                                             "nation": "wales"})
    assert lines == ["Email: a@example.org", "Role: Network coordinator", "Nation: Wales"]
    assert change_lines("community_groups", "create", {
        "name": [None, "Côr"], "contact_email": "(changed)"}) == [
        "Name: Côr", "Contact email: changed (not shown)"]
    # A list recorded alone is not mistaken for a change from one value to another.
    assert change_lines("community_groups", "decline", {
        "pending_changes": ["description", "name"]}) == ["Changes: Description, Name"]
    assert change_lines("users", "lock", {"locked_until": "2026-12-04T10:15:00+00:00"}) == [
        "Paused until: 4 Dec 2026 10:15 UTC"]


def test_actors_are_people_or_named_channels():
    assert actor_label("user:7:coord@example.org") == "coord@example.org"
    assert actor_label("group-link:12") == "The group, through its private link"
    assert actor_label("system") == "Kith (automatic)"


def test_an_email_is_named_by_what_it_says_and_to_whom_not_by_its_template():
    lines = change_lines("outbox_messages", "email", {
        "template": "visit_feedback", "recipient_role": "care_home",
        "sent_at": "2026-12-04T09:30:00Z"})
    assert lines[:2] == ["Email: How did the visit go?", "To: Care-home staff"]
    assert lines[2].endswith("4 Dec 2026 09:30 UTC")
    assert change_lines("outbox_messages", "email", {"recipient_role": "group"}) == [
        "To: The group"]


def test_audit_dates_are_in_the_readers_language(app):
    from flask_babel import force_locale

    with app.test_request_context("/"), force_locale("cy"):
        from flask_babel import gettext

        lines = change_lines("outbox_messages", "email", {
            "template": "registration_received", "approved_at": "2026-12-04"}, gettext)
    assert lines == ["E-bost: Cofrestriad wedi dod i law", "Wedi'i gymeradwyo: 4 Rhag 2026"]
