"""The named theme presets of bio pages (pure data) and the WCAG contrast check they pass."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

DEFAULT_THEME = "classic"


@dataclass(frozen=True)
class Theme:
    name: str
    label: str
    description: str
    background: str
    text: str
    muted: str  # the bio text and the footer: still at least 4.5:1 on the background
    button_background: str
    button_text: str
    button_border: str
    button_hover: str
    focus: str
    radius: str
    font: str
    dark: bool = False

    def public(self) -> dict[str, Any]:
        """The theme as `GET /v1/bio/themes` lists it."""
        data = asdict(self)
        colours = {
            key: data.pop(key)
            for key in (
                "background",
                "text",
                "muted",
                "button_background",
                "button_text",
                "button_border",
            )
        }
        return {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "dark": self.dark,
            "colors": colours,
        }


SANS = 'system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif'
SERIF = 'Georgia,"Iowan Old Style","Times New Roman",serif'
MONO = 'ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace'

THEMES: dict[str, Theme] = {
    theme.name: theme
    for theme in (
        Theme(
            name="classic",
            label="Classic",
            description="Light grey page, white cards, dark text.",
            background="#f4f5f7",
            text="#15171a",
            muted="#4a5160",
            button_background="#ffffff",
            button_text="#15171a",
            button_border="#c9ced6",
            button_hover="#eceef2",
            focus="#1d4ed8",
            radius="12px",
            font=SANS,
        ),
        Theme(
            name="midnight",
            label="Midnight",
            description="Dark navy page with soft light text.",
            background="#0f1420",
            text="#f2f4f8",
            muted="#b8c0cf",
            button_background="#1c2536",
            button_text="#f2f4f8",
            button_border="#3a4760",
            button_hover="#26314a",
            focus="#93c5fd",
            radius="12px",
            font=SANS,
            dark=True,
        ),
        Theme(
            name="ocean",
            label="Ocean",
            description="Pale blue page, deep teal pill buttons.",
            background="#e4f1f7",
            text="#0b3142",
            muted="#2b5263",
            button_background="#0d5c75",
            button_text="#ffffff",
            button_border="#0d5c75",
            button_hover="#0a4a5e",
            focus="#b45309",
            radius="999px",
            font=SANS,
        ),
        Theme(
            name="forest",
            label="Forest",
            description="Sage page with deep green buttons.",
            background="#edf3e9",
            text="#1b3020",
            muted="#3d5842",
            button_background="#2f5d3a",
            button_text="#ffffff",
            button_border="#2f5d3a",
            button_hover="#244a2e",
            focus="#9a3412",
            radius="8px",
            font=SANS,
        ),
        Theme(
            name="sunset",
            label="Sunset",
            description="Warm peach page with burnt-orange pills.",
            background="#fff1e6",
            text="#4a1d0f",
            muted="#7a3a20",
            button_background="#b93c0b",
            button_text="#ffffff",
            button_border="#b93c0b",
            button_hover="#9a320a",
            focus="#1e3a8a",
            radius="999px",
            font=SANS,
        ),
        Theme(
            name="lavender",
            label="Lavender",
            description="Soft violet page, white cards with purple text.",
            background="#f3effb",
            text="#2e1f4d",
            muted="#58487a",
            button_background="#ffffff",
            button_text="#4b2a84",
            button_border="#c8b8ee",
            button_hover="#ebe3fa",
            focus="#4b2a84",
            radius="16px",
            font=SANS,
        ),
        Theme(
            name="mono",
            label="Mono",
            description="Black and white, square buttons, monospace type.",
            background="#ffffff",
            text="#000000",
            muted="#333333",
            button_background="#000000",
            button_text="#ffffff",
            button_border="#000000",
            button_hover="#2b2b2b",
            focus="#0047ff",
            radius="0",
            font=MONO,
        ),
        Theme(
            name="paper",
            label="Paper",
            description="Cream page, outlined buttons, serif type.",
            background="#f6f0e4",
            text="#3a2e1f",
            muted="#5c4a33",
            button_background="#f6f0e4",
            button_text="#3a2e1f",
            button_border="#3a2e1f",
            button_hover="#ebe2cf",
            focus="#1d4ed8",
            radius="6px",
            font=SERIF,
        ),
    )
}


def theme_names() -> list[str]:
    return list(THEMES)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG relative luminance of a `#rrggbb` colour."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two `#rrggbb` colours (1–21)."""
    a, b = sorted((luminance(first), luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


# --- custom colours and the contrast guard ---------------------------------------------------

AA_TEXT = 4.5  # WCAG 2.x AA, normal-size text
CUSTOM_COLOURS = ("background", "text", "button_background", "button_text")
_HEX = frozenset("0123456789abcdef")

# (foreground, background, what a reader sees): every pair a page draws text with.
CONTRAST_PAIRS = (
    ("text", "background", "text on the page background"),
    ("muted", "background", "bio text on the page background"),
    ("button_text", "button_background", "button text on the button background"),
    ("button_text", "button_hover", "button text on the hovered button"),
)


def is_hex_colour(value: str) -> bool:
    return len(value) == 7 and value[0] == "#" and set(value[1:].lower()) <= _HEX


def with_colours(theme: Theme, colours: dict[str, str] | None) -> Theme:
    """The theme with a page's custom colours laid over it. A custom page background also
    becomes the bio text colour's background, and a custom button background its hover."""
    if not colours:
        return theme
    chosen = {k: v.lower() for k, v in colours.items() if k in CUSTOM_COLOURS and is_hex_colour(v)}
    if "text" in chosen:
        chosen["muted"] = chosen["text"]
    if "button_background" in chosen:
        chosen["button_hover"] = chosen["button_background"]
        if theme.button_border == theme.button_background:
            chosen["button_border"] = chosen["button_background"]
    return replace(theme, **chosen)  # type: ignore[arg-type]  # only str fields are named


def contrast_problems(theme: Theme) -> list[tuple[str, str]]:
    """`(colour field, message)` for each text/background pair under WCAG AA 4.5:1."""
    problems: list[tuple[str, str]] = []
    for foreground, background, what in CONTRAST_PAIRS:
        fg, bg = getattr(theme, foreground), getattr(theme, background)
        ratio = contrast_ratio(fg, bg)
        field = "text" if foreground == "muted" else foreground
        if ratio < AA_TEXT and all(field != seen for seen, _ in problems):
            problems.append(
                (
                    field,
                    f"{what} ({fg} on {bg}) has a contrast ratio of {ratio:.2f}:1; "
                    f"WCAG AA needs at least {AA_TEXT}:1",
                )
            )
    return problems
