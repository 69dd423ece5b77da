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

# The latest final (not pending) outcome per (account, address); `{where}` narrows the rows.
# Addresses are stored lower-case (the service lower-cases every recipient), so they are
# compared as stored, without a `lower()` on every row of the scan. Without an index on the
# address this reads every delivery of the column: tens of ms on 100k documents. Written in the
# SQL both stores speak (`DISTINCT ON`, `= ANY`: tracking.store.dialect), since every send
# runs it.
_LATEST = """
    SELECT DISTINCT ON (s.account_id, x.address)
           s.account_id, x.address, x.state, x.reason, x.status_code, x.state_at,
           d.number AS document_number, d.id AS document_id
    FROM deliveries x JOIN sends s ON s.id = x.send_id JOIN documents d ON d.id = s.document_id
    WHERE x.state <> 'pending' AND {where}
    ORDER BY s.account_id, x.address, x.state_at DESC, s.requested_at DESC, x.idx"""


def latest_outcomes(cursor: Cursor, account_id: str, addresses: list[str]) -> list[Outcome]:
    """The latest final outcome of each of `addresses` (any case) in the account."""
    return latest_outcomes_by_account(cursor, {account_id: addresses}).get(account_id, [])


def latest_outcomes_by_account(cursor: Cursor, wanted: dict[str, list[str]]
                               ) -> dict[str, list[Outcome]]:
    """`latest_outcomes` for several accounts in one read (a bulk send checks every request
    at once): {account id: outcomes of the addresses asked for it}."""
    accounts = sorted(wanted)
    addresses = sorted({a.lower() for some in wanted.values() for a in some})
    if not accounts or not addresses:
        return {}
    rows = cursor.execute(
        _LATEST.format(where="s.account_id = ANY(?::VARCHAR[]) "
                             "AND x.address = ANY(?::VARCHAR[])"),
        [accounts, addresses]).fetchall()
    asked = {account: {a.lower() for a in some} for account, some in wanted.items()}
    found: dict[str, list[Outcome]] = {}
    for account, address, state, reason, code, at, number, _ in rows:
        if address in asked[account]:
            found.setdefault(account, []).append(
                Outcome(address, state, reason, code, from_db(at), number, account))
    return found


def suppressed_candidates(cursor: Cursor, *, account_id: str | None = None,
                          scope: Scope = None) -> pd.DataFrame:
    """Per account, the addresses whose latest final outcome is a failure with a reason that
    can suppress (`tracking.suppression.is_suppressing` has the last word: the `notaccept`
    code), newest first, with the account's name and zone."""
    scoped, params = in_scope("s.account_id", scope)
    where = (f"""{scoped} AND (?::VARCHAR IS NULL OR s.account_id = ?)
                 AND x.address IN (SELECT address FROM deliveries
                                   WHERE reason = ANY(?::VARCHAR[]))""")
    return cursor.execute(
        f"""SELECT o.account_id, a.name AS account, a.time_zone, o.address, o.state, o.reason,
                   o.status_code, o.state_at, o.document_number, o.document_id
            FROM ({_LATEST.format(where=where)}) o JOIN accounts a ON a.id = o.account_id
            WHERE o.state = ANY(?::VARCHAR[]) AND o.reason = ANY(?::VARCHAR[])
            ORDER BY a.name, o.state_at DESC, o.address""",
        [*params, account_id, account_id, _REASONS, _FAILED, _REASONS]).df()
