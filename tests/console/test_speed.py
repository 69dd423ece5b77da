"""Issue 12, speed as felt: the benchmarks run (their contract, never their figures: speed
targets live in the benchmarks) and the Failures page builds only the chart of its open tab."""

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
                                           "settings", "document")} <= set(result["measures"])
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
    app = console_app(repo_root).run().switch_page("pages/failures.py").run()
    assert not app.exception
    assert len(app.get("plotly_chart")) == 1
