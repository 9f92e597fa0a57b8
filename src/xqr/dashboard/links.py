"""Links: the list (search, filters, sort, pages) and actions on the selected links."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from xqr.context import DbSession, ReadSession
from xqr.core.errors import ApiError
from xqr.dashboard.session import Me, SignedIn
from xqr.dashboard.web import PREFIX, checked_form, ctx_of, flash, redirect, render, text
from xqr.links import selection
from xqr.links import service as links

router = APIRouter(prefix="/links")
PAGE = f"{PREFIX}/links"
PER_PAGE = 50
MAX_OFFSET = 10_000_000
SORTS = {"created": "Newest", "scans": "Most scans", "last_scan": "Last scanned"}
STATUSES = {"all": "Enabled and disabled", "enabled": "Enabled only", "disabled": "Disabled only"}


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
    )
    base = ctx_of(request).settings.short_base
    return render(
        request,
        "links/list.html.j2",
        me=me,
        section="links",
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
PNG_SIZES = [(str(n), f"{n} px per module") for n in (5, 10, 20, 30)]
PLACEHOLDER_LINK_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class VisitorTest:
    country: str = "DE"
    device: str = "mobile"
    time: str = "12:00"
    seed: str = "visitor-1"

    @classmethod
    def parse(cls, form: FormData) -> VisitorTest:
        def value(name: str, limit: int) -> str:
            raw = form.get(name)
            return raw.strip()[:limit] if isinstance(raw, str) else ""

        device = value("test_device", 20)
        return cls(
            country=value("test_country", 2).upper() or "XX",
            device=device if device in dict(TEST_DEVICES) else "mobile",
            time=value("test_time", 5) or "12:00",
            seed=value("test_seed", 200) or "visitor-1",
        )


def _rule_errors(errors: dict[str, str], index: int) -> defaultdict[str, str | None]:
    found: defaultdict[str, str | None] = defaultdict(lambda: None)
    prefix = f"rules-{index}-"
    for name, message in errors.items():
        if name.startswith(prefix):
            found[name.removeprefix(prefix)] = message
    return found
