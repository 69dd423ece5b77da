"""`python -m ui.bench --browser`: the console's speed as felt, in Debian's Chromium.

A real `streamlit run serve.py` (`ui.bench_server`) on each demo database — the 10,000- and the
1,000,000-document ones, built once when missing and reused — and Playwright signed in as
`support` with a session cookie signed by a secret made for the run. For each page: the time
from navigation to its main content (stable selectors per page, `MAIN_CONTENT`), the median
of `--rounds` loads after one warm-up load of every page. On the Documents page: a filter change
(failures only), a page change and a search, each timed from the action to the list redrawn;
their inputs change every round (another page, another word) so that none is answered by the
console's cache — the first search of a session included. An action is timed in the page, from
the key press or the click as the page received it (the event's own time stamp) to the first
frame showing the new list: the text is typed before (a search or a page number is sent on
Enter), and Playwright's own work before a click (scrolling, waiting for the element to hold
still over two frames, its round trips: 45-85 ms a click in 8 rounds on the 1M demo, where the
console's whole answer took 240-360) is not the console's.

The baseline, measured in the same run: a bare Streamlit page (a title, nothing else) served by
the same Streamlit with the console's settings (`.streamlit/config.toml`), from navigation to its
title. Workers are off (`SUIVI_WORKERS=0`), so the demo files stay as built; the document marks
are refreshed before the server starts.

`before`: another checkout of the console (e.g. `git worktree add /tmp/before main`), served
beside this one on a copy of the same demo, with the same virtualenv; every round times each
page and action on one then the other, so a before/after comparison shares the machine's load
(figures `before_<size>_…`, without targets).
"""

from __future__ import annotations

import secrets
import statistics
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

SMALL_DB = Path("/tmp/suivi-bench/demo-10k.duckdb")
PAGE_TARGET_MS = {10_000: 1000, 1_000_000: 1500}   # up to that many documents
ACTION_TARGET_MS = 500
SEARCH_WORDS = ("gmail", "orange", "sarl", "free", "wanadoo", "laposte", "hotmail", "yahoo",
                "sas", "outlook", "icloud", "sfr")
TIMEOUT_MS = 60_000

# The elements whose appearance means the page shows what it is for (every one of them).
MAIN_CONTENT = {
    # The list and its filters: Streamlit draws each widget kind from a chunk of script loaded on
    # its first use, and until then a grey placeholder (`stSkeleton`). On a fresh load the filters
    # came 200-240 ms after the rows (10k demo, Chromium): timed from the rows alone, the page
    # looked ready while its search box was not there yet, and the first action after it paid
    # for the rest of the load (search 550 ms when started at once, 320 ms 1 s later).
    "documents": ("table.suivi-table tbody tr",
                  "input[aria-label='Recherche (numéro, client, adresse)']"),
    "document": "[data-testid='suivi-box']",
    "failures": "table.suivi-bars tbody tr",   # the open tab's breakdown (ui/bars.py)
    "history": "[data-testid='stDataFrame']:visible",   # some tables sit in closed expanders or tabs
    "mailbox": "[data-testid='stDataFrame']:visible",   # some tables sit in closed expanders or tabs
    "overview": "[data-testid='stMetric']",
    "settings": "[data-testid='stDataFrame']:visible",   # some tables sit in closed expanders or tabs
}
BARE_PAGE = 'import streamlit as st\n\nst.title("Suivi bench")\n'

# The list's text, to see when it has been redrawn after an action.
_LIST_TEXT = """() => { const t = document.querySelector('table.suivi-table');
                        return t ? t.innerText : 'no table'; }"""


@dataclass(frozen=True)
class Demo:
    path: Path
    documents: int
    failing_document: str


def page_url(base: str, page: str, document_id: str) -> str:
    if page == "documents":
        return base + "/"
    if page == "document":
        return f"{base}/document?doc={document_id}"
    return f"{base}/{page}"


def prepare(path: Path) -> Demo:
    """Bring the marks up to date (workers are off in the run) and pick a failing document."""
    from tracking.store import console_queries as q
    from tracking.store.connection import open_database
    from tracking.store.marks import refresh_marks

    with open_database(path) as db:
        refresh_marks(db)
        cursor = db.cursor()
        documents = int(cursor.execute("SELECT count(*) FROM documents").fetchall()[0][0])
        failing = q.documents_page(cursor, q.DocumentFilters(failures_only=True), page_size=1)
        return Demo(path, documents, str(failing.rows.iloc[0]["id"]))


def run_browser(repo_root: Path, demos: list[Demo], rounds: int,
                say=lambda line: None, before: Path | None = None) -> dict:
    """Every figure in ms, with its target and the baseline; see the module docstring."""
    from playwright.sync_api import sync_playwright

    from ui.bench_server import ConsoleServer, browser_skip_reason, launch_chromium

    if reason := browser_skip_reason():
        raise RuntimeError(f"cannot run the browser bench: {reason}")
    measures: dict[str, float] = {}
    targets: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="suivi-bench-browser-") as scratch, \
            sync_playwright() as playwright:
        workdir = Path(scratch)
        browser = launch_chromium(playwright)
        try:
            bare = workdir / "bare"
            (bare / ".streamlit").mkdir(parents=True)
            (bare / "bare.py").write_text(BARE_PAGE, encoding="utf-8")
            # the console's Streamlit settings (no file watcher…): a baseline served otherwise
            # paid costs the console does not, and flattered the ratio
            config = repo_root / ".streamlit" / "config.toml"
            (bare / ".streamlit" / "config.toml").write_bytes(config.read_bytes())
            with ConsoleServer(bare, workdir / "none.duckdb", bare, script="bare.py") as server:
                measures["baseline_bare_streamlit_page"] = _bare_page(browser, server.url, rounds)
            say(f"bare Streamlit page: {measures['baseline_bare_streamlit_page']} ms")
            checkouts = {"": repo_root, **({"before_": before} if before else {})}
            for demo in demos:
                figures = _console_figures(checkouts, workdir, browser, demo, rounds)
                size = _size_label(demo.documents)
                page_target = page_target_ms(demo.documents)
                for (label, name), ms in figures.items():
                    key = f"{label}{size}_{name}"
                    measures[key] = ms
                    if label:   # the other checkout: a figure to compare with, no target
                        say(f"{key:<41} {ms:>8.1f} ms")
                        continue
                    targets[key] = ACTION_TARGET_MS if name.startswith("action_") \
                        else page_target
                    say(f"{key:<41} {ms:>8.1f} ms  (target {targets[key]} ms)")
        finally:
            browser.close()
    return {"measures": measures, "targets": targets}


def page_target_ms(documents: int) -> int:
    fitting = [ms for size, ms in sorted(PAGE_TARGET_MS.items()) if documents <= size]
    return fitting[0] if fitting else max(PAGE_TARGET_MS.values())


def _size_label(documents: int) -> str:
    if documents >= 1_000_000:
        return f"{documents // 1_000_000}m"
    return f"{documents // 1000}k" if documents >= 1000 else str(documents)


def _bare_page(browser, url: str, rounds: int) -> float:
    context = browser.new_context()
    try:
        tab = context.new_page()
        times = [_load(tab, url, "h1") for _ in range(rounds + 1)][1:]
    finally:
        context.close()
    return _median(times)


def _console_figures(checkouts: dict[str, Path], workdir: Path, browser, demo: Demo,
                     rounds: int) -> dict[tuple[str, str], float]:
    """{(checkout label, figure name): median ms}; the checkouts take turns within each round."""
    from tracking.auth.session import sign_session
    from ui.bench_server import ConsoleServer, copy_database

    secret = secrets.token_hex(32)
    env = {"SUIVI_WORKERS": "0", "SUIVI_COOKIE_SECRET": secret}
    tabs = {}
    with ExitStack() as stack:
        for label, checkout in checkouts.items():
            serverdir = workdir / f"console-{label}{demo.documents}"
            serverdir.mkdir()
            database = demo.path if not label else copy_database(   # one process per file
                demo.path, serverdir / demo.path.name)
            server = stack.enter_context(ConsoleServer(checkout, database, serverdir, env=env))
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            stack.callback(context.close)
            context.add_cookies([{"name": "suivi_session",
                                  "value": sign_session("support", secret.encode("utf-8")),
                                  "url": server.url}])
            tabs[label] = (context.new_page(), server.url)
        for tab, url in tabs.values():   # warm-up: imports, first queries
            for page, selector in MAIN_CONTENT.items():
                _load(tab, page_url(url, page, demo.failing_document), selector)
            _park(tab)
        times: dict[tuple[str, str], list[float]] = {}
        for round_ in range(rounds):
            # Each checkout goes first every other round: the one timed second would otherwise
            # always share the machine with the first one's work after its page showed.
            turns = list(tabs.items())[::-1 if round_ % 2 else 1]
            for page, selector in MAIN_CONTENT.items():
                for label, (tab, url) in turns:
                    times.setdefault((label, f"page_{page}"), []).append(
                        _load(tab, page_url(url, page, demo.failing_document), selector))
                    _park(tab)
            for label, (tab, url) in turns:
                for name, ms in _list_actions(tab, url, round_).items():
                    times.setdefault((label, name), []).append(ms)
                _park(tab)
    return {key: _median(values) for key, values in times.items()}


def _list_actions(tab, url: str, round_: int) -> dict[str, float]:
    """Search, page change and filter on the Documents list, each on inputs not seen before."""
    figures = {}
    _load(tab, url + "/", MAIN_CONTENT["documents"])
    search = tab.get_by_label("Recherche (numéro, client, adresse)")
    search.fill(SEARCH_WORDS[(2 * round_) % len(SEARCH_WORDS)])
    figures["action_search"] = _timed_redraw(tab, lambda: tab.keyboard.press("Enter"))
    _load(tab, url + "/", MAIN_CONTENT["documents"])
    tab.get_by_role("spinbutton", name="Page").fill(str(round_ + 2))
    figures["action_page"] = _timed_redraw(tab, lambda: tab.keyboard.press("Enter"))
    # The filter comes on top of a search of its own, so its answer is not in the cache.
    search = tab.get_by_label("Recherche (numéro, client, adresse)")
    search.fill(SEARCH_WORDS[(2 * round_ + 1) % len(SEARCH_WORDS)])
    _timed_redraw(tab, lambda: tab.keyboard.press("Enter"))
    figures["action_filter"] = _timed_redraw(
        tab, lambda: tab.get_by_text("Échecs seulement").click())
    return figures


# Whether, for each selector, an element matching it is shown (Playwright's "visible": rendered
# with a non-empty box); a trailing `:visible` (Playwright's own pseudo-class) is what this tests.
_SHOWN = """sels => sels.every(sel =>
              [...document.querySelectorAll(sel.replace(/:visible$/, ''))].some(e => {
                  if (!e.checkVisibility({visibilityProperty: true})) return false;
                  const box = e.getBoundingClientRect();
                  return box.width > 0 && box.height > 0; }))"""


def _load(tab, url: str, selector: str | tuple[str, ...]) -> float:
    """From navigation to the selector shown, checked at every animation frame. Playwright's
    `wait_for` checks again after 20, 50, 100, 100 ms, then only every 500 ms
    (`retryWithProgressAndBackoff`): a page shown at 0.8 s was timed at up to 1.3 s."""
    start = time.perf_counter()
    tab.goto(url, wait_until="commit")
    selectors = [selector] if isinstance(selector, str) else list(selector)
    tab.wait_for_function(_SHOWN, arg=selectors, timeout=TIMEOUT_MS, polling="raf")
    return (time.perf_counter() - start) * 1000


def _park(tab) -> None:
    """Leave the page for a blank one, ending its session: a page left open keeps working (a
    list or box with a pending delivery refreshes itself every second) while the other
    checkout's page is timed."""
    tab.goto("about:blank")


# The time stamp of the first key press or pointer press after it is armed (capture phase: before
# any of the page's own handlers).
_ARM_INPUT = """() => {
    window.__suiviInput = null;
    if (window.__suiviListening) return;
    window.__suiviListening = true;
    const note = e => { if (window.__suiviInput === null) window.__suiviInput = e.timeStamp; };
    window.addEventListener('keydown', note, true);
    window.addEventListener('pointerdown', note, true);
}"""
# Checked at every animation frame: once the list's text differs, ms since the input.
_REDRAWN_SINCE_INPUT = f"""before => {{
    if (window.__suiviInput === null || ({_LIST_TEXT})() === before) return false;
    return Math.max(performance.now() - window.__suiviInput, 0.001);
}}"""


def _timed_redraw(tab, action) -> float:
    """ms from the input `action` makes (as the page received it) to the list redrawn."""
    before = tab.evaluate(_LIST_TEXT)
    tab.evaluate(_ARM_INPUT)
    action()
    shown = tab.wait_for_function(_REDRAWN_SINCE_INPUT, arg=before, timeout=TIMEOUT_MS,
                                  polling="raf")
    return float(shown.json_value())


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1)
