"""The system actor in words: which worker acted follows from the event's type; people are
left to their names."""

from __future__ import annotations

import pytest

from tracking.labels import SystemActor, actor_word
from tracking.models import SYSTEM_ACTOR, EventType


@pytest.mark.parametrize("event_type, fr, en", [
    (EventType.DSN_FAILED, "Système (lecture des retours)", "System (returned mail)"),
    (EventType.AUTOREPLY_RECEIVED, "Système (lecture des retours)", "System (returned mail)"),
    (EventType.RECIPIENT_REFUSED, "Système (envoi automatique)", "System (automatic sending)"),
    (EventType.SEND_INTERRUPTED, "Système (envoi automatique)", "System (automatic sending)"),
    (EventType.DOCUMENT_CREATED, "Système", "System"),
    (None, "Système", "System"),
    ("not-an-event", "Système", "System"),
])
def test_the_system_actor_is_worded_by_what_it_did(event_type, fr, en):
    assert actor_word(SYSTEM_ACTOR, event_type, "fr") == fr
    assert actor_word(SYSTEM_ACTOR, event_type, "en") == en


def test_every_system_actor_has_words_and_people_have_none():
    for who in SystemActor:
        assert actor_word(str(who), None, "fr").startswith("Système")
        assert actor_word(str(who), None, "en").startswith("System")
    assert actor_word("m.lefevre", EventType.DSN_FAILED) is None
    assert actor_word(None) is None
    assert actor_word("System") is None       # logins compare exactly: a user may be "System"
