"""The send date, the back link and the language in Debian's Chromium, against a real
`streamlit run` on a demo database: what a support agent clicks, not what AppTest simulates."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.console.conftest import copy_demo
from tests.console.server import ConsoleServer, browser_skip_reason, launch_chromium
from tracking.auth.session import cookie_secret, sign_session
from tracking.store.connection import open_database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if reason := browser_skip_reason():
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

WAIT = 30000


@pytest.fixture(scope="module")
def console(tmp_path_factory, repo_root, demo_template):
    workdir = tmp_path_factory.mktemp("console-dates")
    database = copy_demo(demo_template, workdir)
    with open_database(database) as db:
        cursor = db.cursor()
        failing = cursor.execute(
            """SELECT s.document_id, d.issue_date FROM deliveries x
               JOIN sends s ON s.id = x.send_id JOIN documents d ON d.id = s.document_id
               WHERE x.state = 'not_delivered' ORDER BY d.issue_date DESC, d.id LIMIT 1"""
        ).fetchone()
        before_fall_back = cursor.execute(
            """SELECT d.id FROM documents d JOIN accounts a ON a.id = d.account_id
               WHERE a.time_zone = 'Europe/Paris' AND d.issue_date <= DATE '2026-10-24'
                 AND d.status <> 'cancelled'
               ORDER BY d.issue_date DESC, d.id LIMIT 1""").fetchone()[0]
    secret = cookie_secret({}, workdir, demo=True)
    # No sender or watcher: nothing moves under the test but what it clicks.
    with ConsoleServer(repo_root, database, workdir, env={"SUIVI_WORKERS": "0"}) as server:
        server.failing, server.before_fall_back = failing, before_fall_back
        server.cookie = sign_session("support", secret)
        with sync_playwright() as playwright:
            server.browser = launch_chromium(playwright)
            warm_up(server)
            yield server
            server.browser.close()


def warm_up(server) -> None:
    """One load through the router first: a fresh server's first run imports the pages'
    libraries, which the tests' own timeouts should not have to cover."""
    context = server.browser.new_context()
    context.add_cookies([{"name": "suivi_session", "value": server.cookie, "url": server.url}])
    page = context.new_page()
    page.goto(server.url)
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=60000)
    context.close()


@pytest.fixture
def page(console):
    context = console.browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([{"name": "suivi_session", "value": console.cookie,
                          "url": console.url}])
    page = context.new_page()
    yield page
    context.close()


def typed_date(page, text: str) -> None:
    page.get_by_label("ou saisir JJ/MM/AAAA HH:MM (prioritaire)").fill(text)
    page.keyboard.press("Enter")


def test_the_calendar_offers_only_the_documents_life(console, page):
    document_id, issued = console.failing
    page.goto(f"{console.url}/document?doc={document_id}")
    expect(page.get_by_test_id("suivi-box")).to_be_visible(timeout=WAIT)
    page.get_by_test_id("stDateInputCalendarButton").first.click()
    calendar = page.get_by_role("grid")
    expect(calendar).to_be_visible(timeout=WAIT)

    def day(moment) -> str:   # the calendar's own labels, e.g. "Friday, November 13, 2026"
        cell = calendar.locator(f'[role="button"][aria-label*="{moment:%B} {moment.day}, '
                                f'{moment.year}"]')
        expect(cell).to_have_count(1)
        return cell.get_attribute("aria-disabled") or "false"

    assert day(issued) == "false"                       # it opens on the issue month
    if (issued - timedelta(days=1)).month == issued.month:
        assert day(issued - timedelta(days=1)) == "true"
    page.keyboard.press("Escape")
    for typed, refusal in (("11/11/1111 11:11", "antérieure à la date du document"),
                           ("01/01/1900 00:00", "antérieure à la date du document"),
                           ("31/12/9999 23:59", "ne peut pas être dans le futur")):
        typed_date(page, typed)
        expect(page.get_by_text(re.compile(refusal))).to_be_visible(timeout=WAIT)
        expect(page.get_by_role("button", name="Enregistrer la date")).to_have_count(0)
    assert "Traceback" not in page.content() and "OverflowError" not in page.content()
    assert "on or before" not in page.content()


def test_the_repeated_hour_is_asked_then_saved(console, page):
    page.goto(f"{console.url}/document?doc={console.before_fall_back}")
    box = page.get_by_test_id("suivi-box")
    expect(box).to_be_visible(timeout=WAIT)
    typed_date(page, "25/10/2026 02:30")
    expect(page.get_by_text("Cette heure existe deux fois")).to_be_visible(timeout=WAIT)
    page.get_by_text("la seconde (25/10/2026 02:30 CET)").click()
    expect(page.get_by_text(re.compile(r"→ 25/10/2026 02:30 CET"))).to_be_visible(timeout=WAIT)
    page.get_by_role("button", name="Enregistrer la date").click()
    expect(page.get_by_text("Date d'envoi modifiée.")).to_be_visible(timeout=WAIT)
    expect(box.get_by_test_id("suivi-send-date")).to_contain_text("25/10/2026 02:30 CET")
    page.get_by_role("button", name="Enregistrer la date").click()   # again, unchanged
    expect(page.get_by_text(re.compile("rien n'a été enregistré"))).to_be_visible(timeout=WAIT)


def test_back_to_the_list_keeps_its_filters(console, page):
    page.goto(console.url)
    rows = page.locator("table.suivi-table tbody tr")
    expect(rows).to_have_count(50, timeout=WAIT)
    page.get_by_text("Échecs seulement").click()
    expect(page).to_have_url(re.compile(r"doc_failures=true"), timeout=WAIT)
    unmarked = rows.filter(has_not=page.locator(".suivi-dot"))
    expect(unmarked).to_have_count(0, timeout=WAIT)    # the filtered rows are drawn
    filtered = rows.first.locator("a").inner_text()
    rows.first.locator("a").click()
    expect(page.get_by_test_id("suivi-box")).to_be_visible(timeout=WAIT)
    page.get_by_role("link", name="← Retour à la liste").click()
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=WAIT)
    expect(page).to_have_url(re.compile(r"doc_failures=true"), timeout=WAIT)
    expect(page.get_by_label("Échecs seulement")).to_be_checked()
    expect(rows.first.locator("a")).to_have_text(filtered, timeout=WAIT)
    expect(unmarked).to_have_count(0)                  # failures only, still


def test_the_language_choice_follows_from_page_to_page(console, page):
    page.goto(f"{console.url}/?lang=fr")
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=WAIT)
    page.get_by_test_id("stSidebar").get_by_text("English").click()
    expect(page.get_by_test_id("stSidebarNav").get_by_text("Settings", exact=True)).to_be_visible(
        timeout=WAIT)
    page.get_by_test_id("stSidebarNav").get_by_text("Settings", exact=True).click()
    expect(page.get_by_role("heading", name="Settings").first).to_be_visible(timeout=WAIT)
    expect(page).to_have_url(re.compile(r"lang=en"), timeout=WAIT)
    page.get_by_test_id("stSidebarNav").get_by_text("Failures", exact=True).click()
    expect(page.get_by_role("heading", name="Delivery failures")).to_be_visible(timeout=WAIT)
    # a document link opens a new session, in the chosen language
    page.get_by_test_id("stSidebarNav").get_by_text("Documents", exact=True).click()
    page.locator("table.suivi-table tbody tr a").first.click()
    expect(page.get_by_role("link", name="← Back to the list")).to_be_visible(timeout=WAIT)
    # …its sidebar too: the router titles the pages before the page reads the link's `lang`
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Failures", exact=True)).to_be_visible(timeout=WAIT)
    expect(nav.get_by_text("Échecs", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("suivi-signout")).to_have_text("Sign out")
