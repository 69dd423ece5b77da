"""The role matrix of every core action, and account scope, against a real DuckDB file.

Analyst: refused everything, nothing written. Support: every document action and returned
messages, not account settings. Admin: everything. A user limited to one account is refused on
another account's documents, and on returned messages tied to no account.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.actors import admin, analyst, support
from tracking.auth.principal import Principal
from tracking.config import load_settings
from tracking.errors import Forbidden, InvalidInput
from tracking.inbound.maildir import MaildirMailbox
from tracking.ingest import IngestPolicy, ingest_available
from tracking.models import SendingMode
from tracking.returned_actions import MismatchConfirmation, attach_bounce, dismiss_bounce
from tracking.service import (
    SendRequest, change_account_settings, mark_sent_manually, request_send, request_sends,
    set_send_date,
)
from tracking.store import inbound

NOW = datetime(2026, 11, 28, 13, 32, tzinfo=UTC)
OTHER_ACCOUNT = "acct-smtp"    # where the scoped user may act; every action below targets relay

_UNMATCHED = (b"From: MAILER-DAEMON@mx.example\nTo: someone@atelier.test\n"
              b"Subject: failure notice\n\n<gone@client.test>: 550 5.1.1 mailbox does not exist\n")


@pytest.fixture
def world(db, seeded, policy, tmp_path):
    """Seeded accounts, an earlier send (to resend and attach to), an unmatched bounce."""
    operator = Principal.cli("setup")
    earlier = request_send(db, SendRequest(seeded[SendingMode.RELAY][2], ("billing@client.test",),
                                           actor=operator), policy, now=NOW - timedelta(hours=1))
    maildir = tmp_path / "mail"
    (maildir / "new").mkdir(parents=True)
    for sub in ("cur", "tmp"):
        (maildir / sub).mkdir()
    (maildir / "new" / "1.bounce.host").write_bytes(_UNMATCHED)
    settings = load_settings({"SUIVI_VERP_KEY": "test-verp-key"})
    ingest_available(db, MaildirMailbox(maildir), IngestPolicy.from_settings(settings))
    [queued] = inbound.unmatched_queue(db.cursor())
    return {"docs": seeded, "policy": policy, "send": earlier.send_id, "message": queued["id"]}


def _send(db, w, actor):
    request_send(db, SendRequest(w["docs"][SendingMode.RELAY][0], ("a@b.test",), actor=actor),
                 w["policy"], now=NOW)


def _bulk_send(db, w, actor):
    request_sends(db, [SendRequest(w["docs"][SendingMode.RELAY][1], ("a@b.test",), actor=actor),
                       SendRequest(w["docs"][SendingMode.RELAY][0], ("c@b.test",), actor=actor)],
                  w["policy"], now=NOW)


def _resend(db, w, actor):
    request_send(db, SendRequest(w["docs"][SendingMode.RELAY][2], ("fixed@client.test",),
                                 actor=actor, force=True), w["policy"], now=NOW)


def _mark_sent(db, w, actor):
    mark_sent_manually(db, w["docs"][SendingMode.RELAY][0], actor, now=NOW, note="post")


def _set_send_date(db, w, actor):
    set_send_date(db, w["docs"][SendingMode.RELAY][0], datetime(2026, 11, 27, 9), actor, now=NOW)


def _settings(db, w, actor):
    change_account_settings(db, "acct-relay", time_zone="Asia/Tokyo", sending_mode="smtp",
                            actor=actor, now=NOW)


def _attach(db, w, actor):
    # The bounce names gone@…, the send went to billing@…: attaching says so explicitly.
    attach_bounce(db, w["message"], w["send"], "billing@client.test", actor, now=NOW,
                  confirmation=MismatchConfirmation("gone@client.test", "billing@client.test"))


def _dismiss(db, w, actor):
    dismiss_bounce(db, w["message"], actor, note="spam")


ACTIONS = {"send": _send, "bulk send": _bulk_send, "resend": _resend, "mark sent": _mark_sent,
           "set send date": _set_send_date, "account settings": _settings,
           "attach returned": _attach, "dismiss returned": _dismiss}
SUPPORT_MAY = set(ACTIONS) - {"account settings"}


def snapshot(db) -> dict:
    """Everything an action could write."""
    cursor = db.cursor()
    tables = ("sends", "deliveries", "events", "returned_message_handling")
    state = {t: cursor.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    state["documents"] = cursor.execute(
        "SELECT id, status, send_date FROM documents ORDER BY id").fetchall()
    state["accounts"] = cursor.execute(
        "SELECT id, time_zone, sending_mode FROM accounts ORDER BY id").fetchall()
    state["returned"] = cursor.execute(
        "SELECT id, match_state, send_id FROM returned_messages ORDER BY id").fetchall()
    return state


def _last_event(db):
    return db.cursor().execute(
        "SELECT actor, origin FROM events ORDER BY seq DESC LIMIT 1").fetchone()


@pytest.mark.parametrize("name", list(ACTIONS))
@pytest.mark.parametrize("who, allowed", [
    (analyst("ana"), set()), (support("sam"), SUPPORT_MAY), (admin("carol"), set(ACTIONS))])
def test_role_matrix(db, world, name, who, allowed):
    before = snapshot(db)
    if name in allowed:
        ACTIONS[name](db, world, who)
        assert snapshot(db) != before
        if name != "dismiss returned":      # a dismissal is a handling row, not an event
            assert _last_event(db) == (who.login, "console")
        else:
            row = db.cursor().execute("SELECT actor FROM returned_message_handling").fetchone()
            assert row == (who.login,)
    else:
        with pytest.raises(Forbidden) as refused:
            ACTIONS[name](db, world, who)
        assert refused.value.code == "role" and who.login in str(refused.value)
        assert snapshot(db) == before


@pytest.mark.parametrize("name", list(ACTIONS))
def test_a_user_limited_to_another_account_is_refused_everything(db, world, name):
    elsewhere = admin("boss.smtp", accounts=[OTHER_ACCOUNT])
    before = snapshot(db)
    with pytest.raises(Forbidden) as refused:
        ACTIONS[name](db, world, elsewhere)
    assert refused.value.code == "account"
    assert snapshot(db) == before


def test_a_bulk_send_with_one_document_out_of_scope_writes_none_of_them(db, world):
    scoped = support("sam", accounts=["acct-relay"])
    smtp_document = world["docs"][SendingMode.SMTP][0]
    before = snapshot(db)
    with pytest.raises(Forbidden):
        request_sends(db, [
            SendRequest(world["docs"][SendingMode.RELAY][0], ("a@b.test",), actor=scoped),
            SendRequest(smtp_document, ("a@b.test",), actor=scoped)], world["policy"], now=NOW)
    assert snapshot(db) == before
    _send(db, world, scoped)                       # its own account: accepted
    assert _last_event(db) == ("sam", "console")


def test_the_command_line_acts_as_given_with_origin_cli(db, world):
    mark_sent_manually(db, world["docs"][SendingMode.MANUAL][0], Principal.cli("Ops Jane"),
                       now=NOW)
    assert _last_event(db) == ("Ops Jane", "cli")


def test_an_action_without_an_actor_or_with_a_typed_string_is_refused(db, world):
    before = snapshot(db)
    document = world["docs"][SendingMode.RELAY][0]
    with pytest.raises(InvalidInput, match="names its actor"):
        request_send(db, SendRequest(document, ("a@b.test",)), world["policy"], now=NOW)
    with pytest.raises(InvalidInput, match="names its actor"):
        mark_sent_manually(db, document, "j.dubois", now=NOW)      # a string proves nothing
    with pytest.raises(InvalidInput):
        dismiss_bounce(db, world["message"], "support")
    assert snapshot(db) == before
