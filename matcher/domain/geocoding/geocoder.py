"""A geopy ``Geocoder`` that answers UK postcodes from the offline index."""

from __future__ import annotations

from pathlib import Path

from geopy.exc import GeocoderQueryError
from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder
from geopy.location import Location

from matcher.domain import catalogue
from matcher.domain.geocoding.exc import InvalidPostcode, NoCoordinates, PostcodeNotFound
from matcher.domain.geocoding.index import GeocodeResult, PostcodeIndex, get_index
from matcher.domain.postcodes import Postcode, parse_postcode

__all__ = ["OfflinePostcodeGeocoder"]

_NATION_NAMES = catalogue.labels(catalogue.NATIONS)


class OfflinePostcodeGeocoder(Geocoder):
    """Geocodes UK postcodes without any network access.

    Follows geopy's split between building a request, making the call and parsing the
    answer: here the "call" is a lookup in the ``PostcodeIndex``. The index is opened on
    first use, so constructing the geocoder is cheap. Synchronous only.
    """

    def __init__(
        self,
        index: PostcodeIndex | None = None,
        *,
        index_path: Path | str | None = None,
        user_agent: str = "kith",
        timeout=DEFAULT_SENTINEL,
    ) -> None:
        super().__init__(user_agent=user_agent, timeout=timeout)
        self._index = index
        self._index_path = index_path

    @property
    def index(self) -> PostcodeIndex:
        """The postcode index, loaded (and built if need be) on first use."""
        if self._index is None:
            self._index = get_index(self._index_path)
        return self._index

    def geocode(self, query, *, exactly_one: bool = True, timeout=DEFAULT_SENTINEL):
        """Geocode a UK postcode in any spelling.

        Returns a ``geopy.location.Location`` (a list of one when ``exactly_one`` is false),
        whose ``raw`` is ``GeocodeResult.to_dict()``, or None when the postcode cannot be
        placed (unknown, or in the Channel Islands or the Isle of Man). Malformed input
        raises ``geopy.exc.GeocoderQueryError`` with a message fit for a user.
        """
        postcode = self._build_query(query)
        result = self._call_index(postcode)
        return self._parse_result(result, exactly_one)

    @staticmethod
    def _build_query(query) -> Postcode:
        if isinstance(query, dict):  # geopy's structured-query form
            query = query.get("postalcode") or query.get("postcode")
        try:
            return parse_postcode(query)
        except InvalidPostcode as error:
            raise GeocoderQueryError(str(error)) from error

    def _call_index(self, postcode: Postcode) -> GeocodeResult | None:
        try:
            return self.index.lookup(postcode)
        except (PostcodeNotFound, NoCoordinates):
            return None

    @staticmethod
    def _parse_result(result: GeocodeResult | None, exactly_one: bool):
        if result is None:
            return None
        parts = [result.postcode, result.local_authority_name, _NATION_NAMES.get(result.nation)]
        address = ", ".join(part for part in parts if part)
        location = Location(address, (result.lat, result.lon), raw=result.to_dict())
        return location if exactly_one else [location]
