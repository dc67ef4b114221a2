"""Coordinators' network commands: ``match-list``, ``allocate`` and ``import ...``.

``flask --app wsgi import care-homes FILE --format cqc|care-inspectorate|ciw|rqia|csv``,
``import groups FILE`` and ``import oruk FILE`` load files in one transaction: all or
nothing, unless ``--skip-invalid``. They end with a report of rows created, updated and
rejected (with row numbers and reasons) and exit with status 1 when rows were rejected and
nothing was written, or when the file cannot be read at all.
"""

from __future__ import annotations

import getpass
import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .directories import FORMATS
from .extensions import db
from .models import GROUP_KINDS, NATIONS

_MB = 1024 * 1024


def register(app: Flask) -> None:
    for command in (match_list, allocate, import_group):
        app.cli.add_command(command)


def _actor():
    from .services.audit import Actor

    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        who = "unknown"
    return Actor(f"cli:{who}"[:100])


def _index():
    from .runtime import postcode_index
    return postcode_index(current_app)


def _cache():
    from .runtime import ranker_cache
    return ranker_cache(current_app)


def _jobs() -> int:
    # The command line may fork for a batch (no request, no threads); the web never does.
    return int(current_app.config["RANKING_JOBS"])


def _kinds(value: str | None) -> list[str] | None:
    if not value:
        return None
    kinds = [k.strip() for k in value.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in GROUP_KINDS]
    if unknown:
        raise click.BadParameter(f"unknown kind {', '.join(unknown)}; use "
                                 f"{', '.join(GROUP_KINDS)}", param_hint="--kinds")
    return kinds


def _write(text: str, out: str | None) -> None:
    if not out or out == "-":
        sys.stdout.write(text)
        return
    Path(out).write_text(text, encoding="utf-8", newline="")


@click.command("match-list")
@click.option("--nation", type=click.Choice(NATIONS), help="Leave out for the whole network.")
@click.option("--local-authority", help="A local authority code, e.g. W06000002.")
@click.option("--kinds", help="Comma-separated partner kinds, e.g. choir,school.")
@click.option("--per-home", type=click.IntRange(1, 20), default=5, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True),
              help="Write the CSV here (default: standard output).")
@with_appcontext
def match_list(nation, local_authority, kinds, per_home, out):
    """Write the match list of a nation (or the network) as CSV."""
    from .services.match_lists import match_list_csv

    started = time.perf_counter()
    text = match_list_csv(db.session, _cache(), nation, local_authority=local_authority,
                          kinds=_kinds(kinds), per_home=per_home, n_jobs=_jobs())
    _write(text, out)
    if out and out != "-":
        rows = max(text.count("\r\n") - 1, 0)
        click.echo(f"Wrote {rows} rows to {out} in {time.perf_counter() - started:.1f} s.",
                   err=True)


@click.command("allocate")
@click.option("--nation", type=click.Choice(NATIONS), help="Leave out for the whole network.")
@click.option("--per-home", type=click.IntRange(1, 20), default=3, show_default=True)
@click.option("--kinds", help="Comma-separated partner kinds.")
@click.option("--strategy", type=click.Choice(["fair", "total"]), default="fair",
              show_default=True,
              help="fair: every reachable home gets one partner before any gets a second.")
@click.option("--max-homes-per-partner", type=click.IntRange(1, 100))
@click.option("--out", type=click.Path(dir_okay=False, writable=True),
              help="Also write the allocation as CSV here.")
@with_appcontext
def allocate(nation, per_home, kinds, strategy, max_homes_per_partner, out):
    """Compute and store the optimal allocation of partners to homes."""
    from .services.allocations import allocation_csv, create_allocation, homes_without_partner

    allocation = create_allocation(db.session, _cache(), _actor(), nation=nation,
                                   per_home=per_home, kinds=_kinds(kinds), strategy=strategy,
                                   max_homes_per_partner=max_homes_per_partner, n_jobs=_jobs())
    db.session.commit()
    if out:
        _write(allocation_csv(allocation), out)
    unserved = homes_without_partner(db.session, allocation)
    click.echo(f"Allocation {allocation.id} ({strategy}): {len(allocation.assignments)} links, "
               f"total score {allocation.total_score:.3f}; {unserved['count']} homes got "
               f"nobody ({unserved['no_partner_in_reach']} with no partner in reach, "
               f"{unserved['all_taken']} whose partners were all taken).")


@click.group("import")
def import_group():
    """Import care-home directories, groups or an Open Referral UK export."""


def _run_import(run, skip_invalid: bool) -> None:
    """Run one import in a transaction, print its report, and set the exit status."""
    from .directories import DirectoryFormatError
    from .services.uow import unit_of_work

    started = time.perf_counter()
    try:
        with unit_of_work(db.session) as work:
            report = run()
            if not report.written:
                work.discard()
    except DirectoryFormatError as error:
        click.echo(f"Error: the file cannot be imported: {error}", err=True)
        raise SystemExit(1) from None
    for line in report.lines():
        click.echo(line)
    click.echo(f"Finished in {time.perf_counter() - started:.1f} s.")
    if report.rejected_count and not report.written:
        raise SystemExit(1)


_skip = click.option("--skip-invalid", is_flag=True,
                     help="Import the good rows and report the bad ones.")
_max_mb = click.option("--max-mb", type=click.IntRange(1, 1024), default=100,
                       show_default=True, help="Refuse files larger than this.")
_file = click.argument("file", type=click.Path(exists=True, dir_okay=False))


@import_group.command("care-homes")
@_file
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="The directory's layout.")
@_skip
@_max_mb
@with_appcontext
def import_care_homes(file, fmt, skip_invalid, max_mb):
    """Import a regulator's care-home directory (CQC, Care Inspectorate, CIW, RQIA) or our
    CSV."""
    from .schemas import CareHomeInputSchema
    from .services.imports import import_care_homes as run

    _run_import(lambda: run(db.session, _index(), file, fmt, CareHomeInputSchema(), _actor(),
                            skip_invalid=skip_invalid, max_bytes=max_mb * _MB), skip_invalid)


@import_group.command("groups")
@_file
@_skip
@_max_mb
@with_appcontext
def import_groups(file, skip_invalid, max_mb):
    """Import community groups from CSV (columns in docs/csv-formats.md) as approved."""
    from .schemas import GroupInputSchema
    from .services.imports import import_groups as run

    _run_import(lambda: run(db.session, _index(), file, GroupInputSchema(), _actor(),
                            skip_invalid=skip_invalid, max_bytes=max_mb * _MB), skip_invalid)


@import_group.command("oruk")
@_file
@_skip
@_max_mb
@with_appcontext
def import_oruk(file, skip_invalid, max_mb):
    """Load an Open Referral UK JSON export as pending groups for review."""
    from .schemas import GroupInputSchema
    from .services.open_referral import import_oruk as run

    _run_import(lambda: run(db.session, _index(), file, GroupInputSchema(), _actor(),
                            skip_invalid=skip_invalid, max_bytes=max_mb * _MB), skip_invalid)
