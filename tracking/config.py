"""Settings: read from the environment (and, later, Streamlit secrets) when asked, never at import.

Every value has a safe default except the secrets. Secrets are wrapped in `Secret`, whose repr
and str never show the value, so a settings object can be logged or shown in the console.

| variable | meaning | default |
|---|---|---|
| `SUIVI_VERP_KEY` | HMAC key for the VERP return path (relay modes need it) | none |
| `SUIVI_SMTP_HOST` / `SUIVI_SMTP_PORT` | the outbound SMTP server | `localhost` / 587 (465 for implicit TLS) |
| `SUIVI_SMTP_TLS` | `starttls`, `implicit` or `none` (`none` only on loopback) | `starttls` |
| `SUIVI_SMTP_USER` / `SUIVI_SMTP_PASSWORD` | AUTH credentials; no AUTH when the user is empty | empty |
| `SUIVI_SMTP_TIMEOUT` | seconds per socket operation | 30 |
| `SUIVI_SMTP_CA_FILE` | extra CA bundle to verify the server against (PEM) | system store |
| `SUIVI_SMTP_HELO` | name given in EHLO | `localhost` |
| `SUIVI_RETRY_ATTEMPTS` / `SUIVI_RETRY_BASE_DELAY` / `SUIVI_RETRY_MAX_DELAY` | bounded backoff | 3 / 2 s / 60 s |
| `SUIVI_BOUNCE_DOMAIN` | domain of the VERP return path `bounces+<token>@…` | `bounces.suivi.localhost` |
| `SUIVI_MESSAGE_DOMAIN` | right-hand side of our Message-IDs, domain of the service's From | `suivi.localhost` |
| `SUIVI_SANDBOX_MAILDIR` | where the sandbox recipient server writes returned mail | `data/sandbox-mail` |
| `SUIVI_IMAP_HOST` | the bounce mailbox's IMAP server; empty = no IMAP mailbox | empty |
| `SUIVI_IMAP_PORT` | its port | 993 (imaps), 143 otherwise |
| `SUIVI_IMAP_TLS` | `imaps`, `starttls` or `none` (`none` only on loopback) | `imaps` |
| `SUIVI_IMAP_USER` / `SUIVI_IMAP_PASSWORD` | the mailbox login | empty |
| `SUIVI_IMAP_FOLDER` | the folder bounces arrive in | `INBOX` |
| `SUIVI_IMAP_PROCESSED_FOLDER` | move messages there once their results are committed; empty = leave them | empty |
| `SUIVI_IMAP_POLL_SECONDS` | the watcher's poll when IDLE brings nothing (and its IDLE renewal) | 60 |
| `SUIVI_IMAP_TIMEOUT` / `SUIVI_IMAP_CA_FILE` | seconds per socket operation / extra CA bundle (PEM), trusted besides the system store; chain and host name are always verified | 30 / system store only |
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from tracking.errors import ConfigError


class Secret:
    """A string that never shows itself in repr, str, logs or tracebacks' locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str = "") -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__


class TlsMode(StrEnum):
    STARTTLS = "starttls"
    IMPLICIT = "implicit"
    NONE = "none"


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 587
    tls: TlsMode = TlsMode.STARTTLS
    user: str = ""
    password: Secret = field(default_factory=Secret)
    timeout: float = 30.0
    ca_file: Path | None = None
    helo_name: str = "localhost"

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ConfigError(f"SMTP port out of range: {self.port}")
        if self.timeout <= 0:
            raise ConfigError(f"SMTP timeout must be positive: {self.timeout}")
        # Plain text would put the AUTH password and the documents on the wire.
        if self.tls is TlsMode.NONE and not is_loopback(self.host):
            raise ConfigError(f"SMTP without TLS is only allowed on loopback, not {self.host!r}")


class ImapTls(StrEnum):
    IMAPS = "imaps"          # TLS from the first byte (port 993)
    STARTTLS = "starttls"    # RFC 2595 upgrade on the plain port
    NONE = "none"            # loopback only


@dataclass(frozen=True)
class ImapSettings:
    """The bounce mailbox. `host` empty means none is configured."""

    host: str = ""
    port: int = 993
    tls: ImapTls = ImapTls.IMAPS
    user: str = ""
    password: Secret = field(default_factory=Secret)
    folder: str = "INBOX"
    processed_folder: str = ""
    poll_seconds: float = 60.0
    timeout: float = 30.0
    ca_file: Path | None = None

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ConfigError(f"IMAP port out of range: {self.port}")
        if self.poll_seconds <= 0 or self.timeout <= 0:
            raise ConfigError("IMAP poll interval and timeout must be positive")
        if not self.folder:
            raise ConfigError("SUIVI_IMAP_FOLDER must name a folder")
        # The login and the bounces (client addresses) would cross the network in clear.
        if self.host and self.tls is ImapTls.NONE and not is_loopback(self.host):
            raise ConfigError(f"IMAP without TLS is only allowed on loopback, not {self.host!r}")

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class RetrySettings:
    attempts: int = 3
    base_delay: float = 2.0
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigError(f"retry attempts must be at least 1: {self.attempts}")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ConfigError(
                f"retry delays must satisfy 0 <= base <= max: {self.base_delay}, {self.max_delay}"
            )


@dataclass(frozen=True)
class Settings:
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    verp_key: Secret = field(default_factory=Secret)
    bounce_domain: str = "bounces.suivi.localhost"
    message_domain: str = "suivi.localhost"
    sandbox_maildir: Path = Path("data/sandbox-mail")
    imap: ImapSettings = field(default_factory=ImapSettings)
    # How long a delivery may wait for an outbound server that cannot take it (unreachable,
    # TLS or AUTH failure, 421) before it ends `not_sent` with that reason, in seconds.
    outbound_max_age: float = 24 * 3600.0

    def require_verp_key(self) -> bytes:
        """The VERP key as bytes; relay modes cannot sign their return path without it."""
        if not self.verp_key:
            raise ConfigError("SUIVI_VERP_KEY is not set; relay modes need it to sign bounces")
        return self.verp_key.reveal().encode("utf-8")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `env` (default: the process environment). Raises ConfigError on bad values."""
    env = os.environ if env is None else env
    tls = _choice(env, "SUIVI_SMTP_TLS", TlsMode, TlsMode.STARTTLS)
    default_port = 465 if tls is TlsMode.IMPLICIT else 587
    ca_file = env.get("SUIVI_SMTP_CA_FILE", "").strip()
    smtp = SmtpSettings(
        host=env.get("SUIVI_SMTP_HOST", "localhost").strip() or "localhost",
        port=_number(env, "SUIVI_SMTP_PORT", int, default_port),
        tls=tls,
        user=env.get("SUIVI_SMTP_USER", ""),
        password=Secret(env.get("SUIVI_SMTP_PASSWORD", "")),
        timeout=_number(env, "SUIVI_SMTP_TIMEOUT", float, 30.0),
        ca_file=Path(ca_file) if ca_file else None,
        helo_name=env.get("SUIVI_SMTP_HELO", "localhost").strip() or "localhost",
    )
    retry = RetrySettings(
        attempts=_number(env, "SUIVI_RETRY_ATTEMPTS", int, 3),
        base_delay=_number(env, "SUIVI_RETRY_BASE_DELAY", float, 2.0),
        max_delay=_number(env, "SUIVI_RETRY_MAX_DELAY", float, 60.0),
    )
    return Settings(
        smtp=smtp,
        retry=retry,
        verp_key=Secret(env.get("SUIVI_VERP_KEY", "")),
        bounce_domain=env.get("SUIVI_BOUNCE_DOMAIN", "").strip().lower() or Settings.bounce_domain,
        message_domain=env.get("SUIVI_MESSAGE_DOMAIN", "").strip().lower()
        or Settings.message_domain,
        sandbox_maildir=Path(env.get("SUIVI_SANDBOX_MAILDIR", "") or Settings.sandbox_maildir),
        imap=_imap_settings(env),
        outbound_max_age=_duration(env, "SUIVI_OUTBOUND_MAX_AGE", 24 * 3600.0),
    )


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(env: Mapping[str, str], name: str, default: float) -> float:
    """Seconds from `90`, `45s`, `30m`, `24h` or `2d`; must be positive."""
    text = env.get(name, "").strip().lower()
    if not text:
        return default
    unit = _DURATION_UNITS.get(text[-1])
    number = text[:-1] if unit else text
    try:
        seconds = float(number) * (unit or 1)
    except ValueError as err:
        raise ConfigError(f"{name} must be a duration like 24h, 30m or 90 (seconds), "
                          f"not {text!r}") from err
    if not seconds > 0:
        raise ConfigError(f"{name} must be positive, not {text!r}")
    return seconds


def _imap_settings(env: Mapping[str, str]) -> ImapSettings:
    tls = _choice(env, "SUIVI_IMAP_TLS", ImapTls, ImapTls.IMAPS)
    ca_file = env.get("SUIVI_IMAP_CA_FILE", "").strip()
    return ImapSettings(
        host=env.get("SUIVI_IMAP_HOST", "").strip(),
        port=_number(env, "SUIVI_IMAP_PORT", int, 993 if tls is ImapTls.IMAPS else 143),
        tls=tls,
        user=env.get("SUIVI_IMAP_USER", ""),
        password=Secret(env.get("SUIVI_IMAP_PASSWORD", "")),
        folder=env.get("SUIVI_IMAP_FOLDER", "").strip() or "INBOX",
        processed_folder=env.get("SUIVI_IMAP_PROCESSED_FOLDER", "").strip(),
        poll_seconds=_number(env, "SUIVI_IMAP_POLL_SECONDS", float, 60.0),
        timeout=_number(env, "SUIVI_IMAP_TIMEOUT", float, 30.0),
        ca_file=Path(ca_file) if ca_file else None,
    )


def _number(env: Mapping[str, str], name: str, kind: type, default):
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return kind(text)
    except ValueError as err:
        raise ConfigError(f"{name} must be a {kind.__name__}, not {text!r}") from err


def _choice(env: Mapping[str, str], name: str, enum: type[StrEnum], default):
    text = env.get(name, "").strip().lower()
    if not text:
        return default
    try:
        return enum(text)
    except ValueError as err:
        allowed = ", ".join(member.value for member in enum)
        raise ConfigError(f"{name} must be one of {allowed}, not {text!r}") from err
