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
    return suggest_addresses([address], known_domains)[0]


def suggest_addresses(addresses: Iterable[str], known_domains: Iterable[str] = ()
                      ) -> list[str | None]:
    """`suggest_address` for many addresses of one account: the candidates are prepared once
    and each domain is corrected once (the console's list of addresses to correct holds
    thousands of addresses on a few hundred domains, each tried against ~550 candidates)."""
    candidates = _Candidates(known_domains)
    corrected: dict[str, str | None] = {}
    found: list[str | None] = []
    for address in addresses:
        local, at, domain = address.strip().rpartition("@")
        if not at or not local or not domain:
            found.append(None)
            continue
        domain = domain.lower().rstrip(".")
        if domain not in corrected:
            corrected[domain] = candidates.closest(domain)
        found.append(f"{local}@{corrected[domain]}" if corrected[domain] else None)
    return found


# The largest distance `_allowed_distance` allows: candidates longer or shorter by more than
# this are never looked at.
_MOST_SLIPS = 2


class _Candidates:
    """The account's known domains then the common providers, grouped by length, each with the
    set of its letters (for a cheap bound before the distance)."""

    def __init__(self, known_domains: Iterable[str]) -> None:
        known = _unique(d.strip().lower() for d in known_domains if d and d.strip())
        self.known = set(known)
        self.all = set(known) | set(COMMON_DOMAINS)
        self.by_length: dict[int, list[tuple[str, frozenset[str], str]]] = {}
        for candidate in _unique([*known, *COMMON_DOMAINS]):
            self.by_length.setdefault(len(candidate), []).append(
                (candidate, frozenset(candidate), candidate.partition(".")[2]))

    def closest(self, domain: str) -> str | None:
        """The one clearly closest candidate to `domain` (lower-cased), or None."""
        if domain in self.all:
            return None
        if domain in KNOWN_SLIPS:
            return KNOWN_SLIPS[domain]
        best: list[tuple[int, int, str]] = []   # (distance, 0 when known to the account, domain)
        own = frozenset(domain)
        name, _, ending = domain.partition(".")
        for length in range(len(domain) - _MOST_SLIPS, len(domain) + _MOST_SLIPS + 1):
            for candidate, letters, candidate_ending in self.by_length.get(length, ()):
                limit = _allowed_distance(len(name), ending == candidate_ending)
                # Each edit adds or drops at most two of the letters a name uses (a swap
                # none): a cheap bound that spares most candidates the distance itself.
                if abs(length - len(domain)) > limit or len(own ^ letters) > 2 * limit:
                    continue
                distance = edit_distance(domain, candidate, limit)
                if distance <= limit:
                    best.append((distance, 0 if candidate in self.known else 1, candidate))
        if not best:
            return None
        best.sort()
        if len(best) > 1 and best[0][:2] == best[1][:2]:
            return None   # two candidates equally close: no honest guess
        return best[0][2]


def _allowed_distance(name_length: int, same_ending: bool) -> int:
    """One slip; two only inside a long name (the part before the first dot) with the same
    ending (`wanadooo.ffr` is not, `laposste.nte` is not, but `orrange-busines.fr` can only be
    one thing). Two slips across endings would turn real domains into others (`hotmail.de` →
    `hotmail.fr`)."""
    return 2 if same_ending and name_length >= 8 else 1


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    two adjacent letters each cost one (`gmial` → `gmail` is one swap). With a `limit`, any
    distance past it is `limit + 1`, and only the cells within `limit` of the diagonal are
    computed (the others are past it anyway): the suggestion tries hundreds of candidates."""
    if limit is None:
        limit = max(len(a), len(b))   # the largest distance there is: no cut
    if limit <= _MOST_SLIPS:
        return _within(a, b, limit)
    return _table_distance(a, b, limit)


def _table_distance(a: str, b: str, limit: int) -> int:
    """`edit_distance` by its table, cells within `limit` of the diagonal only."""
    past = limit + 1
    if abs(len(a) - len(b)) > limit:
        return past
    previous2: list[int] = []
    previous = [j if j <= limit else past for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        current = [i if i <= limit else past] + [past] * len(b)
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return past
        previous2, previous = previous, current
    return min(previous[-1], past)


def _within(a: str, b: str, limit: int) -> int:
    """`edit_distance` for a small `limit`, by trying the few edits at the first difference.

    The equal ends are cut first (an optimal alignment matches them), then each of the four
    edits that can fix the first differing letter — substitute, delete, insert, swap with the
    next — is tried with one slip less. With a limit of two that is at most 21 calls on short
    strings, against the whole band of the table: the console's list of addresses to correct
    measured ~75 µs a distance with the table and ~1,400 distances a second at 1M documents."""
    if a == b:
        return 0
    start, end = 0, min(len(a), len(b))
    while start < end and a[start] == b[start]:
        start += 1
    a_end, b_end = len(a), len(b)
    while a_end > start and b_end > start and a[a_end - 1] == b[b_end - 1]:
        a_end, b_end = a_end - 1, b_end - 1
    a, b = a[start:a_end], b[start:b_end]
    if not a or not b:
        return min(len(a) + len(b), limit + 1)
    if limit == 0:
        return 1
    fewer = limit - 1
    best = 1 + min(_within(a[1:], b[1:], fewer), _within(a[1:], b, fewer),
                   _within(a, b[1:], fewer))
    if len(a) > 1 and len(b) > 1 and a[0] == b[1] and a[1] == b[0]:
        best = min(best, 1 + _within(a[2:], b[2:], fewer))
    return min(best, limit + 1)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
