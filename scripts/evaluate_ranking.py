"""Match quality on a judged set of scenarios: the production ranker against a plain baseline.

Each scenario in ``data/evaluation/*.json`` (format in ``data/evaluation/README.md``) is a care
home, a pool of candidate partners and the partners a coordinator would pick, in order, with a
grade. For every scenario the production `Ranker` is fitted on the pool and asked for the home's
list through its public domain API, exactly as the app does with database records; beside it, in
the same run, a baseline: plain TF-IDF cosine (scikit-learn's ``TfidfVectorizer``) of the home's
interests against each partner's own text, plus the same distance component, with the model's
default weights for the two. Printed for both:

- NDCG@5 (graded: gain ``2**grade - 1``, ideal order from the judges' grades), mean over
  scenarios;
- top-1 agreement: share of scenarios whose first suggestion is the judges' first pick;
- reason precision: of the shared interests claimed on the first five suggestions, the share
  that the partner's own words support. A claim of a home interest is supported when that
  interest, or one of the words the judges listed for it in the scenario's ``concepts``, appears
  as a whole word or phrase in the partner's description or activities; any other claim only
  when its own words appear there. The model is never consulted to decide support.

Usage::

    .venv/bin/python scripts/evaluate_ranking.py              # the table
    .venv/bin/python scripts/evaluate_ranking.py --json       # machine-readable figures
    .venv/bin/python scripts/evaluate_ranking.py --by-situation   # also one line a situation
    .venv/bin/python scripts/evaluate_ranking.py --scenario caernarfon-welsh-hymns
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from matcher.domain.interests import Taxonomy  # noqa: E402
from matcher.domain.languages import canonical_tag, is_english  # noqa: E402
from matcher.domain.ranking import DEFAULT_WEIGHTS, Home, Partner, Ranker  # noqa: E402
from matcher.domain.ranking.types import join_text  # noqa: E402

DATA_DIR = ROOT / "data" / "evaluation"
K = 5  # the first screen of a match list: what NDCG, top-1 and reason precision look at
NATIONS = ("england", "scotland", "wales", "northern-ireland")
EARTH_KM = 6371.0088
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# ------------------------------------------------------------------------------ scenarios
@dataclass
class Scenario:
    """One judged situation: a home, its candidate pool, the judges' picks and concepts."""

    name: str
    nation: str
    home: dict
    partners: list[dict]
    judged: list[tuple[str, int]]  # (partner key, grade), in the judges' order
    concepts: dict[str, list[str]] = field(default_factory=dict)
    situations: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def grades(self) -> dict[str, int]:
        return dict(self.judged)

    def partner(self, key: str) -> dict:
        return next(p for p in self.partners if p["key"] == key)


def load_scenarios(data_dir: Path = DATA_DIR) -> list[Scenario]:
    """Every scenario of the JSON files in ``data_dir`` (sorted by file name, then as written)."""
    scenarios = []
    for path in sorted(Path(data_dir).glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for raw in doc["scenarios"]:
            scenarios.append(Scenario(
                name=raw["name"], nation=raw["nation"], home=raw["home"],
                partners=raw["partners"],
                judged=[(j["partner"], int(j["grade"])) for j in raw["judged"]],
                concepts={k: list(v) for k, v in (raw.get("concepts") or {}).items()},
                situations=list(raw.get("situations") or ()), note=raw.get("note", ""),
            ))
    return scenarios


def validate(scenarios: Sequence[Scenario]) -> list[str]:
    """Problems with the judged set (an empty list when it is sound)."""
    problems = []
    names = [s.name for s in scenarios]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(f"scenario name used twice: {name}")
    for s in scenarios:
        where = f"{s.name}:"
        if s.nation not in NATIONS:
            problems.append(f"{where} unknown nation {s.nation!r}")
        keys = [p["key"] for p in s.partners]
        if len(set(keys)) != len(keys):
            problems.append(f"{where} partner keys repeat")
        if not 6 <= len(keys) <= 15:
            problems.append(f"{where} {len(keys)} partners (6-15 expected)")
        if not s.judged:
            problems.append(f"{where} no judged partners")
        judged = [k for k, _ in s.judged]
        if len(set(judged)) != len(judged):
            problems.append(f"{where} a partner is judged twice")
        for key, grade in s.judged:
            if key not in keys:
                problems.append(f"{where} judged partner {key!r} is not in the pool")
            if grade not in (1, 2, 3):
                problems.append(f"{where} grade {grade} of {key!r} is not 1, 2 or 3")
        if all(k in keys for k in judged):
            order = [judged_order_key(s, k, g) for k, g in s.judged]
            if order != sorted(order):
                problems.append(f"{where} judged partners are not in the judges' order (grade, "
                                "then interests served, language, safeguarding, distance)")
        for interest in s.home.get("interests") or ():
            if interest not in s.concepts:
                problems.append(f"{where} no concepts listed for home interest {interest!r}")
        for p in s.partners:
            for coord, limit in (("lat", 90), ("lon", 180)):
                if not isinstance(p.get(coord), (int, float)) or abs(p[coord]) > limit:
                    problems.append(f"{where} partner {p['key']!r} has no valid {coord}")
        for key, _ in s.judged:
            # A coordinator only picks partners the product may suggest: within both radii.
            if key in keys and not reachable(s.home, s.partner(key)):
                problems.append(f"{where} judged partner {key!r} is beyond a travel or search "
                                "radius")
    return problems


def judged_order_key(scenario: Scenario, key: str, grade: int) -> tuple:
    """Where a judged partner stands in the judges' order: by grade; within a grade, more of
    the home's interests served (by the concept lists), then speaking a language of residents
    whose language is not English, then a valid safeguarding check (not missing, pending or
    expired), then nearer."""
    home, partner = scenario.home, scenario.partner(key)
    interests = home.get("interests") or ()
    served = sum(supported(i, partner, interests, scenario.concepts) for i in interests)
    theirs = {canonical_tag(lang["language"]) for lang in home.get("languages") or ()}
    theirs = {t for t in theirs if t and not is_english(t)}
    speaks = bool(theirs & {canonical_tag(t) for t in partner.get("languages") or ()})
    check = partner.get("safeguarding") or {}
    expires = _date_or_value(check.get("expires_on"))
    lapsed = check.get("status") != "valid" or (isinstance(expires, dt.date)
                                                and expires < dt.date.today())
    distance = float(haversine_km(home["lat"], home["lon"], partner["lat"], partner["lon"]))
    return (-grade, -served, not speaks, lapsed, round(distance, 6))


# ------------------------------------------------------------------- ranker inputs from dicts
def _build(cls, values: Mapping):
    """An instance of dataclass ``cls`` from the keys of ``values`` it has fields for.

    Nested mappings also fill flattened fields (``safeguarding: {scheme}`` fills
    ``safeguarding_scheme``), so a field the model gains later is used without touching this.
    """
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key in names:
            kwargs[key] = _date_or_value(value)
        if isinstance(value, Mapping):
            for sub, inner in value.items():
                if f"{key}_{sub}" in names:
                    kwargs[f"{key}_{sub}"] = _date_or_value(inner)
    return cls(**kwargs)


def _date_or_value(value):
    """ISO dates (``"2029-09-30"``, as a safeguarding check's expiry) as `datetime.date`."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return dt.date.fromisoformat(value)
    return value


def partner_ids(scenario: Scenario) -> dict[str, int]:
    """A numeric id for each partner key (their order in the file, from 1)."""
    return {p["key"]: i for i, p in enumerate(scenario.partners, start=1)}


def to_partners(scenario: Scenario) -> list[Partner]:
    """The pool as the ranker's `Partner` values (approved unless the file says otherwise)."""
    ids = partner_ids(scenario)
    partners = []
    for raw in scenario.partners:
        values = {**raw, "id": ids[raw["key"]]}
        values.setdefault("status", "approved")
        if values.get("availability") is not None:
            values["availability"] = set(values["availability"])
        partners.append(_build(Partner, values))
    return partners


def to_home(scenario: Scenario) -> Home:
    """The home as the ranker's `Home`; languages as ``(language, residents)`` pairs."""
    raw = dict(scenario.home)
    raw["id"] = 1
    raw["languages"] = [(lang["language"], int(lang.get("residents", 0)))
                        for lang in raw.get("languages") or ()]
    if raw.get("availability") is not None:
        raw["availability"] = set(raw["availability"])
    return _build(Home, raw)


# ----------------------------------------------------------------------------- the metrics
def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    """NDCG@k of a ranked list of keys against graded judgements (gain ``2**g - 1``,
    discount ``log2(rank + 1)``); unjudged keys gain 0. 0 when nothing is judged."""
    def dcg(gains: Iterable[float]) -> float:
        return sum(g / math.log2(i + 2) for i, g in enumerate(gains))

    ideal = dcg(sorted((2 ** g - 1 for g in grades.values() if g > 0), reverse=True)[:k])
    if ideal <= 0:
        return 0.0
    return dcg(2 ** grades.get(key, 0) - 1 for key in ranked[:k]) / ideal


def top1_agrees(ranked: Sequence[str], judged: Sequence[tuple[str, int]]) -> bool:
    """Whether the list's first partner is the judges' first pick."""
    return bool(ranked) and bool(judged) and ranked[0] == judged[0][0]


def normalise(text: str) -> str:
    """Lower case, accents removed, every run of non-letters one space (for phrase look-up)."""
    text = unicodedata.normalize("NFKD", str(text).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def mentions(text: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs in ``text`` as whole words (a plural -s/-es also counts)."""
    phrase, text = normalise(phrase), normalise(text)
    if not phrase:
        return False
    return re.search(rf"(?<![0-9a-z]){re.escape(phrase)}(?:e?s)?(?![0-9a-z])", text) is not None


def claimed_interest(claim) -> str:
    """The home interest a claim names: a mapping's ``interest``/``home``/``name``, or the
    text before a dash in "Welsh hymns — male voice choir"."""
    if isinstance(claim, Mapping):
        for key in ("interest", "home", "home_interest", "name", "label"):
            if claim.get(key):
                return str(claim[key])
        return ""
    return re.split(r"\s+[—–-]\s+|:\s+", str(claim), maxsplit=1)[0].strip()


def supported(claim, partner: Mapping, home_interests: Sequence[str],
              concepts: Mapping[str, Sequence[str]]) -> bool:
    """Whether the partner's own words (description and activities) back a claimed shared
    interest: the interest itself or a judge-listed term for it appears there."""
    name = claimed_interest(claim)
    text = join_text(partner.get("interests"), partner.get("description"))
    terms = [name]
    for interest in home_interests:
        if normalise(interest) == normalise(name):
            terms = [interest, *concepts.get(interest, ())]
            break
    return any(mentions(text, term) for term in terms)


# --------------------------------------------------------------------------------- rankings
@dataclass
class Suggestion:
    """One entry of a ranked list as the benchmark sees it."""

    key: str
    score: float
    distance_km: float
    claims: list = field(default_factory=list)
    reasons: list = field(default_factory=list)


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km (vectorised over numpy arrays)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(a))


def reachable(home: Mapping, partner: Mapping) -> bool:
    """Whether a partner is within the home's search radius and its own travel radius."""
    d = float(haversine_km(home["lat"], home["lon"], partner["lat"], partner["lon"]))
    return d <= min(float(home.get("search_radius_km") or 10.0),
                    float(partner.get("travel_radius_km") or 10.0))


def model_ranking(scenario: Scenario, taxonomy: Taxonomy | None = None) -> list[Suggestion]:
    """The production ranker's whole list for the home, fitted on the scenario's pool."""
    keys = {i: k for k, i in partner_ids(scenario).items()}
    ranker = Ranker(taxonomy=taxonomy).fit(to_partners(scenario))
    matches = ranker.rank(to_home(scenario), k=len(scenario.partners))
    out = []
    for m in matches:
        claims = list(getattr(m, "shared_interests", None) or ())
        if not claims:  # a model that states its interests only as a reason
            for r in m.reasons:
                if getattr(r, "code", None) == "shared_interests":
                    claims = list(r.params.get("interests") or ())
        out.append(Suggestion(keys[m.partner_id], float(m.score), float(m.distance_km),
                              claims, [r.to_dict() for r in m.reasons]))
    return out


def baseline_ranking(scenario: Scenario) -> list[Suggestion]:
    """Plain TF-IDF cosine of the home's interests with each partner's text, plus distance.

    Candidates obey the same hard limits as the product (within the home's search radius and
    the partner's travel radius, approved); the distance component is the model's ``1 - d/r``
    and the two are weighted with the model's default distance and interest weights. The
    claimed interests are the home's interests sharing a word with the partner's text.
    """
    home = scenario.home
    partners = [p for p in scenario.partners if p.get("status", "approved") == "approved"]
    if not partners:
        return []
    texts = [join_text(p.get("interests"), p.get("description")) for p in partners]
    home_text = " . ".join(home.get("interests") or ())
    vectoriser = TfidfVectorizer(stop_words="english")
    try:
        matrix = vectoriser.fit_transform(texts)
        query = vectoriser.transform([home_text])
        cosine = (matrix @ query.T).toarray().ravel()  # rows are l2-normalised
    except ValueError:  # nothing but stop words in the pool
        cosine = np.zeros(len(partners))
    analyse = vectoriser.build_analyzer()
    dist = haversine_km(home["lat"], home["lon"], np.array([p["lat"] for p in partners]),
                        np.array([p["lon"] for p in partners]))
    search = float(home.get("search_radius_km") or 10.0)
    w_d, w_i = DEFAULT_WEIGHTS["distance"], DEFAULT_WEIGHTS["interests"]
    out = []
    for p, text, d, cos in zip(partners, texts, dist.tolist(), cosine.tolist(), strict=True):
        radius = min(search, float(p.get("travel_radius_km") or 10.0))
        if d > radius:
            continue
        near = 1.0 - d / radius if radius > 0 else 0.0
        words = set(analyse(text))
        claims = [i for i in home.get("interests") or () if words & set(analyse(i))]
        out.append(Suggestion(p["key"], (w_d * near + w_i * cos) / (w_d + w_i), d, claims))
    out.sort(key=lambda s: (-s.score, s.distance_km, s.key))
    return out


# ------------------------------------------------------------------------------ evaluation
def evaluate_list(scenario: Scenario, ranked: Sequence[Suggestion], k: int = K) -> dict:
    """The figures of one ranked list for one scenario."""
    keys = [s.key for s in ranked]
    interests = scenario.home.get("interests") or ()
    claims = supported_n = 0
    for s in ranked[:k]:
        partner = scenario.partner(s.key)
        for claim in s.claims:
            claims += 1
            supported_n += supported(claim, partner, interests, scenario.concepts)
    return {
        "ndcg": ndcg_at_k(keys, scenario.grades, k),
        "top1": top1_agrees(keys, scenario.judged),
        "claims": claims,
        "supported": supported_n,
    }


def summarise(rows: Sequence[dict]) -> dict:
    """Mean NDCG, top-1 share and pooled reason precision over scenarios."""
    n = len(rows)
    claims = sum(r["claims"] for r in rows)
    return {
        "ndcg_at_5": sum(r["ndcg"] for r in rows) / n if n else 0.0,
        "top1_agreement": sum(r["top1"] for r in rows) / n if n else 0.0,
        # No claims at all: nothing untrue was said, but nothing either; count it as 0.
        "reason_precision": sum(r["supported"] for r in rows) / claims if claims else 0.0,
        "claims": claims,
        "scenarios": n,
    }


def evaluate(scenarios: Sequence[Scenario], k: int = K) -> dict:
    """Figures for the model and the baseline over all scenarios, with per-scenario rows."""
    taxonomy = Taxonomy.load()
    per = []
    for s in scenarios:
        model = evaluate_list(s, model_ranking(s, taxonomy), k)
        base = evaluate_list(s, baseline_ranking(s), k)
        per.append({"name": s.name, "nation": s.nation, "situations": list(s.situations),
                    "model": model, "baseline": base})
    tags = sorted({t for r in per for t in r["situations"]})
    by_situation = {}
    for tag in tags:
        rows = [r for r in per if tag in r["situations"]]
        by_situation[tag] = {side: summarise([r[side] for r in rows])
                             for side in ("model", "baseline")}
    return {
        "k": k,
        "model": summarise([r["model"] for r in per]),
        "baseline": summarise([r["baseline"] for r in per]),
        "nations": {n: sum(r["nation"] == n for r in per) for n in NATIONS},
        "by_situation": by_situation,
        "scenarios": per,
    }


# ---------------------------------------------------------------------------------- output
def table(result: dict) -> str:
    """The figures as a small plain-text table."""
    m, b = result["model"], result["baseline"]
    lines = [
        f"Match quality on {m['scenarios']} judged scenarios "
        f"({', '.join(f'{n} {c}' for n, c in result['nations'].items())})",
        "",
        f"{'figure':<22}{'model':>10}{'baseline':>10}",
        f"{'NDCG@' + str(result['k']):<22}{m['ndcg_at_5']:>10.3f}{b['ndcg_at_5']:>10.3f}",
        f"{'top-1 agreement':<22}{m['top1_agreement']:>10.3f}{b['top1_agreement']:>10.3f}",
        f"{'reason precision':<22}{m['reason_precision']:>10.3f}{b['reason_precision']:>10.3f}",
        f"{'  (claims on top ' + str(result['k']) + ')':<22}{m['claims']:>10}{b['claims']:>10}",
        "",
        "baseline: TF-IDF cosine of the home's interests with the partner's text + distance",
    ]
    return "\n".join(lines)


def situation_table(result: dict) -> str:
    """The three figures for each situation tag, model / baseline."""
    lines = [f"{'situation':<15}{'homes':>6}  {'NDCG@' + str(result['k']):>13}  "
             f"{'top-1':>13}  {'reason precision':>17}"]
    for tag, sides in result["by_situation"].items():
        m, b = sides["model"], sides["baseline"]
        lines.append(
            f"{tag:<15}{m['scenarios']:>6}  {m['ndcg_at_5']:>6.3f}/{b['ndcg_at_5']:<6.3f}  "
            f"{m['top1_agreement']:>6.3f}/{b['top1_agreement']:<6.3f}  "
            f"{m['reason_precision']:>8.3f}/{b['reason_precision']:<8.3f}")
    return "\n".join(lines)


def show_scenario(scenario: Scenario, k: int = K) -> str:
    """One scenario's lists (model and baseline) with grades, claims and their support."""
    interests = scenario.home.get("interests") or ()
    grades = scenario.grades
    out = [f"{scenario.name} ({scenario.nation}): {scenario.home.get('name')}",
           f"  interests: {', '.join(interests)}",
           "  judges: " + ", ".join(f"{key} ({g})" for key, g in scenario.judged)]
    if scenario.note:
        out.append(f"  note: {scenario.note}")
    for label, ranked in (("model", model_ranking(scenario)),
                          ("baseline", baseline_ranking(scenario))):
        figures = evaluate_list(scenario, ranked, k)
        out.append(f"\n{label}: NDCG@{k} {figures['ndcg']:.3f}, top-1 "
                   f"{'yes' if figures['top1'] else 'no'}, claims supported "
                   f"{figures['supported']}/{figures['claims']}")
        for rank, s in enumerate(ranked, start=1):
            partner = scenario.partner(s.key)
            marks = [(c if isinstance(c, str) else json.dumps(c, ensure_ascii=False))
                     + ("" if supported(c, partner, interests, scenario.concepts)
                        else " [UNSUPPORTED]") for c in s.claims]
            out.append(f"  {rank:>2}. {partner['name']} [{s.key}] grade {grades.get(s.key, 0)}, "
                       f"score {s.score:.3f}, {s.distance_km:.1f} km")
            if marks:
                out.append(f"      shares: {'; '.join(marks)}")
            for r in s.reasons:
                if r["code"] not in ("distance", "shared_interests"):
                    out.append(f"      {r['code']}: {json.dumps(r['params'], ensure_ascii=False)}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA_DIR,
                        help="folder of scenario files (default: data/evaluation)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--output", type=Path, help="also write the JSON figures to this file")
    parser.add_argument("--scenario", metavar="NAME",
                        help="print one scenario's lists with their reasons instead")
    parser.add_argument("--by-situation", action="store_true",
                        help="also print the figures for each situation (model/baseline)")
    args = parser.parse_args(argv)

    scenarios = load_scenarios(args.data)
    problems = validate(scenarios)
    if problems:
        print("The judged set is not valid:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    if args.scenario:
        chosen = [s for s in scenarios if s.name == args.scenario]
        if not chosen:
            print(f"No scenario named {args.scenario!r}; there are: "
                  + ", ".join(s.name for s in scenarios), file=sys.stderr)
            return 2
        print(show_scenario(chosen[0]))
        return 0
    result = evaluate(scenarios)
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(table(result))
        if args.by_situation:
            print("\n" + situation_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
