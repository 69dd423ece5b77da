"""The SMTP edge against real aiosmtpd servers: outcomes per recipient, DSN options, TLS, AUTH."""

from __future__ import annotations

import socket
import time

import pytest

from tests.outbound.servers import (
    VERP_KEY,
    Certificates,
    PlainController,
    PlainHandler,
    Server,
    accept_alice,
    composed,
    start_server,
)
from tracking.config import Secret, TlsMode
from tracking.errors import PermanentSendError, TransientSendError
from tracking.models import SendingMode
from tracking.outbound.smtp import ConnectionLost, SmtpTransport
from tracking.verp import VerpCheck, token_from_address, verify_token


def test_relay_send_carries_per_recipient_dsn_options(server: Server) -> None:
    message = composed("alice@client.example", "bob+compta@client.example", mode=SendingMode.RELAY)
    with SmtpTransport(server.settings()) as transport:
        outcomes = transport.deliver(message)
    assert [(o.accepted, o.code, o.stage) for o in outcomes] == [(True, 250, "data")] * 2
    first, second = server.handler.received
    for received, address, index in ((first, "alice@client.example", 0),
                                     (second, "bob+compta@client.example", 1)):
        assert received.rcpt_tos == [address]
        assert received.mail_dsn.ret == "HDRS"
        assert received.mail_dsn.envid == "send-1"
        [rcpt] = received.rcpt_dsn
        assert rcpt.notify == ("SUCCESS", "FAILURE", "DELAY")
        assert rcpt.orcpt == f"rfc822;{address}"  # xtext-decoded by the server: '+' survived
        token = token_from_address(received.mail_from)
        assert verify_token(VERP_KEY, token) is VerpCheck.VALID
        assert token.startswith(f"send-1-{index}-")
    assert b"\r\nX-Suivi-Tracking: send-1\r\n" in first.content


def test_smtp_mode_sends_one_envelope_without_dsn(server: Server) -> None:
    with SmtpTransport(server.settings()) as transport:
        outcomes = transport.deliver(composed("alice@client.example", "carol@client.example"))
    assert all(o.accepted for o in outcomes)
    [received] = server.handler.received
    assert received.mail_from == "factures@acme.example"
    assert received.rcpt_tos == ["alice@client.example", "carol@client.example"]
    assert received.mail_dsn.ret == "" and received.mail_dsn.envid == ""
    assert all(r.notify == () and r.orcpt == "" for r in received.rcpt_dsn)


def test_no_dsn_options_when_the_server_does_not_announce_dsn(
    plain_server: tuple[PlainController, PlainHandler], server: Server,
) -> None:
    controller, handler = plain_server
    # Stock aiosmtpd answers 555 to any DSN parameter, so acceptance proves none were sent.
    with SmtpTransport(server.settings(port=controller.port)) as transport:
        outcomes = transport.deliver(composed("alice@client.example", mode=SendingMode.RELAY))
    assert [o.accepted for o in outcomes] == [True]
    [(mail_from, mail_options, rcpt_tos, rcpt_options)] = handler.received
    assert mail_from.startswith("bounces+send-1-0-")
    assert (mail_options, rcpt_tos, rcpt_options) == ([], ["alice@client.example"], [])


def test_partial_acceptance_is_per_recipient(server: Server) -> None:
    with SmtpTransport(server.settings()) as transport:
        ok, gone, busy = transport.deliver(
            composed("ok@client.example", "gone@client.example", "busy@client.example"))
    assert (ok.accepted, ok.code, ok.transient) == (True, 250, False)
    assert (gone.accepted, gone.code, gone.transient, gone.stage) == (False, 550, False, "rcpt")
    assert gone.reply == "550 5.1.1 <gone@client.example>: Recipient address rejected: User unknown"
    assert (busy.accepted, busy.code, busy.transient) == (False, 451, True)
    assert server.handler.received[0].rcpt_tos == ["ok@client.example"]


def test_refusal_after_data_applies_to_every_accepted_recipient(server: Server) -> None:
    with SmtpTransport(server.settings()) as transport:
        outcomes = transport.deliver(composed("datafail@client.example", "ok@client.example"))
    assert [(o.accepted, o.code, o.transient, o.stage) for o in outcomes] == [(False, 554, False, "data")] * 2
    assert outcomes[0].reply == "554 5.6.0 Message content rejected"


def test_one_connection_is_reused_across_messages(server: Server) -> None:
    with SmtpTransport(server.settings()) as transport:
        for n in range(5):
            assert transport.deliver(composed("ok@client.example", send_id=f"send-{n}"))[0].accepted
        assert transport.connections_opened == 1
    assert server.handler.sessions == 1
    assert len(server.handler.received) == 5


def test_a_connection_closed_while_idle_is_reopened_transparently(server: Server) -> None:
    with SmtpTransport(server.settings()) as transport:
        assert transport.deliver(composed("closeafter@client.example"))[0].accepted
        assert server.handler.closed_after_data.wait(5)
        assert transport.deliver(composed("ok@client.example", send_id="send-2"))[0].accepted
        assert transport.connections_opened == 2
    assert [r.rcpt_tos for r in server.handler.received] == [["closeafter@client.example"],
                                                             ["ok@client.example"]]


def test_dropped_connection_keeps_what_was_settled_and_reconnects(server: Server) -> None:
    message = composed("ok@client.example", "drop@client.example", mode=SendingMode.RELAY)
    with SmtpTransport(server.settings()) as transport:
        with pytest.raises(ConnectionLost) as caught:
            transport.deliver(message)
        assert isinstance(caught.value, TransientSendError)
        [settled] = caught.value.completed
        assert (settled.recipient.address, settled.accepted) == ("ok@client.example", True)
        assert not transport.connected
        # the next call reconnects; the server lets `drop` through the second time
        assert transport.deliver(message.restricted_to({1}))[0].accepted
        assert transport.connections_opened == 2


def test_a_stalled_server_times_out_as_transient(server: Server) -> None:
    started = time.monotonic()
    with SmtpTransport(server.settings(timeout=0.5)) as transport:
        with pytest.raises(TransientSendError, match="timed out|lost"):
            transport.deliver(composed("stall@client.example"))
    assert time.monotonic() - started < 5


def test_an_unreachable_server_is_transient(server: Server) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with SmtpTransport(server.settings(port=port)) as transport:
        with pytest.raises(TransientSendError, match="cannot connect"):
            transport.deliver(composed("ok@client.example"))


def test_plain_text_is_refused_off_loopback(server: Server) -> None:
    settings = server.settings(tls=TlsMode.STARTTLS)
    object.__setattr__(settings, "tls", TlsMode.NONE)   # bypass the settings' own check
    object.__setattr__(settings, "host", "smtp.example")
    with pytest.raises(PermanentSendError):
        SmtpTransport(settings)


# -- TLS and AUTH ------------------------------------------------------------------------------


@pytest.fixture
def starttls_server(certificates: Certificates):
    running = start_server(tls_context=certificates.server_context(), require_starttls=True,
                           authenticator=accept_alice)
    yield running
    running.stop()


def test_starttls_refuses_an_unverified_certificate(starttls_server: Server) -> None:
    with SmtpTransport(starttls_server.settings(tls=TlsMode.STARTTLS)) as transport:
        with pytest.raises(PermanentSendError, match="TLS"):
            transport.deliver(composed("ok@client.example"))
    assert starttls_server.handler.received == []


def test_starttls_with_the_ca_given_delivers_over_tls(starttls_server: Server, certificates: Certificates) -> None:
    settings = starttls_server.settings(tls=TlsMode.STARTTLS, ca_file=certificates.ca)
    with SmtpTransport(settings) as transport:
        assert transport.deliver(composed("ok@client.example"))[0].accepted
    assert starttls_server.handler.received[0].tls


def test_auth_over_starttls(starttls_server: Server, certificates: Certificates) -> None:
    good = starttls_server.settings(tls=TlsMode.STARTTLS, ca_file=certificates.ca,
                                    user="alice", password=Secret("s3cret"))
    with SmtpTransport(good) as transport:
        assert transport.deliver(composed("ok@client.example"))[0].accepted
    bad = starttls_server.settings(tls=TlsMode.STARTTLS, ca_file=certificates.ca,
                                   user="alice", password=Secret("wrong-password"))
    with SmtpTransport(bad) as transport:
        with pytest.raises(PermanentSendError, match="authentication") as caught:
            transport.deliver(composed("ok@client.example"))
    assert "wrong-password" not in str(caught.value)


def test_starttls_required_but_not_offered_is_permanent(server: Server) -> None:
    with SmtpTransport(server.settings(tls=TlsMode.STARTTLS)) as transport:
        with pytest.raises(PermanentSendError, match="STARTTLS"):
            transport.deliver(composed("ok@client.example"))
    assert server.handler.received == []


def test_implicit_tls(certificates: Certificates) -> None:
    running = start_server(ssl_context=certificates.server_context())
    try:
        with SmtpTransport(running.settings(tls=TlsMode.IMPLICIT)) as transport:
            with pytest.raises(PermanentSendError, match="TLS"):
                transport.deliver(composed("ok@client.example"))
        settings = running.settings(tls=TlsMode.IMPLICIT, ca_file=certificates.ca)
        with SmtpTransport(settings) as transport:
            assert transport.deliver(composed("ok@client.example"))[0].accepted
        assert running.handler.received[-1].tls
    finally:
        running.stop()


def test_non_ascii_addresses_go_as_smtputf8(server: Server) -> None:
    with SmtpTransport(server.settings()) as transport:
        outcomes = transport.deliver(composed("jérôme@exemple.fr", "ok@client.example"))
    assert [o.accepted for o in outcomes] == [True, True]
    [received] = server.handler.received
    assert received.rcpt_tos == ["jérôme@exemple.fr", "ok@client.example"]
    assert "To: jérôme@exemple.fr\r\n".encode() in received.content   # raw UTF-8, not RFC 2047


def test_non_ascii_addresses_are_refused_without_smtputf8() -> None:
    running = start_server(enable_SMTPUTF8=False)
    try:
        with SmtpTransport(running.settings()) as transport:
            [outcome] = transport.deliver(composed("jérôme@exemple.fr"))
        assert (outcome.accepted, outcome.code, outcome.transient) == (False, 553, False)
        assert running.handler.received == []
    finally:
        running.stop()


def test_the_outbox_decides_smtputf8_once_and_the_transport_again_for_a_narrower_retry() -> None:
    """The outbox computes `needs_smtputf8` with the payload and hands it over; a retry to fewer
    recipients leaves the transport to decide again (no stale answer for another recipient set)."""
    from tracking.config import SmtpSettings
    from tracking.outbound.smtp import needs_smtputf8, wire_payload
    from tracking.outbox import Prepared, _WithPayload

    message = composed("ok@client.example", "jérôme@exemple.fr")
    handed: list = []

    class Recording(SmtpTransport):
        def deliver(self, composed, payload=None, while_waiting=None, international=None):
            handed.append((composed.recipients, payload, international))
            return []

    transport = Recording(SmtpSettings(host="127.0.0.1", port=25, tls=TlsMode.NONE))
    prepared = Prepared(message, wire_payload(message), needs_smtputf8(message))
    assert prepared.international is True
    with_payload = _WithPayload(transport, prepared)
    with_payload.deliver(message.restricted_to({0, 1}))
    with_payload.deliver(message.restricted_to({0}))
    assert handed == [(message.recipients, prepared.payload, True),
                      (message.recipients[:1], prepared.payload, None)]


def test_a_plain_connection_waits_with_kernel_timeouts(server: Server) -> None:
    """No Python timeout (a poll before every recv/send), the kernel's instead, same length;
    `test_a_stalled_server_times_out_as_transient` holds that a stall still ends the wait."""
    import struct

    with SmtpTransport(server.settings(timeout=2.5)) as transport:
        assert transport.deliver(composed("ok@client.example"))[0].accepted
        sock = transport._connection.sock
        assert sock.gettimeout() is None
        for option in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO):
            assert struct.unpack("ll", sock.getsockopt(socket.SOL_SOCKET, option, 16)) == (2, 500000)
