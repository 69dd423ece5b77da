"""Reads for the suppression check (`tracking.suppression`): each address's latest final
outcome in an account, for the addresses of a send or for every address that ever failed hard.

The rule itself is not here: these queries return outcomes, the core decides. They filter on
the reasons that can suppress (a parameter, from `tracking.suppression`) only to read less.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from tracking.clock import from_db
from tracking.store.scope import Scope, in_scope
from tracking.suppression import FAILED, SUPPRESSING_REASONS, Outcome

Cursor = duckdb.DuckDBPyConnection

_FAILED = [str(state) for state in FAILED]
_REASONS = [str(reason) for reason in SUPPRESSING_REASONS]

# An address's latest final (not pending) outcome in an account is the first in this order (the
# definition both reads below share: `_CANDIDATES` in SQL, `latest_outcomes_by_account` by keys).
# Addresses are stored lower-case (the service lower-cases every recipient), so they are
# compared as stored, without a `lower()` on every row of the scan.
_LATEST_FIRST = "x.state_at DESC, s.requested_at DESC, x.idx"


def latest_outcomes(cursor: Cursor, account_id: str, addresses: list[str]) -> list[Outcome]:
    """The latest final outcome of each of `addresses` (any case) in the account that could be
    suppressed (see `latest_outcomes_by_account`)."""
    return latest_outcomes_by_account(cursor, {account_id: addresses}).get(account_id, [])


def latest_outcomes_by_account(cursor: Cursor, wanted: dict[str, list[str]]
                               ) -> dict[str, list[Outcome]]:
    """`latest_outcomes` for several accounts in one read (a bulk send checks every request
    at once): {account id: outcomes of the addresses asked for it}.

    Only addresses that failed at least once for a reason that can suppress (in any account)
    are answered: the latest outcome of any other address cannot suppress it, and it is the
    usual case — a client's billing address that received every invoice for years would
    otherwise have the send of each of those invoices read on every new send to it (the send
    benchmark's bulk send to one address read O(n²) sends this way).

    Every send runs this, so it goes by keys only: the deliveries of the addresses by the
    `deliveries_address` index (migration 11), then their sends and documents by primary key,
    one equality each (DuckDB looks an `= ANY(list)` up by scanning, ≈120 ms on a million
    sends; `id = ?` by its index, under a millisecond). Joined in SQL, the sends and documents
    were hashed whole: a second a send on a million documents. The latest outcome per
    (account, address) is then picked here, in `_LATEST_FIRST`'s order."""
    accounts = sorted(wanted)
    addresses = sorted({a.lower() for some in wanted.values() for a in some})
    if not accounts or not addresses:
        return {}
    # Pending rows are dropped here, not in SQL: any other condition beside the address makes
    # DuckDB leave the index for a scan (≈200 ms instead of 10 on a million documents).
    deliveries = [row for row in cursor.execute(
        """SELECT send_id, idx, address, state, reason, status_code, state_at
           FROM deliveries WHERE address = ANY(?::VARCHAR[])""", [addresses]).fetchall()
                  if row[3] != "pending"]
    could_suppress = {row[2] for row in deliveries if row[3] in _FAILED and row[4] in _REASONS}
    deliveries = [row for row in deliveries if row[2] in could_suppress]
    sends = _by_key(cursor, "SELECT id, account_id, requested_at, document_id FROM sends",
                    {row[0] for row in deliveries})
    sends = {key: row for key, row in sends.items() if row[1] in wanted}
    latest: dict[tuple[str, str], tuple] = {}
    for send_id, idx, address, state, reason, code, at in deliveries:
        send = sends.get(send_id)
        if send is None:
            continue
        key = (send[1], address)
        # newest state (none: last, as DESC sorts NULLs), then newest request, first listed
        rank = (at is not None, at or send[2], send[2], -idx)
        if key not in latest or rank > latest[key][0]:
            latest[key] = (rank, send[3], (address, state, reason, code, from_db(at)))
    asked = {account: {a.lower() for a in some} for account, some in wanted.items()}
    chosen = {key: value for key, value in latest.items() if key[1] in asked[key[0]]}
    # Document numbers of the latest outcomes only, by key like the sends.
    numbers = _by_key(cursor, "SELECT id, number FROM documents",
                      {document_id for _, document_id, _ in chosen.values()})
    found: dict[str, list[Outcome]] = {}
    for (account, _), (_, document_id, fields) in sorted(chosen.items()):
        found.setdefault(account, []).append(
            Outcome(*fields, numbers.get(document_id, (None, None))[1], account))
    return found


_LOOKUPS_PER_QUERY = 200


def _by_key(cursor: Cursor, select: str, keys: set[str]) -> dict[str, tuple]:
    """Rows of `select` (a SELECT of ours whose first column is the table's primary key `id`)
    for these keys, each looked up by equality so the primary key's index serves it; a
    UNION ALL of up to `_LOOKUPS_PER_QUERY` lookups per query."""
    ordered = sorted(keys)
    found: dict[str, tuple] = {}
    for start in range(0, len(ordered), _LOOKUPS_PER_QUERY):
        chunk = ordered[start:start + _LOOKUPS_PER_QUERY]
        sql = " UNION ALL ".join(f"({select} WHERE id = ?)" for _ in chunk)
        found.update((row[0], row) for row in cursor.execute(sql, chunk).fetchall())
    return found


def suppressed_candidates(cursor: Cursor, *, account_id: str | None = None,
                          scope: Scope = None) -> pd.DataFrame:
    """Per account, the addresses whose latest final outcome is a failure with a reason that
    can suppress (`tracking.suppression.is_suppressing` has the last word: the `notaccept`
    code), newest first, with the account's name and zone."""
    scoped, params = in_scope("x.account_id", scope)
    return cursor.execute(
        _CANDIDATES.format(scope=scoped, latest_first=_CANDIDATES_LATEST_FIRST),
        [_FAILED, _REASONS, account_id, account_id, *params, account_id, account_id, *params,
         _FAILED, _REASONS]).df()


# `_LATEST_FIRST` with the request moment each delivery carries (migration 14): the same order.
_CANDIDATES_LATEST_FIRST = _LATEST_FIRST.replace("s.requested_at", "x.requested_at")

# `suppressed_candidates` in three steps, each reading little (on a million documents the
# one-step pick over every delivery of a once-bounced address took seconds: 410,000
# deliveries joined to their sends and sorted, behind a semi-join DuckDB built on the wrong side).
#  1. `since`: per address, how far back its outcomes matter: the oldest, over its accounts, of
#     each account's latest suppressing failure. An outcome older than that cannot be the
#     latest of an account whose latest is such a failure (it is outranked by that failure,
#     the order being newest state first; `state_at` is NOT NULL).
#  2. `recent`: the final outcomes from there on; the latest per (account, address) among them
#     is the true latest when it is such a failure, and is not such a failure otherwise (an
#     account with none has none to pick).
#  3. the sends, documents and accounts of the few chosen rows only.
# Steps 1 and 2 read the deliveries alone: each carries its send's account and request moment
# (migration 14). Joined to their sends, each step hashed a million sends (on the 1M demo
# ≈0.6 s of this read's 1.9 s; same run, load ~10).
# On PostgreSQL, migration 16's indexes serve both steps (100k demo: 388 -> 186 ms).
_CANDIDATES = """
    WITH failed AS (
        SELECT x.account_id, x.address, max(x.state_at) AS latest
        FROM deliveries x
        WHERE x.state = ANY(?::VARCHAR[]) AND x.reason = ANY(?::VARCHAR[])
          AND (?::VARCHAR IS NULL OR x.account_id = ?) AND {scope}
        GROUP BY x.account_id, x.address),
    since AS (
        SELECT address, min(latest) AS since
        FROM failed GROUP BY address),
    recent AS (
        SELECT DISTINCT ON (x.account_id, x.address)
               x.account_id, x.address, x.state, x.reason, x.status_code, x.state_at,
               x.send_id
        FROM deliveries x JOIN since c ON c.address = x.address
        WHERE x.state <> 'pending'
          AND x.state_at >= c.since
          AND (?::VARCHAR IS NULL OR x.account_id = ?) AND {scope}
        ORDER BY x.account_id, x.address, {latest_first}),
    chosen AS (
        SELECT * FROM recent o
        WHERE o.state = ANY(?::VARCHAR[]) AND o.reason = ANY(?::VARCHAR[]))
    SELECT o.account_id, a.name AS account, a.time_zone, o.address, o.state, o.reason,
           o.status_code, o.state_at, d.number AS document_number, s.document_id
    FROM chosen o JOIN accounts a ON a.id = o.account_id JOIN sends s ON s.id = o.send_id
         JOIN documents d ON d.id = s.document_id
    ORDER BY a.name, o.state_at DESC, o.address"""
