"""Bad document data is refused before it is queued (nothing written), and data already stored
that compose cannot use fails that one send with its cause — never a batch, never "unknown"."""

from __future__ import annotations

import pytest

from tests.actors import support
from tests.core.conftest import seed, table_counts
from tests.core.test_outbox import ScriptedServer, env_for
from tracking.config import load_settings
from tracking.errors import RefusedValue
from ui.errors import wording as explain_refusal
from tracking.models import DeliveryState, EventType, SendingMode
from tracking.outbound.smtp import SmtpTransport
from tracking.outbound.smtpd import LoopbackController
from tracking.outbox import Outbox
from tracking.service import SendRequest, request_send, request_sends
from tracking.store import queries
from tracking.validation import check_address, unsafe_character

# One of each class: CR, LF, NUL, SOH, TAB, ESC, DEL, the C1 NEL and CSI, U+2028, U+2029.
BAD_CHARACTERS = ["\r", "\n", "\x00", "\x01", "\t", "\x1b", "\x7f", "\x85", "\x9b",
                  "\u2028", "\u2029"]
# field -> how a test puts a value into it (parameterized SQL on the seeded rows)
FIELD_UPDATES = {
    "document_number": "UPDATE documents SET number = ? WHERE id = ?",
    "account_name": "UPDATE accounts SET name = ? WHERE id = (SELECT account_id FROM documents "
                    "WHERE id = ?)",
    "sender_name": "UPDATE accounts SET sender_name = ? WHERE id = (SELECT account_id FROM "
                   "documents WHERE id = ?)",
    "sender_address": "UPDATE accounts SET sender_address = ? WHERE id = (SELECT account_id "
                      "FROM documents WHERE id = ?)",
    "client_name": "UPDATE clients SET name = ? WHERE id = (SELECT client_id FROM documents "
                   "WHERE id = ?)",
}
CLEAN = {"document_number": "FV 2026/0042", "account_name": "Atelier Dupont",
         "sender_name": "Compta", "sender_address": "compta@dupont.test",
         "client_name": "Client SARL"}


def poison(value: str, character: str) -> str:
    """`value` with `character` in its middle (where no strip would remove it)."""
    middle = len(value) // 2
    return value[:middle] + character + value[middle:]


def test_every_control_class_is_recognised_and_ordinary_text_is_not():
    for character in BAD_CHARACTERS:
        assert unsafe_character(poison("Facture 42", character)) == character
    for fine in ("Société Générale — Facture n° 42", "Ünïcødé 東京 ✓", "a@b.example"):
        assert unsafe_character(fine) is None


@pytest.mark.parametrize("character", BAD_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("field", [*FIELD_UPDATES, "to", "cc"])
def test_a_control_character_in_any_header_bound_field_is_refused_and_nothing_written(
        db, policy, field, character):
    documents = seed(db)
    document_id = documents[SendingMode.RELAY][0]
    to, cc = ["billing@client.test"], ["boss@client.test"]
    if field in FIELD_UPDATES:
        with db.transaction() as cursor:
            cursor.execute(FIELD_UPDATES[field], [poison(CLEAN[field], character), document_id])
    else:
        target = to if field == "to" else cc
        target[0] = poison(target[0], character)
    before = table_counts(db)
    with pytest.raises(RefusedValue) as refused:
        request_send(db, SendRequest(document_id, tuple(to), tuple(cc), support("alice")), policy)
    expected_field = "recipient" if field in ("to", "cc") else field
    assert refused.value.code == "control_character"
    assert refused.value.params == {"field": expected_field,
                                    "character": f"U+{ord(character):04X}"}
    assert table_counts(db) == before


@pytest.mark.parametrize("local, domain_length, code", [
    (64, 10, None), (65, 10, "local_part_too_long"),
    (64, 254 - 65, None), (64, 255 - 65, "address_too_long"),
])
def test_address_lengths_follow_rfc_5321(db, policy, local, domain_length, code):
    domain = ("d" * (domain_length - 5)) + ".test"
    address = "l" * local + "@" + domain
    assert len(domain) == domain_length
    documents = seed(db)
    before = table_counts(db)
    request = SendRequest(documents[SendingMode.SMTP][0], (address,), actor=support("alice"))
    if code is None:
        check_address(address, "recipient")
        assert request_send(db, request, policy).created
        return
    with pytest.raises(RefusedValue) as refused:
        request_send(db, request, policy)
    assert refused.value.code == code
    assert refused.value.params["octets"] == len(address.encode() if code == "address_too_long"
                                                 else ("l" * local).encode())
    assert table_counts(db) == before


def test_the_5000_character_local_part_of_the_issue_is_refused(db, policy):
    documents = seed(db)
    with pytest.raises(RefusedValue, match="5000 octets"):
        request_send(db, SendRequest(documents[SendingMode.SMTP][0], ("x" * 5000 + "@a.test",),
                                     actor=support("alice")), policy)


def test_a_long_sender_address_is_refused_like_a_recipient(db, policy):
    documents = seed(db)
    document_id = documents[SendingMode.SMTP][0]
    with db.transaction() as cursor:
        cursor.execute(FIELD_UPDATES["sender_address"], ["s" * 65 + "@dupont.test", document_id])
    with pytest.raises(RefusedValue) as refused:
        request_send(db, SendRequest(document_id, ("a@b.test",), actor=support("alice")), policy)
    assert (refused.value.code, refused.value.params["field"]) == ("local_part_too_long",
                                                                   "sender_address")


def test_one_bad_document_in_a_bulk_send_refuses_the_whole_selection(db, policy):
    documents = seed(db)
    good, bad = documents[SendingMode.RELAY][0], documents[SendingMode.SMTP][1]
    with db.transaction() as cursor:
        cursor.execute(FIELD_UPDATES["document_number"], ["FV\r\nBcc: everyone@x.test", bad])
    before = table_counts(db)
    with pytest.raises(RefusedValue, match="document_number"):
        request_sends(db, [SendRequest(good, ("a@b.test",), actor=support("alice")),
                           SendRequest(bad, ("a@b.test",), actor=support("alice"))], policy)
    assert table_counts(db) == before


@pytest.fixture
def server():
    handler = ScriptedServer()
    controller = LoopbackController(handler)
    controller.start()
    yield handler, controller.port
    controller.stop()


def test_a_stored_document_compose_refuses_fails_only_its_own_send_with_the_cause(db, server):
    """Rows written before the checks existed (or by another tool) reach the outbox: that send
    ends `not_sent` with the exact cause, the rest of the batch goes out, nothing is unknown."""
    handler, port = server
    documents = seed(db)
    settings = load_settings(env_for(port))
    from tracking.service import SendPolicy
    policy = SendPolicy.from_settings(settings)
    bad_doc, good_doc = documents[SendingMode.SMTP][0], documents[SendingMode.RELAY][0]
    bad = request_send(db, SendRequest(bad_doc, ("one@client.test",), actor=support("alice")),
                       policy).send_id
    good = request_send(db, SendRequest(good_doc, ("two@client.test",), actor=support("alice")),
                        policy).send_id
    with db.transaction() as cursor:  # the document changes after it was queued
        cursor.execute(FIELD_UPDATES["document_number"], ["FV 42\r\nBcc: all@x.test", bad_doc])
    with SmtpTransport(settings.smtp) as transport:
        Outbox(db, transport, settings, sleep=lambda _: None).run_until_empty()
    cursor = db.cursor()
    (refused,) = queries.deliveries_of_send(cursor, bad)
    assert refused.state is DeliveryState.NOT_SENT and not refused.in_flight
    assert "document_number" in refused.reason and "U+000D" in refused.reason
    assert refused.smtp_reply is None      # the server never saw it: no reply to show
    events = queries.events_of_delivery(cursor, bad, 0)
    assert [e.type for e in events] == [EventType.SEND_REQUESTED, EventType.RECIPIENT_REFUSED]
    assert events[-1].details.stage == "compose"
    (sent,) = queries.deliveries_of_send(cursor, good)
    assert sent.state is DeliveryState.SENT
    assert [rcpt for _, rcpt in handler.received] == ["two@client.test"]


@pytest.mark.parametrize("address, field", [
    ("a\rb@c.test", "recipient"), ("l" * 65 + "@c.test", "sender_address"),
    ("l@" + "d" * 250 + ".test", "recipient"), ("not-an-address", "recipient"),
])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_refusal_has_words_in_both_languages(address, field, language):
    with pytest.raises(RefusedValue) as refused:
        check_address(address, field)
    words = explain_refusal(refused.value.code, refused.value.params, language)
    assert words and words != str(refused.value) and "_" not in words  # names, not codes
    assert ("adresse" in words) == (language == "fr")


def test_the_compiled_class_is_exactly_category_cc_and_the_line_separators():
    import unicodedata
    for codepoint in range(0x3000):   # C0, C1, Latin, the separators and well beyond
        character = chr(codepoint)
        expected = unicodedata.category(character) == "Cc" or character in "\u2028\u2029"
        assert (unsafe_character(f"a{character}b") == character) is expected, hex(codepoint)
