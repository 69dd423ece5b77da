"""`python -m tracking users …` in subprocesses on a real DuckDB file: passwords from stdin or a
prompt, never from the command line."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest

from tests.core.conftest import seed
from tracking.auth import users
from tracking.store.connection import open_database


@pytest.fixture
def cli(tmp_path, repo_root):
    db_path = tmp_path / "suivi.duckdb"
    with open_database(db_path) as database:
        seed(database)
    env = {**os.environ, "SUIVI_DB": str(db_path)}

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tracking", "users", *args], env=env,
                              cwd=repo_root, input=stdin, capture_output=True, text=True,
                              timeout=120)

    run.db_path = db_path
    return run


def _sign_in(cli, login, password):
    with open_database(cli.db_path) as db:
        return users.authenticate(db, login, password)


def test_add_list_set_role_set_password_disable(cli):
    added = cli("add", "M.Lefevre", "--name", "Marie Lefèvre", "--role", "support",
                "--account", "acct-relay", "--password-stdin", stdin="first-secret\n")
    assert added.returncode == 0, added.stderr
    assert "m.lefevre added (support, acct-relay)" in added.stdout
    assert "first-secret" not in added.stdout + added.stderr
    principal = _sign_in(cli, "m.lefevre", "first-secret")
    assert principal.scope == frozenset({"acct-relay"})
    assert principal.display_name == "Marie Lefèvre"

    assert cli("add", "root", "--name", "Root", "--role", "admin", "--password-stdin",
               stdin="root-secret\n").returncode == 0
    listing = cli("list")
    assert listing.returncode == 0, listing.stderr
    lines = {line.split()[0]: line.split() for line in listing.stdout.splitlines()[1:]}
    assert lines["m.lefevre"][:5] == ["m.lefevre", "support", "active", "yes", "acct-relay"]
    assert lines["root"][:5] == ["root", "admin", "active", "yes", "all"]
    assert lines["user-relay"][1:3] == ["-", "no"]          # an actor name from before sign-in
    assert not any("$argon2" in line for line in listing.stdout.splitlines())

    assert cli("set-role", "m.lefevre", "analyst").returncode == 0
    assert cli("set-password", "m.lefevre", "--password-stdin",
               stdin="second-secret\n").returncode == 0
    assert _sign_in(cli, "m.lefevre", "first-secret") is None
    assert str(_sign_in(cli, "m.lefevre", "second-secret").role) == "analyst"
    assert cli("disable", "m.lefevre").returncode == 0
    assert _sign_in(cli, "m.lefevre", "second-secret") is None
    assert cli("enable", "m.lefevre").returncode == 0
    assert _sign_in(cli, "m.lefevre", "second-secret") is not None


def test_a_password_on_the_command_line_is_refused_without_echo_and_nothing_written(cli):
    refused = cli("add", "bob", "--name", "Bob", "--role", "admin", "--password", "hunter2-hunter2")
    assert refused.returncode == 2
    assert "never taken from the command line" in refused.stderr
    assert "hunter2" not in refused.stdout + refused.stderr
    assert "bob" not in cli("list").stdout


@pytest.mark.parametrize("args, stdin, message", [
    (("add", "bob", "--name", "Bob", "--role", "admin"), "", "--password-stdin"),  # no terminal
    (("add", "bob", "--name", "Bob", "--role", "admin", "--password-stdin"), "", "no password"),
    (("add", "bob", "--name", "Bob", "--role", "admin", "--password-stdin"), "short\n",
     "at least 8"),
    (("add", "<b>", "--name", "Bob", "--role", "admin", "--no-password"), None, "invalid login"),
    (("add", "bob", "--name", "Bob", "--role", "admin", "--account", "nope", "--no-password"),
     None, "unknown account"),
    (("set-role", "ghost", "admin"), None, "unknown user"),
    (("disable", "user-relay"), None, None),       # allowed: it is not an admin
])
def test_clear_errors(cli, args, stdin, message):
    result = cli(*args, stdin=stdin)
    if message is None:
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "bob" not in cli("list").stdout


def test_the_last_admin_stays(cli):
    assert cli("add", "root", "--name", "Root", "--role", "admin", "--no-password").returncode == 0
    result = cli("disable", "root")
    assert result.returncode == 2 and "last admin" in result.stderr


def _in_a_terminal(args: list[str], answers: list[bytes], env: dict,
                   cwd) -> tuple[bytes, int]:
    """Run the command on a real pseudo-terminal, answering each prompt in turn."""
    pid, fd = pty.fork()
    if pid == 0:                                              # the child: the command line
        try:
            os.chdir(cwd)
            os.execvpe(sys.executable, [sys.executable, "-m", "tracking", *args], env)
        finally:
            os._exit(127)                                     # never run pytest twice
    output = b""

    def read_until(done) -> None:
        """Read until `done(output)`, or until the command exits."""
        nonlocal output
        deadline = time.monotonic() + 60
        while not done(output) and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    output += os.read(fd, 1024)
                except OSError:                               # the child closed the terminal
                    return

    for shown, answer in enumerate(answers, start=1):
        # Answer only once this prompt is shown: getpass flushes what was typed before it.
        read_until(lambda text, shown=shown: text.count(b"Password") >= shown)
        os.write(fd, answer)
    read_until(lambda text: False)
    try:
        deadline = time.monotonic() + 30
        done, status = os.waitpid(pid, os.WNOHANG)
        while done == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
            done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0:                                         # stuck on a prompt: fail, not hang
            os.kill(pid, 9)
            _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return output, os.waitstatus_to_exitcode(status)


def test_the_prompt_asks_twice_and_never_echoes(cli, repo_root):
    env = {**os.environ, "SUIVI_DB": str(cli.db_path)}
    args = ["users", "add", "tty.user", "--name", "T", "--role", "analyst"]
    output, code = _in_a_terminal(args, [b"typed-secret\n", b"typed-secret\n"], env, repo_root)
    assert code == 0, output
    assert b"Password (again)" in output and b"typed-secret" not in output
    assert _sign_in(cli, "tty.user", "typed-secret") is not None
    output, code = _in_a_terminal(["users", "set-password", "tty.user"],
                                  [b"new-secret-1\n", b"new-secret-2\n"], env, repo_root)
    assert code == 2 and b"differ" in output
    assert _sign_in(cli, "tty.user", "typed-secret") is not None      # nothing changed
