"""What every dashboard page shares: templates, cookies, flash messages, CSRF, errors."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from xqr.context import AppContext
from xqr.core.clock import utcnow
from xqr.core.errors import ApiError

PREFIX = "/dashboard"
SESSION_COOKIE = "xqr_session"
FORM_COOKIE = "xqr_form"  # double-submit token for forms shown before sign-in
FLASH_COOKIE = "xqr_flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class DashboardError(Exception):
    """A page-level refusal shown as an error page (403, 404, 429, …)."""

    def __init__(self, status: int, title: str, message: str, *, retry_after: int | None = None):
        self.status = status
        self.title = title
        self.message = message
        self.retry_after = retry_after
        super().__init__(message)


class SignInNeeded(Exception):
    """No live session: the browser is sent to the sign-in page, then back to `next_path`."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path
        super().__init__(next_path)


def not_found(what: str = "page") -> DashboardError:
    return DashboardError(404, "Not found", f"This {what} does not exist, or is not yours.")


# --- templates ------------------------------------------------------------------------


@functools.cache
def _static_versions() -> dict[str, str]:
    """A short content hash per static file, so URLs change when files do (cached forever)."""
    root = files("xqr.dashboard").joinpath("static")
    versions: dict[str, str] = {}

    def walk(folder: Any, prefix: str) -> None:
        for entry in folder.iterdir():
            name = f"{prefix}{entry.name}"
            if entry.is_dir():
                walk(entry, name + "/")
            elif not entry.name.endswith(".md"):
                versions[name] = hashlib.sha256(entry.read_bytes()).hexdigest()[:12]

    walk(root, "")
    return versions


def static_url(path: str) -> str:
    return f"{PREFIX}/static/{path}?v={_static_versions()[path]}"


def _when(value: datetime | str | None, zone: str = "UTC", *, with_zone: bool = False) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    local = value.astimezone(ZoneInfo(zone))
    text = f"{local.day} {local:%b %Y, %H:%M}"
    return f"{text} {local.tzname()}" if with_zone else text


def _number(value: int | float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,}"


def _size(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def _capitalize_first(message: str) -> str:
    message = str(message)
    return message[:1].upper() + message[1:]


def _described(items: Any) -> list[tuple[str, str, str]]:
    return [(name, name, description) for name, description in items]


def _role_options(roles: Any, summaries: dict[str, str], owner: bool) -> list[tuple[str, str]]:
    return [(r, f"{r} — {summaries[r]}") for r in roles if owner or r != "owner"]


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("xqr.dashboard", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static_url
    env.globals["prefix"] = PREFIX
    env.globals["now"] = utcnow
    env.globals["roles_options"] = _role_options
    env.filters["capitalize_first"] = _capitalize_first
    env.filters["zip_self"] = lambda values: [(v, v) for v in values]
    env.filters["scope_options"] = _described
    env.filters["event_options"] = _described
    env.filters["when"] = _when
    env.filters["number"] = _number
    env.filters["size"] = _size
    return env


@dataclass
class Flash:
    level: str  # "success" or "error"
    message: str


@dataclass
class PageContext:
    """What the shell needs besides the page's own data."""

    me: Any = None  # session.Me when signed in
    csrf_token: str = ""
    flashes: list[Flash] = field(default_factory=list)
    section: str = ""


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    me: Any = None,
    section: str = "",
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a page; flash messages waiting in the cookie are shown once."""
    flashes = read_flashes(request)
    csrf = me.csrf_token if me is not None else form_token(request)
    page = PageContext(me=me, csrf_token=csrf, flashes=flashes, section=section)
    html = environment().get_template(template).render(page=page, request=request, me=me, **context)
    response = HTMLResponse(html, status_code=status, headers=headers)
    if flashes:
        response.delete_cookie(FLASH_COOKIE, path=PREFIX)
    if me is None and request.cookies.get(FORM_COOKIE) != csrf:
        set_cookie(request, response, FORM_COOKIE, csrf)
    return response


def redirect(url: str) -> RedirectResponse:
    """See other: after a form is handled, the browser GETs the next page."""
    return RedirectResponse(url, status_code=303)


# --- cookies --------------------------------------------------------------------------


def ctx_of(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def _secure(request: Request) -> bool:
    return ctx_of(request).settings.public_url.startswith("https://")


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )


def _sign(request: Request, payload: bytes) -> str:
    mac = hmac.new(ctx_of(request).settings.secret, b"flash:" + payload, hashlib.sha256)
    return base64.urlsafe_b64encode(payload).decode() + "." + mac.hexdigest()[:32]


def flash(request: Request, response: Response, message: str, level: str = "success") -> Response:
    """Show `message` on the next page this browser renders."""
    payload = json.dumps([level, message[:500]]).encode()
    set_cookie(request, response, FLASH_COOKIE, _sign(request, payload))
    return response


def read_flashes(request: Request) -> list[Flash]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or "." not in raw:
        return []
    encoded = raw.rpartition(".")[0]
    try:
        payload = base64.urlsafe_b64decode(encoded.encode())
    except ValueError:
        return []
    if not hmac.compare_digest(_sign(request, payload), raw):
        return []
    level, message = json.loads(payload)
    return [Flash(level=str(level), message=str(message))]


# --- CSRF -----------------------------------------------------------------------------


def form_token(request: Request) -> str:
    """The double-submit token of a browser that is not signed in (sign-in, set-up)."""
    existing = request.cookies.get(FORM_COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing
    token: str = request.scope.setdefault("state", {}).setdefault(
        "form_token", secrets.token_urlsafe(32)
    )
    return token


CSRF_REFUSED = DashboardError(
    403,
    "This form has expired",
    "The form was not sent from this dashboard, or it expired. Go back, reload the page "
    "and try again.",
)


def _same_origin(request: Request) -> bool:
    """A browser's Origin (or Referer) must be this server's: a second line behind the token."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return source is None
    origin = urlsplit(source)
    public = urlsplit(ctx_of(request).settings.public_url)
    host = request.headers.get("host", "")
    return (origin.scheme, origin.netloc) in {
        (public.scheme, public.netloc),
        (request.url.scheme, host),
    }


async def checked_form(
    request: Request, expected: str, *, max_part_size: int = 1024 * 1024
) -> FormData:
    """The request's form, once its CSRF token (field or `X-CSRF-Token`) equals `expected`."""
    form = await request.form(max_part_size=max_part_size)
    sent = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    if (
        not isinstance(sent, str)
        or not expected
        or not hmac.compare_digest(sent.encode(), expected.encode())
        or not _same_origin(request)
    ):
        raise CSRF_REFUSED
    return form


def text(form: FormData, name: str, *, limit: int = 2048) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def field_errors(exc: ApiError) -> tuple[dict[str, str], str]:
    """An API error as messages for the form's fields, and one summary for the page."""
    fields: dict[str, str] = {}
    for detail in exc.details or []:
        name = str(detail.get("field", ""))
        if name and name not in fields:
            fields[name] = str(detail.get("message", ""))
    if fields:
        noun = "field" if len(fields) == 1 else "fields"
        return fields, f"Nothing was saved. Correct the {noun} marked below."
    return fields, exc.message
