"""Send many public registrations at once to a running Kith, as browsers would.

    python scripts/load_registrations.py http://127.0.0.1:8000 --count 200 --concurrency 25 \\
        [--duplicates 20] [--prefix "Load test"]

Each client thread keeps its own cookie session: it fetches ``/register`` once for a CSRF
token, then posts complete forms, each with a fresh idempotency key. ``--duplicates`` forms
are also posted twice at the same moment by two different clients with the same key, as a
double click or a retry would. Prints one line per outcome and a summary; the exit status is
1 if any answer was neither the redirect to the confirmation page nor a 503. Needs the rate
limit for registrations switched off (``RATELIMIT_ENABLED=0``) or set high.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

POSTCODES = ("LL55 4EL", "W5 2NU", "EH1 1YZ", "BT1 5GS", "CF10 1EP", "M1 1AE", "B33 8TH")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_for(name: str, key: str, n: int = 0) -> dict:
    """A complete, valid registration form."""
    return {
        "idempotency_key": key,
        "name": name,
        "kind": "choir",
        "description": "We sing hymns and folk songs and stay for a cup of tea.",
        "interests": "singing\nhymns",
        "languages": "Welsh, English",
        "postcode": POSTCODES[n % len(POSTCODES)],
        "travel_radius_km": "15",
        "availability": ["mon_am", "thu_pm"],
        "capacity_per_month": "2",
        "works_with_children": "no",
        "contact_name": "Load Test",
        "contact_email": f"load-{key[:8]}@example.org",
        "consent": "yes",
    }


@dataclass
class Outcome:
    """What one submission got back."""

    key: str
    name: str
    status: int | None
    location: str = ""
    retry_after: str | None = None
    seconds: float = 0.0
    error: str = ""
    started: float = 0.0
    body: str = ""

    @property
    def accepted(self) -> bool:
        """Redirected to the confirmation page: the registration is stored."""
        return self.status == 303 and self.location.endswith("/register/done")


@dataclass
class Client:
    """One browser: a cookie session with its CSRF token."""

    base_url: str
    timeout: float = 30.0
    session: requests.Session = field(default_factory=requests.Session)
    token: str | None = None

    def fetch_token(self) -> str:
        response = self.session.get(f"{self.base_url}/register", timeout=self.timeout)
        response.raise_for_status()
        match = _TOKEN.search(response.text)
        if not match:
            raise RuntimeError("the registration page carries no CSRF token")
        self.token = match.group(1)
        return self.token

    def submit(self, form: dict) -> Outcome:
        if self.token is None:
            self.fetch_token()
        started = time.monotonic()
        outcome = Outcome(key=form["idempotency_key"], name=form["name"], status=None,
                          started=started)
        try:
            response = self.session.post(f"{self.base_url}/register",
                                         data={**form, "csrf_token": self.token},
                                         allow_redirects=False, timeout=self.timeout)
        except requests.RequestException as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"
        else:
            outcome.status = response.status_code
            outcome.location = response.headers.get("Location", "")
            outcome.retry_after = response.headers.get("Retry-After")
            if response.status_code not in (303, 503):
                outcome.body = response.text[:2000]  # what went wrong, for the report
        outcome.seconds = time.monotonic() - started
        return outcome


def submit_all(base_url: str, forms: Iterable[dict], concurrency: int,
               keep_going: Callable[[], bool] | None = None) -> list[Outcome]:
    """Post ``forms`` from ``concurrency`` clients at once (one cookie session each)."""
    forms = list(forms)
    local = threading.local()
    lock = threading.Lock()
    outcomes: list[Outcome] = []

    def one(form: dict) -> None:
        if keep_going is not None and not keep_going():
            return
        if not hasattr(local, "client"):
            local.client = Client(base_url)
        outcome = local.client.submit(form)
        with lock:
            outcomes.append(outcome)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, forms))
    return outcomes


def submit_twice_at_once(base_url: str, forms: Iterable[dict],
                         concurrency: int = 10) -> list[tuple[Outcome, Outcome]]:
    """Post each form twice at the same moment from two clients (same idempotency key)."""

    def pair(form: dict) -> tuple[Outcome, Outcome]:
        clients = [Client(base_url), Client(base_url)]
        for client in clients:
            client.fetch_token()
        barrier = threading.Barrier(2)
        results: list[Outcome | None] = [None, None]

        def fire(i: int) -> None:
            barrier.wait()
            results[i] = clients[i].submit(form)

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results[0], results[1]

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(pair, list(forms)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--duplicates", type=int, default=0)
    parser.add_argument("--prefix", default="Load test")
    args = parser.parse_args(argv)
    base_url = args.base_url.rstrip("/")
    run = uuid.uuid4().hex[:6]
    forms = [form_for(f"{args.prefix} {run} {i}", str(uuid.uuid4()), i)
             for i in range(args.count)]
    started = time.monotonic()
    outcomes = submit_all(base_url, forms, args.concurrency)
    pairs = submit_twice_at_once(
        base_url, [form_for(f"{args.prefix} {run} twice {i}", str(uuid.uuid4()), i)
                   for i in range(args.duplicates)])
    elapsed = time.monotonic() - started
    everything = outcomes + [o for pair in pairs for o in pair]
    summary = Counter("accepted" if o.accepted else (o.status or o.error.split(":")[0])
                      for o in everything)
    slowest = max((o.seconds for o in everything), default=0.0)
    print(f"{len(everything)} submissions in {elapsed:.1f} s "
          f"({len(everything) / max(elapsed, 1e-9):.0f}/s), slowest {slowest:.2f} s: "
          + ", ".join(f"{k}: {v}" for k, v in sorted(summary.items(), key=str)))
    unexpected = [o for o in everything if not o.accepted and o.status != 503]
    for o in unexpected[:10]:
        print(f"  {o.name}: {o.status or o.error}", file=sys.stderr)
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
