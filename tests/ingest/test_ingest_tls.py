"""IMAP over verified TLS against the real Dovecot: IMAPS and STARTTLS with the test CA ingest a
real bounce, the IDLE watcher works over IMAPS, and without the CA (verification is on by
default) both connections — stdlib imaplib and imaplib2 — are refused and nothing is written."""

from __future__ import annotations

import re
import socket
from dataclasses import replace

import pytest

from tests.ingest.conftest import RelayWorld, wait_until
from tests.mailstack import BOUNCE_USER, DOMAIN
from tracking.config import ImapSettings, ImapTls
from tracking.errors import MailboxRefused
from tracking.inbound.idle import IdleWatch
from tracking.inbound.mailbox import ImapMailbox
from tracking.ingest import ingest_available
from tracking.ingest_watch import MailboxSpec, MailboxWatcher, configured_mailbox

GHOST = f"ghost@{DOMAIN}"


def _tls(relay: RelayWorld, tls: ImapTls, *, with_ca: bool = True, **imap) -> ImapSettings:
    stack = relay.stack
    port = stack.imaps_port if tls is ImapTls.IMAPS else stack.imap_port
    return replace(relay.settings.imap, tls=tls, port=port,
                   ca_file=stack.ca_file if with_ca else None, **imap)


def _tls_logins(relay: RelayWorld) -> int:
    """Dovecot logs ", TLS," in the Login line of a session that logged in over TLS."""
    return len(re.findall(rf"Login: user=<{BOUNCE_USER}>.*, TLS,", relay.stack.dovecot_log()))


def _returned_count(relay: RelayWorld) -> int:
    return relay.db.cursor().execute("SELECT count(*) FROM returned_messages").fetchone()[0]




@pytest.mark.parametrize("tls", [ImapTls.IMAPS, ImapTls.STARTTLS])
def test_a_real_bounce_is_ingested_over_verified_tls(relay: RelayWorld, tls: ImapTls) -> None:
    [send_id] = relay.send((0, (GHOST,), ()))
    relay.stack.wait_for_messages(BOUNCE_USER, 1)
    logins_before = _tls_logins(relay)

    source = ImapMailbox(_tls(relay, tls))
    try:
        stats = ingest_available(relay.db, source, relay.policy)
        negotiated = source._connection.sock.version()  # the live socket is really TLS
    finally:
        source.close()

    assert stats.stored == 1 and stats.by_state == {"matched": 1}, stats
    assert negotiated in ("TLSv1.2", "TLSv1.3")
    delivery = relay.delivery(send_id, 0)
    assert (delivery["state"], delivery["reason"]) == ("not_delivered", "userunknown")
    assert _tls_logins(relay) == logins_before + 1, relay.stack.logs_tail()


@pytest.mark.parametrize("tls", [ImapTls.IMAPS, ImapTls.STARTTLS])
def test_without_the_ca_both_connections_are_refused(relay: RelayWorld, tls: ImapTls) -> None:
    settings = _tls(relay, tls, with_ca=False)
    source = ImapMailbox(settings)
    with pytest.raises(MailboxRefused, match="certificate was not accepted.*SUIVI_IMAP_CA_FILE"):
        source.scan(None)
    source.close()
    # imaplib2 on its own would not verify anything without ca_certs (CERT_NONE).
    idle = IdleWatch(settings)
    with pytest.raises(MailboxRefused, match="certificate was not accepted"):
        idle.open()
    idle.close()


def test_without_the_ca_the_watcher_shows_the_refusal_and_writes_nothing(
        relay: RelayWorld) -> None:
    relay.send((0, (GHOST,), ()))
    relay.stack.wait_for_messages(BOUNCE_USER, 1)   # there is something it could have ingested
    settings = replace(relay.settings, imap=_tls(relay, ImapTls.IMAPS, with_ca=False))
    spec = configured_mailbox(settings)
    assert isinstance(spec, MailboxSpec)
    watcher = MailboxWatcher(relay.db, spec, relay.policy, backoff_start=0.2, backoff_max=1.0)
    watcher.refused_retry = 600.0
    watcher.start()
    try:
        assert watcher.wait_for_cycles(1, timeout=15)
        status = watcher.status()
    finally:
        watcher.stop()
    assert not status.connected and status.needs_attention
    assert "certificate was not accepted" in status.last_error
    assert "unable to get local issuer certificate" in status.last_error   # OpenSSL's reason
    assert watcher.cycles == 1                      # refused: not retried in a loop
    assert _returned_count(relay) == 0


def test_idle_watcher_works_over_imaps(relay: RelayWorld) -> None:
    settings = replace(relay.settings, imap=_tls(relay, ImapTls.IMAPS, poll_seconds=60.0))
    spec = configured_mailbox(settings)
    assert isinstance(spec, MailboxSpec)
    watcher = MailboxWatcher(relay.db, spec, relay.policy, backoff_start=0.2, backoff_max=1.0)
    watcher.start()
    try:
        assert watcher.wait_for_cycles(1, timeout=15)
        wait_until(lambda: watcher.status().idle, 10, "IDLE", watcher.status)
        [send_id] = relay.send((0, (GHOST,), ()))
        # The poll is 60 s away: only IDLE (over TLS) can wake the watcher this soon.
        wait_until(lambda: relay.delivery(send_id, 0)["state"] == "not_delivered", 15,
                    "the bounce through IDLE over IMAPS", watcher.status)
        status = watcher.status()
        assert status.connected and status.last_error is None and status.ingested == 1
    finally:
        watcher.stop()
    # Both connections (bulk fetch and IDLE) logged in over TLS; none in plain text.
    log = relay.stack.dovecot_log()
    assert len(re.findall(rf"Login: user=<{BOUNCE_USER}>.*, TLS,", log)) >= 2
    assert _returned_count(relay) == 1


def _other_loopback_name() -> str | None:
    """A name of this machine that resolves to 127.0.0.1 but is not in the certificate (which
    names 127.0.0.1 and localhost), e.g. the host name in a container's /etc/hosts."""
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None, socket.AF_INET)}
    except OSError:
        return None
    return name if name.lower() != "localhost" and addresses == {"127.0.0.1"} else None


def test_the_host_name_is_checked_on_both_connections(relay: RelayWorld) -> None:
    # The certificate's DNS name works (the IP address case is covered above)…
    source = ImapMailbox(_tls(relay, ImapTls.IMAPS, host="localhost"))
    source.scan(None)
    source.close()
    idle = IdleWatch(_tls(relay, ImapTls.IMAPS, host="localhost"))
    idle.open()
    idle.close()
    # …a name the certificate does not carry is refused, the chain being valid.
    other = _other_loopback_name()
    if other is None:
        pytest.skip("no other name of this machine resolves to 127.0.0.1 alone")
    settings = _tls(relay, ImapTls.IMAPS, host=other)
    with pytest.raises(MailboxRefused, match="(?i)hostname mismatch"):
        ImapMailbox(settings).scan(None)
    idle = IdleWatch(settings)
    with pytest.raises(MailboxRefused, match="(?i)hostname mismatch"):
        idle.open()
    idle.close()


def test_an_unusable_ca_file_is_a_refusal_not_a_retry_loop(relay: RelayWorld, tmp_path) -> None:
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("not a certificate\n")
    for ca_file in (tmp_path / "missing.pem", not_pem):
        settings = replace(_tls(relay, ImapTls.IMAPS), ca_file=ca_file)
        with pytest.raises(MailboxRefused, match="cannot use SUIVI_IMAP_CA_FILE"):
            ImapMailbox(settings).scan(None)
        with pytest.raises(MailboxRefused, match="cannot use SUIVI_IMAP_CA_FILE"):
            IdleWatch(settings).open()
