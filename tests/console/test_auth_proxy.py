"""SUIVI_AUTH=proxy through AppTest: the login comes from the configured header only when the
request comes from a configured proxy address (the browser side: test_browser_modes.py)."""

from __future__ import annotations

import pytest

import ui.auth
from tests.console.conftest import console_app

HEADER = "X-Remote-User"


@pytest.fixture
def proxied(console_db, monkeypatch):
    monkeypatch.setenv("SUIVI_AUTH", "proxy")
    monkeypatch.setenv("SUIVI_PROXY_HEADER", HEADER)
    monkeypatch.setenv("SUIVI_PROXY_ADDRESSES", "10.1.2.3, 192.168.50.0/24")

    def request(address: str, login: str | None) -> None:
        headers = {} if login is None else {HEADER.lower(): login}
        monkeypatch.setattr(ui.auth, "client_address", lambda: address)
        monkeypatch.setattr(ui.auth, "request_headers", lambda: dict(headers))
        monkeypatch.setattr(ui.auth, "request_cookies", lambda: {})

    return request


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.50.7"])
def test_a_trusted_proxy_names_the_user(proxied, repo_root, address):
    proxied(address, "support")
    app = console_app(repo_root).run()
    assert not app.exception
    assert app.title[0].value == "Documents"
    assert any("(support)" in e.value for e in app.sidebar.text)


@pytest.mark.parametrize("address, login, message", [
    ("10.9.9.9", "admin", "ne vient pas d'un proxy autorisé"),     # anyone else sending it
    ("127.0.0.1", "admin", "ne vient pas d'un proxy autorisé"),
    ("10.1.2.3", None, "n'a pas transmis d'identifiant"),
    ("10.1.2.3", "nobody", "Pas d'accès"),
])
def test_the_header_is_refused_otherwise(proxied, repo_root, address, login, message):
    proxied(address, login)
    app = console_app(repo_root).run()
    assert not app.exception
    assert [e.value for e in app.error if message in e.value]
    assert not app.dataframe and "Documents" not in [t.value for t in app.title]


def test_proxy_mode_without_addresses_does_not_start(console_db, repo_root, monkeypatch):
    monkeypatch.setenv("SUIVI_AUTH", "proxy")
    monkeypatch.delenv("SUIVI_PROXY_ADDRESSES", raising=False)
    app = console_app(repo_root).run()
    # said in French; the setting to fix named apart, as text (not inside the sentence)
    assert [e.value for e in app.error] == [
        "Connexion mal configurée : l'administrateur doit corriger le réglage ci-dessous."]
    assert any("SUIVI_PROXY_ADDRESSES" in c.value for c in app.code)
