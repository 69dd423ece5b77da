"""The words of the closed vocabularies (tracking.labels): each vocabulary keeps its own words
even where two share a stored value — a StrEnum member equals its string, so a table keyed by
members once merged the state `delivered` with the reason `delivered`, and the box, the list and
the exports said "Remis" where the charts and the README say "Réceptionné"."""

from __future__ import annotations

from enum import StrEnum

import pytest

import tracking.models as models
from tracking.labels import word, word_for
from tracking.models import DeliveryState, DocumentStatus, Reason, SendingMode, SendKind


def _shared_values() -> list[tuple[StrEnum, StrEnum]]:
    vocabularies = [v for v in vars(models).values()
                    if isinstance(v, type) and issubclass(v, StrEnum) and v is not StrEnum]
    members = [m for vocabulary in vocabularies for m in vocabulary]
    return [(a, b) for i, a in enumerate(members) for b in members[i + 1:]
            if a.value == b.value and type(a) is not type(b)]


def test_the_vocabularies_do_share_values():
    """What the tests below guard against still exists (else they prove nothing)."""
    assert {a.value for a, _ in _shared_values()} >= {"delivered", "manual", "sent"}


@pytest.mark.parametrize(("member", "fr", "en"), [
    (DeliveryState.DELIVERED, "Réceptionné", "Delivered"),
    (Reason.DELIVERED, "Remis", "Delivered"),
    (SendingMode.MANUAL, "Envoi manuel", "Sent by hand"),
    (SendKind.MANUAL, "Envoi manuel", "Manual send"),
    (DeliveryState.SENT, "Envoyé", "Sent"),
    (DocumentStatus.SENT, "Envoyé", "Sent"),
])
def test_a_shared_value_keeps_its_own_vocabulary_s_words(member, fr, en):
    assert word(member, "fr") == fr and word(member, "en") == en
    assert word_for(type(member), member.value, "fr") == fr
