"""Issue 9 in a real browser: on Boîte des retours, attaching a bounce about one address to
another recipient is refused until the confirmation naming both addresses is ticked, and the
confirmation is what the event records. A real `streamlit run` on a demo database, Debian's
Chromium through Playwright; the database is read back after the server is stopped (DuckDB lets
one process hold the file)."""

from __future__ import annotations

import json
import re

import pytest

from tests.console.conftest import copy_demo, make_unmatched
from tests.console.server import ConsoleServer, browser_skip_reason, launch_chromium
from tracking.auth.session import cookie_secret, sign_session
from tracking.returned_actions import reported_recipients
from tracking.store import console_queries
from tracking.store.connection import open_database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if reason := browser_skip_reason():
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


def _artifact(repo_root, page, name: str) -> None:
    folder = repo_root / "test-artifacts"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


def _scene(database) -> dict:
    """Two demo bounces back in the unmatched queue, and a delivered relay recipient elsewhere."""
    make_unmatched(database)
    with open_database(database) as db:
        cursor = db.cursor()
        message = console_queries.mailbox_queue(cursor).iloc[0]["id"]   # the page's default
        number, send_id, address = cursor.execute(
            """SELECT d.number, s.id, x.address FROM documents d
               JOIN sends s ON s.document_id = d.id JOIN deliveries x ON x.send_id = s.id
               WHERE s.mode = 'relay' AND x.idx = 0 AND x.state = 'delivered'
                 AND d.number IN (SELECT number FROM documents GROUP BY 1 HAVING count(*) = 1)
                 AND s.id = (SELECT id FROM sends s2 WHERE s2.document_id = d.id
                             ORDER BY requested_at DESC, id LIMIT 1)
               ORDER BY s.requested_at DESC LIMIT 1""").fetchone()
        [reported] = reported_recipients(db, message)
    assert reported != address
    return {"message": message, "number": number, "send_id": send_id, "address": address,
            "reported": reported}


def test_attach_mismatch_is_refused_until_confirmed(tmp_path, repo_root, demo_template):
    database = copy_demo(demo_template, tmp_path)
    scene = _scene(database)
    secret = cookie_secret({}, tmp_path, demo=True)  # the demo's, kept beside the database
    with ConsoleServer(repo_root, database, tmp_path) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1400})
            context.add_cookies([{"name": "suivi_session", "url": server.url,
                                  "value": sign_session("support", secret)}])
            page = context.new_page()
            # Through the router first: a cold deep link can briefly serve Streamlit's own
            # file-name page list before st.navigation runs (kept: harmless since the pages moved to views/).
            page.goto(server.url)
            expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=60000)
            page.goto(f"{server.url}/mailbox")
            expect(page.get_by_role("heading", name="Boîte des retours")).to_be_visible(
                timeout=30000)
            page.get_by_label("Document (numéro ou id)").fill(scene["number"])
            page.keyboard.press("Enter")
            expect(page.get_by_text(f"Le retour concerne : {scene['reported']}")).to_be_visible(
                timeout=15000)
            mismatch = f"Le retour concerne {scene['reported']}, pas {scene['address']}."
            expect(page.get_by_text(mismatch)).to_be_visible(timeout=15000)

            attach = page.get_by_role("button", name="Rattacher", exact=True)
            attach.click()
            refusal = page.get_by_text("Refusé, rien n'a été enregistré")
            expect(refusal).to_be_visible(timeout=15000)
            expect(refusal).to_contain_text("confirmation")
            _artifact(repo_root, page, "attach-mismatch-refused.png")
            # Addresses from mail are text in the warning, the label and the refusal: no links.
            assert page.locator("a[href^='mailto:']").count() == 0

            confirm = (f"Je confirme : appliquer le retour de {scene['reported']} "
                       f"à {scene['address']}")
            page.get_by_text(confirm).click()
            # (its accessible name is the Markdown label: the addresses sit in code spans)
            named = re.compile(f"Je confirme.*{re.escape(scene['reported'])}.*"
                               f"{re.escape(scene['address'])}")
            expect(page.get_by_role("checkbox", name=named)).to_be_checked(timeout=15000)
            attach.click()
            expect(page.get_by_text("Retour rattaché.")).to_be_visible(timeout=15000)
            _artifact(repo_root, page, "attach-mismatch-confirmed.png")
        finally:
            browser.close()

    with open_database(database) as db:
        cursor = db.cursor()
        rows = cursor.execute(
            "SELECT actor, send_id, recipient_idx, details FROM events "
            "WHERE type = 'bounce_attached'").fetchall()
        state = cursor.execute("SELECT state FROM deliveries WHERE send_id = ? AND idx = 0",
                               [scene["send_id"]]).fetchone()[0]
    assert len(rows) == 1                       # the refused click wrote nothing
    actor, send_id, idx, details = rows[0]
    assert (actor, send_id, idx) == ("support", scene["send_id"], 0)
    assert json.loads(details)["recipient_mismatch_confirmed"] == {
        "reported": scene["reported"], "chosen": scene["address"]}
    assert state == "not_delivered"
