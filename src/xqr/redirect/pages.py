"""The small HTML pages the redirect path answers with: nothing about the link is revealed."""

from __future__ import annotations

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>{style}</style>
</head><body><main><h1>{title}</h1><p>{message}</p></main></body></html>
"""

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;min-height:100vh;display:grid;"
    "place-items:center;background:#f6f7f9;color:#1d2430}"
    "main{max-width:28rem;padding:2rem;text-align:center}"
    "h1{font-size:1.4rem;margin:0 0 .5rem}p{margin:0;color:#4a5568}"
)

NOT_FOUND = _PAGE.format(
    style=_STYLE,
    title="Link not found",
    message="This short link does not exist or has been switched off.",
).encode()

EXPIRED = _PAGE.format(
    style=_STYLE,
    title="Link expired",
    message="This short link has expired and no longer leads anywhere.",
).encode()

LOOP = _PAGE.format(
    style=_STYLE,
    title="Link loops",
    message="This short link leads back to itself, so it cannot be opened.",
).encode()

UNAVAILABLE = _PAGE.format(
    style=_STYLE,
    title="Try again shortly",
    message="This short link cannot be opened right now. Please try again in a moment.",
).encode()

PAGE_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"cache-control", b"private, max-age=0"),
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'"),
]
