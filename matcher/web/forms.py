"""Turning HTML forms into the API's JSON shapes, and schema errors into GOV.UK messages.

The pages validate with the same marshmallow schemas as the API (``matcher.schemas``), so a
form is first converted to the JSON body the API would receive. Errors come back keyed by
field; each key is also the ``id`` of the field's first control, so the error summary can link
straight to it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from ..domain.catalogue import CORRESPONDENCE_LANGUAGES
from ..domain.languages import language_name
from ..i18n import current_language
from ..schemas import CareHomeInputSchema, GroupInputSchema
from ..schemas.fields import BLANK_MESSAGE
from .messages import page_message

# --- shared helpers ---------------------------------------------------------------------------

_SPLIT = re.compile(r"[\n\r,;]+")


def split_list(text: str | None) -> list[str]:
    """Items typed one per line or separated by commas (or semicolons)."""
    return [item.strip() for item in _SPLIT.split(text or "") if item.strip()]


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def valid_idempotency_key(value: str | None) -> str:
    """The key the form carried if it is a UUID, else a fresh one (never trust a free string)."""
    try:
        return str(uuid.UUID(str(value)))
    except (TypeError, ValueError):
        return new_idempotency_key()


# What a date lacks, said whole so that each reads naturally in Welsh too.
_DATE_MISSING = {
    ("day",): _l("%(label)s must include a day"),
    ("month",): _l("%(label)s must include a month"),
    ("year",): _l("%(label)s must include a year"),
    ("day", "month"): _l("%(label)s must include a day and month"),
    ("day", "year"): _l("%(label)s must include a day and year"),
    ("month", "year"): _l("%(label)s must include a month and year"),
}


def read_date(form: Mapping, key: str, label: str) -> tuple[str | None, str | None]:
    """Read a GOV.UK date input (``key-day``, ``key-month``, ``key-year``).

    Returns ``(iso_date, error)``; both None when the date was left blank.
    """
    parts = {p: (form.get(f"{key}-{p}") or "").strip() for p in ("day", "month", "year")}
    if not any(parts.values()):
        return None, None
    missing = tuple(p for p in ("day", "month", "year") if not parts[p])
    if missing:
        return None, str(_DATE_MISSING[missing]) % {"label": label}
    try:
        day, month, year = (int(parts[p]) for p in ("day", "month", "year"))
        if year < 1000:
            return None, _("%(label)s year must include 4 numbers", label=label)
        return dt.date(year, month, day).isoformat(), None
    except ValueError:
        return None, _("%(label)s must be a real date", label=label)


def date_parts(value: dt.date | None) -> dict[str, str]:
    if value is None:
        return {"day": "", "month": "", "year": ""}
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


def flatten_messages(messages: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    """marshmallow's nested error dict as ``[(path, message)]``."""
    out: list[tuple[tuple, str]] = []
    if isinstance(messages, Mapping):
        for key, inner in messages.items():
            out.extend(flatten_messages(inner, (*path, key)))
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            if isinstance(item, (Mapping, list, tuple)):
                out.extend(flatten_messages(item, path))
            else:
                out.append((path, str(item)))
    else:
        out.append((path, str(messages)))
    return out


_RANGE = re.compile(r"Must be greater than or equal to (\S+) and less than or equal to (\S+?)\.?$")
_MAX_LEN = re.compile(r"Longer than maximum length (\d+)\.?$")
_BETWEEN = re.compile(r"Length must be between (\d+) and (\d+)\.?$")


def is_blank(raw: Any) -> bool:
    """Nothing entered: empty, unticked, or only spaces."""
    return raw in ("", None, [], False) or (isinstance(raw, str) and not raw.strip())


def friendly(message: str, label: str, required: str, blank: bool) -> str:
    """Rephrase marshmallow's default messages in the GOV.UK style (no full stops), in the
    page's language."""
    if blank and (message.startswith("Missing data") or message.startswith("Length must be")
                  or message.startswith("Shorter than") or message.startswith("Field may not")):
        return required
    if message.startswith("Missing data for required field") or message.startswith(
            "Field may not be null") or message == BLANK_MESSAGE:
        return required
    if message.startswith("Not a valid number"):
        return _("%(label)s must be a number, like 5", label=label)
    if message.startswith("Not a valid integer"):
        return _("%(label)s must be a whole number, like 4", label=label)
    if message.startswith("Not a valid email"):
        return str(EMAIL_FORMAT)
    if message.startswith("Not a valid date"):
        return _("%(label)s must be a real date", label=label)
    if message.startswith("Must be one of"):
        return required
    if match := _RANGE.match(message):
        return _("%(label)s must be between %(low)s and %(high)s", label=label,
                 low=match.group(1), high=match.group(2))
    if match := _MAX_LEN.match(message):
        return _("%(label)s must be %(count)s characters or fewer", label=label,
                 count=match.group(1))
    if match := _BETWEEN.match(message):
        return _("%(label)s must be %(count)s characters or fewer", label=label,
                 count=match.group(2))
    return page_message(message.rstrip("."))


EMAIL_FORMAT = _l("Enter an email address in the correct format, like name@example.org")


@dataclass
class FormErrors:
    """Errors by field key, in the order the fields appear on the page."""

    order: list[str]
    anchors: dict[str, str] = field(default_factory=dict)
    by_key: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, message: str) -> None:
        message = str(message)  # a lazy translation, in the language of this page
        messages = self.by_key.setdefault(key, [])
        if message not in messages:
            messages.append(message)

    def __bool__(self) -> bool:
        return bool(self.by_key)

    def get(self, key: str) -> str | None:
        messages = self.by_key.get(key)
        return "; ".join(messages) if messages else None

    def summary(self) -> list[dict[str, str]]:
        def rank(key: str) -> int:
            base = re.sub(r"-\d+-\w+$", "", key)
            return self.order.index(base) if base in self.order else len(self.order)
        items = []
        for key in sorted(self.by_key, key=rank):
            anchor = self.anchors.get(key, key)
            for message in self.by_key[key]:
                items.append({"text": message, "href": f"#{anchor}"})
        return items


# --- community groups -------------------------------------------------------------------------

GROUP_ORDER = [
    "name", "kind", "description", "interests", "languages", "postcode", "travel_radius_km",
    "availability", "capacity_per_month", "offers_remote", "remote_modes", "works_with_children",
    "safeguarding_scheme", "safeguarding_status", "safeguarding_expires_on", "contact_name",
    "contact_email", "contact_phone", "preferred_language", "consent",
]
GROUP_LABELS = {
    "name": _l("Name of your group"),
    "kind": _l("Kind of group"),
    "description": _l("Description"),
    "interests": _l("Each activity"),
    "languages": _l("Languages"),
    "postcode": _l("Postcode"),
    "travel_radius_km": _l("How far you can travel"),
    "availability": _l("When you can visit"),
    "capacity_per_month": _l("Visits a month"),
    "remote_modes": _l("Ways to keep in touch"),
    "works_with_children": _l("Whether children take part"),
    "safeguarding_scheme": _l("Safeguarding check"),
    "safeguarding_status": _l("Status of your check"),
    "safeguarding_expires_on": _l("Expiry date"),
    "contact_name": _l("Contact name"),
    "contact_email": _l("Email address"),
    "contact_phone": _l("Phone number"),
    "preferred_language": _l("The language we write to you in"),
    "consent": _l("Agreement to the privacy notice"),
}
GROUP_REQUIRED = {
    "name": _l("Enter the name of your group"),
    "kind": _l("Select the kind of group you are"),
    "postcode": _l("Enter the postcode you would travel from, like SW1A 1AA"),
    "consent": _l("You must agree to the privacy notice so we can store your details"),
    "contact_name": _l("Enter the name of the person we should contact"),
    "contact_email": _l("Enter an email address or a phone number so we can contact you"),
    "safeguarding_scheme": _l("Select the safeguarding scheme"),
    "safeguarding_status": _l("Select the status of your check"),
    "works_with_children": _l("Select whether children or young people take part in visits"),
    "availability": _l("Select the times you could visit"),
    "remote_modes": _l("Select how you could keep in touch"),
    "preferred_language": _l("Select the language we should write to you in"),
}
GROUP_ANCHORS = {"safeguarding_expires_on": "safeguarding_expires_on-day"}
_GROUP_TEXT = ("name", "kind", "description", "interests", "languages", "postcode",
               "travel_radius_km", "capacity_per_month", "works_with_children",
               "safeguarding_scheme", "safeguarding_status", "contact_name", "contact_email",
               "contact_phone", "preferred_language")


def blank_group_values() -> dict[str, Any]:
    values: dict[str, Any] = {key: "" for key in _GROUP_TEXT}
    values.update(availability=[], remote_modes=[], offers_remote=False, consent=False,
                  safeguarding_expires_on=date_parts(None), travel_radius_km="5",
                  idempotency_key=new_idempotency_key(),
                  # A group filling the form in Welsh is written to in Welsh unless it says.
                  preferred_language=current_language())
    return values


def group_values_from_form(form: MultiDict) -> dict[str, Any]:
    """What the person typed, to show again if something needs correcting."""
    values: dict[str, Any] = {key: (form.get(key) or "") for key in _GROUP_TEXT}
    values["availability"] = form.getlist("availability")
    values["remote_modes"] = form.getlist("remote_modes")
    values["offers_remote"] = form.get("offers_remote") == "yes"
    values["consent"] = form.get("consent") == "yes"
    values["safeguarding_expires_on"] = {
        p: (form.get(f"safeguarding_expires_on-{p}") or "") for p in ("day", "month", "year")}
    values["idempotency_key"] = valid_idempotency_key(form.get("idempotency_key"))
    return values


# Short names of the fields a change to which waits for a coordinator, for the pages.
REVIEWED_LABELS = {
    "name": _l("name"), "kind": _l("kind of group"), "description": _l("description"),
    "interests": _l("activities"), "languages": _l("languages"),
    "works_with_children": _l("whether children take part"),
    "safeguarding_scheme": _l("safeguarding check"),
    "safeguarding_status": _l("safeguarding status"),
    "safeguarding_expires_on": _l("safeguarding expiry date"),
}


def group_values_from_record(group, *, proposed: bool = False) -> dict[str, Any]:
    """A stored group as form values, for the edit page; with ``proposed``, the changes it
    made that wait for a coordinator are shown instead of the published values."""
    waiting = (getattr(group, "pending_changes", None) or {}) if proposed else {}

    def get(key):
        return waiting[key] if key in waiting else getattr(group, key)

    expires = get("safeguarding_expires_on")
    if isinstance(expires, str):
        expires = dt.date.fromisoformat(expires)
    return {
        "name": get("name") or "",
        "kind": get("kind") or "",
        "description": get("description") or "",
        "interests": "\n".join(get("interests") or []),
        "languages": ", ".join(_language_shown(lang) for lang in get("languages") or []),
        "postcode": group.postcode or "",
        "travel_radius_km": _number(group.travel_radius_km),
        "availability": list(group.availability or []),
        "capacity_per_month": _number(group.capacity_per_month),
        "offers_remote": bool(group.offers_remote),
        "remote_modes": list(group.remote_modes or []),
        "works_with_children": "yes" if get("works_with_children") else "no",
        "safeguarding_scheme": get("safeguarding_scheme") or "",
        "safeguarding_status": get("safeguarding_status") or "",
        "safeguarding_expires_on": date_parts(expires),
        "contact_name": group.contact_name or "",
        "contact_email": group.contact_email or "",
        "contact_phone": group.contact_phone or "",
        "preferred_language": group.preferred_language or "en",
        "consent": group.consent_at is not None,
    }


def _language_shown(lang: Mapping) -> str:
    """A stored language by its name in the page's language ("Pwyleg" on a Welsh page)."""
    if not lang.get("tag"):
        return lang.get("name") or ""
    return language_name(lang["tag"], current_language())


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def group_payload(values: dict[str, Any], form: Mapping, *, editing: bool = False
                  ) -> tuple[dict[str, Any], FormErrors]:
    """The API's JSON body for these form values, plus errors found before the schema runs."""
    errors = FormErrors(GROUP_ORDER, dict(GROUP_ANCHORS))
    payload: dict[str, Any] = {
        "name": values["name"].strip(),
        "description": values["description"].strip(),
        "interests": split_list(values["interests"]),
        "languages": split_list(values["languages"]),
        "availability": values["availability"] or None,
        "capacity_per_month": values["capacity_per_month"].strip() or None,
        "offers_remote": values["offers_remote"],
        "remote_modes": values["remote_modes"] if values["offers_remote"] else [],
        "contact": {
            "name": values["contact_name"].strip() or None,
            "email": values["contact_email"].strip() or None,
            "phone": values["contact_phone"].strip() or None,
        },
    }
    if values["kind"]:
        payload["kind"] = values["kind"]
    if values["postcode"].strip():
        payload["postcode"] = values["postcode"].strip()
    if values["travel_radius_km"].strip():
        payload["travel_radius_km"] = values["travel_radius_km"].strip()
    if values["works_with_children"] in ("yes", "no"):
        payload["works_with_children"] = values["works_with_children"] == "yes"
    if values["preferred_language"]:
        payload["preferred_language"] = values["preferred_language"]
    elif not editing:
        # Not chosen (an older copy of the form): the language the form was filled in.
        payload["preferred_language"] = current_language()
    expires, date_error = read_date(form, "safeguarding_expires_on", _("Expiry date"))
    if date_error:
        errors.add("safeguarding_expires_on", date_error)
    safeguarding = {
        "scheme": values["safeguarding_scheme"] or None,
        "status": values["safeguarding_status"] or None,
        "expires_on": expires,
    }
    if editing or any(safeguarding.values()):
        payload["safeguarding"] = safeguarding
    if not editing:
        payload["consent"] = values["consent"]
    # Form-only rules: a registration nobody can be contacted about is no use to a coordinator.
    if not values["contact_name"].strip():
        errors.add("contact_name", GROUP_REQUIRED["contact_name"])
    if not values["contact_email"].strip() and not values["contact_phone"].strip():
        errors.add("contact_email", GROUP_REQUIRED["contact_email"])
    if values["offers_remote"] and not values["remote_modes"]:
        errors.add("remote_modes", GROUP_REQUIRED["remote_modes"])
    if values["works_with_children"] == "yes" and not values["safeguarding_scheme"]:
        errors.add("safeguarding_scheme",
                   _("Select the safeguarding scheme: groups visiting with children need a check"))
    if editing:
        for key in ("name", "kind", "postcode"):
            if not str(values[key]).strip():
                errors.add(key, GROUP_REQUIRED[key])
    return payload, errors


def _group_key(path: tuple) -> str:
    names = [str(p) for p in path if not isinstance(p, int)]
    key = "_".join(names) if names else "name"
    return key if key in GROUP_ORDER else "name"


def validate_group(values: dict[str, Any], form: Mapping, *, editing: bool = False
                   ) -> tuple[dict[str, Any] | None, FormErrors]:
    """Validate a group form with the shared GroupInputSchema; returns ``(data, errors)``."""
    payload, errors = group_payload(values, form, editing=editing)
    schema = GroupInputSchema(partial=True) if editing else GroupInputSchema()
    data = None
    try:
        data = schema.load(payload)
    except ma.ValidationError as exc:
        for path, message in flatten_messages(exc.messages):
            key = _group_key(path)
            raw = values.get(key)
            blank = is_blank(raw)
            errors.add(key, friendly(message, GROUP_LABELS.get(key, key),
                                     str(GROUP_REQUIRED.get(key, f"Enter {key}")), blank))
    if errors:
        return None, errors
    return data, errors


def add_service_errors(errors: FormErrors, service_errors: dict[str, list[str]],
                       default_key: str = "postcode") -> None:
    """Errors a service raised (e.g. an unknown postcode) shown like the schema's."""
    for key, messages in service_errors.items():
        target = key if key in errors.order else default_key
        for message in messages:
            errors.add(target, page_message(str(message).rstrip(".")))


# --- care-home profile ------------------------------------------------------------------------

LANGUAGE_ROWS = 5
HOME_ORDER = [
    "residents", "interests", "interests_text", "languages", "care_types", "facilities",
    "visiting_status", "visiting_review_date", "search_radius_km", "preferred_language",
]
HOME_LABELS = {
    "residents": _l("Number of residents"),
    "interests": _l("Each interest"),
    "interests_text": _l("Description of residents' interests"),
    "care_types": _l("Type of care"),
    "facilities": _l("Facilities"),
    "visiting_status": _l("Visiting status"),
    "visiting_review_date": _l("Review date"),
    "search_radius_km": _l("Search distance"),
    "preferred_language": _l("The language we write to the home’s contact in"),
}
HOME_REQUIRED = {
    "visiting_status": _l("Select whether the home is open to visitors"),
    "search_radius_km": _l("Enter how far partners may travel from, in kilometres"),
    "residents": _l("Enter the number of residents"),
    "preferred_language": _l("Select the language we should write to the home’s contact in"),
}
HOME_ANCHORS = {"visiting_review_date": "visiting_review_date-day",
                "languages": "languages-0-language"}


def home_values_from_record(home) -> dict[str, Any]:
    rows = [{"language": _language_shown(lang),
             "residents": str(lang.get("residents") or "")} for lang in home.languages or []]
    rows += [{"language": "", "residents": ""}] * max(2, LANGUAGE_ROWS - len(rows))
    return {
        "residents": _number(home.residents),
        "interests": "\n".join(home.interests or []),
        "interests_text": home.interests_text or "",
        "languages": rows,
        "care_types": list(home.care_types or []),
        "facilities": list(home.facilities or []),
        "visiting_status": home.visiting_status or "open",
        "visiting_review_date": date_parts(home.visiting_review_date),
        "search_radius_km": _number(home.search_radius_km),
        "preferred_language": home.preferred_language or "en",
    }


def home_values_from_form(form: MultiDict) -> dict[str, Any]:
    rows = []
    index = 0
    while f"languages-{index}-language" in form or f"languages-{index}-residents" in form:
        rows.append({"language": (form.get(f"languages-{index}-language") or ""),
                     "residents": (form.get(f"languages-{index}-residents") or "")})
        index += 1
    rows += [{"language": "", "residents": ""}] * max(0, LANGUAGE_ROWS - len(rows))
    return {
        "residents": form.get("residents") or "",
        "interests": form.get("interests") or "",
        "interests_text": form.get("interests_text") or "",
        "languages": rows,
        "care_types": form.getlist("care_types"),
        "facilities": form.getlist("facilities"),
        "visiting_status": form.get("visiting_status") or "",
        "visiting_review_date": {
            p: (form.get(f"visiting_review_date-{p}") or "") for p in ("day", "month", "year")},
        "search_radius_km": form.get("search_radius_km") or "",
        "preferred_language": form.get("preferred_language") or "",
    }


def validate_home(values: dict[str, Any], form: Mapping
                  ) -> tuple[dict[str, Any] | None, FormErrors]:
    """Validate the profile form with ``CareHomeInputSchema(partial=True)``."""
    errors = FormErrors(HOME_ORDER, dict(HOME_ANCHORS))
    languages = []
    row_of: dict[int, int] = {}
    for row_index, row in enumerate(values["languages"]):
        name, count = row["language"].strip(), row["residents"].strip()
        if not name and not count:
            continue
        if not name:
            errors.add(f"languages-{row_index}-language",
                       _("Enter the language in row %(row)s", row=row_index + 1))
            continue
        if not count:
            errors.add(f"languages-{row_index}-residents",
                       _("Enter how many residents speak %(language)s", language=name))
            continue
        row_of[len(languages)] = row_index
        languages.append({"language": name, "residents": count})
    payload: dict[str, Any] = {
        "interests": split_list(values["interests"]),
        "interests_text": values["interests_text"].strip(),
        "languages": languages,
        "care_types": values["care_types"],
        "facilities": values["facilities"],
        "residents": values["residents"].strip() or None,
    }
    if values["visiting_status"]:
        payload["visiting_status"] = values["visiting_status"]
    else:
        errors.add("visiting_status", HOME_REQUIRED["visiting_status"])
    if values["search_radius_km"].strip():
        payload["search_radius_km"] = values["search_radius_km"].strip()
    else:
        errors.add("search_radius_km", HOME_REQUIRED["search_radius_km"])
    if values["preferred_language"] in CORRESPONDENCE_LANGUAGES:
        payload["preferred_language"] = values["preferred_language"]
    elif values["preferred_language"]:
        errors.add("preferred_language", HOME_REQUIRED["preferred_language"])
    review, date_error = read_date(form, "visiting_review_date", _("Review date"))
    if date_error:
        errors.add("visiting_review_date", date_error)
    payload["visiting_review_date"] = review
    data = None
    try:
        data = CareHomeInputSchema(partial=True).load(payload)
    except ma.ValidationError as exc:
        for path, message in flatten_messages(exc.messages):
            key = _home_key(path, row_of)
            base = key if key in HOME_ORDER else "languages"
            label = HOME_LABELS.get(base, _l("Language"))
            if key.endswith("-residents"):
                label = _l("Number of residents who speak it")
            elif key.endswith("-language"):
                label = _l("Language")
            raw = values.get(key) if key in values else "x"
            required = HOME_REQUIRED.get(key) or _("Enter %(label)s", label=str(label).lower())
            errors.add(key, friendly(message, label, str(required), is_blank(raw)))
    if errors:
        return None, errors
    return data, errors


def _home_key(path: tuple, row_of: dict[int, int]) -> str:
    if path and path[0] == "languages":
        if len(path) >= 2 and isinstance(path[1], int):
            row = row_of.get(path[1], path[1])
            part = str(path[2]) if len(path) >= 3 else "language"
            return f"languages-{row}-{part}"
        return "languages"
    names = [str(p) for p in path if not isinstance(p, int)]
    key = "_".join(names) if names else "interests"
    return key if key in HOME_ORDER else "interests"
