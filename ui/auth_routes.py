"""The HTTP side of built-in sign-in: `POST /signin` and `GET /signout`, served by `st.App`
beside the console (see `serve.py`).

A Streamlit script cannot set an HttpOnly cookie, so the password is checked here, in a plain
form POST: on success the answer sets the signed session cookie (HttpOnly, SameSite=Lax, Secure
behind https) and sends the browser back to the console, which reads the cookie through
`st.context.cookies`. A failure waits the throttle's delay (per login and per client address)
and comes back with `?signin=failed`, the same for an unknown login and a wrong password.
"""

from __future__ import annotations

import asyncio
import os
from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route

from tracking.auth.session import cookie_secret, sign_session
from tracking.auth.throttle import LoginThrottle
from tracking.auth.users import authenticate
from tracking.store.connection import Database, files_directory
from tracking.store.facts import is_demo
from ui.auth_settings import COOKIE, SESSION_MAX_AGE, auth_settings
from ui.resources import database

MAX_FIELD = 200  # characters kept of a typed login; longer is no one's login


def session_secret(db: Database) -> bytes:
    """The key the session cookie is signed with (kept under the database's folder for a demo
    database only; otherwise SUIVI_COOKIE_SECRET)."""
    return cookie_secret(os.environ, files_directory(db.path), demo=is_demo(db.cursor()))


def safe_next(value: object) -> str:
    """Where to go after signing in: a path on this site only (no `//host`, no scheme)."""
    text = str(value or "/")
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or not text.startswith("/") or text.startswith("//") \
            or "\\" in text:
        return "/"
    return text


def _with_query(path: str, **params: str) -> str:
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{urlencode(params)}"


def sign_in_route(throttle: LoginThrottle):
    async def sign_in(request: Request):
        db = await run_in_threadpool(database)  # first: it also reads SUIVI_* from st.secrets
        if auth_settings().mode != "builtin":
            return PlainTextResponse("built-in sign-in is off (SUIVI_AUTH)", status_code=404)
        form = await request.form()
        login = str(form.get("login", "")).strip()[:MAX_FIELD]
        password = str(form.get("password", ""))[:1024]
        target = safe_next(form.get("next"))
        client = request.client.host if request.client else None
        delay = throttle.delay_for(login, client)
        if delay:
            await asyncio.sleep(delay)
        principal = None
        if login and password:
            principal = await run_in_threadpool(authenticate, db, login, password)
        if principal is None:
            throttle.failed(login, client)
            return RedirectResponse(_with_query(target, signin="failed"), status_code=303)
        throttle.succeeded(login, client)
        token = sign_session(principal.login, await run_in_threadpool(session_secret, db))
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, token, max_age=int(SESSION_MAX_AGE.total_seconds()),
                            path="/", httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")
        return response

    return sign_in


async def sign_out(request: Request):
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.url.scheme == "https")
    return response


def routes(throttle: LoginThrottle | None = None) -> list[Route]:
    """The sign-in routes; one throttle per process (its memory is the process's)."""
    return [Route("/signin", sign_in_route(throttle or LoginThrottle()), methods=["POST"]),
            Route("/signout", sign_out, methods=["GET", "POST"])]
