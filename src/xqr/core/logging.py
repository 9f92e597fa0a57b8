"""Logging set-up; every record passes through key redaction before it is written."""

from __future__ import annotations

import logging
import re
import sys

from xqr.auth.keys import KEY_PATTERN, redact

_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class RedactSecrets(logging.Filter):
    """Strip API-key secrets and bearer tokens from messages and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if "Bearer " in cleaned or "bearer " in cleaned:
            cleaned = _redact_bearer(cleaned)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _redact_bearer(text: str) -> str:
    return re.sub(r"(?i)(bearer\s+)\S+", r"\1[redacted]", text)


def install_redaction() -> None:
    """Attach the redaction filter to every handler of the root and uvicorn loggers."""
    for name in ("", "uvicorn", "uvicorn.access", "uvicorn.error", "xqr"):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactSecrets) for f in handler.filters):
                handler.addFilter(RedactSecrets())


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
    root.setLevel(level.upper())
    install_redaction()


__all__ = ["KEY_PATTERN", "RedactSecrets", "configure_logging", "install_redaction"]
