"""The project's bounce parser reads what the sandbox returns: kind, reason, status, keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.outbound.servers import VERP_KEY, composed
from tracking.config import SmtpSettings, TlsMode
from tracking.inbound import parse
from tracking.models import BounceKind, Reason, SendingMode
from tracking.outbound.sandbox import SandboxServer
from tracking.outbound.smtp import SmtpTransport
from tracking.verp import VerpCheck, parse_token, verify_token

SEND_ID = "0c7e-5e4d"
# local part -> what comes back, in order: (kind, reason, status)
EXPECTED = {
    "jean": [(BounceKind.SUCCESS, Reason.DELIVERED, "2.0.0")],
    "unknown-jean": [(BounceKind.FAILURE, Reason.USERUNKNOWN, "5.1.1")],
    "full-jean": [(BounceKind.FAILURE, Reason.MAILBOXFULL, "5.2.2")],
    "blocked-jean": [(BounceKind.FAILURE, Reason.BLOCKED, "5.7.1")],
    "spam-jean": [(BounceKind.FAILURE, Reason.SPAMDETECTED, "5.7.1")],
    "defer-jean": [(BounceKind.DELAY, None, "4.2.0"), (BounceKind.SUCCESS, Reason.DELIVERED, "2.0.0")],
    "late-jean": [(BounceKind.SUCCESS, Reason.DELIVERED, "2.0.0"),
                  (BounceKind.FAILURE, Reason.USERUNKNOWN, "5.1.1")],
    "autoreply-jean": [(BounceKind.SUCCESS, Reason.DELIVERED, "2.0.0"),
                       (BounceKind.AUTOREPLY, Reason.VACATION, "")],
    "complain-jean": [(BounceKind.SUCCESS, Reason.DELIVERED, "2.0.0"),
                      (BounceKind.COMPLAINT, Reason.FEEDBACK, "")],
}


@pytest.mark.parametrize("local_part", sorted(EXPECTED))
def test_parser_reads_sandbox_returns(tmp_path: Path, local_part: str) -> None:
    address = f"{local_part}@client.example"
    with SandboxServer(tmp_path / "mail") as sandbox:
        settings = SmtpSettings(host="127.0.0.1", port=sandbox.port, tls=TlsMode.NONE, timeout=5)
        with SmtpTransport(settings) as transport:
            transport.deliver(composed(address, mode=SendingMode.RELAY, send_id=SEND_ID))
    files = sorted((tmp_path / "mail" / "new").iterdir(),
                   key=lambda p: tuple(int(x) for x in p.name.split("P")[0].split(".M")))
    results = [parse.parse_message(path.read_bytes()) for path in files]
    got = [(r.kind, r.recipients[0].reason if r.kind is not BounceKind.DELAY else None,
            r.recipients[0].status) for r in results]
    assert got == EXPECTED[local_part]
    for result in results:
        assert result.recipients[0].recipient == address
        token = result.correlation.verp_token
        assert verify_token(VERP_KEY, token) is VerpCheck.VALID
        assert parse_token(token)[:2] == (SEND_ID, 0)


def test_parser_reads_the_unknown_domain_as_hard(tmp_path: Path) -> None:
    with SandboxServer(tmp_path / "mail") as sandbox:
        settings = SmtpSettings(host="127.0.0.1", port=sandbox.port, tls=TlsMode.NONE, timeout=5)
        with SmtpTransport(settings) as transport:
            transport.deliver(composed("jean@nxdomain.invalid", mode=SendingMode.RELAY, send_id=SEND_ID))
    [path] = (tmp_path / "mail" / "new").iterdir()
    result = parse.parse_message(path.read_bytes())
    [report] = result.recipients
    assert (result.kind, report.reason, report.hardbounce) == (BounceKind.FAILURE, Reason.HOSTUNKNOWN, True)
    assert result.correlation.envelope_id == SEND_ID
    assert result.correlation.tracking_id == SEND_ID
