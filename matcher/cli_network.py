"""Coordinators' network commands: ``match-list``, ``allocate`` and ``import ...``.

``flask --app wsgi import care-homes FILE [--format auto|cqc|care-inspectorate|ciw|rqia|csv]
[--partial] [--dry-run]``, ``import groups FILE`` and ``import oruk FILE`` load files in one
transaction: all or nothing, unless ``--skip-invalid``. They end with a report of rows
created, updated and rejected (with row numbers and reasons) and exit with status 1 when rows
were rejected and nothing was written, or when the file cannot be read at all.
``import reviews`` lists the homes a register import could not tell apart from an existing
one, and ``import confirm REVIEW same|different`` settles each.
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


class _Progress:
    """Rows read and rows per second on standard error, with a bar when the total is known.

    Shown only on a terminal (or when asked for): a log or a pipe gets the final report alone.
    """

    WIDTH = 30

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.started = time.perf_counter()
        self.shown = 0.0
        self.any = False

    def __call__(self, done: int) -> None:
        now = time.perf_counter()
        if now - self.shown < 0.2 and (self.total is None or done < self.total):
            return
        self.shown, self.any = now, True
        rate = done / max(now - self.started, 1e-6)
        text = f"{done:,} rows, {rate:,.0f} rows/s"
        if self.total:
            share = min(done / self.total, 1.0)
            filled = round(share * self.WIDTH)
            text = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%} " + text
        click.echo(f"\r{text}", err=True, nl=False)

    def close(self) -> None:
        if self.any:
            click.echo(err=True)


def _rows_in(path: str) -> int | None:
    """The number of data rows, roughly, read quickly: a CSV file's lines less one, an XLSX
    file's largest sheet as its workbook records it; None for ODS (known only once read)."""
    with open(path, "rb") as stream:
        if not stream.read(4).startswith(b"PK"):
            stream.seek(0)
            lines = sum(chunk.count(b"\n")
                        for chunk in iter(lambda: stream.read(1 << 20), b""))
            return max(lines - 1, 1)
    try:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        try:
            rows = max((sheet.max_row or 0 for sheet in book.worksheets), default=0)
        finally:
            book.close()
    except Exception:  # noqa: BLE001  (not an XLSX, or a damaged one: the import will say)
        return None
    return max(rows - 1, 1) if rows else None


def _progress_for(path: str, wanted: bool) -> _Progress | None:
    if not (wanted or sys.stderr.isatty()):
        return None
    return _Progress(_rows_in(path))


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
    except ValueError as error:  # an explicit --format the file does not have
        click.echo(f"Error: {error}", err=True)
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
@click.option("--format", "fmt", type=click.Choice(("auto", *FORMATS)), default="auto",
              show_default=True, help="The directory's layout; auto recognises it.")
@click.option("--partial", is_flag=True,
              help="The file is part of a register: deregister no home missing from it.")
@click.option("--dry-run", is_flag=True,
              help="Report what would be created, updated, continued and deregistered; "
                   "write nothing.")
@click.option("--progress", "show_progress", is_flag=True,
              help="Show progress even when standard error is not a terminal.")
@_skip
@_max_mb
@with_appcontext
def import_care_homes(file, fmt, partial, dry_run, show_progress, skip_invalid, max_mb):
    """Import a regulator's care-home register (CQC, Care Inspectorate, CIW, RQIA) or our
    CSV. A regulator's file is taken as its full register: homes of that regulator missing
    from it are marked deregistered (not with --partial)."""
    from .schemas import CareHomeInputSchema
    from .services.imports import import_care_homes as run

    progress = _progress_for(file, show_progress)

    def work():
        try:
            return run(db.session, _index(), file, fmt, CareHomeInputSchema(), _actor(),
                       skip_invalid=skip_invalid, max_bytes=max_mb * _MB,
                       full_register=not partial, dry_run=dry_run, progress=progress)
        finally:
            if progress is not None:
                progress.close()

    _run_import(work, skip_invalid)


@import_group.command("reviews")
@with_appcontext
def import_reviews():
    """List the register rows that may continue an existing home, waiting to be confirmed."""
    from .services.import_reviews import pending_reviews

    reviews = pending_reviews(db.session)
    if not reviews:
        click.echo("No imported homes are waiting to be confirmed.")
        return
    for review in reviews:
        click.echo(review)


@import_group.command("confirm")
@click.argument("review_id", type=int)
@click.argument("answer", type=click.Choice(["same", "different"]))
@with_appcontext
def import_confirm(review_id, answer):
    """Settle a review: SAME updates the existing home (it keeps its id), DIFFERENT adds the
    row as a new home."""
    from .services.errors import ServiceError
    from .services.import_reviews import confirm
    from .services.uow import unit_of_work

    try:
        with unit_of_work(db.session):
            message = confirm(db.session, review_id, answer == "same", _actor())
    except ServiceError as error:
        click.echo(f"Error: {error}", err=True)
        raise SystemExit(1) from None
    click.echo(message)


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
