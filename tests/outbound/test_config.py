"""Settings from the environment: defaults, validation, and secrets that never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracking.config import Secret, SmtpSettings, TlsMode, load_settings
from tracking.errors import ConfigError


def test_defaults_without_environment() -> None:
    settings = load_settings({})
    assert settings.smtp.tls is TlsMode.STARTTLS
    assert settings.smtp.port == 587
    assert settings.retry.attempts == 3
    assert not settings.verp_key
    with pytest.raises(ConfigError):
        settings.require_verp_key()


def test_environment_is_read() -> None:
    settings = load_settings({
        "SUIVI_VERP_KEY": "k3y", "SUIVI_SMTP_HOST": "smtp.example", "SUIVI_SMTP_TLS": "implicit",
        "SUIVI_SMTP_USER": "alice", "SUIVI_SMTP_PASSWORD": "hunter2", "SUIVI_SMTP_TIMEOUT": "7.5",
        "SUIVI_RETRY_ATTEMPTS": "5", "SUIVI_RETRY_BASE_DELAY": "0.5", "SUIVI_RETRY_MAX_DELAY": "4",
        "SUIVI_BOUNCE_DOMAIN": "Bounces.Example", "SUIVI_SANDBOX_MAILDIR": "/tmp/x",
    })
    assert settings.smtp.port == 465  # the implicit-TLS port unless given
    assert (settings.smtp.host, settings.smtp.user, settings.smtp.timeout) == ("smtp.example", "alice", 7.5)
    assert settings.smtp.password.reveal() == "hunter2"
    assert (settings.retry.attempts, settings.retry.base_delay, settings.retry.max_delay) == (5, 0.5, 4.0)
    assert settings.bounce_domain == "bounces.example"
    assert settings.sandbox_maildir == Path("/tmp/x")
    assert settings.require_verp_key() == b"k3y"


def test_secrets_never_appear_in_repr() -> None:
    settings = load_settings({"SUIVI_VERP_KEY": "verp-secret", "SUIVI_SMTP_PASSWORD": "pw-secret"})
    text = repr(settings) + str(settings)
    assert "verp-secret" not in text and "pw-secret" not in text
    assert repr(Secret("x")) == "Secret('***')"


@pytest.mark.parametrize("env", [
    {"SUIVI_SMTP_TLS": "none", "SUIVI_SMTP_HOST": "smtp.example"},
    {"SUIVI_SMTP_TLS": "sometimes"},
    {"SUIVI_SMTP_PORT": "twenty-five"},
    {"SUIVI_SMTP_PORT": "70000"},
    {"SUIVI_RETRY_ATTEMPTS": "0"},
    {"SUIVI_RETRY_BASE_DELAY": "10", "SUIVI_RETRY_MAX_DELAY": "1"},
])
def test_bad_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        load_settings(env)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_plain_text_is_allowed_on_loopback(host: str) -> None:
    assert SmtpSettings(host=host, port=25, tls=TlsMode.NONE).tls is TlsMode.NONE
