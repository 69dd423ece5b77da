"""The two other sign-in modes end to end: OIDC through Streamlit's `st.login` against a local
provider (PyPI's oidc-provider-mock, started here on loopback), and the trusted proxy header
(Chromium sends the header itself, as a proxy would)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.console.conftest import copy_demo
from tests.console.server import ConsoleServer, browser_skip_reason, free_port, launch_chromium
from tracking.auth.principal import Principal
from tracking.auth.roles import Role
from tracking.auth.users import add_user
from tracking.store.connection import open_database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if reason := browser_skip_reason():
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

WAIT = 30000
KNOWN = {"sub": "idp-7f3a", "email": "claire.oidc@example.test", "name": "Claire IdP"}
STRANGER = {"sub": "idp-0000", "email": "stranger@example.test", "name": "Stranger"}


class OidcProvider:
    """`python -m oidc_provider_mock` on a free loopback port, stopped by PID."""

    def __init__(self, users: list[dict], log) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "oidc_provider_mock", "--port", str(self.port)]
        for claims in users:
            command += ["--user-claims", json.dumps(claims)]
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.metadata_url, timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("oidc_provider_mock exited")
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("oidc_provider_mock did not answer")

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def oidc_console(tmp_path_factory, repo_root, demo_template):
    workdir = tmp_path_factory.mktemp("console-oidc")
    database = copy_demo(demo_template, workdir)
    with open_database(database) as db:
        add_user(db, Principal.cli("tests"), login="claire", display_name="Claire Martin",
                 role=Role.SUPPORT, password=None, email=KNOWN["email"])
    with open(workdir / "oidc.log", "wb") as log:
        provider = OidcProvider([KNOWN, STRANGER], log)
        try:
            server = ConsoleServer(repo_root, database, workdir, env={"SUIVI_AUTH": "oidc"})
            secrets = workdir / "secrets.toml"
            secrets.write_text(
                "[auth]\n"
                f'redirect_uri = "{server.url}/oauth2callback"\n'
                'cookie_secret = "test-only-cookie-secret-for-st-login-0123456789"\n'
                'client_id = "suivi-console"\nclient_secret = "test-only"\n'
                f'server_metadata_url = "{provider.metadata_url}"\n', encoding="utf-8")
            server.extra_args = ("--secrets.files", str(secrets))
            with server:
                yield server
        finally:
            provider.stop()


def oidc_sign_in(page, console, subject: str) -> None:
    page.goto(console.url)
    expect(page.get_by_role("heading", name="Suivi — connexion")).to_be_visible(timeout=WAIT)
    assert page.locator("table.suivi-table").count() == 0
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("button", name=subject).click()  # the provider's predefined user


def test_oidc_known_email_signs_in_with_the_table_role(oidc_console, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    oidc_sign_in(page, oidc_console, KNOWN["sub"])
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Claire Martin (claire) · support")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=WAIT)
    page.get_by_role("button", name="Se déconnecter").click()
    # st.logout goes through the provider's end-session page, which comes back to the console.
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("heading", name="Suivi — connexion")).to_be_visible(timeout=WAIT)
    assert page.locator("table.suivi-table").count() == 0
    context.close()


def test_oidc_unknown_identity_gets_no_access(oidc_console, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    oidc_sign_in(page, oidc_console, STRANGER["sub"])
    expect(page.get_by_text("Pas d'accès")).to_be_visible(timeout=WAIT)
    assert page.get_by_role("heading", name="Documents").count() == 0
    assert page.locator("table.suivi-table").count() == 0
    context.close()


@pytest.fixture(scope="module")
def proxy_consoles(tmp_path_factory, repo_root, demo_template):
    """Two servers: one that trusts loopback (where Chromium connects from), one that trusts
    only another address."""
    servers = {}
    try:
        for name, addresses in (("trusted", "127.0.0.1"), ("untrusted", "10.255.0.1")):
            workdir = tmp_path_factory.mktemp(f"console-proxy-{name}")
            database = copy_demo(demo_template, workdir)
            servers[name] = ConsoleServer(repo_root, database, workdir, env={
                "SUIVI_AUTH": "proxy", "SUIVI_PROXY_HEADER": "X-Remote-User",
                "SUIVI_PROXY_ADDRESSES": addresses}).start()
        yield servers
    finally:
        for server in servers.values():
            server.stop()


@pytest.mark.parametrize("server, header, expected", [
    ("trusted", "analyst", "Analyste (démo) (analyst)"),
    ("trusted", None, "le proxy n'a pas transmis d'identifiant"),
    ("untrusted", "admin", "ne vient pas d'un proxy autorisé"),
    ("trusted", "nobody", "Pas d'accès"),
])
def test_proxy_header(proxy_consoles, browser, server, header, expected):
    console = proxy_consoles[server]
    headers = {"X-Remote-User": header} if header else {}
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  extra_http_headers=headers)
    page = context.new_page()
    page.goto(console.url)
    expect(page.get_by_text(expected)).to_be_visible(timeout=WAIT)
    if header == "analyst":
        expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=WAIT)
    else:
        assert page.get_by_role("heading", name="Documents").count() == 0
        assert page.locator("table.suivi-table").count() == 0
    context.close()
