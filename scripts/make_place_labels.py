"""Write the network map's place labels, matcher/static/data/places.json, from data in the repo.

    python scripts/make_place_labels.py [--index PATH]

One label per local authority (names from data/local_authorities.csv), placed at the mean of
its postcode districts' centroids weighted by their number of postcodes, so the label sits
where most people live rather than in the middle of the hills. Run again after updating the
postcode data; the output is committed so the map needs no download.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matcher.domain.geocoding import get_index  # noqa: E402
from matcher.domain.geocoding.local_authorities import local_authority_name  # noqa: E402

OUT = ROOT / "matcher" / "static" / "data" / "places.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=os.environ.get("KITH_POSTCODE_INDEX"),
                        help="the postcode index (built if missing)")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    index = get_index(args.index) if args.index else get_index()
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for district in index.districts():
        if not district.nation or not district.local_authority_code:
            continue
        total = sums[district.local_authority_code]
        total[0] += district.lat * district.postcodes
        total[1] += district.lon * district.postcodes
        total[2] += district.postcodes
    places = []
    for code, (lat, lon, weight) in sorted(sums.items()):
        name = local_authority_name(code)
        if weight and name and name != code:
            places.append({"code": code, "name": name, "lat": round(lat / weight, 4),
                           "lon": round(lon / weight, 4)})
    Path(args.out).write_text(json.dumps(places, ensure_ascii=False, separators=(",", ":")),
                              encoding="utf-8")
    print(f"{len(places)} places written to {args.out}")


if __name__ == "__main__":
    main()
