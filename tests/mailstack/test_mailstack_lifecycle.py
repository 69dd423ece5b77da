"""A MailStack starts, runs beside another instance, and leaves nothing behind when stopped."""

from __future__ import annotations

import socket

import pytest

from tests.mailstack import SKIP_REASON, MailStack, process_start_time

pytestmark = pytest.mark.skipif(bool(SKIP_REASON), reason=f"real mail stack unavailable: {SKIP_REASON}")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.mailstack
def test_second_instance_runs_beside_the_session_one_and_stops_cleanly(
    mailstack: MailStack,
) -> None:
    stack = MailStack().start()
    try:
        ports = (stack.smtp_port, stack.imap_port, stack.lmtp_port)
        assert not set(ports) & {mailstack.smtp_port, mailstack.imap_port, mailstack.lmtp_port}
        assert all(_answers(port) for port in ports)
        root = stack.root
        assert root is not None and root != mailstack.root
        assert set(stack.pids) == {"postfix", "dovecot"}
        processes = stack.processes()
        # Postfix's master with qmgr and pickup, Dovecot's master with its log/config/anvil…
        assert len(processes) >= 6, processes
        stack.add_user("late")
        with stack.imap("late") as connection:
            assert connection.state == "SELECTED"
    finally:
        stack.stop()

    survivors = [pid for pid, started in processes.items() if process_start_time(pid) == started]
    assert survivors == [], f"processes left running: {survivors}"
    assert not root.exists()
    assert not any(_answers(port) for port in ports)
    assert stack.pids == {}
    # The session stack was not disturbed.
    with mailstack.imap("bounces") as connection:
        assert connection.state == "SELECTED"


def test_dovecot_restart_keeps_mail_and_ports(mailstack: MailStack) -> None:
    box = mailstack.new_mailbox()
    mailstack.send(mailstack.address(box), ["nosuch@localhost.test"], b"Subject: x\r\n\r\nbody\r\n")
    mailstack.wait_for_messages(box, 1)
    old_pid = mailstack.pids["dovecot"]

    mailstack.restart_dovecot()

    assert mailstack.pids["dovecot"] != old_pid
    assert len(mailstack.fetch_all(box)) == 1
    # Delivery works again through the restarted Dovecot.
    mailstack.send(mailstack.address(box), ["nosuch@localhost.test"], b"Subject: y\r\n\r\nbody\r\n")
    assert len(mailstack.wait_for_messages(box, 2)) == 2


def test_fill_maildir_is_read_back_over_imap(mailstack: MailStack) -> None:
    box = mailstack.new_mailbox()
    messages = [f"Subject: fill {n}\r\nMessage-ID: <fill{n}@suivi.test>\r\n\r\nbody {n}\r\n".encode()
                for n in range(300)]

    assert mailstack.fill_maildir(box, messages) == 300

    fetched = mailstack.wait_for_messages(box, 300)
    assert sorted(fetched) == sorted(messages)        # IMAP gives CRLF back, byte for byte
