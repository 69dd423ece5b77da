"""A cold deep link: the first request a fresh console server ever gets is a page's own URL
(/failures, a bookmark, a link in a mail). Streamlit auto-discovers a folder named `pages`
beside the main script, and before `st.navigation` had run once in the process it answered
such a link from that folder: its raw file-name list in the sidebar, and the page run without
the router's gate (a blank page under the sidebar). The pages live in `views/` since."""

from __future__ import annotations

import pytest

from tests.console.conftest import copy_demo
from tests.console.server import ConsoleServer, browser_skip_reason, launch_chromium
from tracking.auth.session import cookie_secret, sign_session

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if reason := browser_skip_reason():
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

# The names of the page files, as Streamlit's own page list would show them.
FILE_NAMES = ("console", "documents", "document", "failures", "history", "mailbox",
              "overview", "settings")


def test_a_cold_deep_link_shows_the_page_through_the_router(tmp_path, repo_root,
                                                           demo_template):
    database = copy_demo(demo_template, tmp_path)
    secret = cookie_secret({}, tmp_path, demo=True)  # the demo's, kept beside the database
    with ConsoleServer(repo_root, database, tmp_path) as server, \
            sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_cookies([{"name": "suivi_session", "url": server.url,
                                  "value": sign_session("support", secret)}])
            page = context.new_page()
            page.goto(f"{server.url}/failures?lang=fr")   # the server's very first page
            expect(page.get_by_role("heading", name="Échecs de remise")).to_be_visible(timeout=60000)
            sidebar = page.get_by_test_id("stSidebarNav")
            expect(sidebar.get_by_text("Boîte des retours")).to_be_visible()
            links = [text.strip() for text in sidebar.get_by_role("link").all_inner_texts()]
            assert not set(links) & set(FILE_NAMES), links
            # And a page that stops before its content when nobody signed in: the sign-in form,
            # from the router, on another fresh session.
            anonymous = browser.new_context()
            stranger = anonymous.new_page()
            stranger.goto(f"{server.url}/history")
            expect(stranger.get_by_role("button", name="Se connecter")).to_be_visible(timeout=30000)
            anonymous.close()
        finally:
            browser.close()
