"""The Documents list's rows: one page, newest issue date first, and how many documents match.

Sized for a million documents (issue 12). Without a search or a filter on the marks, a page is a
top-N on `documents` cut first on the date (`_plain_page`). A search (text looked for in every
document's number, client name and recipients) or a marks filter (failures only, a state, a
mode) has to test documents one by one instead, so it looks at the newest documents first
(`_windowed_page`): the documents issued from some date on (a *window*, at first the newest
`FIRST_WINDOW`), grown until it holds the page asked for and more than `COUNT_CAP` matches, or
is every document. The page found is the one a full evaluation gives — every document outside
the window is older than every one inside — and the count is exact unless more than `COUNT_CAP`
match, when the page says "more than `COUNT_CAP`" (`ListedDocuments.more`). On the 1M demo,
"gmail" (67k matches) is settled in the newest ~6% instead of testing every document. A grown
window tests only the documents older than the last one's; with a marks filter, DuckDB sizes the
windows in the documents that filter keeps (`_window_starts`) and tests the text on those only
(`_joined_window`).

A window cuts both tables on their issue date: `documents` (DuckDB skips the row groups of older
documents by their zone maps; PostgreSQL reads its issue-date index) and `document_marks`, which
carry their document's issue date for this (migration 15). Text is matched literally (a `%` or
`_` in the search is itself): DuckDB by `contains`, PostgreSQL by `LIKE` with the text escaped,
which its trigram indexes answer (migration 13).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tracking.store.dialect import Engine, engine_of
from tracking.store.scope import Scope, in_scope as _in_scope

COUNT_CAP = 1_000         # beyond this many matches the count says "more than" (issue 12)
FIRST_WINDOW = 10_000     # documents in the first window (of those the other filters let through)
GROWTH_MARGIN = 1.25      # a grown window aims a quarter past what the match rate so far needs
# A window holding under 1/64 of the matches needed: go to every document, its rate is too
# uncertain to size the next window on. It was 1/8: a search with "failures only" on the 1M
# demo ("sarl": 88 matches in the first 10k documents, 1,001 needed) then tested every document
# (300-500 ms) where a window sized on that rate (≈140k documents) settles it in one step.
RARE = 64
_EVERY_DOCUMENT = 1 << 62

_PAGE_COLUMNS = """d.id, d.number, d.kind, d.status, d.issue_date, d.send_date, d.amount,
                   d.currency, d.account_id, d.client_id"""
_SHOWN_COLUMNS = """p.id, p.number, p.kind, p.status, p.issue_date, p.send_date, p.amount,
                    p.currency, p.account_id, a.name AS account, a.time_zone,
                    c.name AS client"""
_ORDER = "issue_date DESC, number DESC, id"


@dataclass(frozen=True)
class ListedDocuments:
    rows: pd.DataFrame       # the page's documents, with their account, zone and client
    total: int               # how many match; with `more`, a lower bound (COUNT_CAP)
    more: bool = False       # more than `total` match (the count stopped there)


def listed_documents(cursor, filters, *, page: int, page_size: int,
                     scope: Scope) -> ListedDocuments:
    """Page `page` (from 0) of the documents `filters` (a `DocumentFilters`) let through."""
    if _search_text(filters) or _marks_conditions(filters)[0]:
        return _windowed_page(cursor, filters, page * page_size, page_size, scope)
    return _plain_page(cursor, filters, page * page_size, page_size, scope)


def like_escaped(text: str) -> str:
    """`text` as a LIKE pattern that matches it literally (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_text(filters) -> str:
    return filters.search.strip().lower()


# --- what a document must be -----------------------------------------------------------------

def _document_conditions(filters, scope: Scope) -> tuple[str, list]:
    """The filters on the document's own columns, and the scope."""
    in_scope, params = _in_scope("d.account_id", scope)
    clauses = [in_scope]
    for column, value in (("d.account_id", filters.account_id), ("d.kind", filters.kind),
                          ("d.status", filters.status)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    dates, dates_params = _issue_date_bounds(filters, "d.")
    return " AND ".join([*clauses, *dates]), [*params, *dates_params]


def _issue_date_bounds(filters, table: str = "") -> tuple[list[str], list]:
    clauses, params = [], []
    if filters.issued_from:
        clauses.append(f"{table}issue_date >= ?")
        params.append(filters.issued_from)
    if filters.issued_until:
        clauses.append(f"{table}issue_date <= ?")
        params.append(filters.issued_until)
    return clauses, params


def _marks_conditions(filters, table: str = "") -> tuple[list[str], list]:
    """The filters on the latest send, read from the derived marks (tracking.store.marks), kept
    fresh by the console; the marks shown on each row are computed live."""
    clauses, params = [], []
    if filters.failures_only:
        clauses.append(f"{table}failing")
    if filters.state:
        clauses.append(f"? = ANY({table}states)")
        params.append(filters.state)
    if filters.mode:
        clauses.append(f"{table}mode = ?")
        params.append(filters.mode)
    return clauses, params


# Text found in a column, literally: DuckDB's `contains` is 1.3x (number) to 5x (recipients)
# faster than its LIKE with ESCAPE on the 1M demo; PostgreSQL's trigram indexes need LIKE.
_CONTAINS = {Engine.DUCKDB: "contains({column}, ?)",
             Engine.POSTGRES: "{column} LIKE ? ESCAPE '\\'"}


def _contains(column: str, needle: str, engine: Engine) -> tuple[str, str]:
    pattern = needle if engine is Engine.DUCKDB else "%" + like_escaped(needle) + "%"
    return _CONTAINS[engine].format(column=column), pattern


def _window_rows(filters, scope: Scope, engine: Engine, since,
                 before=None) -> tuple[str, list]:
    """What follows FROM in a statement that reads the documents (`d`) every filter lets
    through, issued on `since` or later and before `before` (None: no bound that side)."""
    marks, _ = _marks_conditions(filters)
    if marks and engine is Engine.DUCKDB:
        return _joined_window(filters, scope, since, before)
    where, params = _window_where(filters, scope, engine, since, before)
    return f"documents d WHERE {where}", params


def _joined_window(filters, scope: Scope, since, before) -> tuple[str, list]:
    """DuckDB, with a marks filter: the documents joined to their marks (one row each), the
    text looked for in the joined rows only. Only the documents the marks filter keeps have
    their number and client tested, where the three separate lookups each read every document
    of the window: 20-30 % less on the 1M demo with failures only (four words, medians of 5:
    26-50 against 28-63 ms a window)."""
    where, params = _document_conditions(filters, scope)
    marks, marks_params = _marks_conditions(filters, "k.")
    clauses, params = [where, *marks], [*params, *marks_params]
    for op, bound in ((">=", since), ("<", before)):
        if bound is not None:
            clauses += [f"d.issue_date {op} ?", f"k.issue_date {op} ?"]
            params += [bound, bound]
    needle = _search_text(filters)
    if needle:
        clauses.append("""(contains(k.recipients, ?) OR contains(lower(d.number), ?)
                           OR d.client_id IN (SELECT id FROM clients
                                              WHERE contains(lower(name), ?)))""")
        params += [needle, needle, needle]
    return ("documents d JOIN document_marks k ON k.document_id = d.id WHERE "
            + " AND ".join(clauses)), params


def _window_where(filters, scope: Scope, engine: Engine, since,
                  before=None) -> tuple[str, list]:
    """Every filter, as a condition on the documents (`d`)."""
    where, params = _document_conditions(filters, scope)
    clauses = [where]
    bounds = [(op, bound) for op, bound in ((">=", since), ("<", before)) if bound is not None]
    window = "".join(f" AND issue_date {op} ?" for op, _ in bounds)
    window_params = [bound for _, bound in bounds]
    clauses += [f"d.issue_date {op} ?" for op, _ in bounds]
    params = [*params, *window_params]
    marks, marks_params = _marks_conditions(filters)
    if marks:   # one mark row per document: the conditions hold together on it
        clauses.append(f"""d.id IN (SELECT document_id FROM document_marks
                                     WHERE {' AND '.join(marks)}{window})""")
        params += [*marks_params, *window_params]
    needle = _search_text(filters)
    if needle:
        # Where the text is looked for: the number, the client's name, any recipient ever. The
        # marks' own filter (already required above) narrows their text search too: the 1M
        # demo's "failures only" with a search read every listed document's recipients.
        marks_too = "".join(f" AND {clause}" for clause in marks)
        number, number_param = _contains("lower(number)", needle, engine)
        client, client_param = _contains("lower(name)", needle, engine)
        recipients, recipients_param = _contains("recipients", needle, engine)
        # The matching ids from each place, then the documents cut by that one set (an OR of
        # three tests would read every document for each; PostgreSQL answers each part from
        # its trigram index, then the documents by key).
        clauses.append(f"""d.id IN (
            SELECT id FROM documents WHERE {number}{window}
            UNION SELECT id FROM documents
                  WHERE client_id IN (SELECT id FROM clients WHERE {client}){window}
            UNION SELECT document_id FROM document_marks
                  WHERE {recipients}{window}{marks_too})""")
        params += [number_param, *window_params, client_param, *window_params,
                   recipients_param, *window_params, *marks_params]
    return " AND ".join(clauses), params


# --- without a search or a marks filter ------------------------------------------------------

def _plain_page(cursor, filters, offset: int, limit: int, scope: Scope) -> ListedDocuments:
    """Sorting a million documents by (date, number) is the cost, so the page is cut first on
    the date alone: the date of the last row the page needs is found by a top-N on that one
    column, and only the documents from that date on are sorted in full."""
    where, params = _document_conditions(filters, scope)
    total = cursor.execute(f"SELECT count(*) FROM documents d WHERE {where}",
                           params).fetchall()[0][0]
    cut = _date_of_nth_newest(cursor, where, params, offset + limit)
    if cut is not None:   # a constant: DuckDB skips the row groups that hold only older documents
        where, params = f"{where} AND d.issue_date >= ?", [*params, cut]
    rows = cursor.execute(   # one statement: the page, then its accounts and clients
        f"""WITH p AS (SELECT {_PAGE_COLUMNS} FROM documents d WHERE {where}
                       ORDER BY d.issue_date DESC, d.number DESC, d.id LIMIT ? OFFSET ?)
            SELECT {_SHOWN_COLUMNS}
            FROM p JOIN accounts a ON a.id = p.account_id
            LEFT JOIN clients c ON c.id = p.client_id
            ORDER BY p.issue_date DESC, p.number DESC, p.id""", [*params, limit, offset]).df()
    return ListedDocuments(rows, int(total))


def _date_of_nth_newest(cursor, where: str, params: list, n: int):
    """The issue date of the `n`-th newest document `where` lets through; None when fewer."""
    found = cursor.execute(
        f"""SELECT d.issue_date FROM documents d WHERE {where}
            ORDER BY d.issue_date DESC LIMIT 1 OFFSET ?""", [*params, n - 1]).fetchall()
    return found[0][0] if found else None


# --- with a search or a marks filter ---------------------------------------------------------

def _windowed_page(cursor, filters, offset: int, limit: int, scope: Scope) -> ListedDocuments:
    """A grown window tests only what the last one did not: the documents issued before the
    last one's first date (every one of them older than every match found so far, so the page
    continues with this slice's own first matches)."""
    engine = engine_of(cursor)
    needed = max(COUNT_CAP + 1, offset + limit)   # matches that settle both page and count
    base, base_params = _document_conditions(filters, scope)
    window_start = _window_starts(cursor, base, base_params, filters)
    size, found, page, tested_since = FIRST_WINDOW, 0, [], None
    while True:
        since, size = window_start(size)
        rows, params = _window_rows(filters, scope, engine, since, before=tested_since)
        skip = max(offset - found, 0)   # the page's rows still to pass, in this slice's order
        in_slice, slice_page = _matches(cursor, rows, params, skip,
                                        max(min(offset + limit - found, limit), 0))
        found, page, tested_since = found + in_slice, page + slice_page, since
        if found > COUNT_CAP and (since is None or found >= needed):
            # the same words whichever window answered: no count past the cap on any page
            return ListedDocuments(_rows(cursor, page), COUNT_CAP, more=True)
        if since is None:
            return ListedDocuments(_rows(cursor, page), found)
        if found * RARE < needed:   # rare: every document next, rather than step by step
            size = _EVERY_DOCUMENT
        else:   # grown to what the match rate so far says is needed, at least doubled
            size = int(max(size * 2, size * needed / found * GROWTH_MARGIN))


def _window_starts(cursor, where: str, params: list, filters):
    """A function: window size -> the issue date a window of the newest `size` documents (of
    those `where` lets through) starts on (None when there are no more), and how many documents
    the window holds (all those of its first date). DuckDB counts the documents of each date at
    once (≈5 ms on the 1M demo, where one top-N with an offset of 25,000 took ≈50 ms);
    PostgreSQL walks its issue-date index that far for each window, over every document (with
    the filters it would read each row: the filtered page on 100k documents 69 -> 79 ms).

    With a marks filter, DuckDB counts the documents that filter keeps instead (their marks carry
    the issue date; the filter's dates apply, the document's other columns do not: a share of
    them, which the growth on the match rate absorbs). A window's size then follows what it
    will test. On the 1M demo the failing documents are rare among the newest (their deliveries
    are still pending) and common among older ones: a window sized on every document and grown
    on the newest 10,000's rate overshot 2.5-3.7 times (the windows' queries for 12 words with
    failures only: 48-127 -> 35-90 ms)."""
    if engine_of(cursor) is Engine.POSTGRES:   # the index alone: no filter read row by row
        return lambda size: (None if size >= _EVERY_DOCUMENT
                             else _date_of_nth_newest(cursor, "TRUE", [], size), size)
    marks, marks_params = _marks_conditions(filters)
    if marks:
        dates, dates_params = _issue_date_bounds(filters)
        per_date = cursor.execute(
            f"""SELECT issue_date, count(*) FROM document_marks
                WHERE {' AND '.join([*marks, *dates])}
                GROUP BY issue_date ORDER BY issue_date DESC""",
            [*marks_params, *dates_params]).fetchall()
    else:
        per_date = cursor.execute(
            f"""SELECT d.issue_date, count(*) FROM documents d WHERE {where}
                GROUP BY d.issue_date ORDER BY d.issue_date DESC""", params).fetchall()

    def start(size: int):
        seen = 0
        for day, documents in per_date:
            seen += documents
            if seen >= size:
                return day, seen
        return None, seen
    return start


def _matches(cursor, rows: str, params: list, offset: int,
             limit: int) -> tuple[int, list[tuple]]:
    """How many documents `rows` (what follows FROM) holds, and the (id, issue date) of the
    page's: the matches' sort keys alone are found and counted once."""
    found = cursor.execute(
        f"""WITH m AS MATERIALIZED (SELECT d.id, d.issue_date, d.number FROM {rows})
            SELECT t.total, p.id, p.issue_date
            FROM (SELECT count(*) AS total FROM m) t
            LEFT JOIN (SELECT * FROM m ORDER BY {_ORDER} LIMIT ? OFFSET ?) p ON TRUE""",
        [*params, limit, offset]).fetchall()
    return int(found[0][0]), [row[1:] for row in found if row[1] is not None]


def _rows(cursor, page: list[tuple]) -> pd.DataFrame:
    """The page's documents whole, with their account and client, in the list's order: by id
    (one placeholder each), from the page's oldest date on (DuckDB skips older row groups)."""
    marks = ", ".join("?" * len(page)) or "NULL"
    return cursor.execute(
        f"""SELECT {_SHOWN_COLUMNS}
            FROM documents p JOIN accounts a ON a.id = p.account_id
            LEFT JOIN clients c ON c.id = p.client_id
            WHERE p.id IN ({marks}) AND p.issue_date >= ?
            ORDER BY p.issue_date DESC, p.number DESC, p.id""",
        [*(key[0] for key in page), min((key[1] for key in page), default=None)]).df()
