"""Geocoding errors, in the style of ``geopy.exc``: one base class, one subclass per cause."""

from __future__ import annotations

__all__ = [
    "GeocodingError",
    "IndexNotBuilt",
    "InvalidPostcode",
    "NoCoordinates",
    "PostcodeNotFound",
    "ProviderNotConfigured",
]


class GeocodingError(Exception):
    """Base class of every geocoding error; ``str(error)`` is a message fit for a user."""


class InvalidPostcode(GeocodingError, ValueError):
    """The text is not a well-formed UK postcode."""

    def __init__(self, message: str, *, text: str = "") -> None:
        super().__init__(message)
        self.text = text


class PostcodeNotFound(GeocodingError, LookupError):
    """A well-formed postcode that is in neither the directory nor a known sector or district."""

    def __init__(self, message: str, *, postcode: str = "") -> None:
        super().__init__(message)
        self.postcode = postcode


class NoCoordinates(GeocodingError, LookupError):
    """A real postcode without grid coordinates (Channel Islands, Isle of Man)."""

    def __init__(self, message: str, *, postcode: str = "") -> None:
        super().__init__(message)
        self.postcode = postcode


class IndexNotBuilt(GeocodingError):
    """The postcode index file is missing, unreadable or of an older format."""


class ProviderNotConfigured(GeocodingError):
    """An unknown geocoder name, or a provider that lacks a required setting."""
