"""How the console signs people in (`SUIVI_AUTH`), read from the environment; no Streamlit here,
so the sign-in routes and the script read the same settings.

- `builtin` (default): the users table, a sign-in form, a signed HttpOnly cookie.
- `oidc`: Streamlit's `st.login` (an `[auth]` section in `.streamlit/secrets.toml`), the identity
  matched to the users table by email or subject.
- `proxy`: a reverse proxy authenticates and passes the login in `SUIVI_PROXY_HEADER`; only
  requests from `SUIVI_PROXY_ADDRESSES` (addresses or networks, comma-separated) are believed
  (Grafana's `auth.proxy` model).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from tracking.errors import ConfigError

MODES = ("builtin", "oidc", "proxy")
ROLES = ("analyst", "support", "admin")
COOKIE = "suivi_session"
SESSION_MAX_AGE = timedelta(hours=12)
DEFAULT_PROXY_HEADER = "X-Forwarded-User"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class AuthSettings:
    mode: str = "builtin"
    proxy_header: str = DEFAULT_PROXY_HEADER
    proxy_networks: tuple[Network, ...] = ()
    groups_claim: str = "groups"
    group_roles: tuple[tuple[str, str], ...] = ()  # OIDC group -> role, from settings

    def proxy_allowed(self, address: str | None) -> bool:
        """Whether a request from `address` may name its user in the proxy header."""
        try:
            ip = ipaddress.ip_address((address or "").strip())
        except ValueError:
            return False
        return any(ip in network for network in self.proxy_networks)


def auth_settings(env: Mapping[str, str] | None = None) -> AuthSettings:
    env = os.environ if env is None else env
    mode = (env.get("SUIVI_AUTH", "") or "builtin").strip().lower()
    if mode not in MODES:
        raise ConfigError(f"SUIVI_AUTH must be one of {', '.join(MODES)}, not {mode!r}")
    header = (env.get("SUIVI_PROXY_HEADER", "") or DEFAULT_PROXY_HEADER).strip()
    networks = []
    for part in (env.get("SUIVI_PROXY_ADDRESSES", "") or "").replace(";", ",").split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError as err:
                raise ConfigError(f"SUIVI_PROXY_ADDRESSES: {part.strip()!r} is not an "
                                  "address or network") from err
    if mode == "proxy" and not networks:
        raise ConfigError("SUIVI_AUTH=proxy needs SUIVI_PROXY_ADDRESSES: the addresses of the "
                          "proxies allowed to name the user")
    claim = (env.get("SUIVI_OIDC_GROUPS_CLAIM", "") or "groups").strip()
    return AuthSettings(mode=mode, proxy_header=header, proxy_networks=tuple(networks),
                        groups_claim=claim, group_roles=_group_roles(
                            env.get("SUIVI_OIDC_GROUP_ROLES", "")))


def _group_roles(text: str) -> tuple[tuple[str, str], ...]:
    """`ops=admin, helpdesk=support`: an OIDC group claim value mapped to a role."""
    pairs = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        group, _, role = part.partition("=")
        if not group.strip() or role.strip() not in ROLES:
            raise ConfigError(f"SUIVI_OIDC_GROUP_ROLES: {part.strip()!r} is not group=role "
                              f"(role one of {', '.join(ROLES)})")
        pairs.append((group.strip(), role.strip()))
    return tuple(pairs)
