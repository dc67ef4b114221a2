"""``flask --app wsgi ...`` commands."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .domain.catalogue import CORRESPONDENCE_LANGUAGES
from .extensions import db
from .models import NATIONS, ROLES

# Modules that add their own commands: each has ``register(app)``.
EXTRA_COMMAND_MODULES: list[str] = [".cli_network", ".tasks"]


def register_commands(app: Flask) -> None:
    for command in (init_db, seed_demo, create_user, revoke_token, purge, geocode, regeocode,
                    build_postcode_index, build_ranking_index):
        app.cli.add_command(command)
    import importlib
    for name in EXTRA_COMMAND_MODULES:
        importlib.import_module(name, __package__).register(app)


def _index():
    from .runtime import postcode_index
    return postcode_index(current_app)


def upgrade_schema() -> None:
    """Create or upgrade the schema with the migrations (safe to repeat)."""
    from flask_migrate import upgrade
    upgrade()


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the database schema (safe to run twice)."""
    upgrade_schema()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("build-postcode-index")
@with_appcontext
def build_postcode_index():
    """Build the offline postcode index now (otherwise it is built on first use)."""
    index = _index()
    click.echo(f"Postcode index ready: {len(index):,} postcodes.")


@click.command("build-ranking-index")
@with_appcontext
def build_ranking_index():
    """Fit the ranker on the approved partners and save it for the workers to memory-map.

    Run it after a deployment, a bulk import, and nightly: a worker that finds no saved index
    (or one in an older format) must fit one itself, which takes about a minute at a million
    partners.
    """
    from .runtime import ranker_cache

    cache = ranker_cache(current_app)
    if cache.index_dir is None:
        raise click.ClickException("No RANKING_INDEX_DIR is configured, so there is nowhere "
                                   "to save the index.")
    started = time.perf_counter()
    cache.save(db.session)
    ranker = cache.ranker(db.session)
    click.echo(f"Ranking index saved in {cache.index_dir / 'current'}: "
               f"{ranker.n_partners_:,} partners in {time.perf_counter() - started:.1f} s.")


@click.command("seed-demo")
@click.option("--sign-ins", "sign_ins", type=click.Path(dir_okay=False),
              help="Also create the demo sign-ins (an admin, a coordinator per nation, staff of "
                   "one home) and write them, with their generated passwords, to this file.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True,
              help="Where the service answers, for the tour's address in the sign-ins file.")
@with_appcontext
def seed_demo(sign_ins, base_url):
    """Load the invented demo network: only what is missing, so running it again never
    duplicates a record nor undoes anyone's edits."""
    from .schemas import CareHomeInputSchema, GroupInputSchema
    from .services.demo import create_demo_sign_ins, load_demo

    counts = load_demo(db.session, _index(), CareHomeInputSchema(), GroupInputSchema(),
                       privacy_notice_version=current_app.config["PRIVACY_NOTICE_VERSION"])
    created, tour_home = create_demo_sign_ins(db.session) if sign_ins else ([], None)
    db.session.commit()
    click.echo("Demo data: {homes_created} homes created, {homes_kept} already there; "
               "{groups_created} groups created, {groups_kept} already there "
               "(kept as they are).".format(**counts))
    for reason in counts["homes_left_out"]:
        click.echo(f"Demo home left out: {reason}", err=True)
    if sign_ins:
        _write_sign_ins(Path(sign_ins), created, tour_home, base_url.rstrip("/"))


def _write_sign_ins(path: Path, created: list[dict], tour_home: int | None, base_url: str):
    """Write the new demo sign-ins (readable by this user only); keep an existing file when
    nothing new was created, since its passwords are the only copy."""
    if not created:
        state = f"are in {path}" if path.exists() else "exist already (passwords not kept)"
        click.echo(f"Demo sign-ins {state}.")
        return
    lines = ["Demo sign-ins, made by seed-demo for the invented demo data only:",
             "sign in at " + f"{base_url}/login", ""]
    width = max(len(a["email"]) for a in created)
    for account in created:
        scope = account.get("nation") or ("care home " + str(account["care_home_id"])
                                          if account.get("care_home_id") else "everything")
        lines.append(f"  {account['email']:<{width}}  {account['password']}  "
                     f"({account['role'].replace('_', '-')}, {scope})")
    if tour_home is not None:
        lines += ["", "A first look: sign in as the Plas Eryri staff (Caernarfon, Welsh-speaking "
                  "residents) and open", f"  {base_url}/care-homes/{tour_home}/partners"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    click.echo(f"Demo sign-ins written to {path}.")


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--nation", type=click.Choice(NATIONS), help="Required for coordinators.")
@click.option("--care-home", "care_home", type=int, help="Required for care-home staff.")
@click.option("--password", help="Set the password here (scripts and tests). Without it the "
              "user is emailed an invitation to set their own.")
@click.option("--language", type=click.Choice(CORRESPONDENCE_LANGUAGES), default="en",
              show_default=True,
              help="The language Kith writes to the user in (the invitation included).")
@with_appcontext
def create_user(email, role, nation, care_home, password, language):
    """Create a user, email an invitation to set a password (unless --password is given),
    and print an API token (the last word of the last line)."""
    import datetime as dt

    from .services import accounts, passwords
    from .services.errors import InvalidInput
    from .services.uow import unit_of_work

    ttl = dt.timedelta(days=current_app.config["INVITATION_TTL_DAYS"])
    try:
        with unit_of_work(db.session):
            user = accounts.create_user(db.session, email, role, nation=nation,
                                        care_home_id=care_home, password=password,
                                        preferred_language=language)
            if not password:
                passwords.invite(db.session, current_app.config["SECRET_KEY"] or "", user,
                                 ttl=ttl)
            token = accounts.issue_token(db.session, user,
                                         current_app.config["API_TOKEN_TTL_DAYS"])
    except InvalidInput as exc:
        for field, messages in exc.errors.items():
            for message in messages:
                click.echo(f"Error ({field}): {message}", err=True)
        raise SystemExit(1) from None
    click.echo(f"Created {role} {user.email} (id {user.id}).")
    if not password:
        click.echo(f"Invitation emailed to {user.email}: its link to set a password works "
                   f"once, for {passwords.valid_for(ttl)}.")
    click.echo("Keep this API token safe; it will not be shown again.")
    click.echo(f"API token: {token}")


@click.command("revoke-token")
@click.option("--email", help="Revoke every token of this user.")
@click.option("--token", help="Revoke this token.")
@with_appcontext
def revoke_token(email, token):
    """Revoke an API token, or all of a user's tokens."""
    from .services import accounts
    from .services.errors import ServiceError

    try:
        count = accounts.revoke_tokens(db.session, email=email, token=token)
    except ServiceError as exc:
        for message in [m for ms in (exc.errors or {}).values() for m in ms] or [exc.message]:
            click.echo(f"Error: {message}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"Revoked {count} token{'s' if count != 1 else ''}.")


@click.command("purge")
@click.option("--days", type=click.IntRange(min=0),
              help="Purge registrations older than this (default: PURGE_PENDING_AFTER_DAYS).")
@click.option("--audit-days", type=click.IntRange(min=0),
              help="Delete audit entries older than this (default: AUDIT_RETENTION_DAYS).")
@click.option("--dry-run", is_flag=True, help="Count what would be purged; change nothing.")
@with_appcontext
def purge(days, audit_days, dry_run):
    """Delete registrations never approved (pending or rejected) after the set number of days,
    with their introductions, and audit entries past their retention period."""
    from .cli_network import _actor
    from .services import privacy
    from .services.uow import unit_of_work

    days = current_app.config["PURGE_PENDING_AFTER_DAYS"] if days is None else days
    audit_days = (current_app.config["AUDIT_RETENTION_DAYS"] if audit_days is None
                  else audit_days)
    with unit_of_work(db.session) as work:
        done = privacy.purge_expired(db.session, pending_days=days, audit_days=audit_days,
                                     actor=_actor(), dry_run=dry_run)
        if dry_run:
            work.discard()
    result, entries, audit_cutoff = done.registrations, done.audit_entries, done.audit_cutoff
    statuses = ", ".join(f"{count} {status}" for status, count in sorted(result.by_status.items()))
    verb = "Would purge" if dry_run else "Purged"
    click.echo(f"{verb} {result.groups} registration{'s' if result.groups != 1 else ''}"
               f"{f' ({statuses})' if statuses else ''} created before "
               f"{result.cutoff:%Y-%m-%d %H:%M} UTC, and {result.introductions} "
               f"introduction{'s' if result.introductions != 1 else ''}.")
    click.echo(f"{verb} {entries} audit entr{'ies' if entries != 1 else 'y'} written before "
               f"{audit_cutoff:%Y-%m-%d %H:%M} UTC.")


@click.command("geocode")
@click.argument("postcodes", nargs=-1, required=True)
@with_appcontext
def geocode(postcodes):
    """Print where each postcode is, from the offline index."""
    from .domain.geocoding import GeocodingError

    index = _index()
    failed = False
    for text in postcodes:
        try:
            r = index.lookup(text)
        except GeocodingError as exc:
            failed = True
            click.echo(f"{text}: {exc}")
            continue
        click.echo(f"{r.postcode}\t{r.lat:.6f}\t{r.lon:.6f}\t{r.precision}\t{r.nation}\t"
                   f"{r.local_authority_code}\t{r.local_authority_name}")
    if failed:
        raise SystemExit(1)


@click.command("regeocode")
@with_appcontext
def regeocode():
    """Geocode every home and group again, e.g. after a new postcode directory."""
    from .services.geocoding import regeocode_all

    counts = regeocode_all(db.session, _index())
    db.session.commit()
    click.echo(f"Re-geocoded {counts['homes']} homes and {counts['groups']} groups; "
               f"{counts['moved']} moved, {counts['failed']} could not be placed.")
