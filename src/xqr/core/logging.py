"""Logging set-up; every record is redacted when it is created, whoever logs it."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from xqr.auth.keys import redact

_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
_installed = False


def redact_text(text: str) -> str:
    """Strip API-key secrets and bearer tokens."""
    cleaned = redact(text)
    if "earer" in cleaned:
        cleaned = _BEARER.sub(r"\1[redacted]", cleaned)
    return cleaned


def install_redaction() -> None:
    """Wrap the log-record factory so no handler, ours or a library's, sees a secret."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call; let logging report it as usual
            return record
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
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
