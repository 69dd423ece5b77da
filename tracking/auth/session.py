"""The signed session token the console keeps in its cookie.

`<login, base64url>.<issued at, unix seconds>.<HMAC-SHA256, base64url>`: nothing secret inside,
only proof that this server issued it for that login at that time. A token that was altered,
signed with another secret, or is older than `max_age` reads as None.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

from tracking.clock import utc_now
from tracking.errors import ConfigError

SECRET_FILE = "cookie-secret"
MIN_SECRET_LENGTH = 32  # characters of SUIVI_COOKIE_SECRET: 256 bits when it is hex or random text


def sign_session(login: str, secret: bytes, *, now: datetime | None = None) -> str:
    issued = int((now or utc_now()).timestamp())
    payload = f"{_b64(login.encode('utf-8'))}.{issued}"
    return f"{payload}.{_mac(payload, secret)}"


def read_session(token: str, secret: bytes, *, max_age: timedelta,
                 now: datetime | None = None) -> str | None:
    """The login the token was signed for, or None when it is malformed, tampered or expired."""
    parts = (token or "").split(".")
    if len(parts) != 3:
        return None
    login_part, issued_part, mac = parts
    if not hmac.compare_digest(mac, _mac(f"{login_part}.{issued_part}", secret)):
        return None
    try:
        issued = int(issued_part)
        login = base64.urlsafe_b64decode(login_part + "=" * (-len(login_part) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    age = (now or utc_now()).timestamp() - issued
    if age < -60 or age > max_age.total_seconds():  # a minute of clock skew allowed
        return None
    return login or None


def cookie_secret(env: Mapping[str, str], data_dir: Path, *, demo: bool) -> bytes:
    """`SUIVI_COOKIE_SECRET`; for a demo database only, generated once and kept in data_dir."""
    configured = (env.get("SUIVI_COOKIE_SECRET") or "").strip()
    if configured:
        if len(configured) < MIN_SECRET_LENGTH:
            raise ConfigError(f"SUIVI_COOKIE_SECRET must be at least {MIN_SECRET_LENGTH} "
                              "characters (e.g. `python -c 'import secrets; "
                              "print(secrets.token_hex(32))'`)")
        return configured.encode("utf-8")
    if not demo:
        raise ConfigError("SUIVI_COOKIE_SECRET is not set; the console signs its sessions with "
                          "it (generate one with `python -c 'import secrets; "
                          "print(secrets.token_hex(32))'`)")
    path = Path(data_dir) / SECRET_FILE
    if path.exists():
        kept = path.read_text(encoding="utf-8").strip()
        if len(kept) >= MIN_SECRET_LENGTH:
            return kept.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    # Created private (0600) before the value is written.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value.encode("utf-8")


def _mac(payload: str, secret: bytes) -> str:
    if not secret:
        raise ConfigError("the session secret is empty")
    digest = hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest()
    return _b64(digest)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
