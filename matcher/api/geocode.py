"""``/api/v1/geocode``: where a UK postcode is (public, no token)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort

from ..domain.geocoding import GeocodingError, InvalidPostcode
from ..extensions import rate_limited
from ..schemas.fields import postcode_pattern
from .base import Blueprint
from .common import postcode_index

blp = Blueprint("geocode", __name__, url_prefix="/api/v1/geocode",
                description="Offline geocoding of UK postcodes from the ONS Postcode Directory.")


class GeocodeArgs(ma.Schema):
    # Any well-formed postcode: one without coordinates is a 404, not invalid input.
    postcode = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20),
                                metadata={"pattern": postcode_pattern()})


class GeocodeSchema(ma.Schema):
    postcode = ma.fields.String()
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    precision = ma.fields.String(metadata={"description": "postcode, sector or district"})
    nation = ma.fields.String()
    local_authority_code = ma.fields.String(allow_none=True)
    local_authority_name = ma.fields.String(allow_none=True)


@blp.route("")
class Geocode(MethodView):
    decorators = [rate_limited("RATELIMIT_GEOCODE")]

    @blp.arguments(GeocodeArgs(), location="query")
    @blp.response(200, GeocodeSchema)
    @blp.alt_response(404, description="Well formed, but no coordinates for it anywhere.")
    @blp.doc(security=[])
    def get(self, args):
        """Geocode a postcode, falling back to its sector or district centroid."""
        try:
            return postcode_index().lookup(args["postcode"]).to_dict()
        except InvalidPostcode as exc:
            abort(422, message=str(exc), errors={"postcode": [str(exc)]})
        except GeocodingError as exc:
            abort(404, message=str(exc), errors={"postcode": [str(exc)]})
