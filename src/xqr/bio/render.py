"""Server-rendered public pages: Jinja2 with autoescape on, inline CSS per theme, no script."""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader

from xqr.bio.icons import ICONS, symbol
from xqr.bio.themes import DEFAULT_THEME, THEMES, Theme, with_colours

DESCRIPTION_MAX = 200

_env = Environment(
    loader=PackageLoader("xqr.bio", "templates"),
    autoescape=True,  # every template, whatever its extension: user text is always escaped
    trim_blocks=True,
    lstrip_blocks=True,
)
_SPACE = re.compile(r"\s*\n\s*")


@dataclass(frozen=True)
class PageLink:
    id: str
    title: str
    icon: str | None


@dataclass(frozen=True)
class PageContent:
    """What a public page shows: the stored fields, nothing derived from the request."""

    title: str
    slug: str
    bio: str | None
    avatar_url: str | None
    theme: str
    links: list[PageLink] = field(default_factory=list)
    colors: dict[str, str] | None = None

    @classmethod
    def from_row(cls, row: Any) -> PageContent:
        return cls(
            title=row.title,
            slug=row.slug,
            bio=row.bio,
            avatar_url=row.avatar_url,
            theme=row.theme,
            colors=row.colors,
            links=[
                PageLink(id=str(link["id"]), title=str(link["title"]), icon=link.get("icon"))
                for link in row.links or []
            ],
        )


@functools.lru_cache(maxsize=256)
def palette_css(theme: Theme) -> str:
    """The inline stylesheet of a theme (custom colours included), whitespace squeezed."""
    css = _env.get_template("page.css.j2").render(theme=theme)
    return _SPACE.sub("", css)


def theme_css(name: str) -> str:
    """The inline stylesheet of a named theme."""
    return palette_css(THEMES[name])


def _description(content: PageContent) -> str:
    text = " ".join((content.bio or "").split())
    if not text:
        return f"Links from {content.title}"
    return text if len(text) <= DESCRIPTION_MAX else text[: DESCRIPTION_MAX - 1] + "…"


def render_page(content: PageContent, *, canonical_url: str) -> bytes:
    """The page's HTML. Link buttons point at `{slug}/l/{id}`, relative to the page's folder, so
    the same bytes work at `/bio/{slug}` and at `/{slug}` on a host of its own."""
    # with_colours keeps only `#rrggbb` values, so nothing but a colour reaches the CSS.
    theme: Theme = with_colours(THEMES.get(content.theme) or THEMES[DEFAULT_THEME], content.colors)
    icons = sorted({link.icon for link in content.links if link.icon in ICONS}, key=str)
    html = _env.get_template("page.html.j2").render(
        page=content,
        theme=theme,
        css=palette_css(theme),
        description=_description(content),
        canonical_url=canonical_url,
        symbols="".join(symbol(name) for name in icons),
    )
    return html.encode()


@functools.cache
def render_not_found() -> bytes:
    return _env.get_template("not_found.html.j2").render(css=theme_css(DEFAULT_THEME)).encode()


def link_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
