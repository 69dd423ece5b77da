"""The private mail stack's configuration: its users and the Postfix / Dovecot config templates.

Rendered by `tests.mailstack.MailStack` into a fresh root per instance (`@NAME@` placeholders).
Settings that worked on this machine are recorded in ../shared/MAILSTACK.md; each one's reason
is next to it.
"""

from __future__ import annotations

from dataclasses import dataclass

DOMAIN = "localhost.test"
MTA_HOSTNAME = "mx.localhost.test"
PASSWORD = "secret"
BOUNCE_USER = "bounces"


@dataclass(frozen=True, slots=True)
class MailUser:
    """A Dovecot mailbox. `quota` is a storage limit such as "1B" (every message is over it)."""

    name: str
    password: str = PASSWORD
    quota: str | None = None
    quota_tempfail: bool = False   # over quota answers 452 4.2.2 (Postfix defers) instead of 552

    def passwd_line(self) -> str:
        extra = []
        if self.quota:
            extra.append(f"userdb_quota_rule=*:storage={self.quota}")
        if self.quota_tempfail:
            extra.append("userdb_quota_full_tempfail=yes")
        # user:password:uid:gid:gecos:home:shell:extra fields
        return f"{self.name}:{{PLAIN}}{self.password}::::::{' '.join(extra)}"


DEFAULT_USERS: tuple[MailUser, ...] = (
    MailUser(BOUNCE_USER),                      # our bounce mailbox (VERP bounces+token@ too)
    MailUser("alice"),
    MailUser("bob"),
    MailUser("carol"),
    MailUser("full", quota="1B"),               # 552 5.2.2 -> failure DSN
    MailUser("tempfull", quota="1B", quota_tempfail=True),  # 452 4.2.2 -> delayed DSN
)

HOLD_PREFIX = "hold"
"""Mail to `hold…@localhost.test` stays in Postfix's hold queue, so `queued_envelopes()` can show
what Postfix recorded from the SMTP dialogue (ENVID, RET, NOTIFY, ORCPT)."""

MAIN_CF = """\
compatibility_level = 3.6
config_directory = @PF@/etc
queue_directory = @PF@/spool
data_directory = @PF@/data
# The log goes to a file through postlogd: there is no syslog here, and Postfix writes errors
# to stderr only when stderr is a TTY.
maillog_file_prefixes = @ROOT@
maillog_file = @PF@/maillog
mail_owner = postfix
setgid_group = postdrop
myhostname = @MTA_HOSTNAME@
mydomain = @DOMAIN@
myorigin = @DOMAIN@
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
virtual_mailbox_domains = @DOMAIN@
virtual_mailbox_maps =
# Accept every recipient: Dovecot's LMTP refuses unknown users, which makes a real bounce DSN.
smtpd_reject_unlisted_recipient = no
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access regexp:@PF@/etc/hold_recipients
virtual_transport = lmtp:inet:127.0.0.1:@LMTP_PORT@
# Nothing may leave loopback.
default_transport = error:outbound mail disabled in tests
relay_transport = error:outbound mail disabled in tests
disable_dns_lookups = yes
smtp_dns_support_level = disabled
lmtp_host_lookup = native
# Fast retries, and "Action: delayed" DSNs on the first deferral (qmgr allows 1 s of slack).
queue_run_delay = @RETRY@s
minimal_backoff_time = @RETRY@s
maximal_backoff_time = @MAX_RETRY@s
delay_warning_time = @DELAY_WARNING@
"""

# chroot is "n" everywhere (Debian's own master.cf chroots into /var/spool/postfix) and smtpd
# listens only on this instance's port. lmtp flags=X: Dovecot is the final destination, so the
# success DSN says "delivered", not "relayed" (Postfix 3.7 logs `lmtp_assume_final = yes`, the
# older spelling, as obsolete).
MASTER_CF = """\
127.0.0.1:@SMTP_PORT@ inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
lmtp unix - - n - - lmtp flags=X
smtp unix - - n - - smtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"""

DOVECOT_CONF = """\
# Only this file is read (-c): Debian's /etc/dovecot plays no part.
base_dir = @DV@/run
state_dir = @DV@/state
instance_name = @INSTANCE@
protocols = imap lmtp
listen = 127.0.0.1
log_path = @DV@/dovecot.log
@SSL@
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:@ROOT@/mail/%n/Maildir
# Dovecot refuses uid 0 for mail processes.
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
mail_fsync = never
# A wrong password is answered at once (the default waits 2 s).
auth_failure_delay = 0
# Keeps the machine's own name out of Received headers (and out of the committed samples).
hostname = @MTA_HOSTNAME@
postmaster_address = postmaster@@DOMAIN@
# bounces+<VERP token>@ is delivered to the "bounces" mailbox.
recipient_delimiter = +
mail_plugins = $mail_plugins quota
plugin {
  quota = count:User quota
  quota_vsizes = yes
}
# passwd-file, not a static userdb: a static userdb accepts every local part, and then no
# unknown-user bounce could ever happen. Dovecot re-reads the file when it changes.
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n @DV@/users
}
userdb {
  driver = passwd-file
  args = username_format=%n @DV@/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = @IMAP_PORT@
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = @IMAPS_PORT@
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = @LMTP_PORT@
  }
}
protocol lmtp {
  auth_username_format = %n
}
# No growing per-IP penalty after failed logins: every client here is 127.0.0.1, so one test of a
# wrong password would otherwise slow every later login of the session by up to 15 s.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
"""

NO_SSL = "ssl = no"

# Dovecot 2.3 with TLS (`MailStack(tls=True)`): STARTTLS on the plain port and the imaps listener.
# Plain-text logins stay allowed (disable_plaintext_auth = no), so TLS-less clients still work.
# `<file` makes Dovecot read the PEM from the file.
SSL_ON = """\
ssl = yes
ssl_cert = <@TLS_CERT@
ssl_key = <@TLS_KEY@
ssl_min_protocol = TLSv1.2"""


def render(template: str, values: dict[str, object]) -> str:
    for key, value in values.items():
        template = template.replace(f"@{key}@", str(value))
    return template
