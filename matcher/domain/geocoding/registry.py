"""Named geocoder providers, built from settings (e.g. the app's config).

``get_geocoder("offline")`` needs nothing; ``get_geocoder("nominatim", domain=...)`` points
geopy's Nominatim at a self-hosted server and spaces out its requests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matcher.domain.geocoding.exc import ProviderNotConfigured

__all__ = ["ConfiguredGeocoder", "available_geocoders", "get_geocoder", "register_geocoder"]

USER_AGENT = "kith"


@dataclass(frozen=True)
class ConfiguredGeocoder:
    """A geopy geocoder plus the callable to use for ``geocode`` (maybe rate-limited)."""

    name: str
    geocoder: Any  # geopy.geocoders.base.Geocoder
    geocode: Callable[..., Any]

    def __call__(self, query, **kwargs):
        return self.geocode(query, **kwargs)


_FACTORIES: dict[str, Callable[..., ConfiguredGeocoder]] = {}


def register_geocoder(name: str):
    """Decorator registering a factory ``(**settings) -> ConfiguredGeocoder`` under a name."""

    def decorate(factory: Callable[..., ConfiguredGeocoder]):
        _FACTORIES[name] = factory
        return factory

    return decorate


def available_geocoders() -> list[str]:
    """Names accepted by ``get_geocoder``."""
    return sorted(_FACTORIES)


def get_geocoder(name: str = "offline", **settings) -> ConfiguredGeocoder:
    """Build the named geocoder from settings; no request is made here.

    Raises ProviderNotConfigured for an unknown name or missing/unknown settings.
    """
    factory = _FACTORIES.get(name)
    if factory is None:
        raise ProviderNotConfigured(
            f"Unknown geocoder '{name}': choose one of {', '.join(available_geocoders())}"
        )
    try:
        return factory(**settings)
    except TypeError as error:
        raise ProviderNotConfigured(f"Bad settings for the '{name}' geocoder: {error}") from error


@register_geocoder("offline")
def _offline(index=None, index_path=None) -> ConfiguredGeocoder:
    from matcher.domain.geocoding.geocoder import OfflinePostcodeGeocoder

    geocoder = OfflinePostcodeGeocoder(index, index_path=index_path, user_agent=USER_AGENT)
    return ConfiguredGeocoder("offline", geocoder, geocoder.geocode)


@register_geocoder("nominatim")
def _nominatim(
    domain: str | None = None,
    scheme: str = "https",
    timeout: float = 10.0,
    min_delay_seconds: float = 1.0,
    max_retries: int = 2,
) -> ConfiguredGeocoder:
    from geopy.extra.rate_limiter import RateLimiter
    from geopy.geocoders import Nominatim

    if not domain:
        # The public nominatim.openstreetmap.org forbids bulk use, so there is no default.
        raise ProviderNotConfigured(
            "The 'nominatim' geocoder needs a 'domain' setting: the host (and port) of your "
            "own Nominatim server, e.g. 'nominatim.example.org:8080'"
        )
    geocoder = Nominatim(domain=domain, scheme=scheme, user_agent=USER_AGENT, timeout=timeout)
    geocode = RateLimiter(
        geocoder.geocode, min_delay_seconds=min_delay_seconds, max_retries=max_retries
    )
    return ConfiguredGeocoder("nominatim", geocoder, geocode)
