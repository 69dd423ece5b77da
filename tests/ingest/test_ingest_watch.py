"""The watcher against a real Dovecot: IDLE wakes it, a Dovecot restart is survived, and
refused logins or TLS failures show on its status without a retry storm."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.ingest.conftest import RelayWorld, wait_until
from tests.mailstack import DOMAIN
from tracking.clock import utc_now
from tracking.config import ImapTls, Secret
from tracking.ingest_watch import MailboxSpec, MailboxWatcher, configured_mailbox

pytestmark = pytest.mark.slow




def _watcher(relay: RelayWorld, **imap) -> MailboxWatcher:
    settings = replace(relay.settings, imap=replace(relay.settings.imap, **imap))
    spec = configured_mailbox(settings)
    assert isinstance(spec, MailboxSpec)
    return MailboxWatcher(relay.db, spec, relay.policy, backoff_start=0.2, backoff_max=1.0)


def test_watcher_wakes_on_idle_and_survives_a_dovecot_restart(relay: RelayWorld) -> None:
    watcher = _watcher(relay, poll_seconds=60.0).start()   # a poll would be far too late
    try:
        assert watcher.wait_for_cycles(1, timeout=15)
        wait_until(lambda: watcher.status().idle, 10, "IDLE")
        [first] = relay.send((0, (f"ghost@{DOMAIN}",), ()))
        wait_until(lambda: relay.delivery(first, 0)["state"] == "not_delivered", 15,
                    "the first bounce through IDLE", watcher.status)

        relay.stack.restart_dovecot()
        [second] = relay.send((1, (f"ghost2@{DOMAIN}",), ()))   # another: the first is suppressed now
        wait_until(lambda: relay.delivery(second, 0)["state"] == "not_delivered", 30,
                    "the bounce after the restart", watcher.status)
        # the status counters are updated just after the commit that changed the state
        wait_until(lambda: watcher.status().ingested == 2, 5, "the status to count both",
                    watcher.status)
        status = watcher.status()
        assert status.connected and status.ingested == 2 and status.last_error is None
        assert status.last_message_at is not None and status.backlog == 0
    finally:
        watcher.stop()
    assert not watcher.status().running
    count = relay.db.cursor().execute("SELECT count(*) FROM returned_messages").fetchone()[0]
    assert count == 2


def test_refused_login_is_shown_and_not_retried_in_a_loop(relay: RelayWorld) -> None:
    watcher = _watcher(relay, password=Secret("wrong password"))
    watcher.refused_retry = 600.0
    watcher.start()
    try:
        assert watcher.wait_for_cycles(1, timeout=15)
        status = watcher.status()
        assert not status.connected and status.needs_attention
        assert "login refused" in status.last_error
        assert status.next_attempt_at > utc_now() + timedelta(seconds=500)
        assert watcher.cycles == 1
    finally:
        watcher.stop()


def test_tls_failure_is_a_clear_error(relay: RelayWorld) -> None:
    # IMAPS against Dovecot's plain-text port: the handshake fails.
    watcher = _watcher(relay, tls=ImapTls.IMAPS)
    watcher.start()
    try:
        assert watcher.wait_for_cycles(1, timeout=15)
        status = watcher.status()
        assert status.needs_attention and "TLS" in status.last_error
    finally:
        watcher.stop()


def test_unreachable_server_is_retried_with_backoff(relay: RelayWorld) -> None:
    from tests.mailstack import free_ports
    [closed_port] = free_ports(1)
    watcher = _watcher(relay, port=closed_port)
    watcher.start()
    try:
        assert watcher.wait_for_cycles(3, timeout=15)       # 0.2 s, 0.4 s, 0.8 s…
        status = watcher.status()
        assert not status.connected and not status.needs_attention
        assert "cannot reach" in status.last_error
    finally:
        watcher.stop()
