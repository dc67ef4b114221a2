"""The Api class with Kith's error format, shared by every resource."""

from __future__ import annotations

import json

import flask_smorest
from flask import render_template, request
from flask_smorest import Api
from webargs.flaskparser import FlaskParser, abort
from werkzeug.exceptions import HTTPException

from ..schemas.messages import N_, translate, translate_errors

DEFAULT_MESSAGES = {
    400: N_("The request could not be understood: check that the body is valid JSON."),
    401: N_("Sign in first: send an API token as 'Authorization: Bearer <token>'."),
    403: N_("You do not have permission to do that."),
    404: N_("Not found."),
    405: N_("That method is not allowed on this address."),
    409: N_("That conflicts with the current state of the record."),
    413: N_("The request is too large."),
    415: N_("Send the body as JSON with 'Content-Type: application/json'."),
    422: N_("The request is not valid: see 'errors' for what to correct."),
    429: N_("Too many requests: please wait a moment and try again."),
    500: N_("Something went wrong on our side. It has been logged."),
    503: N_("The service is briefly unavailable: please try again shortly."),
}


class JSONTooComplex(json.JSONDecodeError):
    """A body that is valid JSON text but beyond what Python will turn into values."""


class KithParser(FlaskParser):
    """webargs' parser, with JSON nested too deeply (Python's ``RecursionError``) or integers
    with too many digits (``ValueError`` past ``sys.get_int_max_str_digits()``) refused as a
    400 like any other malformed body, instead of escaping as a 500."""

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise
        except RecursionError as exc:
            raise JSONTooComplex("The JSON body is nested too deeply.", "-", 0) from exc
        except ValueError as exc:  # only the integer digit limit gets here
            raise JSONTooComplex("The JSON body holds a number with too many digits.",
                                 "-", 0) from exc

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        if isinstance(error, JSONTooComplex):
            abort(400, exc=error, messages={"json": [error.msg]})
        super()._handle_invalid_json_error(error, req, *args, **kwargs)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, parsing arguments with :class:`KithParser`."""

    ARGUMENTS_PARSER = KithParser()


def flatten_errors(errors) -> dict[str, list[str]]:
    """webargs nests errors by location ({"json": {"name": [...]}}); users want them by field."""
    if not isinstance(errors, dict):
        return {"_request": errors if isinstance(errors, list) else [str(errors)]}
    locations = {"json", "query", "form", "headers", "files", "path", "view_args", "querystring"}
    if errors and set(errors) <= locations:
        flat: dict = {}
        for inner in errors.values():
            if isinstance(inner, dict):
                flat.update(inner)
            else:
                flat.setdefault("_request", []).extend(
                    inner if isinstance(inner, list) else [str(inner)])
        return flat
    return errors


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def error_payload(code: int, name: str, message: str | None = None, errors=None) -> dict:
    """Kith's error body; the messages in the language asked for (``Accept-Language: cy``),
    the field names and ``status`` as they are."""
    from flask_babel import gettext

    return {
        "code": code,
        "status": name,
        "message": translate(message or DEFAULT_MESSAGES.get(code, name), gettext),
        "errors": translate_errors(flatten_errors(errors), gettext) if errors else {},
    }


class KithApi(Api):
    """flask-smorest's Api with errors as ``{code, status, message, errors: {field: [..]}}``
    for the API, and an HTML page for everything else."""

    _known_filled = False

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        converter = self.ma_plugin.converter
        plain = converter.schema2jsonschema

        def with_rules(schema):
            # A schema's rules across its fields (``OPENAPI_RULES``), which no field states.
            document = plain(schema)
            document.update(getattr(schema, "OPENAPI_RULES", {}))
            return document

        converter.schema2jsonschema = with_rules

    def _openapi_json(self):
        # Narrowed on first serving, not at start-up: the postcode index and the language
        # codes take about a second to read, which every app (and test) would pay.
        if not self._known_filled:
            fill_known_values(self)
            self._known_filled = True
        return super()._openapi_json()

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        headers = dict(data.get("headers") or {})
        if error.code == 429 and error.description:
            data.setdefault("message", DEFAULT_MESSAGES[429])
        if error.code == 413:
            data.setdefault("message", too_large_message())
        if error.code == 400 and "messages" in data:
            # webargs reports unparseable JSON as 400 with its own wording
            data = {**data, "errors": data["messages"]}
        errors = data.get("errors", data.get("messages"))
        retry_after = error.get_headers() and dict(error.get_headers()).get("Retry-After")
        if retry_after:
            headers["Retry-After"] = retry_after
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        if not is_api_request():
            return render_template("error.html", code=error.code,
                                   message=data.get("message") or _page_message(error)
                                   ), error.code, headers
        payload = error_payload(error.code, error.name, data.get("message"), errors)
        return payload, error.code, headers


def too_large_message() -> str:
    """413's words, with the limit of the route that refused the body."""
    limit = request.max_content_length
    if not limit:
        return DEFAULT_MESSAGES[413]
    return (f"The request is too large: at most {limit // 1024} KB may be sent here. "
            "Shorten long texts or lists and try again.")


def _page_message(error: HTTPException) -> str:
    return {
        404: "Page not found. If you typed the web address, check it is correct.",
        403: "You do not have permission to see this page.",
        429: "You have tried too many times. Please wait a few minutes and try again.",
    }.get(error.code, DEFAULT_MESSAGES.get(error.code, error.name))


PAGINATION_HEADER_DOC = {
    "description": "The page's place in the whole list, as a JSON object (text): "
                   '{"total", "total_pages", "first_page", "last_page", "page", '
                   '"previous_page", "next_page"}, e.g. {"total": 30, "total_pages": 3, '
                   '"first_page": 1, "last_page": 3, "page": 1, "next_page": 2}.',
    "schema": {"type": "string"},
}
CSV_CONTENT = {"schema": {"type": "string",
                          "description": "CSV with a header row; columns in docs/csv-formats.md."}}


# gunicorn answers a request line beyond ``limit_request_line`` (4094 bytes) itself, before
# the app: its own HTML page.
URI_TOO_LONG = {"description": "The address (path and query) is longer than 4,094 bytes; "
                               "answered by the web server, as an HTML page.",
                "content": {"text/html": {"schema": {"type": "string"}}}}


# The highest page number a list takes (``common.check_page``): beyond it, the offset is
# more than a database can hold.
MAX_PAGE = 1_000_000_000


def make_spec_exact(api: Api, public_prefixes: tuple[str, ...]) -> None:
    """Say in the OpenAPI document what the code does beyond flask-smorest's defaults: the
    public operations need no token, ``X-Pagination`` is a header of JSON text (not a
    header-encoded object), operations with ``format=csv`` may answer ``text/csv``, and a
    nested object that may be null is that object or null (not any object at all)."""
    components = api.spec.components
    for schema in components.schemas.values():
        _nullable_refs(schema)
    for store in (components.headers, components.headers_lazy):
        if "PAGINATION" in store:
            store["PAGINATION"] = dict(PAGINATION_HEADER_DOC)
    for path, operations in api.spec._paths.items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or method not in (
                    "get", "post", "put", "patch", "delete"):
                continue
            if path.startswith(public_prefixes):
                operation["security"] = []
            operation.setdefault("responses", {}).setdefault("414", dict(URI_TOO_LONG))
            for parameter in operation.get("parameters", []):
                if (isinstance(parameter, dict) and parameter.get("in") == "query"
                        and parameter.get("name") == "page" and "schema" in parameter):
                    # A resource's own, lower maximum (the open feed's) stays.
                    parameter["schema"]["maximum"] = min(
                        parameter["schema"].get("maximum", MAX_PAGE), MAX_PAGE)
            formats = [p for p in operation.get("parameters", [])
                       if isinstance(p, dict) and p.get("name") == "format"
                       and p.get("in") == "query"]
            if formats and "csv" in (formats[0].get("schema", {}).get("enum") or ()):
                ok = operation.get("responses", {}).get("200")
                if isinstance(ok, dict):
                    ok.setdefault("content", {})["text/csv"] = dict(CSV_CONTENT)


def fill_known_values(api: Api) -> None:
    """Narrow the properties marked ``x-kith-known`` to the values this server reads: a
    postcode in a district of its postcode index (any other answers 422), a language code
    ``normalise_language`` knows. Each pattern becomes one shared component."""
    from flask import current_app

    from ..domain.languages import code_pattern
    from ..runtime import postcode_index
    from ..schemas.fields import KNOWN, postcode_pattern

    districts = [district.code for district in postcode_index(current_app).districts()]
    components = api.spec.components
    components.schema("KnownPostcode", {
        "type": "string", "maxLength": 20, "pattern": postcode_pattern(districts),
        "description": "A UK postcode in any case and spacing whose district is in the ONS "
                       "Postcode Directory (Channel Islands and Isle of Man postcodes have "
                       "no coordinates)."})
    components.schema("LanguageCode", {
        "type": "string", "pattern": code_pattern(),
        "description": "A language code (ISO 639) Kith reads; the language's name in English "
                       "or in the language itself (`Welsh`, `Cymraeg`) is read too."})
    refs = {"postcode": "#/components/schemas/KnownPostcode",
            "language": "#/components/schemas/LanguageCode"}

    def narrow(node):
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if isinstance(value, dict) and value.get(KNOWN) in refs:
                    known = value.pop(KNOWN)
                    nullable = value.get("nullable")
                    ref = {"$ref": refs[known]}
                    node[key] = {"allOf": [ref], "nullable": True} if nullable else ref
                else:
                    narrow(value)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, dict) and value.get(KNOWN) in refs:
                    node[i] = {"$ref": refs[value.pop(KNOWN)]}
                else:
                    narrow(value)

    for name, schema in list(components.schemas.items()):
        if name not in ("KnownPostcode", "LanguageCode"):
            narrow(schema)
    narrow(api.spec._paths)


def _nullable_refs(schema) -> None:
    """apispec documents a nullable nested schema as ``anyOf: [{type: object, nullable},
    {$ref}]``, which admits any object; make it ``allOf: [{$ref}], nullable``."""
    if isinstance(schema, dict):
        options = schema.get("anyOf")
        if (isinstance(options, list) and len(options) == 2
                and options[0] == {"type": "object", "nullable": True} and "$ref" in options[1]):
            del schema["anyOf"]
            schema.update(allOf=[options[1]], nullable=True)
        for value in schema.values():
            _nullable_refs(value)
    elif isinstance(schema, list):
        for value in schema:
            _nullable_refs(value)
