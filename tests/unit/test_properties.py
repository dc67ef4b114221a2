"""Properties of the pure domain that must hold for any input, checked with Hypothesis.

Postcodes: any spelling of a well-formed postcode parses, and its normalised form parses to
the same postcode. Ranking: scores and components stay in [0, 1]; a partner is suggested
exactly when it lies within both the home's (or the request's) radius and its own travel
radius; moving a partner further away along the same bearing never raises its distance
component or its score.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.domain.geo import EARTH_RADIUS_KM, haversine_km
from matcher.domain.interests import Taxonomy
from matcher.domain.postcodes import InvalidPostcode, parse_postcode
from matcher.domain.ranking import COMPONENTS, Home, Partner, Ranker

# deadline=None: the first example of a ranking property pays for loading the taxonomy.
FAST = settings(max_examples=100, deadline=None, derandomize=True)
RANKING = settings(max_examples=50, deadline=None, derandomize=True)

# --- postcodes -------------------------------------------------------------------------------

# The Royal Mail grammar: an outward code (A9, A99, AA9, AA99, A9A, AA9A) and an inward code
# (9AA). The first letter is never Q, V or X, the second never I, J or Z; the inward letters
# never C, I, K, M, O or V.
FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"
SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"
DIGITS = "0123456789"
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
ANY_LETTER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _chars(alphabet: str):
    return st.sampled_from(alphabet)


outward_codes = st.one_of(
    st.tuples(_chars(FIRST), _chars(DIGITS)),                                      # A9
    st.tuples(_chars(FIRST), _chars(DIGITS), _chars(DIGITS)),                      # A99
    st.tuples(_chars(FIRST), _chars(SECOND), _chars(DIGITS)),                      # AA9
    st.tuples(_chars(FIRST), _chars(SECOND), _chars(DIGITS), _chars(DIGITS)),      # AA99
    st.tuples(_chars(FIRST), _chars(DIGITS), _chars(ANY_LETTER)),                  # A9A
    st.tuples(_chars(FIRST), _chars(SECOND), _chars(DIGITS), _chars(ANY_LETTER)),  # AA9A
).map("".join)
inward_codes = st.tuples(_chars(DIGITS), _chars(INWARD_LETTERS),
                         _chars(INWARD_LETTERS)).map("".join)
# What people type between and around the halves: nothing, spaces, tabs, no-break spaces,
# hyphens and dashes pasted from documents.
separators = st.text(alphabet=" \t\u00a0-\u2013\u2014", max_size=3)
padding = st.text(alphabet=" \t\n\u00a0", max_size=2)


def _any_case(text: str, data) -> str:
    flips = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.lower() if flip else c for c, flip in zip(text, flips, strict=True))


@FAST
@given(outward=outward_codes, inward=inward_codes, separator=separators, before=padding,
       after=padding, data=st.data())
def test_any_spelling_of_a_postcode_parses_to_its_normalised_form_and_back(
        outward, inward, separator, before, after, data):
    typed = before + _any_case(outward, data) + separator + _any_case(inward, data) + after
    postcode = parse_postcode(typed)
    assert postcode.normalised == f"{outward} {inward}"
    assert postcode.compact == outward + inward
    again = parse_postcode(postcode.normalised)
    assert again == postcode
    assert parse_postcode(postcode.compact) == postcode
    assert parse_postcode(postcode.ons) == postcode
    assert postcode.district == outward and postcode.sector == f"{outward} {inward[0]}"


@FAST
@given(outward=outward_codes, digit=_chars(DIGITS), bad=_chars("CIKMOV"),
       good=_chars(INWARD_LETTERS), bad_first=st.booleans())
def test_inward_letters_outside_the_grammar_are_refused(outward, digit, bad, good, bad_first):
    inward = digit + (bad + good if bad_first else good + bad)
    with pytest.raises(InvalidPostcode):
        parse_postcode(f"{outward} {inward}")


@FAST
@given(text=st.text(max_size=30))
def test_parsing_any_text_either_succeeds_idempotently_or_says_why(text):
    try:
        postcode = parse_postcode(text)
    except InvalidPostcode as exc:
        assert str(exc)
    else:
        assert parse_postcode(postcode.normalised) == postcode


# --- ranking ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def taxonomy():
    return Taxonomy.load(None)


ACTIVITIES = ["singing", "choir", "gardening", "knitting", "dogs", "pet visits", "reading",
              "chess", "baking", "hymns", "football", "painting"]
LANGUAGES = ["en", "cy", "pl", "pa", "ur", "gd", "bfi"]


def destination(lat: float, lon: float, bearing_deg: float, km: float) -> tuple[float, float]:
    """The point ``km`` along a great circle from (lat, lon) at this bearing, on the sphere
    `haversine_km` uses."""
    phi1, lam1, theta = map(math.radians, (lat, lon, bearing_deg))
    delta = km / EARTH_RADIUS_KM
    phi2 = math.asin(math.sin(phi1) * math.cos(delta)
                     + math.cos(phi1) * math.sin(delta) * math.cos(theta))
    lam2 = lam1 + math.atan2(math.sin(theta) * math.sin(delta) * math.cos(phi1),
                             math.cos(delta) - math.sin(phi1) * math.sin(phi2))
    return math.degrees(phi2), (math.degrees(lam2) + 540.0) % 360.0 - 180.0


# Homes anywhere in the UK, and now and then far from it (poles, the antimeridian), where a
# latitude/longitude grid is easiest to get wrong.
home_places = st.one_of(
    st.tuples(st.floats(49.9, 60.9), st.floats(-8.6, 1.8)),
    st.tuples(st.floats(-89.5, 89.5), st.floats(-180.0, 180.0)),
)
radii = st.floats(0.5, 40.0)
slots = st.one_of(st.none(), st.sets(st.sampled_from(["mon_am", "tue_pm", "sat_pm", "sun_am"])))
# Every weight 0 is allowed (every score is then 0), so it is drawn now and then on purpose.
weights = st.one_of(
    st.fixed_dictionaries({name: st.floats(0.0, 10.0) for name in COMPONENTS}),
    st.just(dict.fromkeys(COMPONENTS, 0.0)))


@st.composite
def homes(draw):
    lat, lon = draw(home_places)
    languages = draw(st.lists(st.tuples(st.sampled_from(LANGUAGES), st.integers(0, 30)),
                              max_size=3))
    return Home(id=1, name="Home", lat=lat, lon=lon, search_radius_km=draw(radii),
                interests=draw(st.lists(st.sampled_from(ACTIVITIES), max_size=4)),
                interests_text=draw(st.sampled_from(["", "Residents love a sing-song."])),
                languages=languages, residents=40,
                visiting_status=draw(st.sampled_from(["open", "restricted"])),
                availability=draw(slots),
                care_types=draw(st.sampled_from([[], ["dementia"], ["nursing"]])))


def partners_around(home: Home, seed: int, max_km: float = 60.0) -> list[Partner]:
    """Up to 25 varied partners within ``max_km`` of a home. Drawn from a seeded generator
    rather than one Hypothesis draw per attribute, which would cost more than the ranking."""
    rng = random.Random(seed)
    out = []
    for pid in range(1, rng.randint(1, 25) + 1):
        lat, lon = destination(home.lat, home.lon, rng.uniform(0.0, 360.0),
                               rng.uniform(0.0, max_km))
        capacity = rng.choice([None, 1, 2, 4, 8])
        out.append(Partner(
            id=pid, name=f"Partner {pid}", kind=rng.choice(["choir", "school"]),
            lat=lat, lon=lon, travel_radius_km=rng.uniform(0.5, 50.0),
            interests=rng.sample(ACTIVITIES, rng.randint(0, 3)),
            languages=rng.sample(LANGUAGES, rng.randint(0, 2)),
            availability=rng.choice([None, set(), {"mon_am"}, {"sat_pm", "sun_am"}]),
            capacity_per_month=capacity,
            active_introductions=0 if capacity is None else rng.randint(0, capacity - 1),
            offers_remote=rng.random() < 0.3))
    return out


seeds = st.integers(0, 2**32 - 1)


def _effective_weights(home: Home, given: dict[str, float]) -> dict[str, float]:
    # A home whose residents all speak English leaves the language weight out of the sum;
    # the others weigh it by need: (1 + 2 * share), 1.5 times more in dementia care, at
    # most 3 times.
    speaks_other = any(tag != "en" and count > 0 for tag, count in home.languages)
    others = sum(count for tag, count in home.languages if tag != "en")
    total = home.residents or sum(count for _, count in home.languages)
    share = min(1.0, others / total) if total else 0.0
    factor = min(3.0, (1 + 2 * share) * (1.5 if "dementia" in home.care_types else 1.0))
    return {**given, "language": given["language"] * factor if speaks_other else 0.0}


@RANKING
@given(home=homes(), seed=seeds, weights=weights)
def test_scores_and_components_stay_between_zero_and_one(taxonomy, home, seed, weights):
    partners = partners_around(home, seed)
    matches = Ranker(taxonomy=taxonomy).fit(partners).rank(home, k=len(partners),
                                                           weights=weights)
    effective = _effective_weights(home, weights)
    for match in matches:
        assert 0.0 <= match.score <= 1.0
        assert set(match.components) == set(COMPONENTS)
        assert all(0.0 <= value <= 1.0 for value in match.components.values())
        total = sum(effective.values())
        if total > 0:
            expected = sum(effective[n] * match.components[n] for n in COMPONENTS) / total
            assert match.score == pytest.approx(expected, abs=1e-9)
        else:
            assert match.score == 0.0


@RANKING
@given(home=homes(), seed=seeds, request_radius=st.one_of(st.none(), radii))
def test_partners_are_suggested_exactly_when_within_both_radii(taxonomy, home, seed,
                                                              request_radius):
    partners = partners_around(home, seed)
    filters = {"radius_km": request_radius} if request_radius is not None else None
    found = {m.partner_id: m for m in Ranker(taxonomy=taxonomy).fit(partners).rank(
        home, k=len(partners), filters=filters)}
    radius = request_radius if request_radius is not None else home.search_radius_km
    for p in partners:
        distance = haversine_km(home.lat, home.lon, p.lat, p.lon)
        reach = min(radius, p.travel_radius_km)
        if p.id in found:
            assert distance <= reach + 1e-5
            # Unit-vector chords and haversine agree to well under a centimetre.
            assert found[p.id].distance_km == pytest.approx(distance, abs=1e-5)
        else:
            assert distance > reach - 1e-5, "a partner within both radii was left out"


@RANKING
@given(home=homes(), bearing=st.floats(0.0, 360.0), near=st.floats(0.0, 0.99),
       further=st.floats(0.001, 1.0), travel=st.floats(0.5, 50.0),
       interests=st.lists(st.sampled_from(ACTIVITIES), max_size=3),
       languages=st.lists(st.sampled_from(LANGUAGES), max_size=2))
def test_moving_a_partner_further_away_never_raises_its_distance_component(
        taxonomy, home, bearing, near, further, travel, interests, languages):
    # Twins alike in all but distance, both kept within reach: ``near`` and ``further`` are
    # fractions of the reach and of what is left of it.
    reach = min(home.search_radius_km, travel) * 0.999
    near_km = near * reach
    far_km = near_km + further * (reach - near_km)
    twins = [Partner(id=pid, name="Twin", kind="choir", lat=lat, lon=lon,
                     travel_radius_km=travel, interests=interests, languages=languages)
             for pid, (lat, lon) in ((1, destination(home.lat, home.lon, bearing, near_km)),
                                     (2, destination(home.lat, home.lon, bearing, far_km)))]
    found = {m.partner_id: m for m in Ranker(taxonomy=taxonomy).fit(twins).rank(home, k=2)}
    assert set(found) == {1, 2}
    assert found[2].components["distance"] <= found[1].components["distance"]
    assert found[2].score <= found[1].score + 1e-12
    assert found[2].distance_km >= found[1].distance_km - 1e-5
