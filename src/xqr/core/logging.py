"""Logging set-up; every record is redacted when it is created, whoever logs it."""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from xqr.auth.keys import redact as redact_api_keys
from xqr.webhooks.signing import SECRET_PREFIX as WEBHOOK_SECRET_PREFIX

_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
REDACTED = "[redacted]"
_installed = False


def _substitution(pattern: str, replacement: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)
    return lambda text: compiled.sub(replacement, text)


# Every secret the server issues or is handed, as (markers, redactor): a redactor runs only
# on text holding one of its markers, so the common log line costs a few substring checks.
_REDACTORS: tuple[tuple[tuple[str, ...], Callable[[str], str]], ...] = (
    # API keys: `xqr_pk_{prefix}.{secret}`; the prefix names the key and is safe to log.
    (("xqr_pk_",), redact_api_keys),
    # Webhook signing secrets: `whsec_…`.
    (
        (WEBHOOK_SECRET_PREFIX,),
        _substitution(rf"{WEBHOOK_SECRET_PREFIX}[A-Za-z0-9_-]+", WEBHOOK_SECRET_PREFIX + REDACTED),
    ),
    # Bearer tokens, whatever they hold, also URL-encoded in a query string.
    (
        ("earer", "EARER"),
        _substitution(r"(?i)\b(bearer(?:\s+|%20|\+))[^\s&\"',;]+", rf"\1{REDACTED}"),
    ),
    # Signed URLs: the filesystem backend's upload `signature`, S3 presigned URLs'
    # `X-Amz-Signature` and `X-Amz-Security-Token` (each opens an upload until it expires).
    (
        ("ignature", "IGNATURE", "ecurity-", "ECURITY-"),
        _substitution(
            r"(?i)\b((?:x-amz-)?signature|x-amz-security-token)=[^\s&\"',;]+", rf"\1={REDACTED}"
        ),
    ),
    # Passwords in URLs (`postgresql://user:password@host/db`).
    (("://",), _substitution(r"(://[^/\s:@]+:)[^/\s@]+@", rf"\1{REDACTED}@")),
)


def redact_text(text: str) -> str:
    """`text` with every secret xQR issues replaced: API keys (their prefix is kept), webhook
    signing secrets, bearer tokens, upload URL signatures, and passwords in URLs."""
    for markers, redactor in _REDACTORS:
        if any(marker in text for marker in markers):
            text = redactor(text)
    return text


def _redact_value(value: Any) -> Any:
    """A log argument, or its redacted text if its text holds a secret."""
    if isinstance(value, (int, float)):  # bool and the enums of ints too
        return value
    text = value if isinstance(value, str) else str(value)
    cleaned = redact_text(text)
    return value if cleaned == text else cleaned


def _redact_args(args: Any) -> Any:
    if isinstance(args, tuple):
        return tuple(_redact_value(arg) for arg in args)
    if isinstance(args, Mapping):
        return {key: _redact_value(value) for key, value in args.items()}
    return args


def _redact_record(record: logging.LogRecord) -> None:
    """Redact the message, keeping `msg` and `args` apart where possible: formatters such
    as uvicorn's access log read the arguments themselves."""
    message = record.getMessage()
    if redact_text(message) == message:
        return
    msg = record.msg if isinstance(record.msg, str) else str(record.msg)
    args = _redact_args(record.args)
    try:
        shaped: str | None = msg % args if args else msg
    except (TypeError, ValueError, KeyError):
        shaped = None
    if shaped is not None and redact_text(shaped) == shaped:
        record.msg, record.args = msg, args
    else:  # a secret made of the format string and its arguments together
        record.msg, record.args = redact_text(message), ()


def _redact_exception(record: logging.LogRecord) -> None:
    """Format the traceback now, redacted: exception messages carry SQL, URLs, headers."""
    if record.exc_info and not record.exc_text:
        record.exc_text = redact_text(
            "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        )
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)


def install_redaction() -> None:
    """Wrap the log-record factory so no handler, ours or a library's, sees a secret."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            _redact_record(record)
        except Exception:  # a malformed call: logging reports it, showing msg and args
            with contextlib.suppress(Exception):
                record.msg, record.args = redact_text(str(record.msg)), _redact_args(record.args)
        _redact_exception(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)
    install_redaction()
