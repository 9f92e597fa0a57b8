"""Email of finished runs over SMTP (`XQR_SMTP_URL`), with the file attached when it is small
enough and a download link otherwise.

`smtp://host:25` sends in plain text, `smtp+starttls://host:587` upgrades with STARTTLS, and
`smtps://host:465` uses TLS from the start; `user:password@` in the URL logs in. The standard
library's `smtplib` does the talking, in a thread. Errors name the server, never the password.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import unquote, urlsplit

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT = 30.0


class MailError(Exception):
    """Sending failed; the message is safe to show (no credentials)."""


@dataclass(frozen=True)
class SmtpServer:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """ValueError (without the URL, which may hold a password) for a malformed one."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise ValueError("XQR_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise ValueError("XQR_SMTP_URL has an invalid port") from None
        if not parts.hostname:
            raise ValueError("XQR_SMTP_URL names no host")
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


def build_message(
    *,
    sender: str,
    recipients: list[str],
    subject: str,
    text: str,
    attachment: Attachment | None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">") or None)
    message.set_content(text)
    if attachment is not None:
        maintype, _, subtype = attachment.content_type.split(";")[0].partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
        )
    return message


def _send(server: SmtpServer, message: EmailMessage) -> None:
    client: smtplib.SMTP
    if server.scheme == "smtps":
        client = smtplib.SMTP_SSL(
            server.host, server.port, timeout=TIMEOUT, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
    with client:
        if server.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if server.username is not None:
            client.login(server.username, server.password or "")
        client.send_message(message)


async def send(server: SmtpServer, message: EmailMessage) -> None:
    """Send `message`; MailError says why not."""
    try:
        await asyncio.to_thread(_send, server, message)
    except smtplib.SMTPAuthenticationError:
        raise MailError(f"SMTP server {server.address} refused the login") from None
    except smtplib.SMTPRecipientsRefused as exc:
        refused = ", ".join(sorted(exc.recipients))
        raise MailError(f"SMTP server {server.address} refused the recipients {refused}") from None
    except smtplib.SMTPException as exc:
        raise MailError(f"SMTP server {server.address}: {type(exc).__name__}") from None
    except (OSError, TimeoutError) as exc:
        reason = exc.strerror or type(exc).__name__
        raise MailError(f"cannot reach SMTP server {server.address}: {reason}") from None


def sender_address(configured: str | None, public_url: str) -> str:
    if configured:
        return configured
    host = urlsplit(public_url).hostname or "localhost"
    if "." not in host:
        host += ".localdomain"
    return formataddr(("xQR reports", f"reports@{host}"))
