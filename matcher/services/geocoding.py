"""Geocoding applied to stored records."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.geocoding import GeocodingError, PostcodeIndex
from ..models import CareHome, CommunityGroup
from . import audit, versions


def regeocode_all(session: Session, index: PostcodeIndex) -> dict[str, int]:
    """Place every record again from its postcode; records whose postcode no longer resolves
    keep their old coordinates and are counted as failed."""
    counts = {"homes": 0, "groups": 0, "moved": 0, "failed": 0}
    for model, key in ((CareHome, "homes"), (CommunityGroup, "groups")):
        for record in session.scalars(select(model)):
            if getattr(record, "anonymised_at", None) is not None:
                continue  # withdrawn: deliberately placed only as far as its postcode sector
            counts[key] += 1
            try:
                r = index.lookup(record.postcode)
            except GeocodingError:
                counts["failed"] += 1
                continue
            new = {"lat": r.lat, "lon": r.lon, "geocode_precision": r.precision,
                   "nation": r.nation, "local_authority_code": r.local_authority_code,
                   "local_authority_name": r.local_authority_name}
            changes = audit.diff(record, new)
            if changes:
                counts["moved"] += 1
                for k, v in new.items():
                    setattr(record, k, v)
                audit.record(session, audit.SYSTEM, "regeocode", record, changes)
    versions.bump(session, versions.HOMES)
    versions.bump(session, versions.PARTNERS)
    return counts
