"""What the redirect path answers for links with a password or a social preview (no I/O):
the password form, the preview page for link-preview crawlers, and the attempt limit.

Pages are same-origin with the redirect, carry a strict Content-Security-Policy (no script
at all; the one style block is allowed by its hash) and cannot be framed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from html import escape

from xqr.core.memo import BoundedMemo

Headers = list[tuple[bytes, bytes]]
Answer = tuple[int, Headers, bytes]

CSRF_COOKIE = "xqr_pf"
CSRF_TTL = 3600
MAX_FORM_BYTES = 4096
ATTEMPT_MEMO = 65_536

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;min-height:100vh;display:grid;"
    "place-items:center;background:#f6f7f9;color:#1d2430}"
    "main{width:min(24rem,100% - 2rem);padding:2rem 1rem}"
    "h1{font-size:1.4rem;margin:0 0 .5rem}p{margin:0 0 1rem;color:#4a5568}"
    "label{display:block;font-weight:600;margin-bottom:.25rem}"
    "input{box-sizing:border-box;width:100%;font:inherit;padding:.6rem .7rem;"
    "border:1px solid #6b7280;border-radius:.4rem;background:#fff;color:inherit}"
    "input:focus,button:focus{outline:3px solid #2563eb;outline-offset:2px}"
    "button{margin-top:1rem;width:100%;font:inherit;font-weight:600;padding:.6rem;border:0;"
    "border-radius:.4rem;background:#1d4ed8;color:#fff;cursor:pointer}"
    ".error{color:#b91c1c;font-weight:600}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
FORM_CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
).encode()
PREVIEW_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"

_COMMON = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"cache-control", b"private, no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]

_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>{style}</style>
</head><body><main>
<h1>This link is protected</h1>
<p id="hint">Enter the password you were given to continue.</p>
{error}<form method="post">
<input type="hidden" name="csrf" value="{csrf}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required
 autofocus aria-describedby="{described}"{invalid}>
<button type="submit">Continue</button>
</form></main></body></html>
"""


def csrf_token(secret: bytes, nonce: str, link_id_hex: str) -> str:
    message = f"csrf:{link_id_hex}:{nonce}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def form_page(
    secret: bytes, link_id_hex: str, path: str, *, status: int = 200, error: str = ""
) -> Answer:
    """The password form, with a fresh CSRF nonce cookie bound to this link."""
    nonce = secrets.token_urlsafe(18)
    error_html = f'<p id="error" class="error" role="alert">{escape(error)}</p>\n' if error else ""
    body = _FORM.format(
        title="Password required" if not error else "Wrong password",
        style=_STYLE,
        error=error_html,
        csrf=csrf_token(secret, nonce, link_id_hex),
        described="error hint" if error else "hint",
        invalid=' aria-invalid="true"' if error else "",
    ).encode()
    cookie = (
        f"{CSRF_COOKIE}={nonce}; Path={path}; Max-Age={CSRF_TTL}; HttpOnly; SameSite=Strict"
    ).encode()
    headers = [
        *_COMMON,
        (b"content-security-policy", FORM_CSP),
        (b"set-cookie", cookie),
        (b"content-length", b"%d" % len(body)),
    ]
    return status, headers, body


def small_page(status: int, title: str, message: str, extra: Headers | None = None) -> Answer:
    body = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width,initial-scale=1">\n'
        f'<meta name="robots" content="noindex">\n<title>{escape(title)}</title>\n'
        f"<style>{_STYLE}</style>\n</head><body><main><h1>{escape(title)}</h1>"
        f"<p>{escape(message)}</p></main></body></html>\n"
    ).encode()
    headers = [
        *_COMMON,
        (b"content-security-policy", FORM_CSP),
        *(extra or ()),
        (b"content-length", b"%d" % len(body)),
    ]
    return status, headers, body


def preview_page(
    *,
    title: str | None,
    description: str | None,
    image_url: str | None,
    short_url: str,
    destination: str | None,
) -> bytes:
    """The Open Graph / Twitter card page a link-preview crawler gets. `destination` is left
    out (no refresh) for password-protected links, which must not reveal it."""
    tags = [
        ("property", "og:type", "website"),
        ("property", "og:url", short_url),
        ("name", "twitter:card", "summary_large_image" if image_url else "summary"),
    ]
    if title:
        tags += [("property", "og:title", title), ("name", "twitter:title", title)]
    if description:
        tags += [
            ("property", "og:description", description),
            ("name", "twitter:description", description),
            ("name", "description", description),
        ]
    if image_url:
        tags += [("property", "og:image", image_url), ("name", "twitter:image", image_url)]
    meta = "\n".join(
        f'<meta {attr}="{escape(name)}" content="{escape(value)}">' for attr, name, value in tags
    )
    refresh = (
        f'<meta http-equiv="refresh" content="0;url={escape(destination)}">\n'
        if destination
        else ""
    )
    heading = escape(title or short_url)
    paragraph = f"<p>{escape(description)}</p>" if description else ""
    link = f'<p><a href="{escape(destination)}">Continue</a></p>' if destination else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f"<title>{heading}</title>\n{meta}\n{refresh}</head>"
        f"<body><main><h1>{heading}</h1>{paragraph}{link}</main></body></html>\n"
    ).encode()


def preview_answer(body: bytes) -> Answer:
    return (
        200,
        [
            *_COMMON,
            (b"content-security-policy", PREVIEW_CSP),
            (b"content-length", b"%d" % len(body)),
        ],
        body,
    )


class AttemptLimiter:
    """Wrong passwords per (visitor address, link) within a window, in this process."""

    def __init__(self, limit: int, window_seconds: int) -> None:
        self.limit = limit
        self.window = window_seconds
        self._failures: BoundedMemo[tuple[str, str], tuple[float, int]] = BoundedMemo(
            ATTEMPT_MEMO, keep=self._current
        )

    def _current(self, _key: tuple[str, str], value: tuple[float, int]) -> bool:
        return value[0] + self.window > time.monotonic()

    def retry_after(self, ip: str, link: str) -> int:
        """Seconds until this address may try again; 0 when it may now."""
        found = self._failures.get((ip, link))
        if found is None:
            return 0
        started, count = found
        left = started + self.window - time.monotonic()
        if left <= 0:
            del self._failures[(ip, link)]
            return 0
        return int(left) + 1 if count >= self.limit else 0

    def failed(self, ip: str, link: str) -> None:
        key = (ip, link)
        now = time.monotonic()
        found = self._failures.get(key)
        if found is None or found[0] + self.window <= now:
            self._failures[key] = (now, 1)
        else:
            self._failures[key] = (found[0], found[1] + 1)
