"""Retries over a real server: only transient recipients are retried, then given up with the last error."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.outbound.servers import Server, composed
from tracking.config import RetrySettings
from tracking.errors import PermanentSendError
from tracking.models import SendingMode
from tracking.outbound.retry import RetryPolicy, deliver_with_retries, is_server_fault
from tracking.outbound.smtp import RecipientOutcome, SmtpTransport

POLICY = RetryPolicy(attempts=3, base_delay=1.0, max_delay=10.0)


class Recorder:
    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.failures: list[tuple[int, list[str], float]] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def attempt_failed(self, attempt: int, outcomes: list[RecipientOutcome], delay: float) -> None:
        self.failures.append((attempt, [o.recipient.address for o in outcomes], delay))


def send(server: Server, *addresses: str, mode: SendingMode = SendingMode.SMTP, policy=POLICY,
         port: int | None = None) -> tuple[list[RecipientOutcome], Recorder]:
    recorder = Recorder()
    settings = server.settings() if port is None else server.settings(port=port)
    with SmtpTransport(settings) as transport:
        outcomes = deliver_with_retries(
            transport, composed(*addresses, mode=mode), policy,
            sleep=recorder.sleep, on_attempt_failed=recorder.attempt_failed, rand=lambda: 1.0,
        )
    return outcomes, recorder


def test_greylisting_is_retried_until_accepted(server: Server) -> None:
    outcomes, recorder = send(server, "flaky@client.example", "ok@client.example")
    assert [(o.recipient.address, o.accepted) for o in outcomes] == [
        ("flaky@client.example", True), ("ok@client.example", True)]
    assert server.handler.rcpt_count("flaky@client.example") == 3
    assert server.handler.rcpt_count("ok@client.example") == 1   # settled first time, never resent
    assert recorder.sleeps == [1.0, 2.0]                         # base·2^(n-1)
    assert recorder.failures == [(1, ["flaky@client.example"], 1.0), (2, ["flaky@client.example"], 2.0)]


def test_still_transient_after_the_last_attempt_gives_the_last_error(server: Server) -> None:
    outcomes, recorder = send(server, "busy@client.example", "gone@client.example")
    busy, gone = outcomes
    assert (busy.accepted, busy.transient, busy.code) == (False, True, 451)
    assert busy.reply == "451 4.2.1 Mailbox busy, try again later"
    assert (gone.accepted, gone.transient, gone.code) == (False, False, 550)
    assert server.handler.rcpt_count("busy@client.example") == 3
    assert server.handler.rcpt_count("gone@client.example") == 1   # a 5xx is never retried
    assert len(recorder.failures) == 2                             # no callback after the last


def test_a_dropped_connection_is_retried_without_sending_twice(server: Server) -> None:
    outcomes, recorder = send(server, "ok@client.example", "drop@client.example", mode=SendingMode.RELAY)
    assert [o.accepted for o in outcomes] == [True, True]
    assert server.handler.rcpt_count("ok@client.example") == 1
    assert server.handler.rcpt_count("drop@client.example") == 2
    assert [r.rcpt_tos for r in server.handler.received] == [["ok@client.example"], ["drop@client.example"]]
    assert recorder.failures[0][:2] == (1, ["drop@client.example"])


def test_an_unreachable_server_is_not_retried_in_a_loop(server: Server) -> None:
    # Nobody answered: the outbox defers the delivery (minutes), so no quick retries here.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcomes, recorder = send(server, "ok@client.example", port=port)
    [outcome] = outcomes
    assert (outcome.accepted, outcome.transient, outcome.code) == (False, True, 0)
    assert "cannot connect" in outcome.reply and outcome.stage == "connect"
    assert is_server_fault(outcome)
    assert recorder.sleeps == []


def test_permanent_errors_are_not_retried(server: Server) -> None:
    class Refusing:
        calls = 0

        def deliver(self, message):
            self.calls += 1
            raise PermanentSendError("authentication refused")

    transport = Refusing()
    with pytest.raises(PermanentSendError):
        deliver_with_retries(transport, composed("ok@client.example"), POLICY, sleep=lambda s: None)
    assert transport.calls == 1


def test_a_permanent_error_after_a_partial_success_keeps_what_was_accepted(server: Server) -> None:
    class FailsOnRetry:
        def __init__(self, transport: SmtpTransport) -> None:
            self.transport, self.calls = transport, 0

        def deliver(self, message):
            self.calls += 1
            if self.calls > 1:   # e.g. the reconnection meets a certificate it cannot verify
                raise PermanentSendError("TLS with the server failed")
            return self.transport.deliver(message)

    with SmtpTransport(server.settings()) as transport:
        with pytest.raises(PermanentSendError) as caught:
            deliver_with_retries(FailsOnRetry(transport), composed("ok@client.example", "busy@client.example"),
                                 POLICY, sleep=lambda s: None)
    [accepted] = caught.value.completed
    assert (accepted.recipient.address, accepted.accepted) == ("ok@client.example", True)


def test_policy_from_settings() -> None:
    assert RetryPolicy.from_settings(RetrySettings(4, 0.5, 3.0)) == RetryPolicy(4, 0.5, 3.0)
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)


@given(attempt=st.integers(1, 40), jitter=st.floats(0, 1),
       base=st.floats(0, 5), extra=st.floats(0, 100))
def test_backoff_is_bounded_with_jitter(attempt: int, jitter: float, base: float, extra: float) -> None:
    policy = RetryPolicy(attempts=3, base_delay=base, max_delay=base + extra)
    delay = policy.delay(attempt, lambda: jitter)
    ceiling = min(policy.max_delay, base * 2 ** (attempt - 1))
    assert ceiling / 2 - 1e-9 <= delay <= ceiling + 1e-9
    assert delay <= policy.max_delay + 1e-9
