"""What a person sees: the console served by a real Streamlit on a demo database, in Debian's
Chromium. One server for the module; screenshots are kept as test artifacts (the README's
`docs/console.png` is the tracking box's, from test_browser_box.py)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.console.conftest import HOSTILE, copy_demo, make_hostile
from tests.console.server import ConsoleServer, browser_skip_reason, launch_chromium
from tracking.auth.session import cookie_secret, sign_session
from tracking.store.connection import open_database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if reason := browser_skip_reason():
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

ARTIFACTS = "test-artifacts"


@pytest.fixture(scope="module")
def console(tmp_path_factory, repo_root, demo_template):
    workdir = tmp_path_factory.mktemp("console")
    database = copy_demo(demo_template, workdir)
    hostile_document = make_hostile(database)
    with open_database(database) as db:
        failing = db.cursor().execute(
            """SELECT s.document_id, d.number FROM deliveries x JOIN sends s ON s.id = x.send_id
               JOIN documents d ON d.id = s.document_id
               WHERE x.state = 'not_delivered' AND x.reason = 'userunknown'
                 AND s.document_id <> ?
               ORDER BY d.issue_date DESC LIMIT 1""", [hostile_document]).fetchone()
        # a send date must follow the issue date: the edit below picks the day after it
        failing_issued = db.cursor().execute(
            "SELECT issue_date FROM documents WHERE id = ?", [failing[0]]).fetchone()[0]
    secret = cookie_secret({}, workdir, demo=True)  # the demo's, kept beside the database
    with ConsoleServer(repo_root, database, workdir) as server:
        server.failing, server.hostile = failing, hostile_document
        server.failing_issued = failing_issued
        server.cookie = sign_session("support", secret)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            server.browser = browser
            yield server
            browser.close()


@pytest.fixture
def page(console):
    """A browser tab signed in as `support` (the sign-in form itself: test_browser_auth.py)."""
    context = console.browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([{"name": "suivi_session", "value": console.cookie,
                          "url": console.url}])
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    yield page
    context.close()


def artifact(repo_root, page, name: str, *, full_page: bool = True) -> None:
    folder = repo_root / ARTIFACTS
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=full_page)


def test_documents_show_a_blinking_dot_and_the_document_its_reason(console, page, repo_root):
    document_id, number = console.failing
    page.goto(console.url)
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=30000)
    expect(page.locator("table.suivi-table tbody tr")).to_have_count(50, timeout=30000)
    artifact(repo_root, page, "documents-all.png")
    page.get_by_text("Échecs seulement").click()
    dot = page.locator("table.suivi-table tbody tr").first.locator(".suivi-dot")
    expect(dot).to_be_visible(timeout=15000)
    animation = dot.evaluate("e => getComputedStyle(e).animationName")
    assert animation == "suivi-blink"
    assert dot.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(224, 22, 27)"
    artifact(repo_root, page, "documents-failures.png", full_page=False)

    page.get_by_label("Recherche (numéro, client, adresse)").fill(number)
    page.keyboard.press("Enter")
    link = page.locator("table.suivi-table a", has_text=number)
    expect(link).to_have_count(1, timeout=15000)
    link.click()
    box = page.get_by_test_id("suivi-box")
    expect(box).to_be_visible(timeout=30000)
    expect(box).to_contain_text("L'adresse n'existe pas")
    expect(box.locator(".suivi-dot")).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=15000)
    artifact(repo_root, page, "document.png")


def test_editing_the_send_date_updates_the_box_and_the_history(console, page, repo_root):
    document_id, number = console.failing
    page.goto(f"{console.url}/document?doc={document_id}")
    box = page.get_by_test_id("suivi-box")
    expect(box).to_be_visible(timeout=30000)
    day = f"{console.failing_issued + timedelta(days=1):%d/%m/%Y}"
    page.get_by_label("ou saisir JJ/MM/AAAA HH:MM (prioritaire)").fill(f"{day} 08:45")
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(rf"→ {day} 08:45"))).to_be_visible(timeout=15000)
    page.get_by_role("button", name="Enregistrer la date").click()
    expect(page.get_by_text("Date d'envoi modifiée.")).to_be_visible(timeout=15000)
    expect(box.get_by_test_id("suivi-send-date")).to_contain_text(f"{day} 08:45")
    artifact(repo_root, page, "send-date-edited.png")

    page.goto(f"{console.url}/history")
    expect(page.get_by_role("heading", name="Historique des activités")).to_be_visible(
        timeout=30000)
    page.get_by_label("Document (numéro ou id)").fill(document_id)
    page.keyboard.press("Enter")
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_contain_text("Date d'envoi modifiée", timeout=15000)
    expect(grid).to_contain_text("support")
    artifact(repo_root, page, "history.png")


def test_markup_in_a_diagnostic_is_shown_as_text(console, page, repo_root):
    page.goto(f"{console.url}/document?doc={console.hostile}")
    expect(page.get_by_test_id("suivi-box")).to_be_visible(timeout=30000)
    code = page.get_by_test_id("stText").filter(has_text="window.__suivi_xss").first
    expect(code).to_be_visible(timeout=15000)
    assert HOSTILE in code.inner_text()
    assert page.evaluate("window.__suivi_xss === undefined")
    assert page.locator("img[src='x']").count() == 0
    artifact(repo_root, page, "hostile-diagnostic.png")


def test_a_search_with_quotes_and_sql_finds_nothing(console, page):
    page.goto(console.url)
    search = page.get_by_label("Recherche (numéro, client, adresse)")
    expect(search).to_be_visible(timeout=30000)
    search.fill("'; DROP TABLE documents; -- \" OR 1=1")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Aucun document ne correspond.")).to_be_visible(timeout=15000)
    search.fill("")
    page.keyboard.press("Enter")
    expect(page.locator("table.suivi-table tbody tr")).to_have_count(50, timeout=15000)


def test_a_send_shows_its_outcome_without_a_reload(console, page, repo_root):
    """Envoyer wakes the sender at once; the box refreshes itself while a recipient is
    pending (here `tempfail@`, retried for a few seconds, then refused) and then stops."""
    document_id, _ = console.failing
    page.goto(f"{console.url}/document?doc={document_id}")
    box = page.get_by_test_id("suivi-box").last
    expect(box).to_be_visible(timeout=30000)
    expect(page.get_by_text(re.compile("Serveur d'envoi (joignable|: pas encore)"))).to_be_visible()
    page.evaluate("window.__suivi_same_page = true")
    page.get_by_text("Envoyer en ligne").click()
    page.get_by_label("À (une adresse par ligne)").fill("live@client.example\ntempfail@client.example")
    page.get_by_label("Cc (une adresse par ligne)").fill("")
    page.get_by_text("Renvoyer même si envoyé il y a moins de 3 jours").click()
    page.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.get_by_text("Envoi enregistré, en cours de remise.")).to_be_visible(timeout=15000)
    expect(box).to_contain_text("tempfail@client.example", timeout=15000)
    expect(box).to_contain_text("En cours", timeout=15000)
    expect(box).to_contain_text("Non envoyé", timeout=30000)       # no reload in between
    expect(box).not_to_contain_text("En cours")
    assert page.evaluate("window.__suivi_same_page === true")
    expect(page.get_by_text("Serveur d'envoi joignable depuis")).to_be_visible()
    expect(page.get_by_test_id("suivi-box")).to_have_count(1, timeout=15000)  # redrawn in place
    artifact(repo_root, page, "send-live.png")
