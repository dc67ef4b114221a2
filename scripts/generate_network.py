"""Fill a database with a synthetic UK network of care homes and community partners.

    python scripts/generate_network.py --homes 17000 --partners 1000000 --seed 1 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1/kith_bench [--batch 50000]
        [--replace] [--as-of 2026-11-28]

The schema is created (or upgraded) first with the app's own migrations. Places are real:
every record sits on a real postcode of the ONS Postcode Directory, drawn uniformly from all
postcodes within 12 km of their district's centroid, so districts are weighted by their
number of postcodes (a proxy for population) and records cluster where people live, in all
four nations. Nation and local authority come from the postcode. Kinds, interests (synonyms
from ``data/taxonomy.json``), languages (English mostly; Welsh in north and west Wales,
Gaelic in the Western Isles and Highlands, Irish in Northern Ireland, and Polish, Punjabi,
Urdu, Gujarati, Bengali and BSL at rates that follow where those communities live),
availability, capacity, travel radii and safeguarding follow plausible mixes by kind.

Rows are reproducible: the same seed, ``--as-of`` date and existing synthetic rows give
the same rows, whatever ``--batch`` is. Synthetic rows have an ``external_key`` starting
``synthetic:``; a second run adds more (``--replace`` deletes the earlier synthetic rows
first). Rows go in bulk: SQLAlchemy Core executemany on SQLite, COPY (psycopg 3) on
PostgreSQL, never one ORM object at a time. Finally the ``partners`` and ``homes`` data
versions are bumped so running workers refit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _benchlib  # noqa: E402
import numpy as np  # noqa: E402

from matcher.domain import catalogue  # noqa: E402
from matcher.domain.geocoding.local_authorities import (  # noqa: E402
    local_authority_name,
    nation_for_local_authority,
)
from matcher.domain.languages import normalise_language  # noqa: E402

NATIONS = tuple(sorted(catalogue.codes(catalogue.NATIONS)))
# Mid-2022 population estimates (ONS, NRS, NISRA), and care homes registered with CQC, the
# Care Inspectorate, CIW and RQIA (about 14,700, 1,050, 1,000 and 480).
POPULATION_SHARE = {"england": 0.844, "scotland": 0.081, "wales": 0.047,
                    "northern-ireland": 0.028}
CARE_HOME_SHARE = {"england": 0.855, "scotland": 0.061, "wales": 0.058,
                   "northern-ireland": 0.028}
BULK_INDEX_ROWS = 200_000  # PostgreSQL loads this large rebuild plain indexes afterwards
CHUNK = 10_000  # rows per random stream: fixed, so --batch never changes the rows
MAX_FROM_CENTROID_KM = 12.0
SYNTHETIC = "synthetic:"
PRIVACY_NOTICE_VERSION = "2026-11"

KINDS = catalogue.codes(catalogue.GROUP_KINDS)
# Share of partners of each kind (a new kind in the catalogue needs its figures here).
_KIND_SHARES = {"school": 14, "nursery": 6, "choir": 9, "knitting_club": 7, "pet_walkers": 4,
                "volunteer": 20, "faith_group": 8, "arts_group": 7, "youth_group": 6,
                "sports_group": 6, "other": 6}
KIND_SHARE = np.array([_KIND_SHARES[k] for k in KINDS], dtype=np.float64)
KIND_SHARE /= KIND_SHARE.sum()
# (min, max) travel radius in km in a town; rural partners travel about twice as far.
KIND_TRAVEL_KM = {
    "school": (1, 5), "nursery": (1, 3), "choir": (4, 15), "knitting_club": (2, 10),
    "pet_walkers": (3, 10), "volunteer": (3, 20), "faith_group": (3, 12),
    "arts_group": (4, 15), "youth_group": (2, 8), "sports_group": (4, 15), "other": (4, 20),
}
KIND_CAPACITY = {
    "school": (1, 2), "nursery": (1, 2), "choir": (1, 3), "knitting_club": (1, 4),
    "pet_walkers": (2, 8), "volunteer": (2, 8), "faith_group": (1, 4), "arts_group": (1, 4),
    "youth_group": (1, 3), "sports_group": (1, 3), "other": (1, 4),
}
KIND_CATEGORIES = {
    "school": ["children", "music", "arts", "reading", "gardening", "games", "performance"],
    "nursery": ["children", "music", "arts", "games"],
    "choir": ["music", "music", "performance", "faith"],
    "knitting_club": ["crafts", "crafts", "companionship"],
    "pet_walkers": ["animals", "animals", "nature", "companionship"],
    "volunteer": ["companionship", "reading", "games", "gardening", "technology",
                  "reminiscence", "music", "cooking", "wellbeing"],
    "faith_group": ["faith", "faith", "music", "companionship", "culture"],
    "arts_group": ["arts", "arts", "crafts", "performance", "reading"],
    "youth_group": ["children", "games", "technology", "sport", "music", "cooking"],
    "sports_group": ["sport", "sport", "movement", "reminiscence"],
    "other": ["reminiscence", "nature", "reading", "games", "gardening", "culture",
              "cooking", "performance", "wellbeing"],
}
KIND_PHRASE = {
    "school": "A primary school", "nursery": "A nursery", "choir": "A community choir",
    "knitting_club": "A knitting and crafts group", "pet_walkers": "Volunteers with pets",
    "volunteer": "A volunteer", "faith_group": "A faith community", "arts_group": "An art club",
    "youth_group": "A youth group", "sports_group": "A sports club",
    "other": "A local society",
}
# Part-of-day weights per kind: (weekday am, weekday pm, weekday eve, weekend am, pm, eve)
KIND_AVAILABILITY = {
    "school": (0.5, 0.6, 0.0, 0.0, 0.0, 0.0), "nursery": (0.6, 0.3, 0.0, 0.0, 0.0, 0.0),
    "choir": (0.05, 0.15, 0.45, 0.2, 0.35, 0.1), "knitting_club": (0.35, 0.4, 0.1, 0.1, 0.15, 0),
    "pet_walkers": (0.3, 0.35, 0.05, 0.35, 0.4, 0.0), "volunteer": (0.25, 0.3, 0.1, 0.2, 0.3, 0),
    "faith_group": (0.1, 0.2, 0.15, 0.2, 0.3, 0.05), "arts_group": (0.2, 0.35, 0.15, 0.15, 0.2, 0),
    "youth_group": (0.0, 0.05, 0.5, 0.25, 0.3, 0.05), "sports_group": (0.2, 0.2, 0.3, 0.3, 0.3, 0),
    "other": (0.25, 0.3, 0.15, 0.15, 0.2, 0.0),
}
SLOTS = catalogue.SLOTS
VISITING_STATUSES = catalogue.codes(catalogue.VISITING_STATUSES)

LANG_TAGS = ("en", "cy", "pl", "pa", "ur", "gu", "bn", "gd", "ga", "bfi")
# Share of partners listing each language, by nation (columns in LANG_TAGS order).
NATION_LANG_RATES = {
    "england": (0.95, 0.002, 0.02, 0.006, 0.006, 0.004, 0.004, 0.0005, 0.003, 0.01),
    "scotland": (0.95, 0.0005, 0.025, 0.003, 0.006, 0.001, 0.001, 0.012, 0.003, 0.01),
    "wales": (0.93, 0.10, 0.01, 0.002, 0.003, 0.001, 0.003, 0.0005, 0.002, 0.01),
    "northern-ireland": (0.95, 0.0005, 0.02, 0.001, 0.001, 0.0005, 0.0005, 0.002, 0.05, 0.01),
}
# Local authorities where a language is spoken far more than its nation's average
# (Census 2021 / Scotland's Census 2022 / NI Census 2021, rounded): partner listing rates.
LOCAL_LANG_RATES = {
    "cy": {"W06000001": 0.5, "W06000002": 0.6, "W06000008": 0.4, "W06000010": 0.38,
           "W06000003": 0.2, "W06000004": 0.2, "W06000009": 0.15, "W06000005": 0.12,
           "W06000011": 0.1, "W06000012": 0.1, "W06000023": 0.1, "W06000006": 0.1},
    "gd": {"S12000013": 0.45, "S12000017": 0.05, "S12000035": 0.04, "S12000049": 0.012},
    "ga": {"N09000003": 0.06, "N09000010": 0.10, "N09000005": 0.08, "N09000009": 0.08},
    "pl": {"E06000031": 0.07, "E07000136": 0.08, "E06000039": 0.06, "E09000009": 0.06,
           "E06000045": 0.04, "S12000036": 0.04, "S12000033": 0.05, "E06000042": 0.04,
           "E06000018": 0.03, "E06000038": 0.04, "N09000002": 0.04, "E06000010": 0.04},
    "pa": {"E08000025": 0.05, "E08000028": 0.08, "E08000031": 0.08, "E09000009": 0.08,
           "E09000018": 0.08, "E06000039": 0.10, "E08000032": 0.06, "E08000034": 0.04,
           "E06000016": 0.04, "E08000030": 0.05, "E08000026": 0.05, "S12000049": 0.02,
           "E09000017": 0.04},
    "ur": {"E08000032": 0.12, "E08000025": 0.07, "E08000034": 0.06, "E08000033": 0.04,
           "E08000004": 0.05, "E08000005": 0.05, "E08000003": 0.05, "E06000008": 0.10,
           "E07000122": 0.08, "E06000032": 0.06, "E06000039": 0.06, "E09000026": 0.05,
           "E09000025": 0.04, "E09000031": 0.04, "E07000117": 0.04, "S12000049": 0.03},
    "gu": {"E06000016": 0.12, "E09000015": 0.08, "E09000005": 0.07, "E07000123": 0.04,
           "E08000001": 0.04, "E06000008": 0.05},
    "bn": {"E09000030": 0.20, "E09000025": 0.06, "E09000007": 0.03, "E08000004": 0.04,
           "E08000025": 0.02, "E06000032": 0.03},
}
# How much more often a language other than English appears, by kind of partner.
KIND_LANG_FACTOR = {"faith_group": 2.0, "volunteer": 1.5, "choir": 1.2}
# Residents who speak a language, relative to partners who do (older people speak Welsh,
# Punjabi or Urdu more often than the population at large; fewer older Polish speakers).
HOME_LANG_FACTOR = {"cy": 1.6, "pl": 2.0, "pa": 5.0, "ur": 5.0, "gu": 5.0, "bn": 5.0,
                    "gd": 1.8, "ga": 2.0, "bfi": 3.0}

HOME_CATEGORY_WEIGHTS = {
    "music": 3.0, "reminiscence": 2.5, "gardening": 2.0, "animals": 2.0, "games": 2.0,
    "crafts": 1.5, "faith": 1.5, "cooking": 1.2, "performance": 1.2, "reading": 1.0,
    "companionship": 1.0, "movement": 1.0, "nature": 1.0, "children": 1.0, "sport": 1.0,
    "arts": 1.0, "culture": 0.6, "technology": 0.5, "wellbeing": 0.8,
}
CARE_TYPES = (("older_people", 0.95), ("dementia", 0.55), ("residential", 0.6),
              ("nursing", 0.4), ("learning_disability", 0.08), ("physical_disability", 0.12),
              ("mental_health", 0.07), ("sensory_impairment", 0.06))
FACILITIES = (("garden", 0.85), ("step_free", 0.8), ("wifi", 0.75), ("parking", 0.7),
              ("hall", 0.4), ("hearing_loop", 0.35), ("kitchen", 0.3), ("minibus", 0.25),
              ("chapel", 0.1))
NATION_REGULATOR = catalogue.REGULATOR_FOR_NATION
NATION_SCHEME = {n.code: n.safeguarding_scheme for n in catalogue.NATIONS}

DESCRIPTORS = (
    "Larkrise", "Hollybrook", "Willowmead", "Foxglove", "Kingfisher", "Beechcroft", "Rowanbank",
    "Meadowsweet", "Thistledown", "Bramblewood", "Harebell", "Brackenfield", "Heronsgate",
    "Cloverleigh", "Hazelmere", "Swallowfield", "Larchwood", "Bluebell", "Oakapple",
    "Wrenfield", "Sorrel Bank", "Elderbrook", "Linnet", "Goldcrest", "Ashgrove", "Nettlecombe",
    "Yarrow", "Silverbirch", "Tansy", "Alder Vale", "Sweetbriar", "Fernhill", "Juniper",
    "Merlin", "Poppyfield", "Rushmere", "Sedgewick", "Teasel", "Whinfell", "Greenacre",
)
WELSH_DESCRIPTORS = ("Bryn Celyn", "Cae Derw", "Llwyn Eithin", "Bro Hedydd", "Gwaun Grug",
                     "Coed Bedw", "Tir Glas", "Nant Gwyrdd", "Pen Rhedyn", "Afon Las")
SAINTS = ("Aidan", "Brigid", "Columba", "David", "Teilo", "Ninian", "Cuthbert", "Hilda",
          "Mungo", "Patrick", "Piran", "Oswald", "Non", "Beuno", "Kentigern", "Margaret")
FIRST_NAMES = (
    "Alys", "Bethan", "Ceri", "Dafydd", "Eilidh", "Fiona", "Gareth", "Hamish", "Iona", "Jenna",
    "Kiran", "Lowri", "Marek", "Niamh", "Oisín", "Priya", "Rhodri", "Saoirse", "Tariq", "Una",
    "Wiktoria", "Yusuf", "Zofia", "Aled", "Bronwen", "Callum", "Deepa", "Euan", "Farah",
    "Harpreet", "Imran", "Joanna", "Kasia", "Mairi", "Nasreen", "Shona", "Tomasz", "Declan",
    "Morag", "Sunita", "Anwar", "Rosie", "Tom", "Jess", "Sam", "Hannah", "Oliver", "Amelia",
)
LAST_NAMES = (
    "Prydderch", "Maclennan", "Kowalczyk", "Okonkwo", "Threlfall", "Penhallow", "Ashdown",
    "Brindle", "Carrow", "Dunmore", "Ellery", "Fairweather", "Gillanders", "Haverstock",
    "Jowett", "Kilbride", "Lumsden", "Mawdsley", "Nuttall", "Ormerod", "Pendry", "Rathbone",
    "Stenhouse", "Tregaskis", "Uttley", "Vosper", "Wardle", "Yelland", "Chaudhry", "Mistry",
    "Rahman", "Chowdhury", "Nowicka", "Sandhu", "Patel", "Begum", "MacAskill", "Devlin",
)
STREETS = ("Larch Avenue", "Orchard Way", "Mill Lane", "Chapel Street", "Station Road",
           "Church Walk", "Meadow Close", "Victoria Terrace", "Park Crescent", "High Street",
           "Castle Road", "Brook Lane", "Quarry Road", "Well Street", "Hillside Drive")
HOME_SUFFIXES = ("House", "Lodge", "Court", "Care Home", "Manor", "Nursing Home", "Grange",
                 "View")
KIND_NAMES = {
    "school": ("{d} Primary School", "St {s}'s Primary School", "{t} Community School"),
    "nursery": ("{d} Nursery", "Little {d} Day Nursery"),
    "choir": ("{d} Community Choir", "{t} Singers", "{d} Rock Choir"),
    "knitting_club": ("{d} Knit and Natter", "{t} Stitchers"),
    "pet_walkers": ("{d} Therapy Dogs", "{t} Pets as Therapy Visitors"),
    "faith_group": ("St {s}'s Church", "{d} Methodist Chapel", "{t} Baptist Church"),
    "arts_group": ("{d} Art Club", "{t} Watercolour Society"),
    "youth_group": ("{d} Scouts", "{t} Youth Club", "{d} Girlguiding"),
    "sports_group": ("{d} Bowls Club", "{t} Walking Football", "{d} Tai Chi"),
    "other": ("{d} Local History Society", "{t} Book Club", "{d} Men's Shed"),
}
# Faith groups named for the community that speaks the language they list first.
FAITH_BY_LANGUAGE = {"pa": "{t} Gurdwara", "ur": "{t} Central Mosque", "bn": "{t} Jamme Masjid",
                     "gu": "{t} Mandir", "pl": "{t} Polish Catholic Mission",
                     "cy": "Capel {d}", "gd": "{t} Free Church", "ga": "St {s}'s Parish"}
REMOTE_MODES = catalogue.codes(catalogue.REMOTE_MODES)


# ------------------------------------------------------------------------------- places
class Places:
    """Real postcodes to place records on, with their nation, local authority and district."""

    def __init__(self, index, max_km: float = MAX_FROM_CENTROID_KM):
        from matcher.domain.geo import haversine_km

        arrays = _benchlib.postcode_arrays(index)
        self.districts = index.districts()
        d_lat = np.array([d.lat for d in self.districts])
        d_lon = np.array([d.lon for d in self.districts])
        la_codes = list(index.header["local_authorities"])
        la_nation = np.array([nation_for_local_authority(c) or "" for c in la_codes])
        km = haversine_km(arrays["lat"], arrays["lon"], d_lat[arrays["district"]],
                          d_lon[arrays["district"]])
        keep = (km <= max_km) & (la_nation[arrays["la"]] != "")
        self.key = arrays["key"][keep]
        self.lat = arrays["lat"][keep]
        self.lon = arrays["lon"][keep]
        self.la = arrays["la"][keep]
        self.district = arrays["district"][keep]
        self.la_codes = la_codes
        self.la_names = [local_authority_name(c) for c in la_codes]
        self.la_nation = la_nation
        # A district is rural when its postcodes spread wide: RMS distance from the centroid.
        spread = np.sqrt(np.bincount(arrays["district"], weights=km**2,
                                     minlength=len(self.districts))
                         / np.maximum(np.bincount(arrays["district"],
                                                  minlength=len(self.districts)), 1))
        self.district_rural = spread > 4.0
        self.lang_rates = self._lang_rates()
        # Postcodes grouped by nation, so each nation can get its share of the population
        # (a Northern Ireland postcode covers more people than an English one).
        nation_code = np.searchsorted(np.array(NATIONS), self.la_nation[self.la])
        order = np.argsort(nation_code, kind="stable")
        for name in ("key", "lat", "lon", "la", "district"):
            setattr(self, name, getattr(self, name)[order])
        counts = np.bincount(nation_code, minlength=len(NATIONS))
        self.nation_start = np.concatenate(([0], np.cumsum(counts)[:-1]))
        self.nation_count = counts

    def __len__(self) -> int:
        return len(self.key)

    def _lang_rates(self) -> np.ndarray:
        """Partner listing rate of each language (LANG_TAGS) for each local authority."""
        rates = np.zeros((len(self.la_codes), len(LANG_TAGS)))
        for i, code in enumerate(self.la_codes):
            nation = self.la_nation[i]
            if nation:
                rates[i] = NATION_LANG_RATES[nation]
            for j, tag in enumerate(LANG_TAGS):
                local = LOCAL_LANG_RATES.get(tag, {}).get(code)
                if local is not None:
                    rates[i, j] = local
        return rates

    def sample(self, rng: np.random.Generator, n: int, shares: dict[str, float]) -> dict:
        """``n`` random places: nations by ``shares``, then uniform over each nation's
        postcodes, so districts are weighted by their number of postcodes."""
        p = np.array([shares[name] for name in NATIONS], dtype=np.float64)
        nation = rng.choice(len(NATIONS), size=n, p=p / p.sum())
        pick = self.nation_start[nation] + (
            rng.random(n) * self.nation_count[nation]).astype(np.int64)
        la = self.la[pick]
        return {
            "postcode": _benchlib.postcode_text(self.key[pick]),
            "lat": np.round(self.lat[pick], 6).tolist(),
            "lon": np.round(self.lon[pick], 6).tolist(),
            "la": la,
            "nation": self.la_nation[la].tolist(),
            "rural": self.district_rural[self.district[pick]].tolist(),
        }


# ---------------------------------------------------------------------------- vocabulary
class Vocabulary:
    """Interest words from the taxonomy. Each category lists its everyday English words first
    and its Welsh, Gaelic and Irish ones last, so weights fall geometrically along the list."""

    def __init__(self, path: Path | None = None, decay: float = 0.88):
        path = path or _benchlib.ROOT / "data" / "taxonomy.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        self.ids = [c["id"] for c in data["categories"]]
        self.words = [list(c["synonyms"]) for c in data["categories"]]
        self.position = {cid: i for i, cid in enumerate(self.ids)}
        self.cum = []
        for words in self.words:
            w = decay ** np.arange(len(words), dtype=np.float64)
            self.cum.append(np.cumsum(w) / w.sum())

    def draw_many(self, categories: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Word positions for category positions ``categories`` and uniforms ``u``."""
        out = np.zeros(categories.shape, dtype=np.int64)
        for c, cum in enumerate(self.cum):
            mask = categories == c
            if mask.any():
                out[mask] = np.minimum(np.searchsorted(cum, u[mask]), len(cum) - 1)
        return out


LANGUAGE_OBJECTS = {tag: normalise_language(tag).to_dict() for tag in LANG_TAGS}
LANGUAGE_JSON = {tag: json.dumps(obj, ensure_ascii=False) for tag, obj in LANGUAGE_OBJECTS.items()}
LANGUAGE_NAMES = {tag: obj["name"] for tag, obj in LANGUAGE_OBJECTS.items()}


def _slots_json(mask: int, cache: dict[int, str]) -> str:
    text = cache.get(mask)
    if text is None:
        text = json.dumps([SLOTS[i] for i in range(21) if mask >> i & 1])
        cache[mask] = text
    return text


def _availability_masks(rng, kinds: np.ndarray) -> np.ndarray:
    """Availability bit masks (SLOTS order) from per-kind part-of-day weights."""
    n = len(kinds)
    probs = np.array([KIND_AVAILABILITY[k] for k in KINDS])[kinds]  # (n, 6)
    # Each partner is free on a few days only: scale so most pick 2-5 slots.
    slot_p = np.empty((n, 21))
    for day in range(7):
        base = probs[:, 0:3] if day < 5 else probs[:, 3:6]
        slot_p[:, day * 3:day * 3 + 3] = base * 0.45
    bits = rng.random((n, 21)) < slot_p
    masks = (bits * (1 << np.arange(21))).sum(axis=1)
    empty = masks == 0
    if empty.any():  # everyone is free some time: their kind's likeliest slot on a weekday
        best = np.argmax(probs[empty][:, :3], axis=1)
        day = rng.integers(0, 5, size=int(empty.sum()))
        masks[empty] = 1 << (day * 3 + best)
    return masks.astype(np.int64)


def _timestamps(rng, n: int, as_of: dt.datetime, max_days: int) -> list[dt.datetime]:
    seconds = rng.integers(0, max_days * 86400, size=n)
    return [as_of - dt.timedelta(seconds=s) for s in seconds.tolist()]


# ------------------------------------------------------------------------------ partners
def partner_chunk(rng, places: Places, vocab: Vocabulary, n: int, first: int, seed: int,
                  as_of: dt.datetime) -> dict[str, list]:
    """Columns of ``n`` synthetic partners (JSON columns already serialised)."""
    where = places.sample(rng, n, POPULATION_SHARE)
    kinds = rng.choice(len(KINDS), size=n, p=KIND_SHARE)
    kind_names = [KINDS[k] for k in kinds.tolist()]
    la = where["la"]
    towns = [places.la_names[i] for i in la.tolist()]

    # languages: Bernoulli per language with rates by local authority and kind
    rates = places.lang_rates[la].copy()
    factor = np.array([KIND_LANG_FACTOR.get(k, 1.0) for k in KINDS])[kinds]
    rates[:, 1:] = np.minimum(rates[:, 1:] * factor[:, None], 0.9)
    speaks = rng.random(rates.shape) < rates
    speaks[~speaks.any(axis=1), 0] = True
    # A few Welsh- or Gaelic-speaking groups in their heartlands list only that language.
    heart = (rates[:, 1] >= 0.3) | (rates[:, 7] >= 0.3)
    only_local = heart & (speaks[:, 1] | speaks[:, 7]) & (rng.random(n) < 0.15)
    speaks[only_local, 0] = False

    # interests: 2-5 words, mostly from the kind's categories, one from anywhere
    n_interests = rng.integers(2, 6, size=n)
    kind_cats = [[vocab.position[c] for c in KIND_CATEGORIES[k]] for k in KINDS]
    u_cat = rng.random((n, 5))
    cat_idx = np.empty((n, 5), dtype=np.int64)
    for k, options in enumerate(kind_cats):
        mask = kinds == k
        cat_idx[mask] = np.asarray(options)[(u_cat[mask] * len(options)).astype(np.int64)]
    # the first interest of a partner with three or more may come from any category
    wide = n_interests > 2
    cat_idx[wide, 0] = rng.integers(0, len(vocab.ids), size=int(wide.sum()))
    word_idx = vocab.draw_many(cat_idx, rng.random((n, 5)))

    avail_unknown = (rng.random(n) < 0.10).tolist()
    masks = _availability_masks(rng, kinds).tolist()
    capacity_unknown = (rng.random(n) < 0.15).tolist()
    cap_lo, cap_hi = (np.array([KIND_CAPACITY[k][j] for k in KINDS])[kinds] for j in (0, 1))
    capacity = (cap_lo + (cap_hi - cap_lo + 1) * rng.random(n)).astype(np.int64).tolist()
    lo, hi = (np.array([KIND_TRAVEL_KM[k][j] for k in KINDS], dtype=np.float64)[kinds]
              for j in (0, 1))
    radius = (lo + (hi - lo) * rng.random(n)) * np.where(where["rural"], 2.0, 1.0)
    radius = (np.rint(np.maximum(radius, 1.0) * 2) / 2).tolist()
    remote = (rng.random(n) < 0.2).tolist()
    remote_bits = (rng.random((n, 3)) < 0.5).tolist()
    statuses = rng.choice(4, size=n, p=[0.9, 0.06, 0.03, 0.01]).tolist()
    safeguarding = rng.choice(3, size=n, p=[0.7, 0.1, 0.2]).tolist()  # valid, pending, none
    expiry_days = rng.integers(30, 3 * 365, size=n).tolist()
    created = _timestamps(rng, n, as_of, 730)
    approve_after = rng.integers(1, 14 * 86400, size=n).tolist()
    picks = rng.integers(0, 1 << 30, size=(n, 4)).tolist()
    speaks_rows = [[LANG_TAGS[j] for j in row] for row in _rows_of(speaks)]
    cat_rows = cat_idx.tolist()
    word_rows = word_idx.tolist()
    counts = n_interests.tolist()
    nations = where["nation"]
    today = as_of.date()

    names, descriptions, interests_json, languages_json = [], [], [], []
    slot_cache: dict[int, str] = {}
    words = vocab.words
    for i in range(n):
        kind = kind_names[i]
        town = towns[i]
        langs = speaks_rows[i]
        pick = picks[i]
        interests: list[str] = []
        for c, w in zip(cat_rows[i][:counts[i]], word_rows[i][:counts[i]], strict=True):
            word = words[c][w]
            if word not in interests:
                interests.append(word)
        if kind == "volunteer":
            name = f"{FIRST_NAMES[pick[0] % len(FIRST_NAMES)]} " \
                   f"{LAST_NAMES[pick[1] % len(LAST_NAMES)]}"
        else:
            template = None
            if kind == "faith_group" and langs[-1] != "en":
                template = FAITH_BY_LANGUAGE.get(next(t for t in langs if t != "en"))
            if template is None:
                options = KIND_NAMES[kind]
                template = options[pick[0] % len(options)]
            descriptors = WELSH_DESCRIPTORS if nations[i] == "wales" and pick[3] % 3 == 0 \
                else DESCRIPTORS
            name = template.format(d=descriptors[pick[1] % len(descriptors)],
                                   s=SAINTS[pick[2] % len(SAINTS)], t=town)
        description = f"{KIND_PHRASE[kind]} in {town}. We enjoy {_and(interests[:3])}"
        if langs != ["en"]:
            description += f" and can chat in {_and([LANGUAGE_NAMES[t] for t in langs])}"
        names.append(name[:200])
        descriptions.append(description + ".")
        interests_json.append(json.dumps(interests, ensure_ascii=False))
        languages_json.append("[" + ", ".join([LANGUAGE_JSON[t] for t in langs]) + "]")

    numbers = range(first, first + n)
    status_names = [("approved", "pending", "paused", "withdrawn")[s] for s in statuses]
    modes = [json.dumps([m for m, b in zip(REMOTE_MODES, bits, strict=True) if b] or ["letters"])
             if r else "[]" for r, bits in zip(remote, remote_bits, strict=True)]
    approved = [None if st == "pending" else min(c + dt.timedelta(seconds=a), as_of)
                for st, c, a in zip(status_names, created, approve_after, strict=True)]
    la_list = la.tolist()
    return {
        "external_key": [f"{SYNTHETIC}s{seed}:p{k}" for k in numbers],
        "name": names,
        "kind": kind_names,
        "description": descriptions,
        "interests": interests_json,
        "languages": languages_json,
        "town": towns,
        "travel_radius_km": radius,
        "availability": [None if u else _slots_json(m, slot_cache)
                         for u, m in zip(avail_unknown, masks, strict=True)],
        "capacity_per_month": [None if u else c
                               for u, c in zip(capacity_unknown, capacity, strict=True)],
        "offers_remote": remote,
        "remote_modes": modes,
        "works_with_children": [k in ("school", "nursery", "youth_group") for k in kind_names],
        "safeguarding_scheme": [NATION_SCHEME[nt] if sg < 2 else None
                                for nt, sg in zip(nations, safeguarding, strict=True)],
        "safeguarding_status": [("valid", "pending", "none")[sg] for sg in safeguarding],
        "safeguarding_expires_on": [today + dt.timedelta(days=d) if sg == 0 else None
                                    for sg, d in zip(safeguarding, expiry_days, strict=True)],
        "contact_name": [f"{FIRST_NAMES[p[2] % len(FIRST_NAMES)]} "
                         f"{LAST_NAMES[p[3] % len(LAST_NAMES)]}" for p in picks],
        "contact_email": [f"partner{k}@example.org" for k in numbers],
        "contact_phone": [f"07700 900{k % 1000:03d}" for k in numbers],
        "consent_at": created,
        "privacy_notice_version": [PRIVACY_NOTICE_VERSION] * n,
        "status": status_names,
        "status_reason": [None] * n,
        "source": ["synthetic"] * n,
        "edit_token_hash": [None] * n,
        "idempotency_key": [None] * n,
        "approved_at": approved,
        "anonymised_at": [None] * n,
        "created_at": created,
        "updated_at": created,
        "postcode": where["postcode"],
        "lat": where["lat"],
        "lon": where["lon"],
        "geocode_precision": ["postcode"] * n,
        "nation": nations,
        "local_authority_code": [places.la_codes[i] for i in la_list],
        "local_authority_name": towns,
    }


def _rows_of(mask: np.ndarray) -> list[list[int]]:
    """Column positions of the True cells, row by row."""
    rows, cols = np.nonzero(mask)
    bounds = np.searchsorted(rows, np.arange(mask.shape[0] + 1))
    cols = cols.tolist()
    return [cols[a:b] for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)]


def _and(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


PARTNER_COLUMNS = (
    "external_key", "name", "kind", "description", "interests", "languages", "town",
    "travel_radius_km", "availability", "capacity_per_month", "offers_remote", "remote_modes",
    "works_with_children", "safeguarding_scheme", "safeguarding_status",
    "safeguarding_expires_on", "contact_name", "contact_email", "contact_phone", "consent_at",
    "privacy_notice_version", "status", "status_reason", "source", "edit_token_hash",
    "idempotency_key", "approved_at", "anonymised_at", "created_at", "updated_at", "postcode",
    "lat", "lon", "geocode_precision", "nation", "local_authority_code", "local_authority_name",
)


# --------------------------------------------------------------------------------- homes
HOME_COLUMNS = (
    "external_key", "name", "regulator", "regulator_id", "address_line1", "address_line2",
    "town", "residents", "interests", "interests_text", "languages", "care_types",
    "facilities", "availability", "visiting_status", "visiting_review_date",
    "search_radius_km", "contact_name", "contact_email", "contact_phone", "created_at",
    "updated_at", "postcode", "lat", "lon", "geocode_precision", "nation",
    "local_authority_code", "local_authority_name",
)


def home_chunk(rng, places: Places, vocab: Vocabulary, n: int, first: int, seed: int,
               as_of: dt.datetime) -> dict[str, list]:
    """Columns of ``n`` synthetic care homes (JSON columns already serialised)."""
    where = places.sample(rng, n, CARE_HOME_SHARE)
    la = where["la"]
    towns = [places.la_names[i] for i in la.tolist()]
    # 10-90 residents, most homes 25-60
    residents = np.clip(np.rint(rng.gamma(6.0, 7.0, size=n)), 10, 90).astype(int)
    rates = places.lang_rates[la]
    home_factor = np.array([HOME_LANG_FACTOR.get(t, 0.0) for t in LANG_TAGS])
    has = rng.random(rates.shape) < np.minimum(rates * home_factor, 0.95)
    share_u = rng.uniform(0.5, 1.5, size=rates.shape)
    list_english = rng.random(n) < 0.8

    cat_ids = list(HOME_CATEGORY_WEIGHTS)
    cat_p = np.array([HOME_CATEGORY_WEIGHTS[c] for c in cat_ids])
    cat_p /= cat_p.sum()
    n_interests = rng.integers(3, 9, size=n)
    cats = np.array([vocab.position[c] for c in cat_ids])[
        rng.choice(len(cat_ids), size=(n, 8), p=cat_p)]
    word_idx = vocab.draw_many(cats, rng.random((n, 8)))
    care_u = rng.random((n, len(CARE_TYPES)))
    fac_u = rng.random((n, len(FACILITIES)))
    visiting = rng.choice(3, size=n, p=[0.9, 0.08, 0.02])
    review_days = rng.integers(7, 60, size=n)
    avail_unknown = rng.random(n) < 0.6
    avail_u = rng.random((n, 21))
    radius_u = rng.random(n)
    created = _timestamps(rng, n, as_of, 1500)
    picks = rng.integers(0, 1 << 30, size=(n, 5))

    cols: dict[str, list] = {name: [] for name in HOME_COLUMNS}
    slot_cache: dict[int, str] = {}
    for i in range(n):
        town = towns[i]
        nation = where["nation"][i]
        number = first + i
        p = picks[i]
        total = int(residents[i])
        langs = []
        for j in np.flatnonzero(has[i]).tolist():
            tag = LANG_TAGS[j]
            if tag == "en":
                continue
            share = min(0.8, max(0.04, rates[i, j]) * share_u[i, j])
            langs.append((tag, max(1, round(total * share))))
        others = sum(count for _, count in langs)
        if list_english[i] and total - others > 0:
            langs.insert(0, ("en", total - others))
        interests: list[str] = []
        for c, w in zip(cats[i, :n_interests[i]].tolist(),
                        word_idx[i, :n_interests[i]].tolist(), strict=True):
            word = vocab.words[c][w]
            if word not in interests:
                interests.append(word)
        descriptors = WELSH_DESCRIPTORS if nation == "wales" and p[0] % 3 == 0 else DESCRIPTORS
        name = f"{descriptors[p[1] % len(descriptors)]} {HOME_SUFFIXES[p[2] % len(HOME_SUFFIXES)]}"
        care = [c for (c, prob), u in zip(CARE_TYPES, care_u[i], strict=True) if u < prob]
        facilities = [f for (f, prob), u in zip(FACILITIES, fac_u[i], strict=True) if u < prob]
        status = VISITING_STATUSES[visiting[i]]
        minority = [(t, c) for t, c in langs if t != "en"]
        text = f"Our residents enjoy {_and(interests[:3])}."
        if minority:
            tag, count = max(minority, key=lambda x: x[1])
            who = "resident speaks" if count == 1 else "residents speak"
            text += f" {count} {who} {LANGUAGE_OBJECTS[tag]['name']}."
        radius = 10 + 15 * radius_u[i] if where["rural"][i] else 5 + 7 * radius_u[i]
        mask = 0
        if not avail_unknown[i]:
            for s in range(21):
                weekday = s < 15
                part = s % 3
                chance = (0.5 if part == 1 else 0.3 if part == 0 else 0.05) * \
                    (1.0 if weekday else 0.8)
                if avail_u[i, s] < chance:
                    mask |= 1 << s
            mask = mask or 1 << 4  # Tuesday afternoon
        c_at = created[i]
        cols["external_key"].append(f"{SYNTHETIC}s{seed}:h{number}")
        cols["name"].append(name)
        cols["regulator"].append(NATION_REGULATOR[nation])
        cols["regulator_id"].append(f"SYN-{seed}-{number}")
        cols["address_line1"].append(f"{1 + p[3] % 180} {STREETS[p[4] % len(STREETS)]}")
        cols["address_line2"].append(None)
        cols["town"].append(town[:100])
        cols["residents"].append(total)
        cols["interests"].append(json.dumps(interests, ensure_ascii=False))
        cols["interests_text"].append(text)
        cols["languages"].append("[" + ", ".join(
            json.dumps({**LANGUAGE_OBJECTS[t], "residents": c}, ensure_ascii=False)
            for t, c in langs) + "]")
        cols["care_types"].append(json.dumps(care))
        cols["facilities"].append(json.dumps(facilities))
        cols["availability"].append(None if avail_unknown[i] else _slots_json(mask, slot_cache))
        cols["visiting_status"].append(status)
        cols["visiting_review_date"].append(
            as_of.date() + dt.timedelta(days=int(review_days[i])) if status != "open" else None)
        cols["search_radius_km"].append(round(radius * 2) / 2)
        cols["contact_name"].append(f"{FIRST_NAMES[p[3] % len(FIRST_NAMES)]} "
                                    f"{LAST_NAMES[p[0] % len(LAST_NAMES)]}")
        cols["contact_email"].append(f"home{number}@example.org")
        cols["contact_phone"].append(f"01632 960{number % 1000:03d}")
        cols["created_at"].append(c_at)
        cols["updated_at"].append(c_at)
        cols["postcode"].append(where["postcode"][i])
        cols["lat"].append(where["lat"][i])
        cols["lon"].append(where["lon"][i])
        cols["geocode_precision"].append("postcode")
        cols["nation"].append(nation)
        cols["local_authority_code"].append(places.la_codes[la[i]])
        cols["local_authority_name"].append(town[:100])
    return cols


# ------------------------------------------------------------------------------- writing
def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = (value.replace("\\", "\\\\").replace("\t", "\\t")
                     .replace("\n", "\\n").replace("\r", "\\r"))
        return value
    return repr(value) if isinstance(value, float) else str(value)


def _copy_column(values: list) -> list[str]:
    """One column in COPY text format, converted with one rule for the whole column."""
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return ["\\N"] * len(values)
    if kinds <= {str}:
        joined = "".join(v for v in values if v is not None)
        if not any(ch in joined for ch in "\\\t\n\r"):
            return ["\\N" if v is None else v for v in values]
    elif kinds <= {bool}:
        return ["\\N" if v is None else ("t" if v else "f") for v in values]
    elif kinds <= {int, float}:
        return ["\\N" if v is None else repr(v) for v in values]
    elif kinds <= {dt.datetime, dt.date}:
        return ["\\N" if v is None else v.isoformat() for v in values]
    return [_copy_value(v) for v in values]


def write_chunk(conn, table_name: str, columns, cols: dict[str, list]) -> None:
    """Insert one chunk of columns in bulk: COPY on PostgreSQL, executemany on SQLite."""
    if not cols[columns[0]]:
        return
    if conn.dialect.name == "postgresql":
        formatted = [_copy_column(cols[c]) for c in columns]
        data = "\n".join(map("\t".join, zip(*formatted, strict=True))) + "\n"
        raw = conn.connection.driver_connection
        sql = f"COPY {table_name} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            copy.write(data)
        return
    # SQLite: one executemany through the Core connection, with values already in the
    # form SQLAlchemy's SQLite types store (its per-value processors would triple the time).
    placeholders = ", ".join("?" * len(columns))
    conn.exec_driver_sql(
        f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES ({placeholders})",
        list(zip(*[_sqlite_column(cols[c]) for c in columns], strict=True)))


def _sqlite_column(values: list) -> list:
    """Values as SQLAlchemy's SQLite dialect stores them: datetimes as
    'YYYY-MM-DD HH:MM:SS.ffffff' (UTC), dates as ISO text, booleans as 0/1."""
    kinds = {type(v) for v in values if v is not None}
    if dt.datetime in kinds:
        return [None if v is None else v.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
                for v in values]
    if dt.date in kinds:
        return [None if v is None else v.isoformat() for v in values]
    if bool in kinds:
        return [None if v is None else int(v) for v in values]
    return values


def _drop_plain_indexes(conn, table_name: str) -> list[str]:
    """Drop a PostgreSQL table's indexes that back no constraint; return their definitions.

    Building an index once after a large COPY is several times cheaper than updating it row by
    row. It all happens in the load's transaction, so a failed load restores them; meanwhile
    the table is locked, which suits a bulk load of synthetic data.
    """
    from sqlalchemy import text

    rows = conn.execute(text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.tablename = :t AND i.schemaname = current_schema() "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
        "AND c.conrelid = CAST(:t AS regclass))"), {"t": table_name}).all()
    for name, _ in rows:
        conn.execute(text(f'DROP INDEX "{name}"'))
    return [definition for _, definition in rows]


def _existing(conn, table_name: str, prefix: str) -> int:
    from sqlalchemy import text

    return int(conn.execute(
        text(f"SELECT count(*) FROM {table_name} WHERE external_key LIKE :p"),
        {"p": prefix + "%"}).scalar() or 0)


def bump_versions(conn, names=("partners", "homes")) -> None:
    """Set new random tokens in data_versions so running workers notice the change."""
    from sqlalchemy import text

    for name in names:
        token = uuid.uuid4().hex
        updated = conn.execute(text("UPDATE data_versions SET version = :v WHERE name = :n"),
                               {"v": token, "n": name}).rowcount
        if not updated:
            conn.execute(text("INSERT INTO data_versions (name, version) VALUES (:n, :v)"),
                         {"n": name, "v": token})


def chunks(kind: str, total: int, start: int, seed: int) -> Iterator[tuple[int, int, object]]:
    """``(first number, size, rng)`` per fixed-size chunk; the rng depends only on the seed,
    the kind of record and the chunk's position, never on the batch size."""
    kind_code = {"partners": 1, "homes": 2}[kind]
    done = 0
    while done < total:
        size = min(CHUNK, total - done)
        first = start + done
        yield first, size, np.random.default_rng([seed, kind_code, first])
        done += size


def generate(url: str, *, homes: int, partners: int, seed: int, batch: int = 50_000,
             replace: bool = False, as_of: dt.datetime | None = None,
             progress: Callable[[str], object] | None = print) -> dict:
    """Fill the database at ``url``; returns counts and timings."""
    from sqlalchemy import text

    from matcher.cli import upgrade_schema
    from matcher.extensions import db
    from matcher.runtime import postcode_index

    say = progress or (lambda _msg: None)
    as_of = as_of or dt.datetime.now(dt.UTC).replace(hour=9, minute=0, second=0,
                                                     microsecond=0)
    app = _benchlib.make_app(url)
    started = time.perf_counter()
    summary = {"homes": homes, "partners": partners, "seed": seed}
    with app.app_context():
        upgrade_schema()
        say(f"Schema ready ({time.perf_counter() - started:.1f} s). Loading places...")
        places = Places(postcode_index(app))
        vocab = Vocabulary()
        say(f"{len(places):,} postcodes to place records on "
            f"({time.perf_counter() - started:.1f} s).")
        engine = db.engine
        with engine.begin() as conn:
            if replace:
                removed_p = conn.execute(text(
                    "DELETE FROM community_groups WHERE external_key LIKE 'synthetic:%'")).rowcount
                removed_h = conn.execute(text(
                    "DELETE FROM care_homes WHERE external_key LIKE 'synthetic:%'")).rowcount
                say(f"Removed {removed_h:,} synthetic homes and {removed_p:,} partners.")
            for kind, total, table_name, columns, make in (
                ("homes", homes, "care_homes", HOME_COLUMNS, home_chunk),
                ("partners", partners, "community_groups", PARTNER_COLUMNS, partner_chunk),
            ):
                if total <= 0:
                    continue
                prefix = f"{SYNTHETIC}s{seed}:{kind[0]}"
                start = _existing(conn, table_name, prefix)
                t0 = time.perf_counter()
                rebuild = []
                if conn.dialect.name == "postgresql" and total >= BULK_INDEX_ROWS:
                    rebuild = _drop_plain_indexes(conn, table_name)
                pending: dict[str, list] = {c: [] for c in columns}
                written = 0
                # PostgreSQL digests one COPY while the next batch is generated; the thread
                # waits in libpq with the GIL released. SQLite writes in this thread.
                writer = ThreadPoolExecutor(1) if conn.dialect.name == "postgresql" else None
                in_flight = None
                for first, size, rng in chunks(kind, total, start, seed):
                    cols = make(rng, places, vocab, size, first, seed, as_of)
                    for c in columns:
                        pending[c].extend(cols[c])
                    if len(pending[columns[0]]) >= batch or first + size == start + total:
                        if in_flight is not None:
                            in_flight.result()
                        if writer is None:
                            write_chunk(conn, table_name, columns, pending)
                        else:
                            in_flight = writer.submit(write_chunk, conn, table_name, columns,
                                                      pending)
                        written += len(pending[columns[0]])
                        pending = {c: [] for c in columns}
                        elapsed = time.perf_counter() - t0
                        say(f"  {kind}: {written:>9,} / {total:,} "
                            f"({elapsed:.1f} s, {written / max(elapsed, 1e-9):,.0f} rows/s)")
                if in_flight is not None:
                    in_flight.result()
                if writer is not None:
                    writer.shutdown()
                if rebuild:
                    t1 = time.perf_counter()
                    conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
                    for definition in rebuild:
                        conn.execute(text(definition))
                    say(f"  {kind}: rebuilt {len(rebuild)} indexes in "
                        f"{time.perf_counter() - t1:.1f} s")
                summary[f"{kind}_seconds"] = time.perf_counter() - t0
            bump_versions(conn)
        if engine.dialect.name == "postgresql":
            # Fresh statistics for the planner; VACUUM too after a replace left dead rows.
            command = "VACUUM ANALYZE" if replace else "ANALYZE"
            with engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                for table_name in ("care_homes", "community_groups"):
                    conn.execute(text(f"{command} {table_name}"))
        engine.dispose()
    summary["seconds"] = time.perf_counter() - started
    say(f"Done: {homes:,} homes and {partners:,} partners in {summary['seconds']:.1f} s.")
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=17_000)
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", required=True,
                        help="e.g. sqlite:////tmp/kith.sqlite3 or "
                             "postgresql+psycopg://postgres@127.0.0.1/kith_bench")
    parser.add_argument("--batch", type=int, default=50_000,
                        help="rows per bulk insert (whole chunks of 10,000 rows)")
    parser.add_argument("--replace", action="store_true",
                        help="delete earlier synthetic rows first (others are kept)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat,
                        help="the date timestamps are relative to (default: today)")
    args = parser.parse_args(argv)
    if args.homes < 0 or args.partners < 0 or args.batch < 1:
        parser.error("--homes and --partners must be >= 0 and --batch >= 1")
    as_of = None
    if args.as_of:
        as_of = dt.datetime.combine(args.as_of, dt.time(9, 0), tzinfo=dt.UTC)
    generate(args.database_url, homes=args.homes, partners=args.partners, seed=args.seed,
             batch=args.batch, replace=args.replace, as_of=as_of)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
