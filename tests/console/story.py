"""A document with a story, for the box tests (AppTest and browser): sent online to three
addresses (one delivered, one mistyped domain, one unknown user), then marked sent by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests.actors import support
from tests.dsn_events import record_report
from tracking.models import EventType
from tracking.service import SendPolicy, SendRequest, mark_sent_manually, request_send
from tracking.store.marks import refresh_marks

DELIVERED = "paul.girard@atelier-client.fr"
TYPO = "jean.morel@outlok.com"          # hostunknown: the likely correction is outlook.com
UNKNOWN = "marie.roux@gmail.com"        # userunknown: no correction, suppressed


@dataclass(frozen=True)
class Story:
    document_id: str
    number: str
    first_send: str


def tell(db, *, now: datetime | None = None) -> Story:
    """Write the story on an unsent relay document of Atelier Dubois (Europe/Paris)."""
    now = now or datetime.now(UTC)
    cursor = db.cursor()
    document_id, number = cursor.execute(
        """SELECT d.id, d.number FROM documents d
           WHERE d.account_id = 'acct-dubois'
             AND NOT EXISTS (SELECT 1 FROM sends s WHERE s.document_id = d.id)
           ORDER BY d.id LIMIT 1""").fetchone()
    policy = SendPolicy(message_domain="suivi.test", verp_key=b"story-verp-key")
    first = now - timedelta(days=2)
    receipt = request_send(db, SendRequest(document_id, (DELIVERED, TYPO), (UNKNOWN,),
                                           support("m.lefevre")), policy, now=first)
    later = first + timedelta(minutes=3)
    record_report(db, receipt.send_id, 0, document_id, "acct-dubois", DELIVERED,
                  reason="delivered", status="2.0.0", at=later, kind=EventType.DSN_DELIVERED)
    record_report(db, receipt.send_id, 1, document_id, "acct-dubois", TYPO,
                  reason="hostunknown", status="5.4.4", at=later)
    record_report(db, receipt.send_id, 2, document_id, "acct-dubois", UNKNOWN,
                  reason="userunknown", status="5.1.1", at=later)
    mark_sent_manually(db, document_id, support("j.dubois"), now=now - timedelta(days=1),
                       note="posté")
    refresh_marks(db)   # as the owner's marks loop would (the list's filters, the bounced addresses)
    return Story(document_id, number, receipt.send_id)
