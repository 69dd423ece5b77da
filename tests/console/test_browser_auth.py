"""Sign-in, roles and account scope as a person meets them: a real `streamlit run serve.py`
(console + sign-in routes) on a demo database, driven by Debian's Chromium."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.console.conftest import (
    FORMULA_NUMBER, MARKDOWN_ACCOUNT, MARKDOWN_CLIENT, copy_demo, demo_password,
    make_markdown_names,
)
from tests.console.server import ConsoleServer, browser_skip_reason, launch_chromium, download_first
from tracking.auth.session import cookie_secret, sign_session
from tracking.store.connection import open_database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if reason := browser_skip_reason():
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

SIGN_IN_HEADING = "Suivi — connexion"
WAIT = 60000  # generous: the machine is shared, a loaded run draws slowly


def numbers_by_account(database) -> dict[str, set[str]]:
    with open_database(database) as db:
        rows = db.cursor().execute("SELECT account_id, number FROM documents").fetchall()
        limited = db.cursor().execute(
            "SELECT accounts FROM users WHERE login = 'support.dubois'").fetchone()[0]
    by_account: dict[str, set[str]] = {}
    for account, number in rows:
        by_account.setdefault(account, set()).add(number)
    return by_account, limited


@pytest.fixture(scope="module")
def console(tmp_path_factory, repo_root, demo_template):
    workdir = tmp_path_factory.mktemp("console-auth")
    database = copy_demo(demo_template, workdir)
    markdown_document = make_markdown_names(database)
    by_account, limited = numbers_by_account(database)
    with open_database(database) as db:
        unsent = db.cursor().execute(
            """SELECT d.id, d.number FROM documents d WHERE d.account_id = ?
                 AND NOT EXISTS (SELECT 1 FROM sends s WHERE s.document_id = d.id)
                 AND d.send_date IS NULL ORDER BY d.id LIMIT 1""", [limited[0]]).fetchone()
    # The demo's secret is kept beside the database; the server finds the same file.
    secret = cookie_secret({}, workdir, demo=True)
    with ConsoleServer(repo_root, database, workdir) as server:
        server.secret, server.by_account, server.limited = secret, by_account, limited
        server.unsent, server.markdown_document = unsent, markdown_document
        with sync_playwright() as playwright:
            server.browser = launch_chromium(playwright)
            yield server
            server.browser.close()


@pytest.fixture
def page(console):
    context = console.browser.new_context(viewport={"width": 1400, "height": 1000},
                                          accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, console, login: str, password: str | None = None) -> None:
    page.goto(console.url)
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible(timeout=WAIT)
    page.locator("#suivi-login").fill(login)
    page.locator("#suivi-password").fill(password or demo_password(login))
    page.get_by_role("button", name="Se connecter").click()


def test_sign_in_survives_a_reload_and_sign_out_ends_it(console, page):
    some_number = sorted(next(iter(console.by_account.values())))[0]
    page.goto(console.url)
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible(timeout=WAIT)
    assert page.locator("table.suivi-table").count() == 0
    assert some_number not in page.content()

    sign_in(page, console, "support", "not-the-password")
    expect(page.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible(
        timeout=WAIT)
    assert not [c for c in page.context.cookies() if c["name"] == "suivi_session"]

    sign_in(page, console, "support")
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=WAIT)
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "suivi_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("suivi_session") == -1  # HttpOnly
    page.reload()
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Support (démo) (support)")).to_be_visible()

    page.get_by_test_id("suivi-signout").click()
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible(timeout=WAIT)
    assert not [c for c in page.context.cookies() if c["name"] == "suivi_session"]
    page.goto(console.url + "/history")
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible(timeout=WAIT)


def test_a_deep_link_comes_back_to_its_page_and_language_after_signing_in(console, page):
    """A link to a document in English (a mail, a bookmark) asks for the sign-in, then opens
    that document in English; the form's return address had lost the query (`/document`)."""
    document_id, number = console.unsent
    page.goto(f"{console.url}/document?doc={document_id}&lang=en")
    expect(page.get_by_role("heading", name="Suivi — sign in")).to_be_visible(timeout=WAIT)
    page.locator("#suivi-login").fill("support")
    page.locator("#suivi-password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong login or password.")).to_be_visible(timeout=WAIT)
    expect(page).to_have_url(re.compile(rf"doc={document_id}"))
    page.locator("#suivi-login").fill("support")
    page.locator("#suivi-password").fill(demo_password("support"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=number)).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("link", name="← Back to the list")).to_be_visible()


def test_an_unknown_login_reads_like_a_wrong_password(console, page):
    sign_in(page, console, "nobody.here", "whatever-password")
    expect(page.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible(
        timeout=WAIT)


@pytest.mark.parametrize("forged", ["other-secret", "edited-login"])
def test_a_forged_cookie_is_refused(console, page, forged):
    genuine = sign_session("analyst", console.secret)
    value = (sign_session("admin", b"s" * 32) if forged == "other-secret"
             else "YWRtaW4" + genuine[genuine.index("."):])
    page.context.add_cookies([{"name": "suivi_session", "value": value, "url": console.url}])
    page.goto(console.url + "/settings")
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible(timeout=WAIT)
    assert page.get_by_role("heading", name="Paramètres").count() == 0


def test_an_analyst_sees_no_action(console, page):
    document_id = console.unsent[0]
    sign_in(page, console, "analyst")
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=WAIT)
    page.goto(f"{console.url}/document?doc={document_id}")
    expect(page.get_by_test_id("suivi-box")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Lecture seule")).to_be_visible()
    main = page.get_by_test_id("stMain")
    assert main.get_by_role("button", name="Marquer envoyé", exact=True).count() == 0
    assert main.get_by_role("button", name="Enregistrer la date").count() == 0
    page.goto(f"{console.url}/settings")
    expect(page.get_by_role("heading", name="Paramètres")).to_be_visible(timeout=WAIT)
    assert main.get_by_role("button", name="Confirmer la modification").count() == 0
    assert main.get_by_test_id("stExpander").count() == 0


def test_support_marks_a_document_sent_and_the_event_names_them(console, page):
    document_id, number = console.unsent
    sign_in(page, console, "support.dubois")
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=WAIT)
    page.goto(f"{console.url}/document?doc={document_id}")
    expect(page.get_by_test_id("suivi-box")).to_be_visible(timeout=WAIT)
    page.get_by_text("Marquer envoyé (envoi manuel)").click()
    page.get_by_role("button", name="Marquer envoyé", exact=True).click()
    expect(page.get_by_text("Document marqué envoyé.")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("suivi-box")).to_contain_text("Support Atelier Dubois (démo)")

    page.goto(f"{console.url}/history")
    page.get_by_label("Document (numéro ou id)").fill(number)
    page.keyboard.press("Enter")
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_contain_text("Support Atelier Dubois (démo)", timeout=WAIT)
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporter en CSV").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    # The unfiltered history shows this event first too, so the export may be taken before the
    # filter's rerun lands: pick the document's row rather than counting rows.
    (line,) = [row for row in exported.splitlines()
               if "marked_sent_manually" in row and number in row]
    assert "support.dubois" in line


def test_a_limited_user_never_sees_another_accounts_documents(console, page):
    (mine,) = console.limited
    others = set().union(*(n for a, n in console.by_account.items() if a != mine))
    own = sorted(console.by_account[mine])[0]

    def leaks(text: str) -> set[str]:
        return {n for n in others if n in text}

    sign_in(page, console, "support.dubois")
    expect(page.locator("table.suivi-table tbody tr").first).to_be_visible(timeout=WAIT)
    assert not leaks(page.content())
    search = page.get_by_label("Recherche (numéro, client, adresse)")
    search.fill(sorted(others)[0])
    page.keyboard.press("Enter")
    expect(page.get_by_text("Aucun document ne correspond.")).to_be_visible(timeout=WAIT)
    search.fill(own)
    page.keyboard.press("Enter")
    expect(page.locator("table.suivi-table a", has_text=own)).to_have_count(1, timeout=WAIT)

    for path, heading in (("failures", "Échecs"), ("history", "Historique des activités")):
        page.goto(f"{console.url}/{path}")
        expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=WAIT)
        expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=WAIT)
        assert not leaks(page.content()), path
        download = download_first(page, "Exporter en CSV", WAIT)   # Failures: the drill-down's
        exported = Path(download.path()).read_text(encoding="utf-8-sig")
        assert exported.count("\n") >= 1
        assert not leaks(exported), path



def test_names_from_the_database_stay_text_and_load_nothing(console, page):
    outside = []
    page.on("request", lambda request: outside.append(request.url)
            if "127.0.0.1:9/" in request.url else None)
    sign_in(page, console, "support")
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=WAIT)
    page.goto(f"{console.url}/document?doc={console.markdown_document}")
    expect(page.get_by_role("heading", level=1).first).to_contain_text("HYPERLINK",
                                                                         timeout=WAIT)
    main = page.get_by_test_id("stMain")
    # What a reader sees (and copies, minus the invisible word joiners) is what was stored.
    shown = main.inner_text().replace("\u2060", "")
    for stored in (FORMULA_NUMBER, MARKDOWN_CLIENT, MARKDOWN_ACCOUNT):
        assert stored in shown
    assert main.locator("img").count() == 0
    assert main.locator("a[href*='127.0.0.1:9']").count() == 0
    assert main.locator("strong", has_text="Nord").count() == 0

    page.goto(f"{console.url}/failures")
    expect(page.get_by_role("heading", name="Échecs").first).to_be_visible(timeout=WAIT)
    download = download_first(page, "Exporter en CSV", WAIT)   # the drill-down's
    exported = Path(download.path()).read_text(encoding="utf-8")
    assert "\'=HYPERLINK(" in exported  # neutralised for spreadsheets (OWASP)
    assert outside == []

def test_repeated_failures_slow_the_answer_down(console):  # last: it slows this client down
    def attempt() -> float:
        body = urllib.parse.urlencode({"login": "throttled", "password": "wrong-one"}).encode()
        request = urllib.request.Request(console.url + "/signin", data=body, method="POST")
        opener = urllib.request.build_opener(NoRedirect)
        started = time.monotonic()
        try:
            opener.open(request, timeout=60)
        except urllib.error.HTTPError as answer:
            assert answer.code == 303
            assert "signin=failed" in answer.headers["location"]
        return time.monotonic() - started

    # Earlier tests' failures from this client count too, so how soon the delay starts varies;
    # that it starts within a few attempts and then doubles does not.
    waits = [attempt() for _ in range(5)]
    assert waits[-2] >= 1.0 and waits[-1] >= 2.0
    # Each wait is the throttle's delay plus one argon2 check (≈0.4 s, more under load): the
    # delay doubles, so discount up to a second of checking from the previous wait.
    assert waits[-1] >= 1.8 * (waits[-2] - 1.0)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
