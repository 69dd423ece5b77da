"""An SMTP sink for the send benchmark, run as its own process so the server does not share the
client's interpreter: `python -m tracking.bench.sink` prints its port, then accepts every
message (announcing DSN, like the relay MTA would) until its standard input closes."""

from __future__ import annotations

import sys

from tracking.outbound.smtpd import AnnouncesDsn, LoopbackController


class Sink(AnnouncesDsn):
    def __init__(self) -> None:
        self.messages = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages += 1
        return "250 2.0.0 Ok: queued"


def main() -> None:
    controller = LoopbackController(Sink())
    controller.start()
    print(controller.port, flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
