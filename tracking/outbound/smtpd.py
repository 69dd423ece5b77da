"""aiosmtpd, taught two things the sandbox and the tests need: DSN parameters and free ports.

- `DsnSMTP` accepts RFC 3461 parameters — `RET`, `ENVID` on MAIL, `NOTIFY`, `ORCPT` on RCPT —
  which aiosmtpd 1.4 refuses with 555. It takes them out of the command before aiosmtpd sees it,
  keeps them with their case (aiosmtpd upper-cases every parameter it keeps, which would mangle
  an ENVID or an ORCPT address) and xtext-decoded, on the envelope: `mail_dsn(envelope)` and
  `rcpt_dsn(envelope)` (one per accepted recipient, in `rcpt_tos` order).
- `AnnouncesDsn` is the handler side: its `handle_EHLO` adds `DSN` (and `PIPELINING`, which
  aiosmtpd handles without saying so) to the EHLO reply. A handler that does not inherit it
  makes a server that announces neither.
- `LoopbackController` binds 127.0.0.1 and, unlike aiosmtpd 1.4's `Controller`, works with
  `port=0` (a free port chosen by the kernel), exposing the real port as `.port`.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session, syntax

from tracking.outbound.xtext import xtext_decode

_NOTIFY_VALUES = {"SUCCESS", "FAILURE", "DELAY"}


@dataclass(frozen=True)
class MailDsn:
    ret: str = ""                     # "FULL" | "HDRS" | "" when not given
    envid: str = ""                   # decoded ENVID, "" when not given


@dataclass(frozen=True)
class RcptDsn:
    notify: tuple[str, ...] = ()      # () when not given (the server then decides, RFC 3461 §4.1)
    orcpt: str = ""                   # decoded "rfc822;a@b", "" when not given

    def wants(self, event: str) -> bool:
        """Should a DSN be sent for `event` (SUCCESS, FAILURE, DELAY)?

        Without NOTIFY, RFC 3461 §4.1 lets the server choose; like Postfix, report failures and
        delays but not successes.
        """
        if not self.notify:
            return event in ("FAILURE", "DELAY")
        return event in self.notify

    @property
    def original_address(self) -> str:
        return self.orcpt.partition(";")[2].strip() if ";" in self.orcpt else self.orcpt


def mail_dsn(envelope: Envelope) -> MailDsn:
    return getattr(envelope, "suivi_mail_dsn", MailDsn())


def rcpt_dsn(envelope: Envelope) -> list[RcptDsn]:
    found = list(getattr(envelope, "suivi_rcpt_dsn", []))
    return found + [RcptDsn()] * (len(envelope.rcpt_tos) - len(found))


class AnnouncesDsn:
    """Handler mixin: announce the DSN extension in the EHLO reply."""

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        # aiosmtpd reads commands in order from its stream, so pipelined commands (RFC 2920)
        # are answered correctly; announcing it lets clients save round trips, as with Postfix.
        return [*responses[:-1], "250-DSN", "250-PIPELINING", responses[-1]]


class DsnSMTP(SMTP):
    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:
        rest, params, error = _take_params(arg, ("RET", "ENVID"))
        if error:
            await self.push(error)
            return
        ret = params.get("RET", "").upper()
        if ret not in ("", "FULL", "HDRS"):
            await self.push("501 5.5.4 RET must be FULL or HDRS")
            return
        envelope = self.envelope
        had_sender = bool(envelope is not None and envelope.mail_from)
        await super().smtp_MAIL(rest)
        if self.envelope is not None and self.envelope.mail_from and not had_sender:
            self.envelope.suivi_mail_dsn = MailDsn(ret=ret, envid=xtext_decode(params.get("ENVID", "")))

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg: str | None) -> None:
        rest, params, error = _take_params(arg, ("NOTIFY", "ORCPT"))
        if error:
            await self.push(error)
            return
        notify = tuple(v for v in params.get("NOTIFY", "").upper().split(",") if v)
        if notify and notify != ("NEVER",) and not set(notify) <= _NOTIFY_VALUES:
            await self.push("501 5.5.4 NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY")
            return
        envelope = self.envelope
        accepted_before = len(envelope.rcpt_tos) if envelope is not None else 0
        await super().smtp_RCPT(rest)
        if envelope is not None and len(envelope.rcpt_tos) > accepted_before:
            found = rcpt_dsn(envelope)[:accepted_before]
            found.append(RcptDsn(notify=notify, orcpt=xtext_decode(params.get("ORCPT", ""))))
            envelope.suivi_rcpt_dsn = found


class LoopbackController(Controller):
    """A threaded aiosmtpd server on 127.0.0.1, with a free port by default; DSN-aware."""

    def __init__(self, handler: object, port: int = 0, **kwargs: object) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=port, **kwargs)

    def factory(self) -> SMTP:
        return DsnSMTP(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        # aiosmtpd 1.4 connects to the configured port to wake the server; with port 0 that is
        # not the bound one. The listening socket exists by now, so read the real port first.
        if self.server is not None and self.port == 0:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _take_params(arg: str | None, names: tuple[str, ...]) -> tuple[str | None, dict[str, str], str]:
    """Split `<addr> A=1 B=2` into the command without `names`, their values, and an error reply."""
    if arg is None:
        return None, {}, ""
    # Parameters follow the closing '>' of the path; a quoted local part may contain spaces.
    cut = arg.rfind(">") + 1
    head, tail = arg[:cut], arg[cut:]
    kept: list[str] = []
    found: dict[str, str] = {}
    for word in tail.split():
        name, equals, value = word.partition("=")
        if name.upper() in names:
            if not equals or not value:
                return arg, {}, f"501 5.5.4 {name.upper()} needs a value"
            if name.upper() in found:
                return arg, {}, f"501 5.5.4 {name.upper()} given twice"
            found[name.upper()] = value
        else:
            kept.append(word)
    return " ".join([head, *kept]).strip() if cut else " ".join(kept), found, ""
