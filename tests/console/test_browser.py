"""What a person sees: the console served by a real Streamlit, in Debian's Chromium."""

from __future__ import annotations

import pytest

from tests.console.server import ConsoleServer, browser_skip_reason, launch_chromium
from tests.core.conftest import seed
from tracking.models import SendingMode
from tracking.service import SendPolicy, SendRequest, request_send
from tracking.store.connection import open_database

pytestmark = pytest.mark.browser

if reason := browser_skip_reason():
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def console(tmp_path_factory, repo_root):
    workdir = tmp_path_factory.mktemp("console")
    database = open_database(workdir / "console.duckdb")
    documents = seed(database)
    request_send(database, SendRequest(documents[SendingMode.RELAY][0],
                                       ("unknown-paul@client.test",), actor="alice"),
                 SendPolicy(verp_key=b"demo-only-verp-key-not-secret"))
    database.close()
    with ConsoleServer(repo_root, workdir / "console.duckdb", workdir) as server:
        yield server


def test_overview_renders_and_switches_to_english(console):
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(console.url)
        expect(page.get_by_role("heading", name="Suivi des envois de documents")).to_be_visible(
            timeout=30000)
        expect(page.get_by_text("Échecs (dernier envoi)")).to_be_visible()
        page.get_by_text("English").click()
        expect(page.get_by_role("heading", name="Document sending tracker")).to_be_visible(
            timeout=15000)
        browser.close()
