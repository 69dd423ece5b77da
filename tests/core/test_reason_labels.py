"""The words the console shows for a delivery's reason (tracking.labels), issue 9: no failure
without words, and a delay never reads as given up."""

from __future__ import annotations

from tracking.labels import (
    explain_reason,
    failure_explanation,
    no_reason_given,
    pending_explanation,
)
from tracking.models import Reason


def test_a_failure_without_a_reason_says_the_server_gave_none():
    for missing in (None, "", "onhold", "undefined", "550 5.1.1 raw reply stored by an old version"):
        assert failure_explanation(missing, "fr") == "Le serveur n'a pas donné de raison."
        assert failure_explanation(missing, "en") == "The server gave no reason."
    assert no_reason_given("en") == "The server gave no reason."


def test_a_failure_with_a_reason_says_it():
    assert failure_explanation("userunknown", "fr") == explain_reason(Reason.USERUNKNOWN, "fr")
    assert "n'existe pas" in failure_explanation(Reason.USERUNKNOWN, "fr")


def test_a_pending_delivery_is_never_given_up():
    assert pending_explanation("expired", "fr") == "Remise retardée : le serveur d'envoi réessaie."
    assert "given up" not in pending_explanation("expired", "en")
    assert "given up" in explain_reason("expired", "en")  # a final failure may say so
    assert pending_explanation("mailboxfull", "en") == explain_reason("mailboxfull", "en")
