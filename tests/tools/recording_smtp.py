"""A recording SMTP server in its own process, for the owner's crash and outage tests.

`python -m tests.tools.recording_smtp LOG [--port N] [--delay SECONDS]` prints its port, then
accepts every message (announcing DSN) and appends one JSON line per accepted message to LOG —
`{"message_id": …, "rcpts": […]}` — written and flushed *before* the 250 reply, so the log holds
every message the server took, even when the client is killed right after. Stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import threading

from tracking.outbound.smtpd import AnnouncesDsn, LoopbackController


class Recorder(AnnouncesDsn):
    def __init__(self, log_path: str, delay: float) -> None:
        self.fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.delay = delay

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message_id = next((line.split(b":", 1)[1].strip().decode()
                           for line in envelope.content.splitlines()
                           if line.lower().startswith(b"message-id:")), "")
        line = json.dumps({"message_id": message_id, "rcpts": list(envelope.rcpt_tos)})
        os.write(self.fd, line.encode() + b"\n")
        return "250 2.0.0 Ok: queued"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    controller = LoopbackController(Recorder(args.log, args.delay), port=args.port)
    controller.start()
    print(controller.port, flush=True)
    try:
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
