"""Private-link tokens never reach a log (issue #19, Low 13)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from matcher.accesslog import REDACTED, RedactingLogger, redact_url

TOKEN = "Zx9-secret_Token.value"


@pytest.mark.parametrize("text", [
    f"/groups/edit/{TOKEN}",
    f"/groups/edit/{TOKEN}/download",
    f"/groups/edit/{TOKEN}/withdraw?x=1",
    f"GET /groups/edit/{TOKEN} HTTP/1.1",
    f"https://kith.example/groups/edit/{TOKEN}",
    f"/calendar/{TOKEN}.ics",
    f"/feedback/{TOKEN}",
    f"/login/reset/{TOKEN}",
    f"/anything?token={TOKEN}&page=2",
])
def test_tokens_are_cut_out(text):
    redacted = redact_url(text)
    assert TOKEN not in redacted
    assert REDACTED in redacted


def test_ordinary_paths_are_kept():
    for text in ("/care-homes/12/partners", "/api/v1/groups?page=2", "/groups/withdrawn",
                 "/register", "", None):
        assert redact_url(text) == text


def test_the_gunicorn_logger_redacts_request_line_path_query_and_referrer():
    logger = RedactingLogger(SimpleNamespace(
        loglevel="info", errorlog="-", accesslog=None, syslog=False, capture_output=False,
        logconfig=None, logconfig_dict={}, logconfig_json=None,
        disable_redirect_access_to_syslog=False,
        access_log_format="", user=None, group=None, umask=0, dogstatsd_tags=""))
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/groups/edit/{TOKEN}?token={TOKEN}",
               "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": f"/groups/edit/{TOKEN}",
               "QUERY_STRING": f"token={TOKEN}", "HTTP_REFERER": f"http://x/feedback/{TOKEN}",
               "REMOTE_ADDR": "127.0.0.1"}
    resp = SimpleNamespace(status="200 OK", headers=[], sent=10)
    req = SimpleNamespace(headers=[("REFERER", f"http://x/feedback/{TOKEN}")])
    atoms = logger.atoms(resp, req, environ, dt.timedelta(seconds=0.1))
    for key in ("r", "U", "q", "f", "{referer}i", "{raw_uri}e", "{path_info}e"):
        assert TOKEN not in atoms[key], key
