"""Issue 12, speed as felt: the benchmarks run (their contract, never their figures: speed
targets live in the benchmarks), the Failures page builds only the chart of its open tab, and
figures are kept with the reads they draw."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.console.conftest import console_app, copy_demo
from ui.bench_server import browser_skip_reason


def _bench(repo_root, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "ui.bench", "--json", "--rounds", "1", *args],
                          cwd=repo_root, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), done.stderr[-3000:]   # 1: a target missed, not an error
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result["targets"]) <= set(result["measures"])
    assert all(value > 0 for value in result["measures"].values())
    return result


@pytest.mark.slow
def test_bench_console_measures_every_page_signed_in(repo_root, demo_template, tmp_path):
    result = _bench(repo_root, "--db", str(copy_demo(demo_template, tmp_path)))
    assert result["bench"] == "console" and result["documents"] == 400
    assert {f"apptest_{page}" for page in ("documents", "failures", "history", "mailbox",
                                           "settings", "document", "failures_addresses")
            } <= set(result["measures"])
    assert result["targets"]["document_box_and_timeline"] == 20


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(bool(browser_skip_reason()), reason=browser_skip_reason() or "ok")
def test_bench_console_browser_times_pages_and_list_actions(repo_root, demo_template, tmp_path):
    result = _bench(repo_root, "--browser", "--small-db", "none",
                    "--db", str(copy_demo(demo_template, tmp_path)))
    measures = result["measures"]
    assert result["bench"] == "console-browser" and result["documents"] == [400]
    assert measures["baseline_bare_streamlit_page"] > 0
    assert {"400_page_documents", "400_page_document", "400_page_failures",
            "400_action_filter", "400_action_page", "400_action_search"} <= set(measures)
    assert result["targets"]["400_page_failures"] == 1000
    assert result["targets"]["400_action_search"] == 500


def test_failures_page_builds_only_the_open_tabs_chart(console_db, repo_root):
    from ui.i18n import LABELS

    app = console_app(repo_root).run().switch_page("views/failures.py").run()
    assert not app.exception
    breakdowns = [e for e in app.get("html") if "suivi-failure-bars" in e.proto.body]
    assert len(breakdowns) == 1 and not app.get("plotly_chart")   # a table, no Plotly
    app.session_state["failures_tab"] = LABELS["failures.over_time"]["fr"]
    app.run()
    assert len(app.get("plotly_chart")) == 1
    assert not [e for e in app.get("html") if "suivi-failure-bars" in e.proto.body]


def test_figures_are_built_once_per_period_and_again_after_an_action(console_db, repo_root,
                                                                    monkeypatch):
    """The History page's charts are kept with the reads they draw (ui/drawn.py): a second
    run draws the same figures without building them, an action forgets them."""
    from tracking import charts
    from ui import data

    built = []
    real = charts.activity_per_day
    monkeypatch.setattr(charts, "activity_per_day",
                        lambda *args, **kwargs: built.append(args) or real(*args, **kwargs))
    app = console_app(repo_root).run().switch_page("views/history.py").run()
    assert not app.exception and not built   # the charts' section is closed: nothing built
    app.session_state["history_charts"] = True
    app.run()
    first = [chart.proto.spec for chart in app.get("plotly_chart")]
    assert len(first) == 1 and len(built) == 1   # the open tab's chart only
    app.run()
    assert [chart.proto.spec for chart in app.get("plotly_chart")] == first
    assert len(built) == 1
    app.session_state["language"] = "en"   # another language: figures of its own
    app.run()                              # (the section stays open under its English label)
    assert len(built) == 2 and len(app.get("plotly_chart")) == 1
    data.forget()
    app.run()
    assert not app.exception and len(built) == 3


def test_history_log_is_worded_once_per_filters_and_language(console_db, repo_root,
                                                           monkeypatch):
    """The History table (each event on its clock, in words) is kept with the read it words
    (ui/drawn.py): a second run shows the same rows without wording them again; another
    language words them again."""
    from ui import drawn

    worded = []
    real = drawn.history_table
    monkeypatch.setattr(drawn, "history_table",
                        lambda events: worded.append(len(events)) or real(events))
    app = console_app(repo_root).run().switch_page("views/history.py").run()
    assert not app.exception and len(worded) == 1
    first = app.dataframe[0].value
    app.run()
    assert len(worded) == 1 and app.dataframe[0].value.equals(first)
    app.session_state["language"] = "en"
    app.run()
    assert len(worded) == 2 and "When" in app.dataframe[0].value.columns


def test_documents_pages_cut_on_the_date_equal_a_plain_sort(console_db):
    """The list cuts on the issue date before sorting (and a search looks at the newest
    documents first): every page must still be exactly the plain sort's slice, with the same
    total. (Random filters on both engines: tests/core/test_document_list.py.)"""
    from tracking.store import console_queries as q
    from tracking.store.connection import open_database

    plain = {   # each filter, spelled out without the list's code
        q.DocumentFilters(): "TRUE",
        q.DocumentFilters(failures_only=True):
            "d.id IN (SELECT document_id FROM document_marks WHERE failing)",
        q.DocumentFilters(search="gmail"):
            """lower(d.number) LIKE '%gmail%' OR d.id IN (SELECT document_id
               FROM document_marks WHERE recipients LIKE '%gmail%')
               OR d.client_id IN (SELECT id FROM clients WHERE lower(name) LIKE '%gmail%')""",
        q.DocumentFilters(search="zz-none"): "FALSE",
        q.DocumentFilters(kind="invoice", search="a"):
            """d.kind = 'invoice' AND (lower(d.number) LIKE '%a%' OR d.id IN (SELECT
               document_id FROM document_marks WHERE recipients LIKE '%a%')
               OR d.client_id IN (SELECT id FROM clients WHERE lower(name) LIKE '%a%'))"""}
    with open_database(console_db) as db:
        cursor = db.cursor()
        for filters, where in plain.items():
            expected = [row[0] for row in cursor.execute(
                f"""SELECT d.id FROM documents d WHERE {where}
                    ORDER BY d.issue_date DESC, d.number DESC, d.id""").fetchall()]
            for page in range(4):
                shown = q.documents_page(cursor, filters, page=page, page_size=7)
                assert (shown.total, shown.more) == (len(expected), False), filters
                assert shown.rows["id"].tolist() == expected[page * 7:(page + 1) * 7], \
                    (filters, page)


def test_history_and_failure_lists_equal_their_plain_queries(console_db):
    from datetime import datetime

    from tracking.store import console_queries as q
    from tracking.store.connection import open_database

    since, until = datetime(2026, 1, 1), datetime(2026, 12, 1)
    with open_database(console_db) as db:
        cursor = db.cursor()
        events = q.history_page(cursor, since=since, until=until, limit=40)
        expected = cursor.execute(
            """SELECT e.occurred_at, d.number FROM events e
               LEFT JOIN documents d ON d.id = e.document_id
               WHERE e.occurred_at >= ? AND e.occurred_at < ?
               ORDER BY e.occurred_at DESC, e.seq DESC LIMIT 40""", [since, until]).fetchall()
        assert len(events) == 40
        assert [(row.occurred_at.to_pydatetime(), None if row.document_number != row.document_number
                 else row.document_number) for row in events.itertuples()] == expected
        failed = q.failing_deliveries(cursor, since, until, limit=30)
        plain = cursor.execute(
            """SELECT s.document_id, x.address FROM deliveries x JOIN sends s ON s.id = x.send_id
               WHERE x.state IN ('not_sent', 'not_delivered')
                 AND s.requested_at >= ? AND s.requested_at < ?
               ORDER BY s.requested_at DESC, x.send_id, x.idx LIMIT 30""",
            [since, until]).fetchall()
        assert list(zip(failed["document_id"], failed["recipient"])) == plain


def test_search_matches_the_text_literally(console_db):
    """The search's LIKE (migration 13's trigram indexes on PostgreSQL) finds exactly what a
    plain substring test finds: `%` and `_` match only themselves, case is ignored."""
    from tracking.store import console_queries as q
    from tracking.store.connection import open_database

    with open_database(console_db) as db:
        cursor = db.cursor()
        for needle in ("gmail", "GMAIL", "%", "_", "\\", "-0", "a%b"):
            lowered = needle.lower()
            expected = [row[0] for row in cursor.execute(
                """SELECT d.id FROM documents d
                   WHERE strpos(lower(d.number), ?) > 0
                      OR d.client_id IN (SELECT id FROM clients WHERE strpos(lower(name), ?) > 0)
                      OR d.id IN (SELECT document_id FROM document_marks
                                  WHERE strpos(recipients, ?) > 0)
                   ORDER BY d.issue_date DESC, d.number DESC, d.id""",
                [lowered] * 3).fetchall()]
            shown = q.documents_page(cursor, q.DocumentFilters(search=needle), page_size=500)
            assert shown.total == len(expected), needle
            assert shown.rows["id"].tolist() == expected[:500], needle
        assert q.documents_page(cursor, q.DocumentFilters(search="gmail")).total > 0
