"""`python -m ui.bench [--json] [--db PATH|URL] [--documents N] [--browser [--before CHECKOUT]]`:
the console's speed.

On a demo database of a million documents (built once with `python -m tracking demo` and
reused), times the data behind each page — the documents list's first page and a filtered
page, one failed document's box and timeline, the failures aggregates and rates, the history page
and charts — and the write path they depend on (one `record_events` batch, rolled back: its
time and the `delivery_counts` rollup's share, under "writes") — then a Streamlit AppTest run
of each page (cached reads cleared first, so each run queries the database), and of the
Failures page with its addresses to correct opened (`apptest_failures_addresses`: read only
once opened). Each figure is
the median of `--rounds` runs after one warm-up; the targets are the issue's. Last line:
{"bench": "console", "unit": "ms", "measures", "targets", "writes", "ratio": worst measure /
its target}. The period is the console's default: the last 90 whole
UTC days and today.

`--browser` measures instead what a person waits for in Chromium, on the 10,000-document demo
(`--small-db`) and on `--db`: see `ui.bench_browser`; its baseline, a bare Streamlit page, is
printed beside the figures. `--before CHECKOUT` times another checkout of the console in the
same rounds (`before_…` figures): a before/after comparison under the same load.

`--db postgresql://…` measures the same reads on PostgreSQL (an empty database gets the demo
first). A read that fails there is reported as `errors[name]` and left out of the ratio.

It lives with the console (`ui/`), not in `tracking/`: it drives Streamlit, and the core never
imports `ui` (the import contract in `.importlinter` holds it), so it has its own entry point.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

DEFAULT_DB = Path("/tmp/suivi-bench/demo-1m.duckdb")
REPO_ROOT = Path(__file__).resolve().parents[1]
# Issue 12's targets on a million documents.
BOX_MS, PAGE_MS, AGGREGATE_MS, APPTEST_MS = 20, 150, 300, 1000
PAGES = ("failures", "history", "mailbox", "settings", "document")
# Page runs with a section opened: (page, session state set before the run). The Failures
# page's "Adresses à corriger" is read only once its expander is opened (ui.suppressed).
OPENED = {"failures_addresses": ("failures", {"suppressed_open": True})}


def register(subparsers) -> None:
    parser = subparsers.add_parser("console", help="console data and page times on 1M documents")
    parser.add_argument("--json", action="store_true", help="print only the result line")
    parser.add_argument("--db", type=_target, default=DEFAULT_DB,
                        help=f"demo database (DuckDB file or postgresql:// URL), built when "
                             f"missing or empty (default {DEFAULT_DB})")
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--browser", action="store_true",
                        help="time the pages in Chromium on a real streamlit run instead")
    parser.add_argument("--before", type=Path, default=None, metavar="CHECKOUT",
                        help="with --browser: another checkout of the console (e.g. main's), "
                             "timed in the same rounds for a before/after comparison")
    parser.add_argument("--small-db", type=Path, default=None,
                        help="with --browser: the 10,000-document demo, built when missing "
                             "(default /tmp/suivi-bench/demo-10k.duckdb; 'none' to skip)")
    parser.set_defaults(func=run)


def _target(text: str) -> Path | str:
    """A DuckDB path, or a PostgreSQL URL kept as text (a Path would fold its `//`)."""
    from tracking.store.dialect import is_postgres_url

    return text if is_postgres_url(text) else Path(text)


def _has_demo(target: Path | str) -> bool:
    if isinstance(target, Path):
        return target.exists()
    from tracking.store.connection import open_database

    with open_database(target) as db:
        return db.cursor().execute("SELECT count(*) FROM documents").fetchall()[0][0] > 0


def _median_ms(action, rounds: int) -> float:
    action()  # warm-up: the first read of a column pays DuckDB's buffer loading
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def _build(path: Path | str, documents: int, quiet: bool) -> None:
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    print(f"building the demo database {path} ({documents:,} documents)…", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "tracking", "demo", "--db", str(path),
                    "--documents", str(documents), "--quiet"], check=True,
                   stdout=subprocess.DEVNULL if quiet else None)


def run(args) -> int:
    if not _has_demo(args.db):
        _build(args.db, args.documents, args.json)
    if args.browser:
        return run_browser(args)
    sys.path.insert(0, str(REPO_ROOT))
    os.environ["SUIVI_DB"] = str(args.db)
    os.environ["SUIVI_WORKERS"] = "0"
    from tracking.errors import StorageError
    from tracking.rates import Period
    from tracking.store import console_queries as q
    from tracking.store import rates as store_rates
    from tracking.store.dialect import engine_of
    from tracking.store.marks import refresh_marks
    from ui.resources import _database

    db = _database(str(args.db))          # the connection the AppTest pages will share
    started = time.perf_counter()
    refreshed = refresh_marks(db)         # a no-op once the marks are built and saved
    setup_s = round(time.perf_counter() - started, 1)
    cursor = db.cursor()
    # The console's default period (ui.period): whole UTC days, the last 90 and today.
    latest = cursor.execute("SELECT max(requested_at) FROM sends").fetchall()[0][0]
    until = datetime.combine(latest.date(), datetime.min.time()) + timedelta(days=1)
    since = until - timedelta(days=91)
    account = cursor.execute("SELECT account_id FROM documents GROUP BY 1 ORDER BY count(*) DESC "
                             "LIMIT 1").fetchall()[0][0]
    failing = q.documents_page(cursor, q.DocumentFilters(failures_only=True), page_size=1)
    document_id = str(failing.rows.iloc[0]["id"])
    filtered = q.DocumentFilters(account_id=account, failures_only=True, kind="invoice")

    reads = {
        "documents_first_page": lambda: q.documents_page(cursor, q.DocumentFilters()),
        "documents_filtered_page": lambda: q.documents_page(cursor, filtered, page=2),
        "documents_search_page": lambda: q.documents_page(cursor,
                                                          q.DocumentFilters(search="gmail")),
        "document_box_and_timeline": lambda: (q.document_box(cursor, document_id),
                                              q.timeline(cursor, document_id)),
        "failures_aggregates": lambda: (q.failure_summary(cursor, since, until),
                                        q.failing_deliveries(cursor, since, until)),
        "failures_rates": lambda: store_rates.period_counts(   # the rates panel, both periods
            cursor, Period(since, until)),
        "history_page_and_charts": lambda: (q.history_page(cursor, since=since, until=until),
                                            q.history_charts(cursor, since, until)),
    }
    measures, errors = {}, {}
    for name, read in reads.items():
        try:
            measures[name] = _median_ms(read, args.rounds)
        except StorageError as err:   # a read not yet in SQL this engine speaks
            errors[name] = str(err).splitlines()[0]
    targets = {"documents_first_page": PAGE_MS, "documents_filtered_page": PAGE_MS,
               "documents_search_page": PAGE_MS, "document_box_and_timeline": BOX_MS,
               "failures_aggregates": AGGREGATE_MS, "failures_rates": AGGREGATE_MS,
               "history_page_and_charts": AGGREGATE_MS}
    writes = _write_path_ms(db, args.rounds)
    _sign_in_as_support(db)
    for page, ms in _apptest_runs(document_id, args.rounds, errors).items():
        measures[f"apptest_{page}"] = ms
        targets[f"apptest_{page}"] = APPTEST_MS
    ratio = max(measures[name] / targets[name] for name in measures)
    result = {"bench": "console", "unit": "ms", "measures": measures, "targets": targets,
              "errors": errors, "engine": str(engine_of(cursor)), "writes": writes,
              "ratio": round(ratio, 3), "documents": int(cursor.execute(
                  "SELECT count(*) FROM documents").fetchall()[0][0]),
              "marks_refresh_s": setup_s, "marks_full_rebuild": refreshed.full}
    if not args.json:
        for name, ms in measures.items():
            print(f"{name:<28} {ms:>8.1f} ms  (target {targets[name]} ms)")
        for name, ms in writes.items():
            print(f"{name:<28} {ms:>8.1f} ms  (write path, rolled back; no target)")
        for name, message in errors.items():
            print(f"{name:<28}    error  {message}")
    print(json.dumps(result))
    return 0 if ratio <= 1.0 and not errors else 1


WRITE_BATCH = 200   # deliveries one recorded batch moves (the outbox and mailbox write thousands)


def _write_path_ms(db, rounds: int) -> dict[str, float]:
    """The write path the console's reads depend on, on this database: one `record_events`
    batch moving WRITE_BATCH `sent` deliveries to `delivered` (events appended, deliveries
    updated, `delivery_counts` uncounted and counted, `event_counts` counted), and within it
    the rollup's share (`delivery_counts.add`). Each batch is rolled back, so
    the database is left as it was. Must not grow with the table."""
    from datetime import UTC

    from tracking.events import Event, event_id
    from tracking.models import EventType
    from tracking.store import delivery_counts, ledger

    keys = db.cursor().execute("SELECT send_id, idx FROM deliveries WHERE state = 'sent' "
                               "ORDER BY send_id, idx LIMIT ?",
                               [WRITE_BATCH * (rounds + 1)]).fetchall()
    if len(keys) < WRITE_BATCH * (rounds + 1):
        return {}
    add, spent = delivery_counts.add, []

    def timed_add(*args, **kwargs):
        start = time.perf_counter()
        add(*args, **kwargs)
        spent.append(time.perf_counter() - start)

    class RolledBack(Exception):
        pass

    batches, rollup = [], []
    delivery_counts.add = timed_add
    try:
        for round_ in range(rounds + 1):
            chunk = keys[round_ * WRITE_BATCH:(round_ + 1) * WRITE_BATCH]
            now = datetime.now(UTC)
            events = [Event(event_id(EventType.DSN_DELIVERED, send_id, idx, "bench"),
                            EventType.DSN_DELIVERED, now, "system", send_id=send_id,
                            recipient_idx=idx, details={}) for send_id, idx in chunk]
            spent.clear()
            start = time.perf_counter()
            try:
                with db.transaction() as cursor:
                    ledger.record_events(cursor, events)
                    elapsed = time.perf_counter() - start
                    raise RolledBack
            except RolledBack:
                pass
            if round_:   # the first warms the buffers
                batches.append(elapsed * 1000)
                rollup.append(sum(spent) * 1000)
    finally:
        delivery_counts.add = add
    return {f"record_events_{WRITE_BATCH}": round(statistics.median(batches), 1),
            "delivery_counts_add_rows": round(statistics.median(rollup), 1)}


def run_browser(args) -> int:
    from ui.bench_browser import SMALL_DB, prepare
    from ui.bench_browser import run_browser as measure

    small = SMALL_DB if args.small_db is None else args.small_db
    paths = [args.db]
    if str(small) != "none" and small.resolve() != args.db.resolve():
        if not small.exists():
            _build(small, 10_000, args.json)
        paths.insert(0, small)
    demos = [prepare(path) for path in paths]
    result = measure(REPO_ROOT, demos, args.rounds, say=lambda line: None if args.json
                     else print(line, file=sys.stderr), before=args.before)
    measures, targets = result["measures"], result["targets"]
    ratio = max(measures[name] / targets[name] for name in targets)
    line = {"bench": "console-browser", "unit": "ms", "measures": measures, "targets": targets,
            "baseline": {"bare_streamlit_page": measures["baseline_bare_streamlit_page"]},
            "ratio": round(ratio, 3), "documents": [demo.documents for demo in demos],
            "rounds": args.rounds, **({"before": str(args.before)} if args.before else {})}
    print(json.dumps(line))
    return 0 if ratio <= 1.0 else 1


def _sign_in_as_support(db) -> None:
    """AppTest sends no cookie: the one function that reads them (ui.auth.request_cookies)
    answers with `support`'s session cookie, signed with this console's secret — without it
    every page run would stop at the sign-in form."""
    import ui.auth
    from tracking.auth.session import sign_session
    from ui.auth_routes import session_secret

    cookie = sign_session("support", session_secret(db))
    ui.auth.request_cookies = lambda: {"suivi_session": cookie}


def _apptest_runs(document_id: str, rounds: int, errors: dict[str, str]) -> dict[str, float]:
    """Each page through the router, signed in, cold reads (st.cache_data cleared before each
    run). A page that fails goes to `errors` and is not timed again."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    console = str(REPO_ROOT / "console.py")
    results: dict[str, list[float]] = {"documents": [], **{page: [] for page in PAGES},
                                       **{name: [] for name in OPENED}}
    for round_ in range(rounds + 1):
        st.cache_data.clear()
        app = AppTest.from_file(console, default_timeout=120)
        app.query_params["doc"] = document_id
        start = time.perf_counter()
        app.run()
        elapsed = {"documents": time.perf_counter() - start}
        if app.exception:
            errors["apptest_documents"] = app.exception[0].message.splitlines()[0]
        for page in PAGES:
            if f"apptest_{page}" in errors:
                continue
            st.cache_data.clear()
            start = time.perf_counter()
            app.switch_page(f"views/{page}.py").run()
            elapsed[page] = time.perf_counter() - start
            if app.exception:
                errors[f"apptest_{page}"] = app.exception[0].message.splitlines()[0]
                continue
            if not app.title:   # stopped at the sign-in form, or before its content
                raise RuntimeError(f"page {page} showed no title: not signed in?")
        for name, (page, state) in OPENED.items():
            if f"apptest_{name}" in errors:
                continue
            for key, value in state.items():
                app.session_state[key] = value
            st.cache_data.clear()
            start = time.perf_counter()
            app.switch_page(f"views/{page}.py").run()
            elapsed[name] = time.perf_counter() - start
            if app.exception:
                errors[f"apptest_{name}"] = app.exception[0].message.splitlines()[0]
        if round_:  # the first round warms the imports and DuckDB's buffers
            for page, seconds in elapsed.items():
                results[page].append(seconds * 1000)
    return {page: round(statistics.median(times), 1) for page, times in results.items()
            if times and f"apptest_{page}" not in errors}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ui.bench", description="the console's speed")
    register(parser.add_subparsers(dest="bench", required=False))
    args = parser.parse_args(["console", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
