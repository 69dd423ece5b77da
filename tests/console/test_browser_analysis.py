"""The analysis pages as an analyst meets them in Chromium (a real `streamlit run serve.py` on
the demo): French words only — no raw code, `None`, `nan` or query column name in the page's
text — rates with their denominators, and the French spreadsheet export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.console.conftest import copy_demo, demo_password
from tests.console.server import ConsoleServer, browser_skip_reason, launch_chromium, settled
from tracking.auth.session import cookie_secret
from tracking.models import DeliveryState, EventType, Reason, SendingMode

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if reason := browser_skip_reason():
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

WAIT = 60000  # generous: the machine is shared
# Words that must not appear on their own in the page text: stored codes and missing values.
CODES = {str(v) for enum in (Reason, DeliveryState, SendingMode, EventType) for v in enum}
NOT_TEXT = {"None", "nan", "NaN", "NaT", "null"}
ENGLISH_COLUMNS = {"actor", "actor_name", "recipient", "smtp_reply", "reply_code", "status_code",
                   "old_value", "new_value", "document_number", "occurred_at", "requested_at"}


@pytest.fixture(scope="module")
def console(tmp_path_factory, repo_root, demo_template):
    workdir = tmp_path_factory.mktemp("console-analysis")
    database = copy_demo(demo_template, workdir)
    cookie_secret({}, workdir, demo=True)
    with ConsoleServer(repo_root, database, workdir) as server, sync_playwright() as playwright:
        server.browser = launch_chromium(playwright)
        yield server
        server.browser.close()


@pytest.fixture
def page(console):
    context = console.browser.new_context(viewport={"width": 1400, "height": 1000},
                                          accept_downloads=True)
    page = context.new_page()
    page.goto(console.url)
    page.locator("#suivi-login").fill("analyst")
    page.locator("#suivi-password").fill(demo_password("analyst"))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=WAIT)
    yield page
    context.close()


def words_of(page) -> set[str]:
    """The text of the page's main area, split into cells and words; tables are drawn on a
    canvas, so their headers and cells are read from the grid's accessible (hidden) copy."""
    main = page.get_by_test_id("stMain")
    text = main.inner_text()
    cells = main.locator("[role=columnheader], [role=gridcell]").all_text_contents()
    pieces = set(re.split(r"[\n\t]+", text)) | {cell.strip() for cell in cells}
    return pieces | {word for piece in pieces for word in piece.split()}


def assert_reads_in_french(page) -> None:
    words = words_of(page)
    assert not words & CODES, words & CODES
    assert not words & NOT_TEXT, words & NOT_TEXT
    assert not words & ENGLISH_COLUMNS, words & ENGLISH_COLUMNS
    return words


def test_failures_page_in_french_with_rates_and_the_spreadsheet_export(console, page):
    page.goto(f"{console.url}/failures")
    expect(page.get_by_text("Taux sur la période")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text(re.compile(r"échecs? sur [\d\u202f]+ destinataires?"))
           ).to_be_visible(timeout=WAIT)
    page.get_by_role("tab", name="Par raison").click()
    expect(page.get_by_text("Destinataire inconnu").first).to_be_visible(timeout=WAIT)
    assert_reads_in_french(page)
    with page.expect_download() as download:
        # the drill-down's (then the addresses to correct)
        page.get_by_role("button", name="Exporter en CSV").first.click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")                       # UTF-8 BOM
    header = data.decode("utf-8-sig").splitlines()[0].split(";")
    assert header[:3] == ["Envoi demandé le", "Document", "Compte"]
    assert "Code raison" in header


def test_history_page_in_french(console, page):
    page.goto(f"{console.url}/history")
    expect(page.locator("[role=columnheader]", has_text="Destinataire").first
           ).to_be_attached(timeout=WAIT)
    expect(page.locator(".js-plotly-plot")).to_have_count(0)   # drawn once opened
    page.get_by_text("Graphiques").click()
    expect(page.get_by_text("Activité par jour")).to_be_visible(timeout=WAIT)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=WAIT)
    words = assert_reads_in_french(page)
    assert {"Quand", "Type", "Acteur", "Destinataire"} <= words


def test_the_open_tab_and_section_stay_open_across_a_language_switch(console, page):
    """Streamlit names a tab's and an expander's state after their labels too: a switch of
    language opened the first tab again and shut the addresses to correct."""
    page.goto(f"{console.url}/failures")
    for name in ("Par raison", "Par compte"):
        page.get_by_role("tab", name=name).click()
        settled(page, WAIT)
        expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")
    page.get_by_text("Adresses à corriger", exact=True).click()
    expect(page.get_by_text("Correction probable").first).to_be_attached(timeout=WAIT)
    settled(page, WAIT)
    page.get_by_text("English").click()
    expect(page.get_by_role("tab", name="By account")).to_have_attribute(
        "aria-selected", "true", timeout=WAIT)
    expect(page.get_by_text("Likely correction").first).to_be_attached(timeout=WAIT)
    settled(page, WAIT)
    page.get_by_text("Addresses to correct", exact=True).click()   # and it still closes
    expect(page.get_by_text("Likely correction")).to_have_count(0, timeout=WAIT)
