"""The sandbox's address rules as data (no server here, so the console can show them without
loading aiosmtpd): which recipient address makes the sandbox deliver, bounce, defer, auto-reply
or complain, what comes back, and the state the console then shows.

`<word>` is the local part, or its part before the first `-` (case-insensitive), so
`unknown-jean@client.example` is "unknown"; any address at a `.invalid` domain has no such
domain; every other address is delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tracking.labels import reason_name, word
from tracking.models import BounceKind, DeliveryState, Reason


class Behaviour(StrEnum):
    DELIVER = "deliver"
    NO_SUCH_DOMAIN = "no_such_domain"
    UNKNOWN_USER = "unknown_user"
    MAILBOX_FULL = "mailbox_full"
    BLOCKED = "blocked"
    SPAM = "spam"
    DEFER_THEN_DELIVER = "defer_then_deliver"
    LATE_BOUNCE = "late_bounce"
    AUTO_REPLY = "auto_reply"
    COMPLAINT = "complaint"
    REJECT = "reject"
    TEMPFAIL = "tempfail"



@dataclass(frozen=True)
class SandboxRule:
    """One address rule: an example, what SMTP answers, what comes back (kind, reason, status),
    and the state the console ends up showing for a relay-mode send."""

    behaviour: Behaviour
    example: str
    at_smtp: str
    returns: tuple[tuple[BounceKind, Reason | None, str], ...]
    state: DeliveryState


_DELIVERED = (BounceKind.SUCCESS, Reason.DELIVERED, "2.0.0")
RULES: tuple[SandboxRule, ...] = (
    SandboxRule(Behaviour.DELIVER, "jean@client.example", "250", (_DELIVERED,),
                DeliveryState.DELIVERED),
    SandboxRule(Behaviour.NO_SUCH_DOMAIN, "jean@nxdomain.invalid", "250",
                ((BounceKind.FAILURE, Reason.HOSTUNKNOWN, "5.1.2"),),
                DeliveryState.NOT_DELIVERED),
    SandboxRule(Behaviour.UNKNOWN_USER, "unknown-jean@client.example", "250",
                ((BounceKind.FAILURE, Reason.USERUNKNOWN, "5.1.1"),),
                DeliveryState.NOT_DELIVERED),
    SandboxRule(Behaviour.MAILBOX_FULL, "full-jean@client.example", "250",
                ((BounceKind.FAILURE, Reason.MAILBOXFULL, "5.2.2"),),
                DeliveryState.NOT_DELIVERED),
    SandboxRule(Behaviour.BLOCKED, "blocked-jean@client.example", "250",
                ((BounceKind.FAILURE, Reason.BLOCKED, "5.7.1"),), DeliveryState.NOT_DELIVERED),
    SandboxRule(Behaviour.SPAM, "spam-jean@client.example", "250",
                ((BounceKind.FAILURE, Reason.SPAMDETECTED, "5.7.1"),),
                DeliveryState.NOT_DELIVERED),
    SandboxRule(Behaviour.DEFER_THEN_DELIVER, "defer-jean@client.example", "250",
                ((BounceKind.DELAY, None, "4.2.0"), _DELIVERED), DeliveryState.DELIVERED),
    SandboxRule(Behaviour.LATE_BOUNCE, "late-jean@client.example", "250",
                (_DELIVERED, (BounceKind.FAILURE, Reason.USERUNKNOWN, "5.1.1")),
                DeliveryState.NOT_DELIVERED),
    SandboxRule(Behaviour.AUTO_REPLY, "vacation-jean@client.example", "250",
                (_DELIVERED, (BounceKind.AUTOREPLY, Reason.VACATION, "")),
                DeliveryState.DELIVERED),
    SandboxRule(Behaviour.COMPLAINT, "complain-jean@client.example", "250",
                (_DELIVERED, (BounceKind.COMPLAINT, Reason.FEEDBACK, "")),
                DeliveryState.DELIVERED),
    SandboxRule(Behaviour.REJECT, "reject-jean@client.example", "550 5.1.1 (RCPT)", (),
                DeliveryState.NOT_SENT),
    SandboxRule(Behaviour.TEMPFAIL, "tempfail-jean@client.example", "451 4.3.0 (RCPT)", (),
                DeliveryState.PENDING),
)
# Words that pick a behaviour besides the rules' examples (`autoreply` is `vacation`'s twin).
_SYNONYMS = {"autoreply": Behaviour.AUTO_REPLY}


# The word of each rule is its example's first word (see the module docstring).
_BY_WORD = {**{rule.example.split("@")[0].split("-", 1)[0]: rule.behaviour for rule in RULES
               if rule.behaviour not in (Behaviour.DELIVER, Behaviour.NO_SUCH_DOMAIN)},
            **_SYNONYMS}


def behaviour_for(address: str) -> Behaviour:
    local_part, _, domain = address.strip().strip("<>").lower().rpartition("@")
    if domain.endswith(".invalid"):
        return Behaviour.NO_SUCH_DOMAIN
    return _BY_WORD.get(local_part.split("-", 1)[0], Behaviour.DELIVER)




def rules_table(language: str = "fr") -> list[dict[str, str]]:
    """RULES in words, for the README and the demo's Mailbox page."""
    en = language == "en"
    headers = (("Adresse (exemple)", "Address (example)"), ("À l'envoi (SMTP)", "At send (SMTP)"),
               ("Ce qui revient", "What comes back"), ("État affiché", "State shown"))
    nothing = "rien" if not en else "nothing"
    then = " puis " if not en else " then "
    rows = []
    for rule in RULES:
        returns = then.join(_returned(kind, reason, status, language)
                            for kind, reason, status in rule.returns) or nothing
        values = (rule.example, rule.at_smtp, returns, word(rule.state, language))
        rows.append({pair[1 if en else 0]: value for pair, value in zip(headers, values)})
    return rows


def _returned(kind: BounceKind, reason: Reason | None, status: str, language: str) -> str:
    """`Échec (5.1.1, Destinataire inconnu)`: the kind, its status, and a failure's reason."""
    details = [status] if status else []
    if kind is BounceKind.FAILURE and reason:
        details.append(reason_name(reason, language))
    return word(kind, language) + (f" ({', '.join(details)})" if details else "")
