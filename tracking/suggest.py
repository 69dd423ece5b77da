"""The likely correction of a mistyped address: `outlok.com` → `outlook.com`, `gmial.com` →
`gmail.com`, a missing, extra, wrong or swapped letter in the domain.

Pure: the caller passes the domains the account already delivered to (its clients' own
company domains are the ones no public list knows). Only the domain is corrected — nobody can
guess a mistyped name before the `@` — and only when one candidate is clearly the closest:
an address whose domain is itself known is left alone, and a tie between two candidates gives
no suggestion rather than a coin toss.
"""

from __future__ import annotations

from collections.abc import Iterable

# Mailbox providers most of an invoicing service's French and European clients use, plus the
# short real domains that sit one letter away from a bigger one (`mail.com` next to
# `gmail.com`, `gmx.fr` next to `gmx.com`), so that they are never "corrected".
COMMON_DOMAINS: tuple[str, ...] = (
    "gmail.com", "googlemail.com", "outlook.com", "outlook.fr", "hotmail.com", "hotmail.fr",
    "live.com", "live.fr", "msn.com", "yahoo.com", "yahoo.fr", "ymail.com", "icloud.com",
    "me.com", "mac.com", "aol.com", "aol.fr", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr",
    "neuf.fr", "laposte.net", "bbox.fr", "numericable.fr", "gmx.fr", "gmx.com", "gmx.de",
    "gmx.net", "web.de", "mail.com", "proton.me", "protonmail.com", "tutanota.com", "zoho.com",
    "yandex.com", "club-internet.fr", "skynet.be", "bluewin.ch", "libero.it", "t-online.de",
    "hotmail.de", "hotmail.it", "hotmail.be", "hotmail.co.uk", "outlook.de", "outlook.be",
    "live.be", "yahoo.de", "yahoo.co.uk", "laposte.fr",
)

# Domains that do not exist but that people type for a provider with another ending (support
# sees `gmail.fr` every week: Gmail has no French domain).
KNOWN_SLIPS: dict[str, str] = {"gmail.fr": "gmail.com", "googlemail.fr": "googlemail.com"}


def suggest_address(address: str, known_domains: Iterable[str] = ()) -> str | None:
    """The corrected address, or None when there is no likely correction.

    `known_domains`: domains this account already delivered to; they are tried first and win
    a tie against the common providers (that the account reached them is evidence)."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return None
    domain = domain.lower().rstrip(".")
    known = _unique(d.strip().lower() for d in known_domains if d and d.strip())
    candidates = _unique([*known, *COMMON_DOMAINS])
    if domain in candidates:
        return None
    if domain in KNOWN_SLIPS:
        return f"{local}@{KNOWN_SLIPS[domain]}"
    best: list[tuple[int, int, str]] = []   # (distance, 0 when known to the account, domain)
    for candidate in candidates:
        limit = _allowed_distance(domain, candidate)
        if abs(len(candidate) - len(domain)) > limit:
            continue
        distance = edit_distance(domain, candidate, limit)
        if distance <= limit:
            best.append((distance, 0 if candidate in known else 1, candidate))
    if not best:
        return None
    best.sort()
    if len(best) > 1 and best[0][:2] == best[1][:2]:
        return None   # two candidates equally close: no honest guess
    return f"{local}@{best[0][2]}"


def _allowed_distance(domain: str, candidate: str) -> int:
    """One slip; two only inside a long name with the same ending (`wanadooo.ffr` is not,
    `laposste.nte` is not, but `orrange-busines.fr` can only be one thing). Two slips across
    endings would turn real domains into others (`hotmail.de` → `hotmail.fr`)."""
    name, _, ending = domain.partition(".")
    same_ending = ending == candidate.partition(".")[2]
    return 2 if same_ending and len(name) >= 8 else 1


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    two adjacent letters each cost one (`gmial` → `gmail` is one swap). Stops early past
    `limit`, returning `limit + 1`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if limit is not None and min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
