"""Where the process's resources are opened: the database file and the outbound transport.

The console and the command line both come through here, so "which database" and "which SMTP
server" are decided in one place: `SUIVI_DB` (default `data/suivi.duckdb`) and
`SUIVI_TRANSPORT` — `smtp` (the configured server, the default) or `sandbox` (an in-process
server that plays the recipients and writes the returned mail to a local Maildir).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path

from tracking.config import Settings, SmtpSettings, TlsMode, load_settings
from tracking.errors import ConfigError
from tracking.outbound.smtp import SmtpTransport
from tracking.store.connection import Database, open_database

DEFAULT_DB = Path("data/suivi.duckdb")
DEMO_VERP_KEY = "demo-only-verp-key-not-secret"


def database_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("SUIVI_DB", "") or DEFAULT_DB)


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


@contextmanager
def outbound_transport(settings: Settings, kind: str | None = None) -> Iterator[SmtpTransport]:
    """An SMTP transport for `kind`; for the sandbox, its in-process server runs meanwhile."""
    kind = kind or transport_kind()
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
