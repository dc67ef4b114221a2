"""Background tasks on huey: sending the outbox, re-queueing what was missed, the daily digest
and the daily purge of data kept past its time.

Each app has its own huey instance (``app.extensions["kith.huey"]``) and its own tasks
(``["kith.tasks"]``), as ``create_app`` is re-entrant: a SQLite file under ``instance/`` by
default, Redis with ``TASKS_URL=redis://...`` in production, in-process and immediate with
``TASKS_IMMEDIATE`` (tests). ``flask --app wsgi worker`` runs the consumer and its periodic
scheduler.

Messages reach the queue only after the unit of work that recorded them commits: a listener
on every SQLAlchemy session's ``after_commit`` hands the ids that
``services.notifications.queue_email`` noted to the send task. If that fails (the queue is
down), the message stays ``queued`` and the periodic task picks it up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from .services import notifications, privacy
from .services.uow import unit_of_work

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tasks:
    """One app's tasks (huey task wrappers: call to enqueue, ``.schedule`` to delay)."""

    huey: Huey
    send_email: Any
    requeue_due: Any
    coordinator_digest: Any
    purge_expired: Any
    send_reminders: Any


def _make_huey(app: Flask) -> Huey:
    immediate = app.config["TASKS_IMMEDIATE"]
    if immediate is None:
        immediate = bool(app.config["TESTING"])
    url = app.config["TASKS_URL"]
    common = {"name": app.config["RATELIMIT_KEY_PREFIX"] or "kith", "results": False,
              "utc": True}
    if immediate:
        return MemoryHuey(immediate=True, **common)
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        import redis

        # A Redis that has gone away must not hold a request for long: queuing then fails
        # fast and the message waits in the outbox for the periodic task. (The consumer's
        # blocking reads last read_timeout=1 s, well within the socket timeout.)
        pool = redis.ConnectionPool.from_url(url, socket_connect_timeout=1, socket_timeout=5)
        return RedisHuey(connection_pool=pool, **common)
    if url and url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
    else:  # no TASKS_URL (check_config refused any other kind)
        path = Path(app.config["INSTANCE_DIR"]) / "tasks.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(filename=str(path), **common)


def tasks_for(app: Flask) -> Tasks:
    """This app's huey instance and tasks, made on first use."""
    tasks = app.extensions.get("kith.tasks")
    if tasks is None:
        tasks = _register(app, _make_huey(app))
        app.extensions["kith.tasks"] = tasks
        app.extensions["kith.huey"] = tasks.huey
    return tasks


def _in_app(app: Flask, function, *args):
    if has_app_context() and current_app._get_current_object() is app:
        return function(*args)
    with app.app_context():
        return function(*args)


def new_session() -> Session:
    """A session of its own for a task: a task may run inside another session's commit (in
    immediate mode), where that session cannot be used."""
    from .extensions import db
    return db.session.session_factory()


def _register(app: Flask, huey: Huey) -> Tasks:
    @huey.task(name="send_email")
    def send_email(message_id: int) -> str:
        return _in_app(app, deliver, app, message_id)

    @huey.periodic_task(crontab(minute="*"), name="requeue_due_email")
    def requeue_due() -> int:
        return _in_app(app, requeue, app)

    @huey.periodic_task(crontab(minute="0", hour=str(app.config["MAIL_DIGEST_HOUR"])),
                        name="coordinator_digest")
    def coordinator_digest() -> int:
        return _in_app(app, queue_digests)

    @huey.periodic_task(crontab(minute="30", hour="3"), name="purge_expired")
    def purge_expired() -> int:
        return _in_app(app, purge_expired_data, app)

    @huey.periodic_task(crontab(minute=f"*/{app.config['REMINDERS_EVERY_MINUTES']}"),
                        name="send_reminders")
    def send_reminders() -> dict:
        return _in_app(app, queue_reminders)

    return Tasks(huey=huey, send_email=send_email, requeue_due=requeue_due,
                 coordinator_digest=coordinator_digest, purge_expired=purge_expired,
                 send_reminders=send_reminders)


def deliver(app: Flask, message_id: int) -> str:
    """Send one outbox message if it is still queued; on failure, schedule a retry with
    back-off. Never raises for a delivery problem: the outbox row records it."""
    from .mail import render_message, send_message

    session = new_session()
    try:
        message = notifications.claim(session, message_id)
        if message is None:
            return "skipped"  # sent, being sent, cancelled or unknown: nothing to do
        reason = notifications.still_wanted(session, message)
        if reason:
            notifications.mark_cancelled(session, message, reason)
            return "cancelled"
        try:
            email = render_message(app, message)
        except Exception as exc:  # a broken template will not mend itself: no retries
            log.exception("Could not render email %s (%s)", message.id, message.template)
            notifications.mark_failed_attempt(
                session, message, f"Could not render the message: {exc}",
                max_attempts=message.attempts, first_delay_seconds=0)
            return "failed"
        try:
            send_message(app, email)
        except Exception as exc:
            delay = notifications.mark_failed_attempt(
                session, message, f"{type(exc).__name__}: {exc}",
                max_attempts=app.config["MAIL_MAX_ATTEMPTS"],
                first_delay_seconds=app.config["MAIL_RETRY_SECONDS"])
            log.warning("Email %s not delivered (attempt %s): %s", message_id,
                        message.attempts, exc)
            if delay is not None:
                _schedule_retry(app, message_id, delay.total_seconds())
                return "retry"
            return "failed"
        notifications.mark_sent(session, message, str(email.subject))
        return "sent"
    finally:
        session.close()


def _schedule_retry(app: Flask, message_id: int, seconds: float) -> None:
    try:
        tasks_for(app).send_email.schedule((message_id,), delay=seconds)
    except Exception:  # the periodic task re-queues it when its time comes
        log.exception("Could not schedule the retry of email %s", message_id)


def enqueue(app: Flask, message_ids: list[int]) -> None:
    """Hand messages to the queue; a failure leaves them queued for the periodic task."""
    for message_id in message_ids:
        try:
            tasks_for(app).send_email(message_id)
        except Exception:
            log.exception("Could not queue email %s; the periodic task will retry", message_id)


def requeue(app: Flask) -> int:
    """The periodic safety net: queue again the messages whose task was lost or is due."""
    session = new_session()
    try:
        ids = notifications.due_messages(session)
    finally:
        session.close()
    enqueue(app, ids)
    return len(ids)


def queue_digests() -> int:
    """The coordinators' daily digest of registrations waiting."""
    session = new_session()
    try:
        with unit_of_work(session):
            return notifications.queue_coordinator_digests(session)
    finally:
        session.close()


def queue_reminders(now=None) -> dict:
    """Visit reminders, feedback requests and safeguarding notices that are due (each sent
    once, however often this runs)."""
    from .services import reminders
    session = new_session()
    try:
        with unit_of_work(session):
            return reminders.send_due(session, now)
    finally:
        session.close()


def purge_expired_data(app: Flask) -> int:
    """The daily purge (as ``flask purge`` does): registrations never approved, audit
    entries past ``AUDIT_RETENTION_DAYS`` and stale failed sign-ins; returns how many
    registrations and audit entries went."""
    session = new_session()
    try:
        with unit_of_work(session):
            done = privacy.purge_expired(
                session, pending_days=app.config["PURGE_PENDING_AFTER_DAYS"],
                audit_days=app.config["AUDIT_RETENTION_DAYS"])
        log.info("Daily purge: %d registrations, %d audit entries, %d failed sign-ins",
                 done.registrations.groups, done.audit_entries, done.sign_in_failures)
        return done.registrations.groups + done.audit_entries
    finally:
        session.close()


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    # SQLAlchemy fires after_commit for a savepoint's release too; only the real end of the
    # unit of work makes its messages visible to the task.
    root = session.get_transaction()
    if root is not None and root.is_active:
        return
    ids = notifications.take_pending(session)
    if not ids:
        return
    if not has_app_context():
        log.warning("%d emails queued outside an app; the periodic task will send them",
                    len(ids))
        return
    enqueue(current_app._get_current_object(), ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        notifications.drop_pending(session)


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="threads running tasks")
def worker(workers: int) -> None:
    """Run the task consumer with its periodic scheduler (sending email, the daily digest)."""
    app = current_app._get_current_object()
    tasks = tasks_for(app)
    if isinstance(tasks.huey, MemoryHuey):
        raise click.ClickException("TASKS_IMMEDIATE is on: tasks run in the web process, "
                                   "there is nothing for a worker to do.")
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    consumer = tasks.huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()


@click.command("send-reminders")
@click.option("--now", "now", default=None, metavar="ISO-DATETIME",
              help="act as if it were this time (UK time when it has no offset)")
def send_reminders_command(now: str | None) -> None:
    """Queue the visit reminders, feedback requests and safeguarding notices due now."""
    import datetime as dt

    from .domain.visits import local
    moment = None
    if now:
        try:
            moment = local(dt.datetime.fromisoformat(now))
        except ValueError:
            raise click.BadParameter("Give a time such as 2027-01-14T09:00 or "
                                     "2027-01-14T09:00:00+00:00.", param_hint="--now") from None
    counts = queue_reminders(moment)
    click.echo(", ".join(f"{name}: {number}" for name, number in counts.items()))


def register(app: Flask) -> None:
    """Add the ``worker`` command."""
    app.cli.add_command(worker)
    app.cli.add_command(send_reminders_command)
