"""Where the process's resources are opened: the database file and the outbound transport.

The console and the command line both come through here, so "which database" and "which SMTP
server" are decided in one place: `SUIVI_DB` (default `data/suivi.duckdb`) and
`SUIVI_TRANSPORT` — `smtp` (the configured server, the default) or `sandbox` (an in-process
server that plays the recipients and writes the returned mail to a local Maildir).

A generated demo database (`tracking.store.facts.is_demo`) queues sends to invented people at
real-looking domains, so a real SMTP transport refuses to open on one unless
`SUIVI_ALLOW_DEMO_SEND=1` (or `send --allow-demo`) says so; the sandbox always opens.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path

from tracking.config import Settings, SmtpSettings, TlsMode, load_settings
from tracking.errors import ConfigError, DemoDatabase
from tracking.outbound.smtp import SmtpTransport
from tracking.store.connection import Database, open_database
from tracking.store.dialect import is_postgres_url
from tracking.store.facts import is_demo

DEFAULT_DB = Path("data/suivi.duckdb")
DEMO_VERP_KEY = "demo-only-verp-key-not-secret"
ALLOW_DEMO_SEND = "SUIVI_ALLOW_DEMO_SEND"


def database_path(env: Mapping[str, str] | None = None) -> Path | str:
    """`SUIVI_DB`: a DuckDB file, or a `postgresql://…` URL (kept as text: a Path would fold
    its `//`)."""
    env = os.environ if env is None else env
    value = env.get("SUIVI_DB", "") or DEFAULT_DB
    return value if is_postgres_url(value) else Path(value)


def transport_kind(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    kind = (env.get("SUIVI_TRANSPORT", "") or "smtp").strip().lower()
    if kind not in ("smtp", "sandbox"):
        raise ConfigError(f"SUIVI_TRANSPORT must be smtp or sandbox, not {kind!r}")
    return kind


def settings_for(env: Mapping[str, str] | None = None) -> Settings:
    """Settings; the sandbox gets a fixed demo VERP key when none is configured (it never
    leaves the machine), real transports must have one from the environment."""
    env = dict(os.environ if env is None else env)
    if transport_kind(env) == "sandbox" and not env.get("SUIVI_VERP_KEY"):
        env["SUIVI_VERP_KEY"] = DEMO_VERP_KEY
    return load_settings(env)


def open_store(path: Path | str | None = None) -> Database:
    return open_database(path or database_path())


def demo_send_allowed(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get(ALLOW_DEMO_SEND, "").strip() == "1"


def refuse_demo_send(db: Database, kind: str, *, allow_demo: bool = False) -> None:
    """Raise DemoDatabase when a real transport would send from a demo database."""
    if kind == "sandbox" or allow_demo or demo_send_allowed():
        return
    if is_demo(db.cursor()):
        raise DemoDatabase(
            f"{db.path} is a generated demo database: its queued sends go to invented people at "
            f"real-looking domains, so the real SMTP transport refuses to send from it (they stay "
            f"pending). Use SUIVI_TRANSPORT=sandbox, or set {ALLOW_DEMO_SEND}=1 (send "
            f"--allow-demo) if you really mean it.")


@contextmanager
def outbound_transport(settings: Settings, kind: str | None = None, *, db: Database,
                       allow_demo: bool = False) -> Iterator[SmtpTransport]:
    """An SMTP transport for `kind` that will send from `db`; for the sandbox, its in-process
    server runs meanwhile. Refuses (DemoDatabase) a real transport on a demo database."""
    kind = kind or transport_kind()
    refuse_demo_send(db, kind, allow_demo=allow_demo)
    if kind == "sandbox":
        from tracking.outbound.sandbox import SandboxServer  # aiosmtpd only when used

        server_context = SandboxServer(Path(settings.sandbox_maildir),
                                       bounce_domain=settings.bounce_domain)
    else:
        server_context = nullcontext(None)
    with server_context as server:
        smtp = settings.smtp
        if server is not None:
            smtp = replace(SmtpSettings(), host="127.0.0.1", port=server.port, tls=TlsMode.NONE,
                           timeout=smtp.timeout)
        with SmtpTransport(smtp) as transport:
            yield transport
