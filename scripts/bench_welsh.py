"""Time pages in Welsh against the same pages in English, in the same run (#16 item 6).

    python scripts/bench_welsh.py --rounds 200

Builds a small network in a temporary SQLite database (a Caernarfon home whose residents
speak Welsh and English, 30 approved partners nearby so that its partners page lists 20
matches, a few pending registrations and introductions), signs a coordinator in, then renders
three pages through the app: the home's partners page (20 cards with reasons), the
coordinator dashboard and the public registration form. Each round renders every page once
in English and once in Welsh, alternating which goes first, so that both see the same caches
and machine load. Prints p50 and p95 per page and language and the Welsh/English ratio of
the medians (the target: Welsh within 10% of English).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _benchlib import make_app  # noqa: E402

PASSWORD = "mainc mesur cymraeg"  # noqa: S105 - a throwaway account in a temporary database
POSTCODES = ("LL55 4EL", "LL55 1AB", "LL55 2BD", "LL55 4UR", "LL55 1SH", "LL54 5DN")
KINDS = ("choir", "school", "knitting_club", "pet_walkers", "volunteer", "arts_group")


def build(app) -> dict[str, str]:
    """The network, a signed-in coordinator's credentials and the pages' paths."""
    from matcher.extensions import db
    from matcher.runtime import postcode_index
    from matcher.schemas import CareHomeInputSchema, GroupInputSchema
    from matcher.services import accounts, introductions, records
    from matcher.services.audit import SYSTEM

    with app.app_context():
        db.create_all()
        index = postcode_index(app)
        home = records.create_home(db.session, index, CareHomeInputSchema().load({
            "name": "Bryn Awel", "postcode": "LL55 4UR", "residents": 54,
            "interests": ["canu", "emynau", "garddio", "cŵn", "gwau"],
            "languages": [{"language": "Welsh", "residents": 24},
                          {"language": "English", "residents": 54},
                          {"language": "Polish", "residents": 3}],
            "visiting_status": "open", "search_radius_km": 20}), SYSTEM)
        groups = []
        for number in range(36):
            status = "pending" if number >= 30 else "approved"
            data = GroupInputSchema().load({
                "name": f"Grŵp {number + 1}", "kind": KINDS[number % len(KINDS)],
                "description": "Rydym yn ymweld â chartrefi gofal i ganu ac i sgwrsio.",
                "interests": ["canu", "emynau"] if number % 2 else ["gwau", "cŵn"],
                "languages": ["Cymraeg", "Saesneg"] if number % 3 else ["Pwyleg"],
                "postcode": POSTCODES[number % len(POSTCODES)], "travel_radius_km": 25,
                "capacity_per_month": 4, "availability": ["sat_pm", "tue_am", "thu_pm"],
                "offers_remote": bool(number % 4), "remote_modes": ["video", "letters"],
                "contact": {"name": "Cyswllt", "email": f"grwp{number}@enghraifft.cymru"},
                "consent": True})
            group, _, _ = records.create_group(db.session, index, data, SYSTEM, status=status,
                                               source="api", privacy_notice_version="bench")
            groups.append(group)
        for group in groups[:5]:
            introductions.create_introduction(db.session, home, group, SYSTEM,
                                              status="requested")
        user = accounts.create_user(db.session, "cydlynydd@enghraifft.cymru", "coordinator",
                                    nation="wales", password=PASSWORD)
        db.session.commit()
        return {"email": user.email, "partners": f"/care-homes/{home.id}/partners",
                "dashboard": "/coordinator", "register": "/register"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--warm-up", type=int, default=10)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{os.path.join(folder, 'bench.db')}"
        app = make_app(url, WTF_CSRF_ENABLED=False, TESTING=True, TASKS_IMMEDIATE=True,
                       MAIL_SERVER=None)
        paths = build(app)
        client = app.test_client()
        signed_in = client.post("/login", data={"email": paths["email"],
                                                "password": PASSWORD})
        assert signed_in.status_code in (302, 303), signed_in.status_code
        pages = {name: paths[name] for name in ("partners", "dashboard", "register")}
        times: dict[tuple[str, str], list[float]] = {
            (name, lang): [] for name in pages for lang in ("en", "cy")}
        for round_number in range(args.warm_up + args.rounds):
            order = ("en", "cy") if round_number % 2 else ("cy", "en")
            for name, path in pages.items():
                for lang in order:
                    started = time.perf_counter()
                    response = client.get(f"{path}?lang={lang}")
                    elapsed = time.perf_counter() - started
                    body = response.get_data(as_text=True)
                    assert response.status_code == 200, (path, response.status_code)
                    assert f'<html lang="{"cy" if lang == "cy" else "en-GB"}"' in body
                    if name == "partners":
                        assert body.count('class="kith-match"') == 20, "20 cards expected"
                    if round_number >= args.warm_up:
                        times[(name, lang)].append(elapsed * 1000)

    print(f"{args.rounds} rounds (after {args.warm_up} to warm up); milliseconds per page")
    print(f"{'page':<12}{'en p50':>9}{'en p95':>9}{'cy p50':>9}{'cy p95':>9}{'cy/en':>8}")
    worst = 0.0
    for name in pages:
        en, cy = times[(name, "en")], times[(name, "cy")]
        ratio = statistics.median(cy) / statistics.median(en)
        worst = max(worst, ratio)
        print(f"{name:<12}{statistics.median(en):>9.2f}{percentile(en, 0.95):>9.2f}"
              f"{statistics.median(cy):>9.2f}{percentile(cy, 0.95):>9.2f}{ratio:>8.3f}")
    print(f"worst ratio of medians: {worst:.3f} (target: at most 1.10)")
    return 0 if worst <= 1.10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
