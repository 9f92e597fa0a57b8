"""The rules a custom domain's host name must follow (pure: no I/O).

A host name is stored in its lower-case ASCII form: international names are converted with
IDNA (UTS #46), so `Bücher.Example` is `xn--bcher-kva.example`. Refused: schemes, paths,
ports, credentials, IP addresses, single-label names, `localhost` names, and labels that are
not 1–63 letters, digits or hyphens (not starting or ending with one).
"""

from __future__ import annotations

import re

import idna

MAX_HOSTNAME = 253
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_NUMERIC_TLD = re.compile(r"[0-9]+")


class HostnameError(ValueError):
    """A host name that cannot be a custom domain; the message says why."""


def normalise_hostname(value: str) -> str:
    """The host name in its stored form, or HostnameError."""
    if not isinstance(value, str) or not value.strip():
        raise HostnameError("must be a host name such as go.example.com")
    name = value.strip()
    if "://" in name or any(c in name for c in "/?#@\\"):
        raise HostnameError("must be a bare host name, without a scheme, path or credentials")
    if ":" in name:
        raise HostnameError("must not include a port (the proxy in front of xQR listens on it)")
    name = name.rstrip(".")
    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise HostnameError(f"is not a valid host name ({exc})") from None
    ascii_name = ascii_name.lower()
    if len(ascii_name) > MAX_HOSTNAME:
        raise HostnameError(f"must be at most {MAX_HOSTNAME} characters")
    labels = ascii_name.split(".")
    if len(labels) < 2:
        raise HostnameError("must have at least two labels, such as example.com")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise HostnameError(
            "labels must be 1-63 letters, digits or hyphens, not starting or ending with one"
        )
    if _NUMERIC_TLD.fullmatch(labels[-1]):
        raise HostnameError("must be a host name, not an IP address")
    if labels[-1] == "localhost":
        raise HostnameError("must be a public host name, not localhost")
    return ascii_name
