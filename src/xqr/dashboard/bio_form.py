"""The bio page editor's form: what the browser sent, as the API's page body, and back.

Like the link editor, the form is the source of truth while a person edits: link cards may be
added, moved or removed before anything is saved, and the live preview renders the form as it
is. Errors from the bio service name API fields (`links[2].url`, `colors.text`); `form_field`
maps them to the form's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from xqr.bio.render import PageContent, PageLink
from xqr.bio.themes import CUSTOM_COLOURS, DEFAULT_THEME, THEMES, is_hex_colour

MAX_LINK_CARDS = 50
_LINK_FIELD = re.compile(r"links-(\d{1,2})-(id|title|url|icon)")
_API_LINK = re.compile(r"links\[(\d+)\]\.(title|url|icon|id)")
# A stable placeholder id for links not saved yet, so the preview can draw their buttons.
_UNSAVED = "00000000-0000-0000-0000-{:012d}"


@dataclass
class LinkCard:
    id: str = ""
    title: str = ""
    url: str = ""
    icon: str = ""


@dataclass
class BioForm:
    title: str = ""
    slug: str = ""
    bio: str = ""
    avatar_url: str = ""
    theme: str = DEFAULT_THEME
    custom_colors: bool = False
    colors: dict[str, str] = field(default_factory=dict)
    links: list[LinkCard] = field(default_factory=list)

    @classmethod
    def from_page(cls, page: Any) -> BioForm:
        """The form of a saved page (the API's page object)."""
        colors = dict(page.colors or {})
        return cls(
            title=page.title,
            slug=page.slug,
            bio=page.bio or "",
            avatar_url=page.avatar_url or "",
            theme=page.theme,
            custom_colors=bool(colors),
            colors=colors,
            links=[
                LinkCard(id=str(link.id), title=link.title, url=link.url, icon=link.icon or "")
                for link in page.links
            ],
        )

    @classmethod
    def parse(cls, form: FormData) -> BioForm:
        def value(name: str, limit: int = 2048) -> str:
            raw = form.get(name)
            return raw[:limit] if isinstance(raw, str) else ""

        cards: dict[int, LinkCard] = {}
        for key in form:
            found = _LINK_FIELD.fullmatch(key)
            if found is None or int(found[1]) >= MAX_LINK_CARDS * 2:
                continue
            setattr(cards.setdefault(int(found[1]), LinkCard()), found[2], value(key, 2048))
        picked = value("avatar_pick")
        theme = value("theme", 32)
        return cls(
            title=value("title", 200),
            slug=value("slug", 100).strip(),
            bio=value("bio", 1000),
            avatar_url=(picked or value("avatar_url")).strip(),
            theme=theme if theme in THEMES else DEFAULT_THEME,
            custom_colors=form.get("custom_colors") == "on",
            colors={name: value(f"color_{name}", 20).strip() for name in CUSTOM_COLOURS},
            links=[cards[i] for i in sorted(cards)],
        )

    def colour(self, name: str) -> str:
        """The colour input's value: the custom colour, else the theme's own."""
        chosen = self.colors.get(name, "")
        return chosen if is_hex_colour(chosen) else str(getattr(THEMES[self.theme], name))

    def apply(self, action: str) -> bool:
        """Add, remove or move a link card (`add`, `remove:2`, `up:1`, `down:0`); whether the
        action was one of these (the page is then shown again, nothing saved)."""
        verb, _, raw = action.partition(":")
        index = int(raw) if raw.isdigit() else -1
        cards = self.links
        if verb == "add" and len(cards) < MAX_LINK_CARDS:
            cards.append(LinkCard())
        elif verb == "remove" and 0 <= index < len(cards):
            del cards[index]
        elif verb == "up" and 0 < index < len(cards):
            cards[index - 1], cards[index] = cards[index], cards[index - 1]
        elif verb == "down" and 0 <= index < len(cards) - 1:
            cards[index + 1], cards[index] = cards[index], cards[index + 1]
        else:
            return verb in ("add", "remove", "up", "down")
        return True

    def as_api(self) -> dict[str, Any]:
        """The page as the API's update body."""
        return {
            "title": self.title,
            "slug": self.slug,
            "bio": self.bio or None,
            "avatar_url": self.avatar_url or None,
            "theme": self.theme,
            "colors": {k: v for k, v in self.colors.items() if v} if self.custom_colors else None,
            "links": [
                {
                    "id": card.id or None,
                    "title": card.title,
                    "url": card.url.strip(),
                    "icon": card.icon or None,
                }
                for card in self.links
            ],
        }

    def preview(self, fallback_slug: str) -> PageContent:
        """What the public page would show with the form as it is (saved or not)."""
        return PageContent(
            title=self.title.strip() or "Untitled page",
            slug=self.slug or fallback_slug,
            bio=self.bio.replace("\r\n", "\n").strip() or None,
            avatar_url=self.avatar_url or None,
            theme=self.theme,
            colors=self.colors if self.custom_colors else None,
            links=[
                PageLink(
                    id=card.id or _UNSAVED.format(index),
                    title=card.title.strip() or "Untitled link",
                    icon=card.icon or None,
                )
                for index, card in enumerate(self.links)
            ],
        )


def form_field(api_field: str) -> str:
    """The form field an API error's field path belongs to."""
    found = _API_LINK.fullmatch(api_field)
    if found is not None:
        return f"links-{found[1]}-{found[2]}"
    if api_field.startswith("colors."):
        return "color_" + api_field.removeprefix("colors.")
    return api_field.split("[", 1)[0].split(".", 1)[0]
