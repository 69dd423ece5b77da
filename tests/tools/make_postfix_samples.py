"""Produce the project's real Postfix DSN samples: tests/data/bounces/postfix/*.eml + expected.json.

Starts a private MailStack, sends documents composed by the project itself (relay mode: signed
VERP return path, RET=HDRS, ENVID, per-recipient NOTIFY and ORCPT) to users that exist, do not
exist, are over quota or temporarily over quota, and to a mix of them in one to+cc envelope,
then saves what Postfix returned to the bounce mailbox. Each DSN is checked against what the
scenario must give before it is written, so a changed Postfix shows up here, not in a parser test.

`--scenarios lifetime` (issue 9) runs a second stack whose queue lifetime is seconds
(`maximal_queue_lifetime`, `bounce_queue_lifetime`, MAILSTACK.md §2) and whose transport sends
two domains to loopback: one port nobody listens on (connection refused until the message
expires: `Action: delayed` notices, then `Action: failed`, `Status: 4.4.1`) and one aiosmtpd
that greylists every recipient (`450 4.2.0`); those samples are added to expected.json.

Sanitized: LF line ends, the run's random ports replaced by fixed ones, and the script refuses
to write a sample holding the machine's host name or the temp root. Dates and queue ids stay.

    .venv/bin/python -m tests.tools.make_postfix_samples [--out DIR] [--scenarios all|lifetime]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import socket
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from tests.mailstack import BOUNCE_USER, DOMAIN, SKIP_REASON, MailStack, delivery_status, free_ports
from tracking.models import DocumentKind, Reason, RecipientRole, SendingMode
from tracking.outbound.compose import ComposedMessage, OutgoingDocument, OutgoingRecipient, compose
from tracking.verp import token_from_address
from tracking.outbound.xtext import xtext_encode

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "tests" / "data" / "bounces" / "postfix"
VERP_KEY = "postfix-samples-verp-key"        # written to expected.json: tests verify the tokens
SENT_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
FIXED_LMTP_PORT = 24                         # RFC 2033's port, instead of the run's random one
TINY_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

TO, CC = RecipientRole.TO, RecipientRole.CC
NOTIFY_ALL = ("NOTIFY=SUCCESS,FAILURE,DELAY",)


@dataclass(frozen=True)
class Expect:
    """One recipient of one DSN, as the parser must report it (reasons are sisimai's names)."""

    recipient: str
    action: str
    status: str
    replycode: str
    reason: Reason

    def as_json(self) -> dict[str, object]:
        return {
            "recipient": self.recipient, "action": self.action, "status": self.status,
            "replycode": self.replycode, "reason": self.reason.value,
            "hardbounce": self.reason.is_hard(self.status),
        }


@dataclass
class Sample:
    name: str
    kind: str                                 # BounceKind value
    expect: list[Expect]
    send_id: str = ""
    raw: bytes = b""
    correlation: dict[str, str] = field(default_factory=dict)


def user(name: str) -> str:
    return f"{name}@{DOMAIN}"


def document(number: str, attachment: bytes | None = None) -> OutgoingDocument:
    return OutgoingDocument(
        document_id=f"doc-{number}", kind=DocumentKind.INVOICE, number=number, amount="1234.50",
        currency="EUR", issue_date=date(2026, 3, 1), client_name="Client Example",
        account_name="Atelier Exemple", language="fr", sender_address="factures@atelier.example",
        sender_name="Atelier Exemple", reply_to=None, attachment=attachment,
        attachment_filename="facture.pdf" if attachment else "",
    )


def composed_invoice(send_id: str, number: str, recipients: list[tuple[str, RecipientRole]],
                     attachment: bytes | None = None) -> ComposedMessage:
    """The project's own relay-mode message for one invoice (compose is pure)."""
    return compose(
        document(number, attachment),
        [OutgoingRecipient(address, role, i) for i, (address, role) in enumerate(recipients)],
        send_id=send_id, mode=SendingMode.RELAY, message_domain="atelier.example",
        bounce_domain=DOMAIN, verp_key=VERP_KEY.encode(), date=SENT_AT,
    )


def send_relay(stack: MailStack, send_id: str, number: str,
               recipients: list[tuple[str, RecipientRole]]) -> None:
    """As the project's relay mode sends: one envelope per recipient, each with its VERP path."""
    composed = composed_invoice(send_id, number, recipients)
    payload = composed.message.as_bytes(policy=email.policy.SMTP)
    for envelope in composed.envelopes:
        options = {recipient.address: opts for recipient, opts in envelope.recipients}
        stack.send(envelope.mail_from, options, payload, envelope.mail_options)


def send_one_envelope(
    stack: MailStack, send_id: str, number: str, recipients: list[tuple[str, RecipientRole]],
    *, dsn: bool, attachment: bytes | None = None,
) -> str:
    """All recipients in one envelope from the plain bounce address (how an `smtp`-mode relay
    or another sender's MTA does it): one DSN then reports several recipients."""
    composed = composed_invoice(send_id, number, recipients, attachment)
    payload = composed.message.as_bytes(policy=email.policy.SMTP)
    options = {
        address: (*NOTIFY_ALL, f"ORCPT=rfc822;{xtext_encode(address)}") if dsn else ()
        for address, _ in recipients
    }
    mail_options = ("RET=HDRS", f"ENVID={xtext_encode(send_id)}") if dsn else ()
    return stack.send(user(BOUNCE_USER), options, payload, mail_options)


def collect(stack: MailStack, seen: int, count: int) -> list[bytes]:
    """The `count` DSNs that arrived in the bounce mailbox after the first `seen`."""
    messages = stack.wait_for_messages(BOUNCE_USER, seen + count, timeout=30)
    return messages[seen:]


def check(sample: Sample) -> None:
    """The DSN must say what the scenario has to give; otherwise refuse to write it."""
    per_message, blocks = delivery_status(sample.raw)
    if not sample.expect and blocks:
        raise SystemExit(f"{sample.name}: expected no delivery report, got {blocks}")
    got = [(b.get("final-recipient", "").split(";")[-1].strip().lower(), b.get("action"), b.get("status"))
           for b in blocks]
    want = [(e.recipient, e.action, e.status) for e in sample.expect]
    if sorted(got) != sorted(want):
        raise SystemExit(f"{sample.name}: Postfix reported {got}, expected {want}")
    message = email.message_from_bytes(sample.raw)
    delivered_to = str(message.get("Delivered-To", ""))
    if not sample.expect:
        # Not a report: nothing was returned, only our own header is there to be read.
        sample.correlation = {"delivered_to": delivered_to, "tracking_id": sample.send_id}
        return
    sample.correlation = {
        "delivered_to": delivered_to,
        "verp_token": token_from_address(delivered_to) or "",
        "envelope_id": per_message.get("original-envelope-id", ""),
        # compose: Message-ID <suivi.<send id>@<message domain>>, X-Suivi-Tracking: <send id>
        "message_id": f"<suivi.{sample.send_id}@atelier.example>",
        "tracking_id": sample.send_id,
    }


def by_action(messages: list[bytes]) -> dict[str, bytes]:
    found = {}
    for raw in messages:
        _, blocks = delivery_status(raw)
        found[blocks[0]["action"] if blocks else "none"] = raw
    return found


def produce(stack: MailStack) -> list[Sample]:
    samples: list[Sample] = []
    seen = 0

    def take(sample: Sample, raw: bytes) -> None:
        sample.raw = raw
        samples.append(sample)

    # One recipient each, exactly as the project's relay mode sends.
    singles = [
        ("unknown-user", "s-2026-0301", "F2026-0301", "nosuchuser", "failure",
         Expect(user("nosuchuser"), "failed", "5.1.1", "550", Reason.USERUNKNOWN)),
        ("mailbox-full", "s-2026-0302", "F2026-0302", "full", "failure",
         Expect(user("full"), "failed", "5.2.2", "552", Reason.MAILBOXFULL)),
        ("delayed-quota", "s-2026-0303", "F2026-0303", "tempfull", "delay",
         Expect(user("tempfull"), "delayed", "4.2.2", "452", Reason.MAILBOXFULL)),
        ("delivered", "s-2026-0304", "F2026-0304", "alice", "success",
         Expect(user("alice"), "delivered", "2.0.0", "250", Reason.DELIVERED)),
    ]
    for name, send_id, number, rcpt, kind, expect in singles:
        send_relay(stack, send_id, number, [(user(rcpt), TO)])
        [raw] = collect(stack, seen, 1)
        seen += 1
        take(Sample(name, kind, [expect], send_id), raw)

    # An ordinary message (the delivered invoice itself): must not be read as a bounce.
    [original] = stack.wait_for_messages("alice", 1)
    take(Sample("ordinary-delivered-invoice", "not_a_bounce", [], "s-2026-0304"), original)

    # One envelope, to + cc, every outcome at once: three DSNs from one send.
    send_one_envelope(stack, "s-2026-0305", "F2026-0305", [
        (user("alice"), TO), (user("ghost"), TO), (user("full"), CC), (user("tempfull"), CC),
    ], dsn=True)
    mixed = by_action(collect(stack, seen, 3))
    seen += 3
    take(Sample("mixed-failed", "failure", [
        Expect(user("ghost"), "failed", "5.1.1", "550", Reason.USERUNKNOWN),
        Expect(user("full"), "failed", "5.2.2", "552", Reason.MAILBOXFULL),
    ], "s-2026-0305"), mixed["failed"])
    take(Sample("mixed-delivered", "success", [
        Expect(user("alice"), "delivered", "2.0.0", "250", Reason.DELIVERED),
    ], "s-2026-0305"), mixed["delivered"])
    take(Sample("mixed-delayed", "delay", [
        Expect(user("tempfull"), "delayed", "4.2.2", "452", Reason.MAILBOXFULL),
    ], "s-2026-0305"), mixed["delayed"])

    # No DSN parameters at all: Postfix returns the whole message (message/rfc822, attachment too).
    send_one_envelope(stack, "s-2026-0306", "F2026-0306", [(user("nobody"), TO)],
                      dsn=False, attachment=TINY_PDF)
    [raw] = collect(stack, seen, 1)
    take(Sample("unknown-user-full-return", "failure", [
        Expect(user("nobody"), "failed", "5.1.1", "550", Reason.USERUNKNOWN),
    ], "s-2026-0306"), raw)

    stack.delete_queued()     # the tempfail user's messages would be retried for days
    for sample in samples:
        check(sample)
        sample.raw = sanitize(sample.raw, stack)
    return samples


# ---- queue lifetime: delays, then expiry (issue 9) -------------------------------------------

REFUSING_DOMAIN = "refused.example"          # routed to a loopback port nobody listens on
GREYLISTING_DOMAIN = "greylist.example"      # routed to an aiosmtpd answering 450 4.2.0
FIXED_REFUSED_PORT, FIXED_GREYLIST_PORT = 2526, 2527
QUEUE_LIFETIME = "20s"


class Greylisting:
    """aiosmtpd handler: every RCPT is greylisted (RFC 6647 §2.1's usual reply)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802, ARG002
        return "450 4.2.0 <" + address + ">: Recipient address rejected: Greylisted, try again later"


def produce_lifetime() -> list[Sample]:
    from aiosmtpd.controller import Controller  # a test dependency (requirements-dev.txt)

    refused_port, greylist_port = free_ports(2)
    greylist = Controller(Greylisting(), hostname="127.0.0.1", port=greylist_port,
                          server_hostname="mx.greylist.example")
    settings = {
        "transport_maps": "inline:{" + f"{REFUSING_DOMAIN}=smtp:[127.0.0.1]:{refused_port}, "
                          f"{GREYLISTING_DOMAIN}=smtp:[127.0.0.1]:{greylist_port}" + "}",
        "maximal_queue_lifetime": QUEUE_LIFETIME,
        "bounce_queue_lifetime": QUEUE_LIFETIME,
        "smtp_connect_timeout": "2s",
    }
    greylist.start()
    try:
        with MailStack(postfix_settings=settings) as stack:
            samples = _lifetime_samples(stack)
            for sample in samples:
                check(sample)
                sample.raw = sanitize(sample.raw, stack, {refused_port: FIXED_REFUSED_PORT,
                                                          greylist_port: FIXED_GREYLIST_PORT})
    finally:
        greylist.stop()
    return samples


def _lifetime_samples(stack: MailStack) -> list[Sample]:
    refused, greylisted = f"jean@{REFUSING_DOMAIN}", f"marie@{GREYLISTING_DOMAIN}"
    send_relay(stack, "s-2026-0310", "F2026-0310", [(refused, TO)])
    send_relay(stack, "s-2026-0311", "F2026-0311", [(greylisted, TO)])
    # a delay notice for each (delay_warning_time = 1s), then the failure when the lifetime ends
    messages = stack.wait_for_messages(BOUNCE_USER, 4, timeout=120)
    found: dict[tuple[str, str], bytes] = {}
    for raw in messages:
        _, blocks = delivery_status(raw)
        if blocks:
            recipient = blocks[0].get("final-recipient", "").split(";")[-1].strip().lower()
            found.setdefault((recipient, blocks[0].get("action", "")), raw)
    # Reasons: a delay is never `expired` (the message is still being retried); the failure at
    # the end of the queue lifetime is `expired`, whatever the last attempt's trouble was — a
    # refused connection is not a block (issue 9).
    samples = [
        Sample("delayed-connection-refused", "delay",
               [Expect(refused, "delayed", "4.4.1", "", Reason.NETWORKERROR)], "s-2026-0310",
               found[(refused, "delayed")]),
        Sample("expired-connection-refused", "failure",
               [Expect(refused, "failed", "4.4.1", "", Reason.EXPIRED)], "s-2026-0310",
               found[(refused, "failed")]),
        Sample("delayed-greylisted", "delay",
               [Expect(greylisted, "delayed", "4.2.0", "450", Reason.SPEEDING)], "s-2026-0311",
               found[(greylisted, "delayed")]),
        Sample("expired-greylisted", "failure",
               [Expect(greylisted, "failed", "4.2.0", "450", Reason.EXPIRED)], "s-2026-0311",
               found[(greylisted, "failed")]),
    ]
    return samples


def sanitize(raw: bytes, stack: MailStack, fixed_ports: dict[int, int] | None = None) -> bytes:
    text = raw.replace(b"\r\n", b"\n")
    for port in (stack.lmtp_port, stack.smtp_port, stack.imap_port):
        text = text.replace(f"]:{port}".encode(), f"]:{FIXED_LMTP_PORT}".encode())
    for port, fixed in (fixed_ports or {}).items():
        text = text.replace(f"]:{port}".encode(), f"]:{fixed}".encode())
    forbidden = [socket.gethostname().encode(), str(stack.root).encode(), b"mailstack-"]
    for needle in forbidden:
        if needle and needle in text:
            raise SystemExit(f"machine-specific text {needle!r} in a sample; not writing it")
    return text


def write(samples: list[Sample], out: Path, *, merge: bool = False) -> None:
    """Write the samples and expected.json; `merge` keeps the entries already recorded there
    (a run of some scenarios only)."""
    out.mkdir(parents=True, exist_ok=True)
    expected: dict[str, object] = {}
    if merge and (out / "expected.json").exists():
        expected.update(json.loads((out / "expected.json").read_text())["samples"])
    for sample in samples:
        (out / f"{sample.name}.eml").write_bytes(sample.raw)
        message = email.message_from_bytes(sample.raw)
        expected[f"{sample.name}.eml"] = {
            "kind": sample.kind,
            "recipients": [e.as_json() for e in sample.expect],
            "subject": str(message.get("Subject", "")),
            **sample.correlation,
        }
    document = {
        "about": "Real DSNs from Postfix 3.7 + Dovecot 2.3 (tests/tools/make_postfix_samples.py).",
        "verp_key": VERP_KEY,
        "samples": expected,
    }
    (out / "expected.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--scenarios", choices=("all", "lifetime"), default="all",
                        help="lifetime: only the delay / expiry samples, added to expected.json")
    args = parser.parse_args(argv)
    if SKIP_REASON:
        print(f"cannot run: {SKIP_REASON}", file=sys.stderr)
        return 2
    samples: list[Sample] = []
    if args.scenarios == "all":
        with MailStack() as stack:
            samples += produce(stack)
    samples += produce_lifetime()
    write(samples, args.out, merge=args.scenarios != "all")
    print(f"wrote {len(samples)} samples and expected.json to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
