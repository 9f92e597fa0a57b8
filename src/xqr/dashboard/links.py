"""Links: the list (search, filters, sort, pages) and actions on the selected links."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from xqr.context import DbSession, ReadSession
from xqr.core.clock import utcnow
from xqr.core.errors import ApiError
from xqr.dashboard import first_run
from xqr.dashboard.link_form import (
    DEVICE_TYPES,
    MAX_RULE_CARDS,
    OPERATING_SYSTEMS,
    LinkForm,
    form_field,
)
from xqr.dashboard.session import Me, SignedIn
from xqr.dashboard.web import (
    PREFIX,
    checked_form,
    ctx_of,
    field_errors,
    flash,
    redirect,
    render,
    text,
)
from xqr.links import selection
from xqr.links import service as links
from xqr.links.routing import Visitor, matching_rule, preferred_language
from xqr.qr import service as qr
from xqr.qr.images import image_response
from xqr.qr.rendering import QrRenderer

router = APIRouter(prefix="/links")
PAGE = f"{PREFIX}/links"
PER_PAGE = 50
MAX_OFFSET = 10_000_000
SORTS = {"created": "Newest", "scans": "Most scans", "last_scan": "Last scanned"}
STATUSES = {
    "all": "Enabled and disabled",
    "enabled": "Enabled only",
    "disabled": "Disabled only",
    "broken": "Broken destination",
}


@dataclass(frozen=True)
class Filters:
    """The list's filters, as they are in the URL (so a view can be bookmarked)."""

    q: str = ""
    label: str = ""
    status: str = "all"
    sort: str = "created"
    offset: int = 0

    @classmethod
    def of(cls, request: Request) -> Filters:
        params = request.query_params
        raw_offset = params.get("offset", "0")
        status = params.get("status", "all")
        sort = params.get("sort", "created")
        return cls(
            q=params.get("q", "").strip()[:200],
            label=params.get("label", "").strip()[:50],
            status=status if status in STATUSES else "all",
            sort=sort if sort in SORTS else "created",
            offset=min(int(raw_offset), MAX_OFFSET) if raw_offset.isdigit() else 0,
        )

    def query(self, **changes: Any) -> str:
        """The URL query of these filters with `changes`, defaults left out."""
        values = {"q": self.q, "label": self.label, "status": self.status, "sort": self.sort}
        values.update(changes)
        kept = {k: v for k, v in values.items() if v not in ("", None) and (k, v) not in _DEFAULTS}
        return urlencode(kept)

    @property
    def active(self) -> bool:
        return bool(self.q or self.label or self.status != "all")


_DEFAULTS = {("status", "all"), ("sort", "created"), ("offset", 0)}


@router.get("")
async def links_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    filters = Filters.of(request)
    enabled = {"enabled": True, "disabled": False}.get(filters.status)
    rows, total = await links.list_links(
        session,
        me.tenant,
        label=filters.label or None,
        search=filters.q or None,
        limit=PER_PAGE,
        offset=filters.offset,
        enabled=enabled,
        sort=filters.sort,
        search_codes=True,
        health="broken" if filters.status == "broken" else None,
    )
    base = ctx_of(request).settings.short_base
    return render(
        request,
        "links/list.html.j2",
        me=me,
        section="links",
        guide=await first_run.guide_for(request, session, me),
        links=[links.link_view(link, base) for link in rows],
        labels=await links.labels_in_use(session, me.tenant),
        filters=filters,
        sorts=SORTS,
        statuses=STATUSES,
        paging={"total": total, "limit": PER_PAGE, "offset": filters.offset},
    )


async def _confirm_delete(request: Request, me: Me, ids: list[str], back: str) -> Response:
    return render(
        request,
        "links/confirm_delete.html.j2",
        me=me,
        section="links",
        ids=ids,
        back=back,
    )


@router.post("/bulk")
async def bulk_action(request: Request, me: SignedIn, session: DbSession) -> Response:
    """One action on the selected links: label, unlabel, enable, disable or delete."""
    form = await checked_form(request, me.csrf_token)
    me.require("member", "change links")
    ids = [value for value in form.getlist("ids") if isinstance(value, str)][
        : selection.MAX_SELECTED + 1
    ]
    action = text(form, "action", limit=40)
    back = text(form, "back", limit=2000)
    back = back if back.startswith(PAGE) else PAGE
    rules = links.LinkRules.from_settings(ctx_of(request).settings)
    if not ids:
        return flash(request, redirect(back), "Select at least one link first.", "error")
    try:
        if action == "qr-zip":
            return await _qr_zip(request, me, session, ids)
        if action == "delete":
            return await _confirm_delete(request, me, ids, back)
        if action == "delete-confirmed":
            outcome = await selection.delete(session, me.tenant, rules, ids)
            message = f"Deleted {outcome.changed} link{'s' if outcome.changed != 1 else ''}."
        elif action in ("enable", "disable"):
            outcome = await selection.set_enabled(
                session, me.tenant, rules, ids, action == "enable"
            )
            message = f"{action.capitalize()}d {outcome.changed} of {len(ids)} links."
        elif action in ("add-label", "remove-label"):
            label = text(form, action, limit=100).strip()
            if not label:
                return flash(request, redirect(back), "Type the label first.", "error")
            outcome = await selection.relabel(
                session,
                me.tenant,
                rules,
                ids,
                **({"add": label} if action == "add-label" else {"remove": label}),
            )
            verb = "Added" if action == "add-label" else "Removed"
            message = f"{verb} “{label}” on {outcome.changed} of {len(ids)} links."
            if outcome.skipped:
                message += f" Not changed: {len(outcome.skipped)} ({outcome.skipped[0][1]})."
        else:
            return flash(request, redirect(back), "Choose an action.", "error")
    except ApiError as exc:
        await session.rollback()
        return flash(request, redirect(back), exc.message, "error")
    await session.commit()
    return flash(request, redirect(back), message)


async def _qr_zip(request: Request, me: Me, session: DbSession, ids: list[str]) -> Response:
    """The selected links' QR codes (PNG, 10 px a module) in one ZIP file, named by code."""
    ctx = ctx_of(request)
    renderer = QrRenderer.of(ctx)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for link_id in list(dict.fromkeys(ids))[: selection.MAX_SELECTED]:
            link = await links.get_link(session, me.tenant, link_id)
            content = qr.link_qr_content(link.code, links.link_base(link, ctx.settings.short_base))
            spec = await qr.link_qr_spec(
                session,
                me.tenant,
                content,
                size=10,
                fmt="png",
                foreground=None,
                background=None,
                template_id=None,
            )
            prepared = await renderer.prepare(session, me.workspace_id, spec, qr.link_qr_fields)
            archive.writestr(f"{link.code}.png", await renderer.image(prepared))
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="qr-codes.zip"'},
    )


# --- the editor ---------------------------------------------------------------------------

COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Australia/Sydney",
)
TEST_DEVICES = [("mobile", "Mobile"), ("tablet", "Tablet"), ("desktop", "Desktop")]
OS_LABELS = {
    "ios": "iOS",
    "android": "Android",
    "windows": "Windows",
    "macos": "macOS",
    "linux": "Linux",
    "other": "Other",
}
TEST_SYSTEMS = list(OS_LABELS.items())
PNG_SIZES = [(str(n), f"{n} px per module") for n in (5, 10, 20, 30)]
PLACEHOLDER_LINK_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class VisitorTest:
    country: str = "DE"
    device: str = "mobile"
    time: str = "12:00"
    seed: str = "visitor-1"
    os: str = "ios"
    accept_language: str = "en-US,en;q=0.9"

    @classmethod
    def parse(cls, form: FormData) -> VisitorTest:
        def value(name: str, limit: int) -> str:
            raw = form.get(name)
            return raw.strip()[:limit] if isinstance(raw, str) else ""

        device = value("test_device", 20)
        system = value("test_os", 20)
        return cls(
            country=value("test_country", 2).upper() or "XX",
            device=device if device in dict(TEST_DEVICES) else "mobile",
            time=value("test_time", 5) or "12:00",
            seed=value("test_seed", 200) or "visitor-1",
            os=system if system in OS_LABELS else "other",
            accept_language=value("test_language", 200),
        )


def _rule_errors(errors: dict[str, str], index: int) -> defaultdict[str, str | None]:
    found: defaultdict[str, str | None] = defaultdict(lambda: None)
    prefix = f"rules-{index}-"
    for name, message in errors.items():
        if name.startswith(prefix):
            found[name.removeprefix(prefix)] = message
    return found


def _link_rules(request: Request) -> links.LinkRules:
    return links.LinkRules.from_settings(ctx_of(request).settings)


def _errors_of(exc: ApiError) -> tuple[dict[str, str], str]:
    fields, summary = field_errors(exc)
    mapped: dict[str, str] = {}
    for name, message in fields.items():
        mapped.setdefault(form_field(name), message)
    if not mapped:
        target = {"SLUG_TAKEN": "custom_slug"}.get(exc.code)
        if target:
            mapped[target] = exc.message
            summary = "Nothing was saved. Correct the field marked below."
    return mapped, summary


def visitor_outcome(
    tenant: Any, rules: links.LinkRules, form: LinkForm, test: VisitorTest, link_id: str, zone: str
) -> dict[str, Any]:
    """Which rule the test visitor matches and where they go, as the redirect decides it."""
    try:
        parsed = links.preview_rules(tenant, rules, form.as_api(zone)["routing_rules"])
    except ApiError as exc:
        return {"error": f"The rules have a problem: {exc.message}"}
    try:
        hour, minute = (int(part) for part in test.time.split(":"))
        now = utcnow().replace(hour=hour, minute=minute, second=0, microsecond=0)
    except ValueError:
        return {"error": "Give the time as HH:MM."}
    visitor = Visitor(
        country=test.country or "XX",
        device_type=test.device,
        visitor_id=hashlib.sha256(test.seed.encode()).hexdigest(),
        now=now,
        os=test.os,
        language=preferred_language(test.accept_language),
    )
    rule = matching_rule(parsed, visitor, link_id=link_id)
    if rule is None:
        return {"rule": None, "destination": form.url or "(the link's destination)"}
    return {"rule": rule.index + 1, "destination": rule.destination}


async def _templates(session: ReadSession | DbSession, me: Me) -> list[tuple[str, str]]:
    rows, _ = await qr.list_templates(session, me.tenant, limit=200, offset=0)
    return [(str(t.id), t.name) for t in rows]


async def _editor(
    request: Request,
    me: Me,
    session: ReadSession | DbSession,
    *,
    link: Any = None,
    form: LinkForm,
    errors: dict[str, str] | None = None,
    error: str = "",
    test: VisitorTest | None = None,
    test_result: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    settings = ctx_of(request).settings
    qr_state = QrControls.of(request)
    plan = me.tenant.plan
    return render(
        request,
        "links/edit.html.j2",
        status=status,
        me=me,
        section="links",
        link=link,
        form=form,
        errors=errors or {},
        error=error,
        short_base=settings.short_base,
        max_rules=MAX_RULE_CARDS,
        device_types=DEVICE_TYPES,
        operating_systems=[(key, OS_LABELS[key]) for key in OPERATING_SYSTEMS],
        common_zones=COMMON_ZONES,
        lambda_errors=_rule_errors,
        routing_allowed=plan.routing_rules,
        routing_note=f"The {plan.name} plan does not include routing rules; the Pro plan and "
        "above do.",
        test=test or VisitorTest(),
        test_devices=TEST_DEVICES,
        test_systems=TEST_SYSTEMS,
        test_result=test_result,
        qr=qr_state,
        qr_url=f"{PAGE}/{link.id}/qr?{qr_state.query()}" if link else "",
        templates=await _templates(session, me) if link else [],
        png_sizes=PNG_SIZES,
    )


@router.get("/new")
async def new_link_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    me.require("member", "create links")
    return await _editor(request, me, session, form=LinkForm())


async def _handle_editor_post(
    request: Request, me: Me, session: DbSession, link_id: str | None
) -> Response:
    form_data = await checked_form(request, me.csrf_token)
    me.require("member", "create and edit links")
    form = LinkForm.parse(form_data)
    rules = _link_rules(request)
    link = await links.get_link(session, me.tenant, link_id) if link_id else None
    view = links.link_view(link, rules.short_base) if link else None
    action = text(form_data, "rule_action", limit=20)
    if action == "test":
        test = VisitorTest.parse(form_data)
        outcome = visitor_outcome(
            me.tenant, rules, form, test, link_id or PLACEHOLDER_LINK_ID, me.timezone
        )
        return await _editor(
            request, me, session, link=view, form=form, test=test, test_result=outcome
        )
    if action and form.apply(action):
        return await _editor(request, me, session, link=view, form=form)
    try:
        if link is None:
            body = form.as_api(me.timezone)
            created = await links.create_link(
                session, me.tenant, rules, links.parse_item(body, links.IMPORT_FIELDS)
            )
            if not form.enabled:
                await links.update_link(
                    session,
                    me.tenant,
                    rules,
                    str(created.id),
                    links.parse_update({"enabled": False}),
                )
            saved = created
        else:
            body = {**form.as_api(me.timezone), "enabled": form.enabled}
            if not form.custom_slug:
                body.pop("custom_slug", None)
            saved = await links.update_link(
                session, me.tenant, rules, str(link.id), links.parse_update(body)
            )
    except ApiError as exc:
        await session.rollback()
        errors, summary = _errors_of(exc)
        if exc.status == 404:
            raise
        return await _editor(
            request, me, session, link=view, form=form, errors=errors, error=summary, status=400
        )
    await session.commit()
    message = "Link created." if link is None else "Link saved."
    return flash(request, redirect(f"{PAGE}/{saved.id}"), message)


@router.post("/new")
async def create_link(request: Request, me: SignedIn, session: DbSession) -> Response:
    return await _handle_editor_post(request, me, session, None)


@router.get("/check-code")
async def check_code(
    request: Request, me: SignedIn, session: ReadSession, custom_slug: str = "", link_id: str = ""
) -> Response:
    """Whether a short code is free, as the links service would judge it (htmx, as you type)."""
    state, message = await links.code_availability(
        session, custom_slug.strip()[:100], except_link=link_id or None
    )
    return render(request, "links/_code_status.html.j2", me=me, state=state, message=message)


@router.post("/test-visitor")
async def test_visitor(request: Request, me: SignedIn) -> Response:
    """Where a visitor would go with the rules in the form, saved or not (htmx)."""
    form_data = await checked_form(request, me.csrf_token)
    form = LinkForm.parse(form_data)
    test = VisitorTest.parse(form_data)
    link_id = text(form_data, "link_id", limit=64) or PLACEHOLDER_LINK_ID
    outcome = visitor_outcome(me.tenant, _link_rules(request), form, test, link_id, me.timezone)
    return render(request, "links/_test_result.html.j2", me=me, test_result=outcome)


@router.get("/{link_id}")
async def link_page(request: Request, link_id: str, me: SignedIn, session: ReadSession) -> Response:
    link = await links.get_link(session, me.tenant, link_id)
    view = links.link_view(link, _link_rules(request).short_base)
    return await _editor(
        request, me, session, link=view, form=LinkForm.from_link(view, me.timezone)
    )


@router.post("/{link_id}")
async def update_link(request: Request, link_id: str, me: SignedIn, session: DbSession) -> Response:
    return await _handle_editor_post(request, me, session, link_id)


@router.post("/{link_id}/delete")
async def delete_link(request: Request, link_id: str, me: SignedIn, session: DbSession) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("member", "delete links")
    link = await links.get_link(session, me.tenant, link_id)
    await links.delete_link(session, me.tenant, _link_rules(request), str(link.id))
    await session.commit()
    return flash(request, redirect(PAGE), f"Link {link.code} deleted.")


# --- the link's QR code -------------------------------------------------------------------

_HEX = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class QrControls:
    """The QR panel's design controls, as the query of its image URL carries them."""

    foreground: str = "#000000"
    background: str = "#ffffff"
    template_id: str = ""
    size: int = 10
    format: str = "svg"

    @classmethod
    def of(cls, request: Request) -> QrControls:
        params = request.query_params
        size = params.get("size", "10")
        return cls(
            foreground=params.get("foreground", "")
            if _HEX.fullmatch(params.get("foreground", ""))
            else "#000000",
            background=params.get("background", "")
            if _HEX.fullmatch(params.get("background", ""))
            else "#ffffff",
            template_id=params.get("template_id", "")[:64],
            size=min(max(int(size), 1), 50) if size.isdigit() else 10,
            format="png" if params.get("format") == "png" else "svg",
        )

    def query(self) -> str:
        values = {"foreground": self.foreground, "background": self.background, "format": "svg"}
        if self.template_id:
            values["template_id"] = self.template_id
        return urlencode(values)


@router.get("/{link_id}/qr")
async def link_qr(request: Request, link_id: str, me: SignedIn, session: ReadSession) -> Response:
    """The link's QR code, drawn by the same renderer as `GET /api/v1/links/{id}/qr`. A chosen
    template's design is used as it is; without one the colours apply."""
    controls = QrControls.of(request)
    ctx = ctx_of(request)
    link = await links.get_link(session, me.tenant, link_id)
    content = qr.link_qr_content(link.code, links.link_base(link, ctx.settings.short_base))
    templated = bool(controls.template_id)
    spec = await qr.link_qr_spec(
        session,
        me.tenant,
        content,
        size=controls.size,
        fmt=controls.format,
        foreground=None if templated else controls.foreground,
        background=None if templated else controls.background,
        template_id=controls.template_id or None,
    )
    renderer = QrRenderer.of(ctx)
    prepared = await renderer.prepare(session, me.workspace_id, spec, qr.link_qr_fields)
    await session.close()
    image = await image_response(request.headers.get("if-none-match"), renderer, prepared)
    if request.query_params.get("download"):
        disposition = f'attachment; filename="{link.code}.{controls.format}"'
        image.raw_headers.append((b"content-disposition", disposition.encode()))
    return image
