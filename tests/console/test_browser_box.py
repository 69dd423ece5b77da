"""The tracking box in Debian's Chromium against a real `streamlit run`: a document with
several sends, the dot's explanation on hover and click, the resend form's suggestion. The
document page with the explanation open is the README's `docs/console.png` when
SUIVI_UPDATE_SCREENSHOT=1."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.console.conftest import copy_demo
from tests.console.server import ConsoleServer, browser_skip_reason, launch_chromium
from tests.console.story import DELIVERED, TYPO, UNKNOWN, tell
from tracking.auth.session import cookie_secret, sign_session
from tracking.store.connection import open_database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if reason := browser_skip_reason():
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

ARTIFACTS = "test-artifacts"


@pytest.fixture(scope="module")
def console(tmp_path_factory, repo_root, demo_template):
    workdir = tmp_path_factory.mktemp("console-box")
    database = copy_demo(demo_template, workdir)
    with open_database(database) as db:
        story = tell(db)
    secret = cookie_secret({}, workdir, demo=True)
    with ConsoleServer(repo_root, database, workdir) as server:
        server.story = story
        server.cookie = sign_session("support", secret)
        with sync_playwright() as playwright:
            server.browser = launch_chromium(playwright)
            yield server
            server.browser.close()


@pytest.fixture
def page(console):
    context = console.browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([{"name": "suivi_session", "value": console.cookie,
                          "url": console.url}])
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    yield page
    context.close()


def shot(repo_root, page, name: str) -> None:
    folder = repo_root / ARTIFACTS
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / name))


def test_the_list_has_a_legend_and_its_dots_explain_on_hover(console, page, repo_root):
    page.goto(console.url)
    legend = page.get_by_test_id("suivi-legend")
    expect(legend).to_contain_text("survolez ou cliquez sur le point", timeout=60000)
    page.get_by_text("Échecs seulement").click()
    summary = page.locator("table.suivi-table tbody tr").first.locator("details.suivi-why summary")
    expect(summary).to_be_visible(timeout=15000)
    assert summary.get_attribute("title").startswith(
        "L'e-mail n'a pas pu être délivré à au moins un destinataire : ")
    summary.click()
    expect(page.locator("table.suivi-table tbody tr").first.get_by_test_id("suivi-why")) \
        .to_be_visible()


def test_the_box_with_several_sends_explains_the_dot_and_suggests_the_correction(
        console, page, repo_root):
    # Through the router first: a cold deep link can serve Streamlit's own file-name page list
    # before st.navigation runs (as in test_browser_returned.py).
    page.goto(console.url)
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=60000)
    page.goto(f"{console.url}/document?doc={console.story.document_id}")
    box = page.get_by_test_id("suivi-box")
    expect(box).to_be_visible(timeout=30000)
    rows = box.get_by_test_id("suivi-recipients").locator("tbody tr")
    expect(rows).to_have_count(3)
    for address in (DELIVERED, TYPO, UNKNOWN):
        expect(box.get_by_test_id("suivi-recipients")).to_contain_text(address)
    sends = box.get_by_test_id("suivi-sends").locator("li")
    expect(sends).to_have_count(2)
    expect(sends.nth(0)).to_contain_text("Envoi en ligne")
    expect(sends.nth(0)).to_contain_text("Marie Lefèvre (m.lefevre)")
    expect(sends.nth(1)).to_contain_text("Envoi manuel")

    typo_row = rows.filter(has_text=TYPO)
    why = typo_row.get_by_test_id("suivi-why")
    expect(why).to_be_hidden()                                   # closed until asked
    summary = typo_row.locator("details.suivi-why summary")
    summary.hover()
    assert summary.get_attribute("title").startswith(
        f"L'e-mail n'a pas pu être délivré à {TYPO}")           # the hover tooltip
    typo_row.locator(".suivi-q").click()                         # the "?" opens it
    expect(why).to_be_visible()
    expect(why).to_contain_text("Le domaine de l'adresse n'existe pas")
    expect(why).to_contain_text("Code : 5.4.4.")

    corrected = page.get_by_label("Adresse corrigée")
    expect(corrected).to_have_value("jean.morel@outlook.com", timeout=15000)
    expect(page.get_by_text("Pré-rempli avec la correction probable")).to_be_visible()
    expect(page.get_by_role("button", name="Renvoyer")).to_be_visible(timeout=15000)
    shot(repo_root, page, "box-several-sends.png")

    page.get_by_role("button", name="Renvoyer").click()
    # (the success line is checked by the AppTest: here the live box's own refresh can rerun
    # the page and take it away before a loaded machine has looked)
    expect(rows).to_have_count(4, timeout=30000)
    expect(rows.nth(3)).to_contain_text("jean.morel@outlook.com")
    expect(rows.nth(1)).to_contain_text("Non réceptionné")      # the failed one stays
    expect(sends).to_have_count(3)
    expect(sends.nth(2)).to_contain_text("Renvoi")
    expect(rows.nth(1).get_by_test_id("suivi-corrected")).to_contain_text(
        "corrigée : renvoyé à jean.morel@outlook.com")

    # the README's picture: the whole story, one explanation open, once the live box has
    # stopped refreshing (the new recipient left `En cours`)
    page.set_viewport_size({"width": 1400, "height": 1300})
    expect(rows.nth(3)).not_to_contain_text("En cours", timeout=30000)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=15000)
    why = rows.filter(has_text=UNKNOWN).first.get_by_test_id("suivi-why")
    for _ in range(5):   # a last refresh of the box may redraw it closed: open it again
        rows.filter(has_text=UNKNOWN).first.locator(".suivi-q").click()
        try:
            expect(why).to_be_visible(timeout=3000)
            break
        except AssertionError:
            continue
    expect(why).to_contain_text("L'adresse n'existe pas chez le destinataire")
    page.get_by_test_id("stMain").evaluate("main => main.scrollTo(0, 0)")  # the click scrolled
    shot(repo_root, page, "box-after-resend.png")
    if os.environ.get("SUIVI_UPDATE_SCREENSHOT") == "1":
        (repo_root / "docs").mkdir(exist_ok=True)
        shutil.copyfile(repo_root / ARTIFACTS / "box-after-resend.png",
                        repo_root / "docs/console.png")
