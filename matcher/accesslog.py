"""Access logs without secrets: the private links' tokens are cut out of every logged URL.

A group's private edit link carries its token in the path (``/groups/edit/<token>``), so a
plain access log would hand anyone who reads the logs the power to edit or withdraw that
group. gunicorn is told to use :class:`RedactingLogger` (``gunicorn.conf.py``); the app's own
error logs use :func:`redact_url` too.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

REDACTED = "[redacted]"

# Paths whose next segment is a secret, and query parameters that hold one.
_SECRET_PATH = re.compile(
    r"(/(?:groups/edit|calendar|feedback|login/reset|invitations?|register/lost-link)/)"
    r"[^/?#\s]+", re.IGNORECASE)
_SECRET_QUERY = re.compile(r"((?:^|[?&;])(?:token|key|secret|password)=)[^&;#\s]*",
                           re.IGNORECASE)


def redact_url(text: str | None) -> str | None:
    """``text`` (a path, a URL or a request line) with any private-link token replaced."""
    if not text:
        return text
    text = _SECRET_PATH.sub(lambda m: m.group(1) + REDACTED, text)
    return _SECRET_QUERY.sub(lambda m: m.group(1) + REDACTED, text)


class RedactingLogger(Logger):
    """gunicorn's logger, with the request line, path, query and referrer redacted."""

    _URL_ATOMS = ("r", "U", "q", "f", "{referer}i", "{raw_uri}e", "{path_info}e",
                  "{query_string}e", "{request_uri}e", "{http_referer}e")

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in self._URL_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_url(atoms[key])
        return atoms
