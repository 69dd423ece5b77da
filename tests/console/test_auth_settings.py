"""The sign-in settings and the sign-in route's redirect target, as plain functions."""

from __future__ import annotations

import pytest

from tracking.errors import ConfigError
from ui.auth_routes import safe_next
from ui.auth_settings import DEFAULT_PROXY_HEADER, auth_settings


def test_builtin_is_the_default():
    settings = auth_settings({})
    assert settings.mode == "builtin" and settings.proxy_header == DEFAULT_PROXY_HEADER


@pytest.mark.parametrize("env, message", [
    ({"SUIVI_AUTH": "ldap"}, "SUIVI_AUTH must be one of"),
    ({"SUIVI_AUTH": "proxy"}, "needs SUIVI_PROXY_ADDRESSES"),
    ({"SUIVI_AUTH": "proxy", "SUIVI_PROXY_ADDRESSES": "10.0.0.1, proxy.example"},
     "'proxy.example' is not an address"),
    ({"SUIVI_OIDC_GROUP_ROLES": "ops=root"}, "is not group=role"),
])
def test_bad_settings_are_refused_clearly(env, message):
    with pytest.raises(ConfigError, match=message):
        auth_settings(env)


def test_proxy_addresses_and_networks():
    settings = auth_settings({"SUIVI_AUTH": "proxy",
                              "SUIVI_PROXY_ADDRESSES": "10.0.0.1; 192.168.8.0/22, ::1"})
    assert settings.proxy_allowed("10.0.0.1") and settings.proxy_allowed("192.168.11.200")
    assert settings.proxy_allowed("::1")
    for other in ("10.0.0.2", "192.168.12.1", "127.0.0.1", "", None, "not-an-ip"):
        assert not settings.proxy_allowed(other), other


def test_group_roles():
    settings = auth_settings({"SUIVI_OIDC_GROUP_ROLES": "suivi-admins=admin, helpdesk=support"})
    assert dict(settings.group_roles) == {"suivi-admins": "admin", "helpdesk": "support"}


@pytest.mark.parametrize("target, expected", [
    ("/document?doc=abc", "/document?doc=abc"),
    ("/", "/"),
    (None, "/"),
    ("https://evil.example/", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("history", "/"),
])
def test_after_sign_in_only_paths_on_this_site(target, expected):
    assert safe_next(target) == expected
