"""A local SMTP server (aiosmtpd) that keeps what it accepts: for the report email tests.

    with Mailbox() as box:                     # settings: smtp_url=box.url
        ... a run with recipients ends ...
        [(sender, recipients, message)] = box.messages   # message: email.message.EmailMessage

`Mailbox(hold_first=True)` leaves the first message's DATA unanswered (the sender hangs
mid-send, as on a stuck server) and sets `box.holding` when it arrives; later ones are kept.
It runs in its own thread, so it serves this process and other processes alike.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.server import free_port

HOLD_SECONDS = 300.0


class Mailbox:
    def __init__(self, *, hold_first: bool = False) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.holding = threading.Event()
        self._hold_first = hold_first
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._hold_first and not self.holding.is_set():
            self.holding.set()
            await asyncio.sleep(HOLD_SECONDS)  # the sender is killed meanwhile
            return "451 try again later"
        parsed = email.message_from_bytes(
            envelope.original_content or b"", policy=email.policy.default
        )
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope.mail_from or "", list(envelope.rcpt_tos), parsed))
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()
