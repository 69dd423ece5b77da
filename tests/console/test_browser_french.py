"""French throughout, as a person sees it in Debian's Chromium against a real `streamlit run`:
the History page's widgets speak French (our placeholder, no "Select all", DD/MM/YYYY dates),
nothing on the page says None, nan, "Choose", "(UTC)"; the Overview writes numbers the French
way. (Table cells are drawn on a canvas: AppTest's guard, test_french.py, reads those.)"""

from __future__ import annotations

import re

import pytest

from tests.console.conftest import copy_demo
from tests.console.server import ConsoleServer, browser_skip_reason, launch_chromium
from tracking.auth.session import cookie_secret, sign_session

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if reason := browser_skip_reason():
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

ENGLISH = re.compile(r"\b(None|nan|NaN|Choose an option|Choose options|Select all|No results)\b"
                     r"|\(UTC\)")


@pytest.fixture(scope="module")
def console(tmp_path_factory, repo_root, demo_template):
    workdir = tmp_path_factory.mktemp("console-fr")
    database = copy_demo(demo_template, workdir)
    secret = cookie_secret({}, workdir, demo=True)
    with ConsoleServer(repo_root, database, workdir) as server:
        server.cookie = sign_session("support", secret)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_cookies([{"name": "suivi_session", "value": server.cookie,
                                  "url": server.url}])
            server.page = context.new_page()
            # The first page of a session pays for the imports and the demo's first queries.
            server.page.goto(server.url)
            expect(server.page.get_by_role("heading", name="Documents")).to_be_visible(
                timeout=90000)
            yield server
            browser.close()


def test_history_widgets_speak_french(console):
    page = console.page
    page.goto(console.url + "/history")
    expect(page.get_by_role("heading", name="Historique des activités")).to_be_visible(
        timeout=60000)
    types = page.locator('[data-testid="stMultiSelect"]').first
    expect(types.get_by_role("combobox")).to_be_visible(timeout=15000)
    markup = types.inner_html()        # the placeholder is an attribute or a hint, not text
    assert "Choisir une ou plusieurs valeurs…" in markup and "Choose" not in markup, markup
    # The date field is drawn as day / month / year segments, in the order of `format`.
    day_first = page.locator('[data-testid="stDateInputField"] [role=group]').first
    expect(day_first).to_have_text(re.compile(r"\d\d/\d\d/\d{4}"), timeout=15000)
    types.click()
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible(timeout=10000)
    expect(listbox).to_contain_text("Envoi demandé")       # event types in words
    assert "Select all" not in page.locator("body").inner_text()
    page.keyboard.press("Escape")
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert not ENGLISH.search(text), ENGLISH.search(text).group(0)


def test_overview_writes_numbers_the_french_way(console):
    page = console.page
    page.goto(console.url + "/overview")
    expect(page.get_by_role("heading", name="Suivi des envois de documents")).to_be_visible(
        timeout=60000)
    metric = page.locator('[data-testid="stMetricValue"]').first
    expect(metric).to_have_text(re.compile(r"^\d{1,3}(\u202f\d{3})*$"), timeout=15000)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "arrivent" not in text and not ENGLISH.search(text)
