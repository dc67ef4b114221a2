"""Email through a real SMTP server on loopback: registration messages, retries after an
outage, the daily digest, header injection, withdrawal, and the Redis task queue."""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid

import pytest
from sqlalchemy import select

from matcher import tasks
from matcher.models import AuditLog, CommunityGroup, OutboxMessage
from matcher.services import accounts, notifications, privacy, records
from matcher.services.audit import SYSTEM
from matcher.services.uow import unit_of_work

LINK = re.compile(r"https?://[^\s\"<>]+/groups/edit/[A-Za-z0-9_-]+")


def _register(app, db, *, name="Côr Llanberis", email="dafydd@example.org",
              contact="Dafydd Example", phone="01632 960001", postcode="LL55 4EL"):
    """A registration from the public form, through the same service the page calls."""
    from matcher.runtime import postcode_index
    from matcher.schemas import GroupInputSchema

    data = GroupInputSchema().load({
        "name": name, "kind": "choir", "description": "We sing hymns with older people.",
        "interests": ["singing"], "languages": ["Welsh"], "postcode": postcode,
        "travel_radius_km": 20, "capacity_per_month": 2,
        "contact": {"name": contact, "email": email, "phone": phone}, "consent": True})
    with unit_of_work(db.session):
        group, token, _ = records.register_group(
            db.session, postcode_index(app), data, privacy_notice_version="test",
            idempotency_key=str(uuid.uuid4()), secret=app.config["SECRET_KEY"])
    return group, token


def _rows(db, **where):
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for key, value in where.items():
        query = query.where(getattr(OutboxMessage, key) == value)
    return list(db.session.scalars(query))


def _parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def _everything(message) -> str:
    """Headers and both parts, decoded: what a reader of the message could see."""
    text, html = _parts(message)
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    return f"{headers}\n{text}\n{html}"


def test_registration_received_goes_to_the_groups_contact_with_its_working_edit_link(
        app, db, smtp_server):
    group, token = _register(app, db)
    [message] = smtp_server.messages()
    assert smtp_server.received[0]["to"] == ["dafydd@example.org"]
    assert message["To"] == "Dafydd Example <dafydd@example.org>"
    assert message["Subject"].strip() == "Kith: we have received the registration of Côr Llanberis"
    assert message.get_content_type() == "multipart/alternative"
    text, html = _parts(message)
    assert f"/groups/edit/{token}" in text and f"/groups/edit/{token}" in html
    assert "Hello Dafydd Example" in text
    assert "because your group registered with Kith" in text and "registered with Kith" in html
    # The link in the email opens the group's private page.
    path = LINK.search(text).group(0).split("localhost", 1)[1]
    assert app.test_client().get(path).status_code == 200
    [row] = _rows(db, about_id=group.id)
    assert (row.status, row.attempts, row.template) == ("sent", 1, "registration_received")


def test_each_message_sent_is_audited_with_role_and_template_but_no_body(app, db,
                                                                         smtp_server):
    group, token = _register(app, db)
    [row] = _rows(db, about_id=group.id)
    entry = db.session.scalar(select(AuditLog).where(
        AuditLog.entity_type == "outbox_messages", AuditLog.entity_id == row.id))
    assert entry.action == "email"
    assert entry.changes["template"] == "registration_received"
    assert entry.changes["recipient_role"] == "group"
    assert token not in str(entry.changes) and "dafydd@example.org" not in str(entry.changes)


def test_a_repeat_of_the_same_event_never_mails_the_same_person_twice(app, db, smtp_server):
    group, token = _register(app, db)
    with unit_of_work(db.session):
        again = notifications.queue_email(
            db.session, template="registration_received", to_email="DAFYDD@example.org",
            recipient_role="group", event_key=f"registration-received:{group.id}",
            context={"group_name": group.name, "edit_token": token})
    assert again is None
    assert len(smtp_server.received) == 1


def test_no_message_carries_another_groups_contact_details(app, db, smtp_server):
    _register(app, db, name="Knitters of Bangor", email="nia@example.org", contact="Nia Other",
              phone="01632 960999")
    smtp_server.received.clear()
    group, _ = _register(app, db)
    with unit_of_work(db.session):
        records.decide_group(db.session, _index(app), _coordinator(db, "wales"), group.id,
                             "approve")
    messages = smtp_server.messages()
    assert len(messages) == 2
    for message in messages:
        raw = _everything(message)
        assert "nia@example.org" not in raw and "Nia Other" not in raw
        assert "960999" not in raw and "Knitters of Bangor" not in raw


def _index(app):
    from matcher.runtime import postcode_index
    return postcode_index(app)


def _coordinator(db, nation, email=None):
    user = accounts.create_user(db.session, email or f"coord-{uuid.uuid4().hex[:6]}@example.org",
                                "coordinator", nation=nation)
    db.session.commit()
    return user


def test_approval_and_decline_reach_the_group_declined_with_the_reason(app, db, smtp_server):
    coordinator = _coordinator(db, "wales")
    approved, _ = _register(app, db, email="approved@example.org")
    declined, _ = _register(app, db, name="Another Choir", email="declined@example.org")
    smtp_server.received.clear()
    with unit_of_work(db.session):
        records.decide_group(db.session, _index(app), coordinator, approved.id, "approve")
    with unit_of_work(db.session):
        records.decide_group(db.session, _index(app), coordinator, declined.id, "reject",
                             "We could not confirm the safeguarding check.")
    first, second = smtp_server.messages()
    assert first["To"].addresses[0].addr_spec == "approved@example.org"
    assert first["Subject"].strip() == "Kith: Côr Llanberis is approved"
    assert second["To"].addresses[0].addr_spec == "declined@example.org"
    assert second["Subject"].strip() == "Kith: your registration of Another Choir was not approved"
    text, html = _parts(second)
    assert "We could not confirm the safeguarding check." in text
    assert "We could not confirm the safeguarding check." in html


def test_mail_server_down_the_request_succeeds_and_the_retry_delivers_exactly_once(
        app, db, smtp_server):
    smtp_server.stop()
    group, token = _register(app, db)  # does not raise although the server is down
    assert db.session.get(CommunityGroup, group.id) is not None
    [row] = _rows(db, about_id=group.id)
    assert row.status == "queued" and row.attempts == 1
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()
    # Back-off: the retry waits; huey holds the delayed task.
    wait = row.next_attempt_at.replace(tzinfo=dt.UTC) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=20) < wait <= dt.timedelta(seconds=app.config[
        "MAIL_RETRY_SECONDS"])
    assert len(tasks.tasks_for(app).huey.scheduled()) >= 1

    smtp_server.start()
    # The scheduled retry runs, and so does any duplicate (the periodic re-queue, a second
    # worker): only one of them sends.
    assert tasks.deliver(app, row.id) == "sent"
    assert tasks.deliver(app, row.id) == "skipped"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert notifications.due_messages(db.session, now=later) == []
    assert len(smtp_server.received) == 1
    [row] = _rows(db, about_id=group.id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert f"/groups/edit/{token}" in _parts(smtp_server.messages()[0])[0]


def test_retries_back_off_and_stop_with_a_failure_admins_can_see(app, db, smtp_server,
                                                                monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    smtp_server.stop()
    group, _ = _register(app, db)
    [row] = _rows(db, about_id=group.id)
    delays = []
    for _ in range(2):
        before = dt.datetime.now(dt.UTC)
        tasks.deliver(app, row.id)
        [row] = _rows(db, about_id=group.id)
        if row.status == "queued":
            delays.append(row.next_attempt_at.replace(tzinfo=dt.UTC) - before)
    assert row.status == "failed" and row.attempts == 3
    assert len(delays) == 1 and delays[0] > dt.timedelta(seconds=55)  # 30 s, then 60 s
    assert notifications.retry_delay(1, 30) < notifications.retry_delay(2, 30) \
        < notifications.retry_delay(3, 30)
    assert smtp_server.received == []


def test_a_lost_enqueue_is_picked_up_by_the_periodic_task(app, db, smtp_server):
    class QueueDown:
        def send_email(self, *args):
            raise ConnectionError("queue down")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "tasks_for", lambda app: QueueDown())
        group, _ = _register(app, db)  # the queue is down: still no error
    [row] = _rows(db, about_id=group.id)
    assert (row.status, row.attempts) == ("queued", 0)
    assert smtp_server.received == []
    assert notifications.due_messages(db.session) == []  # its task may still be on its way
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    assert notifications.due_messages(db.session, now=soon) == [row.id]
    tasks.enqueue(app, [row.id])
    assert len(smtp_server.received) == 1
    assert _rows(db, about_id=group.id)[0].status == "sent"


def test_a_group_that_withdrew_gets_nothing_more(app, db, smtp_server, monkeypatch):
    group, _ = _register(app, db)
    smtp_server.received.clear()
    # A message queued but not yet sent when the group withdraws is cancelled and erased ...
    monkeypatch.setattr(tasks, "enqueue", lambda app, ids: None)
    with unit_of_work(db.session):
        notifications.queue_email(
            db.session, template="registration_approved", to_email=group.contact_email,
            recipient_role="group", event_key=f"later:{group.id}",
            context={"group_name": group.name}, about=("community_groups", group.id))
    with unit_of_work(db.session):
        privacy.withdraw_group(db.session, group, SYSTEM)
    rows = _rows(db, about_id=group.id)
    assert {row.status for row in rows} == {"sent", "cancelled"}
    assert all("dafydd" not in row.to_email and row.context == {} for row in rows)
    for row in rows:
        assert tasks.deliver(app, row.id) == "skipped"
    # ... and one queued about a group that withdrew by other means is cancelled at send time.
    other, _ = _register(app, db, email="other@example.org")
    smtp_server.received.clear()
    with unit_of_work(db.session):
        message = notifications.queue_email(
            db.session, template="registration_approved", to_email="other@example.org",
            recipient_role="group", event_key=f"later:{other.id}",
            context={"group_name": other.name}, about=("community_groups", other.id))
        other.status = "withdrawn"
    assert tasks.deliver(app, message.id) == "cancelled"
    assert smtp_server.received == []


def test_header_injection_through_names_and_subjects_is_impossible(app, db, smtp_server):
    with unit_of_work(db.session):
        message = notifications.queue_email(
            db.session, template="registration_approved", to_email="dafydd@example.org",
            to_name="Dafydd\r\nBcc: victim@example.org", recipient_role="group",
            event_key="injection:1",
            context={"group_name": "Choir\r\nBcc: victim@example.org\nX-Evil: 1"})
    [received] = smtp_server.messages()
    assert smtp_server.received[0]["to"] == ["dafydd@example.org"]
    assert received["Bcc"] is None and received["X-Evil"] is None
    assert "\n" not in received["Subject"] and "\n" not in received["To"]
    assert received["Subject"].strip().startswith("Kith: Choir Bcc: victim@example.org")
    assert _rows(db, id=message.id)[0].status == "sent"


@pytest.mark.parametrize("address", ["not-an-address", "a@b", "x@example.org\r\nBcc: y@e.org",
                                     "a@example.org, b@example.org", "<a@example.org>"])
def test_an_invalid_address_is_recorded_as_failed_and_never_sent(app, db, smtp_server,
                                                                 address):
    with unit_of_work(db.session):
        message = notifications.queue_email(
            db.session, template="registration_approved", to_email=address,
            recipient_role="group", event_key="bad-address:1", context={"group_name": "X"})
    row = _rows(db, id=message.id)[0]
    assert row.status == "failed" and "valid email address" in row.last_error
    assert smtp_server.received == []


def test_the_daily_digest_tells_each_nations_coordinators_once_about_new_registrations(
        app, db, smtp_server):
    wales = _coordinator(db, "wales", "wales-coord@example.org")
    _coordinator(db, "england", "england-coord@example.org")
    first, _ = _register(app, db, name="Côr Caernarfon", email="one@example.org")
    second, _ = _register(app, db, name="Llanberis Knitters", email="two@example.org")
    smtp_server.received.clear()  # the groups' own receipts

    assert tasks.queue_digests() == 1
    [digest] = smtp_server.messages()
    assert smtp_server.received[0]["to"] == [wales.email]
    assert digest["Subject"].strip() == "Kith: 2 new registrations waiting in Wales"
    text, html = _parts(digest)
    for group in (first, second):
        assert group.name in text and group.name in html
        assert f"/coordinator/groups/{group.id}" in text
    assert "one@example.org" not in _everything(digest)  # no contact details in a digest
    assert "01632" not in _everything(digest) and "Dafydd" not in _everything(digest)

    # The same day again: nothing new to tell.
    assert tasks.queue_digests() == 0
    # Tomorrow: only what arrived since.
    third, _ = _register(app, db, name="Bethesda Readers", email="three@example.org")
    smtp_server.received.clear()
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    with unit_of_work(db.session):
        assert notifications.queue_coordinator_digests(db.session, now=tomorrow) == 1
    [digest] = smtp_server.messages()
    text, _ = _parts(digest)
    assert "Bethesda Readers" in text and "Côr Caernarfon" not in text
    assert "(3 waiting in all)" in text


def test_the_tasks_run_on_redis_storage(app, db, tmp_path):
    """TASKS_URL=redis://...: a message enqueued goes into Redis and a consumer sends it."""
    from huey import RedisHuey

    class Config:
        config = {**app.config, "TASKS_IMMEDIATE": False,
                  "TASKS_URL": "redis://127.0.0.1:6379/3",
                  "RATELIMIT_KEY_PREFIX": f"kith-test-{uuid.uuid4().hex[:8]}"}

    huey = tasks._make_huey(Config)
    assert isinstance(huey, RedisHuey)
    own = tasks._register(app, huey)
    try:
        huey.flush()
        with unit_of_work(db.session):
            message = notifications.queue_email(
                db.session, template="registration_approved", to_email="redis@example.org",
                recipient_role="group", event_key="redis:1", context={"group_name": "R"})
            # Keep the session's commit hook from sending it in-process.
            notifications.take_pending(db.session)
        own.send_email(message.id)
        assert huey.pending_count() == 1
        assert _rows(db, id=message.id)[0].status == "queued"
        task = huey.dequeue()
        huey.execute(task)
        assert huey.pending_count() == 0
        row = _rows(db, id=message.id)[0]
        assert row.status == "sent"
    finally:
        huey.flush()


def test_the_queue_is_a_sqlite_file_by_default_and_redis_with_tasks_url(app, tmp_path):
    from huey import MemoryHuey, RedisHuey, SqliteHuey

    def huey_for(**config):
        class Config:
            pass
        Config.config = {**app.config, "INSTANCE_DIR": str(tmp_path), "TASKS_URL": None,
                         "TASKS_IMMEDIATE": False, **config}
        return tasks._make_huey(Config)

    default = huey_for()
    assert isinstance(default, SqliteHuey)
    assert default.storage.filename == str(tmp_path / "tasks.sqlite3")
    assert isinstance(huey_for(TASKS_URL="redis://127.0.0.1:6379/3"), RedisHuey)
    assert isinstance(huey_for(TASKS_IMMEDIATE=True), MemoryHuey)
    assert isinstance(huey_for(TASKS_IMMEDIATE=None, TESTING=True), MemoryHuey)
    assert isinstance(huey_for(TASKS_URL=f"sqlite:///{tmp_path}/q.sqlite3"), SqliteHuey)


@pytest.mark.parametrize("config", [{"TASKS_URL": "amqp://elsewhere"},
                                    {"MAIL_USE_TLS": True, "MAIL_USE_SSL": True}])
def test_settings_that_would_make_every_email_fail_stop_the_start(config):
    from matcher import create_app
    from matcher.config import ConfigError

    with pytest.raises(ConfigError):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:", **config})


def test_each_app_has_its_own_queue(app):
    from matcher import create_app

    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:"})
    assert tasks.tasks_for(other).huey is not tasks.tasks_for(app).huey
    assert tasks.tasks_for(other) is tasks.tasks_for(other)


def test_the_worker_command_refuses_to_run_when_tasks_run_in_process(runner):
    result = runner.invoke(args=["worker"])
    assert result.exit_code != 0
    assert "TASKS_IMMEDIATE" in result.output


def test_only_a_decision_on_a_pending_registration_is_mailed(app, db, smtp_server):
    coordinator = _coordinator(db, "wales")
    group, _ = _register(app, db)
    with unit_of_work(db.session):
        records.decide_group(db.session, _index(app), coordinator, group.id, "approve")
    smtp_server.received.clear()
    for decision in ("pause", "reinstate", "reject"):
        with unit_of_work(db.session):
            records.decide_group(db.session, _index(app), coordinator, group.id, decision,
                                 "Reason")
    assert smtp_server.received == []


def test_a_test_app_without_an_outbox_directory_writes_no_files(tmp_path):
    from matcher import create_app

    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:",
                        "INSTANCE_DIR": str(tmp_path)})
    assert other.config["MAIL_BACKEND"] == "locmem"
    production_like = create_app({"TESTING": False, "SECRET_KEY": "x",
                                  "SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:",
                                  "INSTANCE_DIR": str(tmp_path)})
    assert production_like.config["MAIL_BACKEND"] == "matcher.mail.EmlEmailBackend"
    assert production_like.config["MAIL_FILE_PATH"] == str(tmp_path / "outbox")


@pytest.mark.no_db_rollback
def test_messages_are_sent_only_once_their_unit_of_work_has_committed(tmp_path):
    """On an app with a database of its own (the suite's tests share one connection, which
    would hide this): several messages in one unit of work, each recorded in a savepoint,
    are all sent, and only after the commit makes them visible to the task's session."""
    from matcher import create_app
    from matcher.cli import upgrade_schema
    from matcher.extensions import db

    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    other = create_app({"TESTING": True, "TASKS_IMMEDIATE": True,
                        "SQLALCHEMY_DATABASE_URI": url if url and url.startswith("postgresql")
                        else f"sqlite:///{tmp_path / 'own.sqlite3'}",
                        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox")})
    key = uuid.uuid4().hex
    with other.app_context():
        upgrade_schema()
        try:
            with unit_of_work(db.session):
                for n in range(3):
                    notifications.queue_email(
                        db.session, template="registration_approved",
                        to_email=f"n{n}@example.org", recipient_role="group",
                        event_key=f"own-db:{key}", context={"group_name": f"Group {n}"})
                # Nothing is sent while the unit of work is open.
                assert not (tmp_path / "outbox").exists()
            rows = list(db.session.scalars(select(OutboxMessage).where(
                OutboxMessage.event_key == f"own-db:{key}")))
            assert [row.status for row in rows] == ["sent"] * 3
            assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3
        finally:
            db.session.execute(OutboxMessage.__table__.delete().where(
                OutboxMessage.event_key == f"own-db:{key}"))
            db.session.execute(AuditLog.__table__.delete().where(
                AuditLog.entity_type == "outbox_messages", AuditLog.action == "email",
                AuditLog.changes["event"].as_string() == f"own-db:{key}"))
            db.session.commit()
            db.engine.dispose()
