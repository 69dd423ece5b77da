"""`python -m tracking users add|set-role|set-password|disable|enable|list` — the sign-in users.

Passwords are read from a prompt (asked twice) or, for scripts, from standard input with
`--password-stdin`; never from the command line, where `ps` and the shell history would show
them. The command line is the operator's own shell: it acts as an admin (`--actor`, origin cli).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from tracking.auth import users
from tracking.auth.principal import Principal
from tracking.auth.roles import Role
from tracking.commands._common import add_db_option, open_db
from tracking.errors import InvalidInput

_ARGV_PASSWORD = ("passwords are never taken from the command line (ps and the shell history "
                  "would show them): answer the prompt, or pipe it in with --password-stdin")


def register(subparsers) -> None:
    parser = subparsers.add_parser("users", help="manage who can sign in to the console")
    commands = parser.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    add = commands.add_parser("add", help="add a user")
    add.add_argument("login")
    add.add_argument("--name", required=True, help="display name shown in the history")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--email", help="to match an OIDC identity")
    add.add_argument("--subject", help="OIDC subject (sub claim)")
    add.add_argument("--account", action="append", dest="accounts", metavar="ACCOUNT_ID",
                     help="limit the user to this account (repeatable; default: every account)")
    add.add_argument("--no-password", action="store_true",
                     help="no password sign-in (OIDC or trusted proxy only)")
    _password_options(add)
    add.set_defaults(func=run_add)

    role = commands.add_parser("set-role", help="change a user's role")
    role.add_argument("login")
    role.add_argument("role", choices=[r.value for r in Role])
    role.set_defaults(func=run_set_role)

    password = commands.add_parser("set-password", help="set a user's password")
    password.add_argument("login")
    _password_options(password)
    password.set_defaults(func=run_set_password)

    disable = commands.add_parser("disable", help="stop a user from signing in")
    disable.add_argument("login")
    disable.set_defaults(func=run_disable)
    enable = commands.add_parser("enable", help="let a disabled user sign in again")
    enable.add_argument("login")
    enable.set_defaults(func=run_enable)

    listing = commands.add_parser("list", help="list the users")
    listing.set_defaults(func=run_list)

    for sub in (add, role, password, disable, enable, listing):
        sub.add_argument("--actor", default="cli", help="who is doing it (recorded as given)")
        add_db_option(sub)


def _password_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    # Accepted only to refuse it with a clear message instead of argparse's echo of the value.
    parser.add_argument("--password", help=argparse.SUPPRESS)


def read_password(args: argparse.Namespace) -> str:
    if args.password is not None:
        raise InvalidInput(_ARGV_PASSWORD)
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if password.endswith("\r"):
            password = password[:-1]
        if not password:
            raise InvalidInput("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise InvalidInput("no terminal to ask for the password: use --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise InvalidInput("the two passwords differ; nothing changed")
    return first


def run_add(args: argparse.Namespace) -> int:
    if args.no_password and (args.password_stdin or args.password is not None):
        raise InvalidInput("--no-password and a password do not go together")
    password = None if args.no_password else read_password(args)
    with open_db(args) as db:
        users.add_user(db, Principal.cli(args.actor), login=args.login, display_name=args.name,
                       role=args.role, password=password, email=args.email,
                       subject=args.subject, accounts=args.accounts)
    scope = ", ".join(args.accounts) if args.accounts else "every account"
    print(f"user {users.normalise_login(args.login)} added ({args.role}, {scope})")
    return 0


def run_set_role(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        users.set_role(db, Principal.cli(args.actor), args.login, args.role)
    print(f"{users.normalise_login(args.login)} is now {args.role}")
    return 0


def run_set_password(args: argparse.Namespace) -> int:
    password = read_password(args)
    with open_db(args) as db:
        users.set_password(db, Principal.cli(args.actor), args.login, password)
    print(f"password of {users.normalise_login(args.login)} changed")
    return 0


def run_disable(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        users.disable_user(db, Principal.cli(args.actor), args.login)
    print(f"{users.normalise_login(args.login)} disabled")
    return 0


def run_enable(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        users.disable_user(db, Principal.cli(args.actor), args.login, disabled=False)
    print(f"{users.normalise_login(args.login)} enabled")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        listed = users.list_users(db, Principal.cli(args.actor))
    print(f"{'login':<20} {'role':<8} {'state':<8} {'password':<8} {'accounts':<24} name")
    for user in listed:
        state = "disabled" if user.disabled else ("active" if user.role else "no role")
        accounts = "all" if user.accounts is None else ",".join(user.accounts)
        print(f"{user.login:<20} {user.role or '-':<8} {state:<8} "
              f"{'yes' if user.password_hash else 'no':<8} {accounts:<24} {user.display_name}")
    return 0
