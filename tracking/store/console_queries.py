"""The console's read model: documents list, tracking box, timeline, failures, history, mailbox.

Every query is parameterized; the only SQL text assembled here is our own fixed fragments,
chosen by which filters are set. Functions take a cursor (the console's, or a notebook's
connection over the Parquet snapshot — see `tracking.store.snapshot`) and plain values, and
return DataFrames or small dataclasses. Times are naive UTC, as stored; the UI shows them in
the account's zone.

Every query takes `scope` (the signed-in user's accounts; None: all) and never returns a row of
another account; a returned message tied to no document belongs to no account, so only an
unscoped user sees it. Actors come with `actor_name`: the user's display name when the login is a
known user, the login otherwise.

Sized for a million documents: the list (`tracking.store.document_list`) pages by top-N on
documents, newest first, and looks at sends and deliveries only for the page it shows.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from tracking.events import PAYLOADS, BounceReport
from tracking.labels import reason_group
from tracking.models import DeliveryState
from tracking.store import box as box_reads
from tracking.store import delivery_counts
from tracking.store.document_list import listed_documents
from tracking.store.marks import page_marks
from tracking.store.scope import Scope, in_scope as _in_scope

Cursor = duckdb.DuckDBPyConnection
FAILED_STATES = (DeliveryState.NOT_SENT.value, DeliveryState.NOT_DELIVERED.value)
RAW_TEXT_LIMIT = 200_000   # characters of a returned message shown on demand
RECENT_WINDOW = timedelta(days=7)   # where the newest failures are looked for first
RECENT_ISSUES = timedelta(days=31)  # how long before its send a document is looked for first


@dataclass(frozen=True)
class DocumentFilters:
    """What the Documents page filters on; every field optional. Hashable, so cacheable."""

    account_id: str | None = None
    kind: str | None = None
    status: str | None = None
    state: str | None = None            # a recipient of the latest send is in this state
    mode: str | None = None             # the latest send went this way
    issued_from: date | None = None
    issued_until: date | None = None    # inclusive
    failures_only: bool = False
    search: str = ""                    # number, client name or recipient address, as text


@dataclass(frozen=True)
class DocumentPage:
    rows: pd.DataFrame
    total: int
    more: bool = False   # more than `total` documents match (a costly count stops there)


def documents_page(cursor: Cursor, filters: DocumentFilters, *, page: int = 0,
                   page_size: int = 50, scope: Scope = None) -> DocumentPage:
    """One page of documents, newest issue date first, with their latest send's marks.

    The rows and the count come from `tracking.store.document_list` (sized for a million
    documents; a search or a marks filter counts up to `COUNT_CAP`, then says "more"), then the
    marks of just those documents, computed live."""
    listed = listed_documents(cursor, filters, page=page, page_size=page_size, scope=scope)
    return DocumentPage(_with_marks(cursor, listed.rows), listed.total, listed.more)


def with_live_marks(cursor: Cursor, shown: DocumentPage) -> DocumentPage:
    """The same documents, in the same order, with their marks computed again now: what the
    list's self-refresh needs while a shown delivery is pending. It used to run the whole page
    again (the filtered rows and their count) every second; the marks of the 50 documents
    shown are ≈15 ms on a million documents (`page_marks`)."""
    return DocumentPage(_with_marks(cursor, shown.rows), shown.total, shown.more)


def _with_marks(cursor: Cursor, rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` (documents, with or without marks) with every recipient's latest state, as the
    derived marks the filters read (issue 12), computed now."""
    marks = page_marks(cursor, rows["id"].tolist())
    stale = [column for column in marks.columns if column != "id"]
    rows = rows.drop(columns=stale, errors="ignore").merge(marks, on="id", how="left")
    rows["sends"] = rows["sends"].fillna(0).astype(int)
    rows["failing"] = rows["failing"].fillna(False).astype(bool)
    return rows


def accounts(cursor: Cursor, *, scope: Scope = None) -> pd.DataFrame:
    in_scope, params = _in_scope("id", scope)
    return cursor.execute(
        f"""SELECT id, name, time_zone, sending_mode, sender_address, language
            FROM accounts WHERE {in_scope} ORDER BY name, id""", params).df()


def actors(cursor: Cursor, *, scope: Scope = None) -> list[str]:
    """Everyone who can appear as an event's actor: `system` and the users (logins); with a
    scope, only users of every account or of one of the scope's accounts."""
    accounts = None if scope is None else sorted(scope)
    rows = cursor.execute(
        """SELECT login FROM users
           WHERE ?::VARCHAR[] IS NULL OR accounts IS NULL OR accounts && ?::VARCHAR[]
           ORDER BY login""", [accounts, accounts]).fetchall()
    return ["system", *(row[0] for row in rows if row[0] != "system")]


@dataclass(frozen=True)
class DocumentBox:
    """The "Suivi du document" box: the document, its sends, and every recipient it was ever
    sent to with that recipient's latest state (`tracking.store.box`)."""

    document: dict
    sends: pd.DataFrame          # newest first, with their kind and recipients
    recipients: pd.DataFrame     # every recipient ever; empty when never sent online
    client_addresses: list[tuple[str, str]] = field(default_factory=list)  # (address, role)

    @property
    def latest_send(self) -> dict | None:
        return None if self.sends.empty else self.sends.iloc[0].to_dict()


def document_box(cursor: Cursor, document_id: str, *, scope: Scope = None) -> DocumentBox | None:
    """None for an unknown document, or one outside `scope` (the same answer, on purpose)."""
    in_scope, params = _in_scope("d.account_id", scope)
    rows = cursor.execute(
        f"""SELECT d.id, d.number, d.kind, d.status, d.issue_date, d.send_date, d.amount,
                   d.currency, d.account_id, a.name AS account, a.time_zone,
                   a.sending_mode AS account_mode, d.client_id
            FROM documents d JOIN accounts a ON a.id = d.account_id
            WHERE d.id = ? AND {in_scope}""",
        [document_id, *params]).df()
    if rows.empty:
        return None
    # By key, apart: joined, the clients table would be hashed whole for one row.
    client = cursor.execute("SELECT name FROM clients WHERE id = ?",
                            [rows.iloc[0]["client_id"]]).fetchall()
    rows["client"] = client[0][0] if client else None
    sends = box_reads.send_history(cursor, document_id)
    recipients = box_reads.every_recipient(cursor, document_id)
    addresses = cursor.execute(
        "SELECT address, role FROM client_addresses WHERE client_id = ? ORDER BY position",
        [rows.iloc[0]["client_id"]]).fetchall()
    return DocumentBox(rows.iloc[0].to_dict(), sends, recipients, [tuple(a) for a in addresses])


def timeline(cursor: Cursor, document_id: str, *, scope: Scope = None) -> pd.DataFrame:
    """Every event of the document, oldest first, with the reason fields pulled from details."""
    in_scope, params = _in_scope("d.account_id", scope)
    return cursor.execute(
        f"""SELECT e.occurred_at, e.type, e.actor, coalesce(u.name, e.actor) AS actor_name,
                   e.send_id, e.recipient_idx, e.recipient,
                   (e.details::JSON ->> 'reason') AS reason,
                   (e.details::JSON ->> 'status_code') AS status_code,
                   (e.details::JSON ->> 'diagnostic') AS diagnostic,
                   (e.details::JSON ->> 'old') AS old_value,
                   (e.details::JSON ->> 'new') AS new_value,
                   e.details
            FROM events e LEFT JOIN users u ON u.login = e.actor
            WHERE e.document_id = ?
              AND EXISTS (SELECT 1 FROM documents d WHERE d.id = ? AND {in_scope})
            ORDER BY e.occurred_at, e.seq""",
        [document_id, document_id, *params]).df()


# A returned message belongs to its document's account; one tied to no document, to no account.
def _message_in_scope(scope: Scope) -> tuple[str, list]:
    if scope is None:
        return "TRUE", []
    in_scope, params = _in_scope("d.account_id", scope)
    return (f"document_id IN (SELECT d.id FROM documents d WHERE {in_scope})", params)


def returned_messages_of_document(cursor: Cursor, document_id: str, *,
                                  scope: Scope = None) -> pd.DataFrame:
    in_scope, params = _message_in_scope(scope)
    return cursor.execute(
        f"""SELECT id, received_at, kind, subject, match_state, match_method, send_id
            FROM returned_messages WHERE document_id = ? AND {in_scope}
            ORDER BY received_at DESC""",
        [document_id, *params]).df()


def raw_message(cursor: Cursor, message_id: str, *, scope: Scope = None) -> str | None:
    """The returned message as text (decompressed, undecodable bytes replaced), or None."""
    in_scope, params = _message_in_scope(scope)
    rows = cursor.execute(
        f"SELECT raw_zlib, truncated FROM returned_messages WHERE id = ? AND {in_scope}",
        [message_id, *params]).fetchall()
    if not rows:
        return None
    try:
        raw = zlib.decompress(rows[0][0])
    except zlib.error as err:
        return f"[stored message could not be decompressed: {err}]"
    text = raw.decode("utf-8", errors="replace")[:RAW_TEXT_LIMIT]
    return text + ("\n[…truncated when stored]" if rows[0][1] else "")


# --- failures ---------------------------------------------------------------------------------

_FAILURE_BASE = """
    SELECT s.mode, s.account_id, x.state, x.reason,
           lower(split_part(x.address, '@', 2)) AS domain,
           date_trunc('day', s.requested_at) AS day,
           x.state = ANY(?::VARCHAR[]) AS failed
    FROM deliveries x JOIN sends s ON s.id = x.send_id
    WHERE s.requested_at >= ? AND s.requested_at < ?
      AND (?::VARCHAR IS NULL OR s.account_id = ?)
      AND {scope}"""


@dataclass(frozen=True)
class FailureSummary:
    """Failures of online sends requested in a period: counts, and rates over all recipients."""

    total: int
    failures: int
    by_group: pd.DataFrame       # group, failures, rate
    by_reason: pd.DataFrame      # reason, group, failures, rate
    by_domain: pd.DataFrame      # domain, failures, total, rate (top 20 by failures)
    by_mode: pd.DataFrame        # mode, failures, total, rate
    by_account: pd.DataFrame     # account_id, account, failures, total, rate
    by_day: pd.DataFrame         # day, group, failures, total (of the day), rate


TOP_DOMAINS = 20


def failure_summary(cursor: Cursor, since: datetime, until: datetime,
                    account_id: str | None = None, *, scope: Scope = None) -> FailureSummary:
    """Counted from the `delivery_counts` rollup for whole UTC days (the console's periods),
    from the deliveries themselves otherwise, in two reads that each return little: one pass
    grouped by mode, by account and by (day, reason) (GROUPING SETS: a few thousand rows), and
    the domains ranked in the database, only the top ones returned.

    The domains were grouped with the rest and ranked in pandas before: on the 1M demo they
    were 23,000 of the 25,000 rows returned, and most of the time."""
    if delivery_counts.is_day_aligned(since, until):
        scoped, scope_params = _in_scope("account_id", scope)
        counted = f"""SELECT mode, account_id, domain, nullif(reason, '') AS reason, day,
                             state = ANY(?::VARCHAR[]) AS failed, deliveries
                      FROM delivery_counts
                      WHERE day >= ? AND day < ? AND (?::VARCHAR IS NULL OR account_id = ?)
                        AND {scoped}"""
    else:
        scoped, scope_params = _in_scope("s.account_id", scope)
        counted = f"""SELECT mode, account_id, domain, reason, day, failed, 1 AS deliveries
                      FROM ({_FAILURE_BASE.format(scope=scoped)}) AS base"""
    params = [list(FAILED_STATES), since, until, account_id, account_id, *scope_params]
    sets = cursor.execute(
        f"""WITH counted AS ({counted})
            SELECT GROUPING(mode, account_id, reason, day) AS grouping_id,
                   mode, account_id, reason, day,
                   coalesce(sum(deliveries) FILTER (WHERE failed), 0) AS failures,
                   sum(deliveries) AS total
            FROM counted
            GROUP BY GROUPING SETS ((mode), (account_id), (day, reason))""",
        params).fetchall()
    # Every domain tied with the last one kept is returned: `_summarise` breaks the ties by
    # name, the same way on both engines (their text orders differ by collation).
    domains = cursor.execute(
        f"""WITH counted AS ({counted})
            SELECT domain, failures, total FROM (
                SELECT domain, failures, total, rank() OVER (ORDER BY failures DESC) AS place
                FROM (SELECT domain, sum(deliveries) FILTER (WHERE failed) AS failures,
                             sum(deliveries) AS total
                      FROM counted GROUP BY domain) AS per_domain
                WHERE failures > 0) AS ranked
            WHERE place <= ?""",
        [*params, TOP_DOMAINS]).fetchall()
    names = dict(cursor.execute("SELECT id, name FROM accounts").fetchall())
    return _summarise(sets, domains, names)


# GROUPING() bit order follows the argument list: mode=8, account=4, reason=2, day=1.
# Reasons, days and the overall total are sums over the (day, reason) set: one pass fewer each.
_ONLY = {"mode": 0b0111, "account_id": 0b1011, "day_reason": 0b1100}


def _summarise(sets: list[tuple], domains: list[tuple],
               account_names: dict[str, str]) -> FailureSummary:
    """The summary's tables from the grouped rows, in plain Python: a few thousand rows, where
    each of the seventy pandas steps this took cost about a millisecond.

    Ties in each ranking keep the order of the key (a missing key last): the same answer
    whichever path counted, and whichever engine."""
    parts: dict[int, list[tuple]] = {bits: [] for bits in _ONLY.values()}
    for grouping_id, mode, account, reason, day, failed, counted in sets:
        if counted and counted > 0:   # rollup keys whose deliveries all moved elsewhere
            parts[grouping_id].append((mode, account, reason, day, int(failed), int(counted)))
    day_reason = parts[_ONLY["day_reason"]]
    total = sum(row[5] for row in day_reason)
    failures = sum(row[4] for row in day_reason)

    reasons: dict[str | None, int] = {}
    day_totals: dict[datetime, int] = {}
    day_groups: dict[tuple[datetime, str], int] = {}
    for _, _, reason, day, failed, counted in day_reason:
        reasons[reason] = reasons.get(reason, 0) + failed
        day_totals[day] = day_totals.get(day, 0) + counted
        if failed > 0:
            key = (day, _group_of(reason))
            day_groups[key] = day_groups.get(key, 0) + failed
    by_reason = _most_failed([(reason, _group_of(reason), failed, total)
                              for reason, failed in _in_key_order(reasons.items())
                              if failed > 0])
    groups: dict[str, int] = {}
    for _, group, failed, _ in by_reason:
        groups[group] = groups.get(group, 0) + failed
    by_group = _most_failed([(group, failed, total)
                             for group, failed in _in_key_order(groups.items())])
    by_mode = _most_failed(_in_key_order((mode, failed, counted) for mode, _, _, _, failed,
                                         counted in parts[_ONLY["mode"]]))
    by_account = _most_failed(_in_key_order(
        (account, account_names.get(account), failed, counted)
        for _, account, _, _, failed, counted in parts[_ONLY["account_id"]]))
    by_domain = _most_failed(_in_key_order((domain, int(failed), int(counted))
                                           for domain, failed, counted in domains))
    return FailureSummary(
        total=total, failures=failures,
        by_group=_rated(by_group, {"group": "str"}, with_total=False),
        by_reason=_rated(by_reason, {"reason": "str", "group": "str"}, with_total=False),
        by_domain=_rated(by_domain[:TOP_DOMAINS], {"domain": "str"}),
        by_mode=_rated(by_mode, {"mode": "str"}),
        by_account=_rated(by_account, {"account_id": "str", "account": "str"}),
        by_day=_rated([(day, group, failed, day_totals[day])
                       for (day, group), failed in sorted(day_groups.items())],
                      {"day": "datetime64[us]", "group": "str"}),
    )


def _group_of(reason: str | None) -> str:
    return str(reason_group(reason) or "unknown")


def _in_key_order(rows) -> list[tuple]:
    """Rows sorted by their first value, a missing one last."""
    return sorted(rows, key=lambda row: (row[0] is None, "" if row[0] is None else row[0]))


def _most_failed(rows: list[tuple]) -> list[tuple]:
    """Rows (keys…, failures, denominator), most failures first; ties keep their order."""
    return sorted(rows, key=lambda row: -row[-2])


def _rated(rows: list[tuple], keys: dict[str, str], *, with_total: bool = True) -> pd.DataFrame:
    """A frame of rows (keys…, failures, denominator): the keys (with their dtypes), failures,
    the denominator as `total` when shown, and rate = failures / denominator (0 for none)."""
    columns = {name: pd.Series([row[i] for row in rows], dtype=dtype)
               for i, (name, dtype) in enumerate(keys.items())}
    failures = [row[-2] for row in rows]
    denominators = [row[-1] for row in rows]
    columns["failures"] = pd.Series(failures, dtype="int64")
    if with_total:
        columns["total"] = pd.Series(denominators, dtype="int64")
    columns["rate"] = pd.Series([f / d if d > 0 else 0.0 for f, d in zip(failures, denominators)],
                                dtype="float64")
    return pd.DataFrame(columns)


def failing_deliveries(cursor: Cursor, since: datetime, until: datetime, *,
                       account_id: str | None = None, reasons: list[str] | None = None,
                       domain: str | None = None, mode: str | None = None,
                       limit: int = 1000, scope: Scope = None) -> pd.DataFrame:
    """The failed recipients behind the aggregates (drill-down and CSV export), newest first.

    The newest failures are looked for from the latest day that holds `limit` of them (by the
    `delivery_counts` rollup; the last week when the period does not end at midnight), then in
    the whole period if that is not enough: sends are stored in request order, so a short
    window reads a few row groups of sends, and the deliveries reached since. The documents and
    accounts are joined to the chosen rows only."""
    scoped, scope_params = _in_scope("s.account_id", scope)
    first = (_failures_start(cursor, since, until, account_id, reasons, domain, mode, limit,
                             scope) if delivery_counts.is_day_aligned(until) else None)
    for start in (first or max(since, until - RECENT_WINDOW), since):
        chosen = cursor.execute(
            f"""SELECT s.requested_at, s.document_id, s.account_id, s.mode, x.address AS recipient,
                       x.state, x.state_at, x.reason, x.status_code, x.smtp_reply, x.diagnostic,
                       x.remote_mta
                FROM deliveries x JOIN sends s ON s.id = x.send_id
                WHERE x.state = ANY(?::VARCHAR[])
                  AND s.requested_at >= ? AND s.requested_at < ?
                  -- a state is reached after its request: fewer deliveries reach the join
                  AND x.state_at >= ?
                  AND (?::VARCHAR IS NULL OR s.account_id = ?)
                  AND (?::VARCHAR[] IS NULL OR x.reason = ANY(?::VARCHAR[]))
                  AND (?::VARCHAR IS NULL OR lower(split_part(x.address, '@', 2)) = ?)
                  AND (?::VARCHAR IS NULL OR s.mode = ?)
                  AND {scoped}
                ORDER BY s.requested_at DESC, x.send_id, x.idx
                LIMIT ?""",
            [list(FAILED_STATES), start, until, start, account_id, account_id, reasons,
             reasons, domain, domain, mode, mode, *scope_params, limit]).df()
        if len(chosen) >= limit or start == since:
            break
    # Numbers and accounts by key: joined, a million documents would be hashed for 1,000 rows.
    # A document is mostly sent soon after it is issued: those issued in the month before the
    # oldest chosen request are read from the latest documents first.
    issued_from = (chosen["requested_at"].min().date() - RECENT_ISSUES
                   if not chosen.empty else None)
    numbers = _document_numbers(cursor, chosen["document_id"].unique().tolist(),
                                issued_from=issued_from)
    accounts_ = cursor.execute("SELECT id, name, time_zone FROM accounts").df().set_index("id")
    chosen.insert(1, "document_number", chosen["document_id"].map(numbers))
    chosen.insert(3, "account", chosen["account_id"].map(accounts_["name"]))
    chosen.insert(4, "time_zone", chosen["account_id"].map(accounts_["time_zone"]))
    return chosen.drop(columns=["account_id"]).reset_index(drop=True)


def _failures_start(cursor: Cursor, since: datetime, until: datetime, account_id: str | None,
                    reasons: list[str] | None, domain: str | None, mode: str | None, limit: int,
                    scope: Scope) -> datetime:
    """The latest UTC day from which the period holds at least `limit` such failures, by the
    `delivery_counts` rollup (exact, and per day); `since` when the whole period holds fewer.
    Only the period's days are read (the rollup is stored in day order: DuckDB skips the
    others' row groups)."""
    scoped, scope_params = _in_scope("account_id", scope)
    first_day = since.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = cursor.execute(
        f"""SELECT day FROM (
                SELECT day, sum(sum(deliveries)) OVER (ORDER BY day DESC) AS running
                FROM delivery_counts
                WHERE state = ANY(?::VARCHAR[]) AND day >= ? AND day < ?
                  AND (?::VARCHAR IS NULL OR account_id = ?)
                  AND (?::VARCHAR[] IS NULL OR reason = ANY(?::VARCHAR[]))
                  AND (?::VARCHAR IS NULL OR domain = ?)
                  AND (?::VARCHAR IS NULL OR mode = ?)
                  AND {scoped}
                GROUP BY day) AS days
            WHERE running >= ? ORDER BY day DESC LIMIT 1""",
        [list(FAILED_STATES), first_day, until, account_id, account_id, reasons, reasons,
         domain, domain, mode, mode, *scope_params, limit]).fetchall()
    return max(since, rows[0][0]) if rows else since


# --- activity history --------------------------------------------------------------------------

# The event types whose payload is a tracking.events.BounceReport (a DSN, auto-reply, complaint).
_DSN_TYPES = [str(t) for t, payload in PAYLOADS.items() if payload is BounceReport]


def history_page(cursor: Cursor, *, since: datetime, until: datetime,
                 event_types: list[str] | None = None, actor: str | None = None,
                 account_id: str | None = None, document: str | None = None,
                 limit: int = 500, scope: Scope = None) -> pd.DataFrame:
    """The event log, newest first, with the exact error fields taken out of the details.

    `document` matches a document id or its exact number.

    The newest `limit` events are cut on time first (the moment of the last one, by a top-N on
    that column alone), so the events are read from that moment on only — the log is stored in
    time order and DuckDB skips the older row groups; the documents' numbers are then looked up
    for those events only. Before that, without an actor or document filter, the period is
    narrowed to the latest days that hold `limit` such events by the `event_counts` rollup, so
    the cut reads a day or two of a million documents' events, not 90 days of them."""
    if actor is None and document is None and delivery_counts.is_day_aligned(until):
        since = _events_start(cursor, since, until, event_types, account_id, limit, scope)
    scoped, scope_params = _in_scope("e.account_id", scope)
    where = f"""e.occurred_at >= ? AND e.occurred_at < ?
                 AND (?::VARCHAR[] IS NULL OR e.type = ANY(?::VARCHAR[]))
                 AND (?::VARCHAR IS NULL OR e.actor = ?)
                 AND (?::VARCHAR IS NULL OR e.account_id = ?)
                 AND (?::VARCHAR IS NULL OR e.document_id IN (
                         SELECT id FROM documents WHERE id = ? OR number = ?))
                 AND {scoped}"""
    params = [since, until, event_types or None, event_types or None, actor, actor, account_id,
              account_id, document, document, document, *scope_params]
    cut = cursor.execute(f"""SELECT e.occurred_at FROM events e WHERE {where}
                             ORDER BY e.occurred_at DESC LIMIT 1 OFFSET ?""",
                         [*params, limit - 1]).fetchall()
    since = max(since, cut[0][0]) if cut else since
    params[0] = since
    events = cursor.execute(
        f"""WITH chosen AS (
               SELECT * FROM events e WHERE {where}
               ORDER BY e.occurred_at DESC, e.seq DESC
               LIMIT ?)
           SELECT e.occurred_at, e.type, e.actor, coalesce(u.name, e.actor) AS actor_name,
                  a.name AS account, a.time_zone, e.document_id, e.recipient,
                  (e.details::JSON ->> 'reason') AS reason,
                  (e.details::JSON ->> 'status_code') AS status_code,
                  -- smtp_reply: our server's full reply; a DSN's bare code is reply_code
                  -- (stored as smtp_reply before typed events, tracking.events.BounceReport)
                  CASE WHEN NOT e.type = ANY(?::VARCHAR[])
                       THEN (e.details::JSON ->> 'smtp_reply') END AS smtp_reply,
                  coalesce((e.details::JSON ->> 'reply_code'),
                           CASE WHEN e.type = ANY(?::VARCHAR[])
                                THEN (e.details::JSON ->> 'smtp_reply') END)
                      AS reply_code,
                  (e.details::JSON ->> 'diagnostic') AS diagnostic,
                  (e.details::JSON ->> 'old') AS old_value,
                  (e.details::JSON ->> 'new') AS new_value,
                  e.details, e.seq
           FROM chosen e
           LEFT JOIN accounts a ON a.id = e.account_id
           LEFT JOIN users u ON u.login = e.actor
           ORDER BY e.occurred_at DESC, e.seq DESC""",
        [*params, limit, _DSN_TYPES, _DSN_TYPES]).df()
    numbers = _document_numbers(cursor, events["document_id"].dropna().unique().tolist())
    events.insert(6, "document_number", events["document_id"].map(numbers))
    return events.drop(columns=["seq"])


def _events_start(cursor: Cursor, since: datetime, until: datetime,
                  event_types: list[str] | None, account_id: str | None, limit: int,
                  scope: Scope) -> datetime:
    """The latest UTC day from which the period holds at least `limit` such events, by the
    `event_counts` rollup (exact, per day); `since` when the whole period holds fewer."""
    scoped, scope_params = _in_scope("account_id", scope)
    first_day = since.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = cursor.execute(
        f"""SELECT day FROM (
                SELECT day, sum(sum(events)) OVER (ORDER BY day DESC) AS running
                FROM event_counts
                WHERE day >= ? AND day < ?
                  AND (?::VARCHAR[] IS NULL OR type = ANY(?::VARCHAR[]))
                  AND (?::VARCHAR IS NULL OR account_id = ?)
                  AND {scoped}
                GROUP BY day) AS days
            WHERE running >= ? ORDER BY day DESC LIMIT 1""",
        [first_day, until, event_types or None, event_types or None, account_id, account_id,
         *scope_params, limit]).fetchall()
    return max(since, rows[0][0]) if rows else since


def _document_numbers(cursor: Cursor, document_ids: list[str], *,
                      issued_from: date | None = None) -> dict[str, str]:
    """Numbers of a few documents, by primary key (one placeholder each: an index lookup,
    where a join would hash a million documents).

    With `issued_from`, those issued from that day are read first among the latest documents
    only (stored in issue order: DuckDB skips the older row groups by their min/max), and just
    the others by key: on the 1M demo, the drill-down's ~950 documents 144-206 ms by key
    alone (≈40 ms CPU, the lookups' own cost), ≈25 ms CPU this way (load ~10)."""
    if not document_ids:
        return {}
    found: dict[str, str] = {}
    if issued_from is not None:
        found = dict(cursor.execute(
            "SELECT id, number FROM documents WHERE issue_date >= ? AND id = ANY(?::VARCHAR[])",
            [issued_from, document_ids]).fetchall())
    rest = [document_id for document_id in document_ids if document_id not in found]
    if rest:
        marks = ", ".join("?" * len(rest))
        found.update(cursor.execute(f"SELECT id, number FROM documents WHERE id IN ({marks})",
                                    rest).fetchall())
    return found


# Buckets of "time from send to delivery" (a DSN `delivered` after the request).
_DELAY_OF_DELIVERED = delivery_counts.delay_bucket(
    "extract(epoch FROM x.state_at - s.requested_at)")
# The bounds are the rollup's (delivery_counts.DELAY_BOUNDS), so both count the same buckets.
DELIVERY_DELAY_BUCKETS = tuple(zip((*delivery_counts.DELAY_BOUNDS, None),
                                   ("< 1 min", "1–5 min", "5–15 min", "15–60 min", "1–6 h",
                                    "6–24 h", "> 24 h"), strict=True))


@dataclass(frozen=True)
class HistoryCharts:
    activity: pd.DataFrame        # day, type, events
    failure_rate: pd.DataFrame    # day, failures, total, rate
    delivery_delay: pd.DataFrame  # bucket, deliveries (in bucket order)


def history_charts(cursor: Cursor, since: datetime, until: datetime,
                   account_id: str | None = None, *, scope: Scope = None) -> HistoryCharts:
    events_scoped, events_params = _in_scope("account_id", scope)
    aligned = delivery_counts.is_day_aligned(since, until)
    # Whole days: the `event_counts` rollup (an event of no account is counted under '', which
    # no scope holds, as a NULL account matches none).
    activity = cursor.execute(
        f"""SELECT date_trunc('day', occurred_at) AS day, type, count(*) AS events
            FROM events WHERE occurred_at >= ? AND occurred_at < ?
              AND (?::VARCHAR IS NULL OR account_id = ?)
              AND {events_scoped}
            GROUP BY day, type ORDER BY day, type""" if not aligned else
        f"""SELECT day, type, CAST(sum(events) AS BIGINT) AS events
            FROM event_counts WHERE day >= ? AND day < ?
              AND (?::VARCHAR IS NULL OR account_id = ?)
              AND {events_scoped}
            GROUP BY day, type HAVING sum(events) <> 0 ORDER BY day, type""",
        [since, until, account_id, account_id, *events_params]).df()
    if aligned:
        rate, delay = _rate_and_delay_from_counts(cursor, since, until, account_id, scope)
    else:
        rate, delay = _rate_and_delay_from_deliveries(cursor, since, until, account_id, scope)
    rate["failures"] = rate["failures"].astype("int64")
    rate["total"] = rate["total"].astype("int64")
    rate["rate"] = (rate["failures"] / rate["total"]).astype(float)
    counts = dict(zip(delay["bucket"], delay["deliveries"]))
    delay_frame = pd.DataFrame({
        "bucket": [label for _, label in DELIVERY_DELAY_BUCKETS],
        "deliveries": [int(counts.get(i + 1, 0)) for i in range(len(DELIVERY_DELAY_BUCKETS))]})
    return HistoryCharts(activity, rate, delay_frame)


def _rate_and_delay_from_counts(cursor: Cursor, since: datetime, until: datetime,
                                account_id: str | None, scope: Scope
                                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Whole days: both from the `delivery_counts` rollup (its buckets are ours, same bounds)."""
    scoped, params = _in_scope("account_id", scope)
    where = f"""day >= ? AND day < ? AND (?::VARCHAR IS NULL OR account_id = ?) AND {scoped}"""
    window = [since, until, account_id, account_id, *params]
    rate = cursor.execute(
        f"""SELECT day,
                   coalesce(sum(deliveries) FILTER (WHERE state = ANY(?::VARCHAR[])),
                            0) AS failures,
                   sum(deliveries) AS total
            FROM delivery_counts WHERE {where}
            GROUP BY day HAVING sum(deliveries) > 0 ORDER BY day""",
        [list(FAILED_STATES), *window]).df()
    delay = cursor.execute(
        f"""SELECT delay_bucket AS bucket, sum(deliveries) AS deliveries
            FROM delivery_counts WHERE state = 'delivered' AND delay_bucket > 0 AND {where}
            GROUP BY delay_bucket""", window).df()
    return rate, delay


def _rate_and_delay_from_deliveries(cursor: Cursor, since: datetime, until: datetime,
                                    account_id: str | None, scope: Scope
                                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Any other period: from the deliveries and their sends."""
    sends_scoped, sends_params = _in_scope("s.account_id", scope)
    rate = cursor.execute(
        f"""WITH base AS ({_FAILURE_BASE.format(scope=sends_scoped)})
            SELECT day, count(*) FILTER (WHERE failed) AS failures, count(*) AS total
            FROM base GROUP BY day ORDER BY day""",
        [list(FAILED_STATES), since, until, account_id, account_id, *sends_params]).df()
    delay = cursor.execute(
        f"""SELECT {_DELAY_OF_DELIVERED} AS bucket, count(*) AS deliveries
           FROM deliveries x JOIN sends s ON s.id = x.send_id
           WHERE x.state = 'delivered' AND s.requested_at >= ? AND s.requested_at < ?
             AND (?::VARCHAR IS NULL OR s.account_id = ?)
             AND {sends_scoped}
           GROUP BY bucket""",
        [since, until, account_id, account_id, *sends_params]).df()
    return rate, delay


# --- mailbox -----------------------------------------------------------------------------------

def mailbox_counts(cursor: Cursor, *, scope: Scope = None) -> pd.DataFrame:
    in_scope, params = _message_in_scope(scope)
    return cursor.execute(
        f"""SELECT match_state, kind, count(*) AS messages, max(received_at) AS latest
            FROM returned_messages WHERE {in_scope}
            GROUP BY match_state, kind ORDER BY match_state, kind""", params).df()


def mailbox_queue(cursor: Cursor, *, limit: int = 200, scope: Scope = None) -> pd.DataFrame:
    """Returned messages a person must look at: unmatched, suspicious, undecodable."""
    in_scope, params = _message_in_scope(scope)
    return cursor.execute(
        f"""SELECT id, received_at, kind, match_state, subject, detector, defects, source
            FROM returned_messages
            WHERE (match_state IN ('unmatched', 'suspicious') OR kind = 'undecodable')
              AND {in_scope}
            ORDER BY received_at DESC, id LIMIT ?""", [*params, limit]).df()


def sends_for_attachment(cursor: Cursor, document_id: str, *,
                         scope: Scope = None) -> pd.DataFrame:
    """The online sends of a document and their recipients, to tie a returned message to."""
    in_scope, params = _in_scope("s.account_id", scope)
    return cursor.execute(
        f"""SELECT s.id AS send_id, s.requested_at, s.mode, x.idx, x.address, x.state
            FROM sends s JOIN deliveries x ON x.send_id = s.id
            WHERE s.document_id = ? AND {in_scope}
            ORDER BY s.requested_at DESC, x.idx""",
        [document_id, *params]).df()
