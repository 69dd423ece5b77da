"""Roles, principals, argon2id hashes, signed session tokens, the cookie secret, the throttle."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta

import pytest

from tracking.auth.passwords import hash_password, verify_password
from tracking.auth.principal import Origin, Principal
from tracking.auth.roles import Action, Role, role_allows
from tracking.auth.session import cookie_secret, read_session, sign_session
from tracking.auth.throttle import LoginThrottle
from tracking.errors import ConfigError, Forbidden, InvalidInput

SECRET = b"k" * 32
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

# The table: analyst nothing, support the document actions, admin also settings/users.
EXPECTED = {
    Role.ANALYST: set(),
    Role.SUPPORT: {Action.SEND, Action.MARK_SENT, Action.EDIT_SEND_DATE, Action.HANDLE_RETURNED},
    Role.ADMIN: set(Action),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_role_table(role, action):
    assert role_allows(role, action) is (action in EXPECTED[role])


def test_principal_requires_role_then_account():
    limited = Principal("s", "S", Role.SUPPORT, frozenset({"acct-a"}))
    limited.require(Action.SEND, "acct-a")
    with pytest.raises(Forbidden) as refused:
        limited.require(Action.SEND, "acct-b")
    assert refused.value.code == "account" and refused.value.params["account"] == "acct-b"
    with pytest.raises(Forbidden) as refused:
        limited.require(Action.EDIT_SETTINGS, "acct-a")
    assert refused.value.code == "role" and refused.value.params["role"] == "support"
    assert isinstance(refused.value, InvalidInput)       # callers that catch InvalidInput still do
    assert limited.scope == frozenset({"acct-a"}) and not limited.sees("acct-b")


def test_cli_principal_is_the_operator_as_given():
    cli = Principal.cli("Ops Jane")
    assert (cli.login, cli.role, cli.scope, cli.origin) == (
        "Ops Jane", Role.ADMIN, None, Origin.CLI)
    cli.require(Action.MANAGE_USERS, "any-account")


def test_password_hash_is_argon2id_salted_and_verifies_only_the_password():
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("$argon2id$") and first != second      # a salt per hash
    assert verify_password(first, "correct horse") and verify_password(second, "correct horse")
    assert not verify_password(first, "correct horsE")
    assert not verify_password(first, "")
    assert not verify_password("not a hash", "correct horse")
    with pytest.raises(InvalidInput):
        hash_password("")


def test_session_round_trip_and_expiry():
    token = sign_session("j.dubois", SECRET, now=NOW)
    assert read_session(token, SECRET, max_age=HOUR, now=NOW + timedelta(minutes=59)) == "j.dubois"
    assert read_session(token, SECRET, max_age=HOUR, now=NOW + timedelta(minutes=61)) is None
    assert read_session(token, SECRET, max_age=HOUR, now=NOW - timedelta(hours=2)) is None


def test_tampered_or_foreign_tokens_are_refused():
    token = sign_session("analyst", SECRET, now=NOW)
    login, issued, mac = token.split(".")
    forged_login = sign_session("admin", SECRET, now=NOW).split(".")[0]
    cases = [
        f"{forged_login}.{issued}.{mac}",                 # another login, same signature
        f"{login}.{int(issued) + 3600}.{mac}",            # a later issue time
        f"{login}.{issued}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",
        sign_session("analyst", b"x" * 32, now=NOW),      # signed with another secret
        "", "garbage", f"{login}.{issued}", token + ".x",
    ]
    for forged in cases:
        assert read_session(forged, SECRET, max_age=HOUR, now=NOW) is None, forged


def test_cookie_secret_from_env_or_generated_for_a_demo_only(tmp_path):
    assert cookie_secret({"SUIVI_COOKIE_SECRET": "s" * 40}, tmp_path, demo=False) == b"s" * 40
    with pytest.raises(ConfigError, match="at least"):
        cookie_secret({"SUIVI_COOKIE_SECRET": "short"}, tmp_path, demo=True)
    with pytest.raises(ConfigError, match="SUIVI_COOKIE_SECRET"):
        cookie_secret({}, tmp_path, demo=False)
    assert list(tmp_path.iterdir()) == []
    generated = cookie_secret({}, tmp_path, demo=True)
    assert len(generated) == 64 and cookie_secret({}, tmp_path, demo=True) == generated
    [kept] = tmp_path.iterdir()
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600


def test_throttle_grows_per_login_and_per_client_and_forgets():
    clock = [0.0]
    throttle = LoginThrottle(free_failures=2, base_delay=1.0, max_delay=8.0, forget_after=60,
                             clock=lambda: clock[0])
    delays = []
    for _ in range(7):
        delays.append(throttle.delay_for("Admin", "10.0.0.1"))
        throttle.failed("admin", "10.0.0.1")
    assert delays == [0, 0, 1, 2, 4, 8, 8]
    # the same client guessing another login is slowed too; another client for another login not
    assert throttle.delay_for("support", "10.0.0.1") == 8
    assert throttle.delay_for("support", "10.0.0.2") == 0
    # the attacked login is slowed from any address
    assert throttle.delay_for("admin", "10.0.0.9") == 8
    throttle.succeeded("admin", "10.0.0.1")
    assert throttle.delay_for("admin", "10.0.0.9") == 0
    assert throttle.delay_for("support", "10.0.0.1") == 8      # success does not clear the client
    clock[0] += 61
    assert throttle.delay_for("support", "10.0.0.1") == 0
