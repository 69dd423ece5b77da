"""Who is signed in to this console session, and the gate in front of every page.

`gate()` runs first on every script run (console.py): it finds the signed-in `Principal` in the
configured mode (ui/auth_settings.py) — the signed cookie, Streamlit's OIDC user, or the trusted
proxy's header — and stops the run with the sign-in form, or a refusal, when there is none.
Nothing read from the database is shown before that. Pages get the principal with
`principal()` and pass it to every action and `principal().scope` to every query.
"""

from __future__ import annotations

import html
import shlex
from urllib.parse import urlencode, urlsplit

import streamlit as st

from tracking.auth.principal import Principal
from tracking.auth.session import read_session
from tracking.auth.users import has_users, principal_for_identity, principal_for_login
from tracking.errors import ConfigError
from tracking.store.connection import Database
from tracking.store.facts import is_demo
from ui.auth_routes import session_secret
from ui.auth_settings import COOKIE, SESSION_MAX_AGE, AuthSettings, auth_settings
from ui.i18n import language_picker, start_in_linked_language, t
from ui.resources import database

_KEY = "signed_in_principal"


# The request as Streamlit exposes it (st.context): one function each, so tests can stand in
# for a browser's cookie or a proxy's header.
def request_cookies() -> dict[str, str]:
    return dict(st.context.cookies)


def request_headers() -> dict[str, str]:
    return {name.lower(): value for name, value in st.context.headers.items()}


def client_address() -> str:
    """The peer's address; Streamlit reports loopback (127.0.0.1, ::1) as None."""
    return st.context.ip_address or "127.0.0.1"


def oidc_identity() -> dict | None:
    """The OIDC claims of the signed-in user (st.user), or None when nobody signed in."""
    if not st.user.is_logged_in:
        return None
    return st.user.to_dict()


def principal() -> Principal:
    """The signed-in person of this run (set by `gate()`); stops the run if there is none."""
    who = st.session_state.get(_KEY)
    if not isinstance(who, Principal):
        st.stop()
    return who


def gate() -> Principal:
    """The signed-in principal, or the sign-in form / refusal and `st.stop()`."""
    start_in_linked_language()   # the sidebar and the refusals are worded from here on
    st.session_state.pop(_KEY, None)
    try:
        db = database()  # first: it also reads SUIVI_* settings from st.secrets
        settings = auth_settings()
        if not has_users(db):
            _refuse(t("auth.no_users"), code=first_admin_command(db))
        who = _resolve(settings, db)
    except ConfigError as err:
        # The operator's setting (an environment variable) is named in the core's English: it
        # is shown apart, as text, never inside the sentence in the reader's language.
        _refuse(t("auth.config"), code=str(err), language=None)
    if who is None:
        _signed_out(settings)
    st.session_state[_KEY] = who
    _identity_box(who, settings)
    return who


def _resolve(settings: AuthSettings, db: Database) -> Principal | None:
    if settings.mode == "oidc":
        claims = oidc_identity()
        if claims is None:
            return None
        groups = claims.get(settings.groups_claim) or []
        who = principal_for_identity(db, email=claims.get("email"), subject=claims.get("sub"),
                                     groups=list(groups) if isinstance(groups, list) else [],
                                     group_roles=dict(settings.group_roles) or None)
        if who is None:
            _no_access(settings)
        return who
    if settings.mode == "proxy":
        if not settings.proxy_allowed(client_address()):
            _refuse(t("auth.proxy_refused"))
        login = request_headers().get(settings.proxy_header.lower(), "").strip()
        if not login:
            _refuse(t("auth.proxy_missing"))
        who = principal_for_login(db, login)
        if who is None:
            _no_access(settings)
        return who
    token = request_cookies().get(COOKIE)
    if not token:
        return None
    login = read_session(token, session_secret(db), max_age=SESSION_MAX_AGE)
    return principal_for_login(db, login) if login else None


def first_admin_command(db: Database) -> str:
    command = (f"python -m tracking users add admin --name 'Admin' --role admin "
               f"--db {shlex.quote(str(db.path))}")
    if is_demo(db.cursor()):  # a demo generated before sign-in existed: regenerate it
        command += "\n# or, for the demo database: make demo"
    return command


def _refuse(message: str, *, code: str | None = None, language: str | None = "bash") -> None:
    st.title("Suivi")
    st.error(message)
    if code:
        st.code(code, language=language)
    st.stop()


def _no_access(settings: AuthSettings) -> None:
    st.title("Suivi")
    st.error(t("auth.no_access"))
    if settings.mode == "oidc" and st.button(t("auth.sign_out"), key="oidc_logout"):
        st.logout()
    st.stop()


def _here_without_flag() -> str:
    """This page's path and query, minus our own `signin` flag: where to come back after.

    The query comes from `st.query_params`: `st.context.url` carries the path only (Streamlit
    1.67), and a link to /document?doc=…&lang=en came back to a bare /document, in French."""
    try:
        path = urlsplit(st.context.url or "/").path or "/"
    except (AttributeError, ValueError):
        path = "/"
    query = [(key, value) for key in st.query_params if key != "signin"
             for value in st.query_params.get_all(key)]
    return path + (f"?{urlencode(query)}" if query else "")


def _signed_out(settings: AuthSettings) -> None:
    language_picker()
    st.title(t("auth.title"))
    if settings.mode == "oidc":
        st.write(t("auth.oidc_intro"))
        if st.button(t("auth.sign_in"), key="oidc_login", type="primary"):
            st.login()
        st.stop()
    if st.query_params.get("signin") == "failed":
        st.error(t("auth.failed"))
    st.html(sign_in_form(_here_without_flag()))
    st.stop()


def sign_in_form(next_path: str) -> str:
    """A plain HTML form posting to /signin (ui/auth_routes.py); our own labels only."""
    e = html.escape
    field = ("display:block;width:100%;max-width:22rem;padding:.45rem;margin:.2rem 0 .8rem;"
             "border:1px solid #bbc;border-radius:.4rem;font-size:1rem")
    return (
        f'<form method="post" action="/signin" data-testid="suivi-signin">'
        f'<input type="hidden" name="next" value="{e(next_path)}">'
        f'<label for="suivi-login">{e(t("auth.login"))}</label>'
        f'<input id="suivi-login" name="login" autocomplete="username" required '
        f'style="{field}">'
        f'<label for="suivi-password">{e(t("auth.password"))}</label>'
        f'<input id="suivi-password" name="password" type="password" '
        f'autocomplete="current-password" required style="{field}">'
        f'<button type="submit" style="padding:.45rem 1.2rem;border-radius:.4rem;'
        f'border:0;background:#ff4b4b;color:white;font-size:1rem">'
        f'{e(t("auth.sign_in"))}</button></form>')


def _identity_box(who: Principal, settings: AuthSettings) -> None:
    """Who is signed in, and the way out, at the top of the sidebar."""
    box = st.sidebar.container(key="identity")
    box.text(f"{who.display_name} ({who.login}) · {t('role.' + str(who.role))}")
    if settings.mode == "builtin":
        # A plain link in the same tab: st.link_button would open a new one.
        box.html(f'<a href="/signout" target="_self" data-testid="suivi-signout">'
                 f'{html.escape(t("auth.sign_out"))}</a>')
    elif settings.mode == "oidc" and box.button(t("auth.sign_out"), key="oidc_logout"):
        st.logout()
