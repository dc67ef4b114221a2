"""Safeguarding checks (DBS, PVG, AccessNI): when a visit needs one, and whether a partner's
check is valid on a given day.

The rule (documented in the README, constants in `catalogue`): a check is needed whenever
the partner would visit in person; a contact that is remote only needs none, i.e. when the
home is closed to visitors, or restricted and the partner keeps in touch remotely. A check is
valid when its recorded status is ``valid`` and its expiry date, if any, is not before
``today``; a check applied for (``pending``), expired or not recorded is not. Where a check is
needed and not valid the match is flagged and, in the ordering, its score is multiplied by
`catalogue.SAFEGUARDING_UNCHECKED_FACTOR` (the score shown stays the weighted sum of the
components); it is never hidden.

``today`` is always passed in by the caller (the services use the current date, tests fix
it), so the same data gives the same answer whatever the clock says.

For the ranking index a check is stored as two integers (`encode`): a small code holding the
recorded status and scheme, and the expiry date as a proleptic ordinal (0 when none);
`valid_until` turns them into the last day the check is valid, so that validity on a day is
one comparison per candidate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import catalogue

__all__ = ["Check", "decode", "encode", "factor", "judge", "needed", "needed_many",
           "ordinal", "valid_until"]

# Recorded statuses in code order (anything unknown is "none").
STATES = ("none", "pending", "valid", "expired")
_VALID = STATES.index("valid")
# Schemes in code order after 0, which means "not recorded".
SCHEMES = catalogue.codes(catalogue.SAFEGUARDING_SCHEMES)
# "Valid for ever": a valid check without an expiry date.
FOREVER = np.int32(np.iinfo(np.int32).max)
FACTOR = float(catalogue.SAFEGUARDING_UNCHECKED_FACTOR)


@dataclass(frozen=True)
class Check:
    """A partner's check as judged for one visit: the ``scheme`` recorded (None when not),
    the ``status`` on the day (``valid``, ``expired``, ``pending`` or ``none``), its expiry
    date, whether it is ``valid`` and whether the visit ``needed`` one."""

    scheme: str | None
    status: str
    expires_on: dt.date | None
    valid: bool
    needed: bool

    @property
    def flagged(self) -> bool:
        """A check is needed and there is no valid one."""
        return self.needed and not self.valid

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{scheme, status, expires_on (ISO date or None), valid, needed}``."""
        return {"scheme": self.scheme, "status": self.status,
                "expires_on": self.expires_on.isoformat() if self.expires_on else None,
                "valid": self.valid, "needed": self.needed}


def ordinal(today: dt.date) -> int:
    """The day as the integer the index compares expiry dates with."""
    if isinstance(today, dt.datetime):
        today = today.date()
    return today.toordinal()


def encode(scheme: str | None, status: str | None, expires_on: dt.date | None
           ) -> tuple[int, int]:
    """``(code, expiry ordinal)`` of a recorded check (0 for no expiry date)."""
    state = STATES.index(status) if status in STATES else 0
    scheme_code = SCHEMES.index(scheme) + 1 if scheme in SCHEMES else 0
    until = ordinal(expires_on) if expires_on else 0
    return state | scheme_code << 2, until


def decode(code: int, until: int) -> tuple[str | None, str, dt.date | None]:
    """The recorded ``(scheme, status, expires_on)`` of an `encode`d check."""
    code, until = int(code), int(until)
    scheme_code = code >> 2
    scheme = SCHEMES[scheme_code - 1] if 0 < scheme_code <= len(SCHEMES) else None
    return scheme, STATES[code & 3], dt.date.fromordinal(until) if until > 0 else None


def valid_until(codes: np.ndarray, untils: np.ndarray) -> np.ndarray:
    """The last day (ordinal) each check is valid on: 0 (never) unless recorded valid."""
    codes = np.asarray(codes, dtype=np.int64)
    untils = np.asarray(untils, dtype=np.int64)
    last = np.where(untils > 0, untils, int(FOREVER))
    return np.where((codes & 3) == _VALID, last, 0).astype(np.int32)


def needed(visiting_status: str, offers_remote: bool) -> bool:
    """Whether a visit between a home in ``visiting_status`` and a partner needs a check."""
    if visiting_status == "closed":
        return False
    if visiting_status == "restricted":
        return not offers_remote
    return True


def needed_many(visiting_status: str, remote: np.ndarray) -> np.ndarray:
    """`needed` for one home and many partners (``remote``: who offer remote contact)."""
    remote = np.asarray(remote, dtype=bool)
    if visiting_status == "closed":
        return np.zeros(len(remote), dtype=bool)
    if visiting_status == "restricted":
        return ~remote
    return np.ones(len(remote), dtype=bool)


def factor(valid: np.ndarray, need: np.ndarray) -> np.ndarray:
    """The score factor: `FACTOR` where a check is needed and not valid, else 1."""
    return np.where(np.asarray(need) & ~np.asarray(valid, dtype=bool), FACTOR, 1.0)


def judge(scheme: str | None, status: str | None, expires_on: dt.date | None,
          today: dt.date, need: bool) -> Check:
    """A recorded check judged on ``today`` for a visit that ``need``s one or not."""
    status = status if status in STATES else "none"
    if status == "valid" and expires_on is not None and expires_on < today:
        status = "expired"
    return Check(scheme=scheme if scheme in SCHEMES else None, status=status,
                 expires_on=expires_on, valid=status == "valid", needed=bool(need))


def judge_code(code: int, until: int, today_ordinal: int, need: bool) -> Check:
    """`judge` for an `encode`d check."""
    scheme, status, expires_on = decode(code, until)
    return judge(scheme, status, expires_on, dt.date.fromordinal(int(today_ordinal)), need)
