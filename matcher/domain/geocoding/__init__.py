"""Offline geocoding of UK postcodes from the ONS Postcode Directory.

Names are imported lazily so that ``matcher.domain.postcodes`` can use the exceptions here
without loading numpy, and so that importing the package stays cheap.
"""

from __future__ import annotations

import importlib

from matcher.domain.geocoding.exc import (
    GeocodingError,
    IndexNotBuilt,
    InvalidPostcode,
    NoCoordinates,
    PostcodeNotFound,
    ProviderNotConfigured,
)

_LAZY = {
    "District": "index",
    "GeocodeResult": "index",
    "PostcodeIndex": "index",
    "build_index": "index",
    "default_index_path": "index",
    "get_index": "index",
    "OfflinePostcodeGeocoder": "geocoder",
    "get_geocoder": "registry",
    "local_authority_name": "local_authorities",
    "nation_for_local_authority": "local_authorities",
}

__all__ = [
    "GeocodingError",
    "IndexNotBuilt",
    "InvalidPostcode",
    "NoCoordinates",
    "PostcodeNotFound",
    "ProviderNotConfigured",
    *_LAZY,
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
