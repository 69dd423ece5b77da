"""Reads for the suppression check (`tracking.suppression`): each address's latest final
outcome in an account, for the addresses of a send or for every address that ever failed hard.

The rule itself is not here: these queries return outcomes, the core decides. They filter on
the reasons that can suppress (a parameter, from `tracking.suppression`) only to read less.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from tracking.clock import from_db
from tracking.store.lookups import by_id
from tracking.store.scope import Scope, in_scope
from tracking.suppression import FAILED, SUPPRESSING_REASONS, Outcome

Cursor = duckdb.DuckDBPyConnection

_FAILED = [str(state) for state in FAILED]
_REASONS = [str(reason) for reason in SUPPRESSING_REASONS]

# An address's latest final (not pending) outcome in an account: the first by newest state
# moment, newest request, first listed (`bounced_addresses` adds the send id as a last
# tie-break; `latest_outcomes_by_account` picks by the same keys). Addresses are
# stored lower-case (the service lower-cases every recipient), so they are compared as stored.


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
    (account, address) is then picked here, in that order."""
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
    sends = by_id(cursor, "SELECT id, account_id, requested_at, document_id FROM sends",
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
    numbers = by_id(cursor, "SELECT id, number FROM documents",
                      {document_id for _, document_id, _ in chosen.values()})
    found: dict[str, list[Outcome]] = {}
    for (account, _), (_, document_id, fields) in sorted(chosen.items()):
        found.setdefault(account, []).append(
            Outcome(*fields, numbers.get(document_id, (None, None))[1], account))
    return found


def suppressed_candidates(cursor: Cursor, *, account_id: str | None = None,
                          scope: Scope = None) -> pd.DataFrame:
    """Per account, the addresses whose latest final outcome is a failure with a reason that
    can suppress (`tracking.suppression.is_suppressing` has the last word: the `notaccept`
    code), newest first, with the account's name and zone.

    Read from `bounced_addresses` (migration 17, refreshed with the document marks, so it can
    lag the log by a refresh): a few thousand rows on the 1M demo, against every delivery of
    every once-bounced address (411,000) when derived here."""
    scoped, params = in_scope("o.account_id", scope)
    return cursor.execute(
        f"""SELECT o.account_id, a.name AS account, a.time_zone, o.address, o.state, o.reason,
                   o.status_code, o.state_at, o.document_number, o.document_id
            FROM bounced_addresses o JOIN accounts a ON a.id = o.account_id
            WHERE (?::VARCHAR IS NULL OR o.account_id = ?) AND {scoped}
            ORDER BY a.name, o.state_at DESC, o.address""",
        [account_id, account_id, *params]).df()
