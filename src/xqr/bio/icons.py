"""Icons a bio link may carry: small line drawings of our own (24×24, stroked in currentColor).

They only hint at each service — simple original shapes, not the services' logos — and are
inlined once per page as `<symbol>`s, so a page never loads an image or a font for them.
"""

from __future__ import annotations

from dataclasses import dataclass

_FILLED = ' fill="currentColor" stroke="none"'


@dataclass(frozen=True)
class Icon:
    name: str
    label: str
    markup: str  # the inside of the <symbol>: constant, trusted SVG


ICONS: dict[str, Icon] = {
    icon.name: icon
    for icon in (
        Icon(
            "website",
            "Website",
            '<circle cx="12" cy="12" r="9"/><path d="M3 12h18"/>'
            '<path d="M12 3c2.8 2.6 4 5.6 4 9s-1.2 6.4-4 9c-2.8-2.6-4-5.6-4-9s1.2-6.4 4-9z"/>',
        ),
        Icon(
            "link",
            "Link",
            '<path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1"/>'
            '<path d="M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"/>',
        ),
        Icon(
            "email",
            "Email",
            '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="M3.5 6.5 12 13l8.5-6.5"/>',
        ),
        Icon(
            "phone",
            "Phone",
            '<rect x="7" y="2.5" width="10" height="19" rx="2.5"/><path d="M11 18h2"/>',
        ),
        Icon(
            "shop",
            "Shop",
            '<path d="M5 8h14l-1.2 12H6.2z"/><path d="M9 10V7a3 3 0 0 1 6 0v3"/>',
        ),
        Icon(
            "instagram",
            "Instagram",
            '<rect x="3" y="3" width="18" height="18" rx="5"/><circle cx="12" cy="12" r="4"/>'
            f'<circle cx="17.3" cy="6.7" r="1.1"{_FILLED}/>',
        ),
        Icon("x", "X", '<path d="M5 4l14 16"/><path d="M19 4 5 20"/>'),
        Icon(
            "tiktok",
            "TikTok",
            '<path d="M14 3v11.5a3.8 3.8 0 1 1-3.8-3.8"/><path d="M14 3c.4 2.8 2.4 4.6 5 4.8"/>',
        ),
        Icon(
            "youtube",
            "YouTube",
            '<rect x="2.5" y="5.5" width="19" height="13" rx="4"/>'
            f'<path d="M10 9.2v5.6l4.8-2.8z"{_FILLED}/>',
        ),
        Icon(
            "facebook",
            "Facebook",
            '<circle cx="12" cy="12" r="9"/>'
            '<path d="M15 8h-1.5A2.5 2.5 0 0 0 11 10.5V21"/><path d="M8.5 13h5.5"/>',
        ),
        Icon(
            "linkedin",
            "LinkedIn",
            '<rect x="3" y="3" width="18" height="18" rx="3"/><path d="M8 11v6"/>'
            f'<circle cx="8" cy="7.8" r="1.1"{_FILLED}/>'
            '<path d="M12 17v-6"/><path d="M12 13.5a2.5 2.5 0 0 1 5 0V17"/>',
        ),
        Icon(
            "github",
            "GitHub",
            '<path d="M5 11V4.5l4 2.5h6l4-2.5V11a7 7 0 0 1-14 0z"/>'
            '<path d="M9.5 11.5v1"/><path d="M14.5 11.5v1"/><path d="M10.5 15.5h3"/>',
        ),
        Icon(
            "spotify",
            "Spotify",
            '<circle cx="12" cy="12" r="9"/><path d="M7.5 9.6c3.1-.9 6.2-.6 9 .9"/>'
            '<path d="M8 12.6c2.5-.6 4.9-.4 7.2.8"/><path d="M8.6 15.4c1.9-.4 3.7-.2 5.3.6"/>',
        ),
        Icon(
            "apple-music",
            "Apple Music",
            '<path d="M9 17.5V6l10-2v11.5"/><circle cx="7" cy="17.5" r="2"/>'
            '<circle cx="17" cy="15.5" r="2"/><path d="M9 9.5l10-2"/>',
        ),
        Icon(
            "whatsapp",
            "WhatsApp",
            '<path d="M4 20l1.3-4.1A8 8 0 1 1 8.2 18.8z"/>'
            '<path d="M9 9.5c.3 2.3 2.2 4.3 4.6 4.8l1-1.3"/>',
        ),
        Icon(
            "telegram",
            "Telegram",
            '<path d="M21 4 3 11l6 2.2L11 20l3-4.2 4.5 3.2z"/><path d="M9 13.2 21 4"/>',
        ),
        Icon(
            "discord",
            "Discord",
            '<path d="M7 6.5c3.2-1 6.8-1 10 0l2 9.5c-1.8 1.8-3.7 2.5-5 2.5l-1-2h-2l-1 2'
            'c-1.3 0-3.2-.7-5-2.5z"/>'
            f'<circle cx="9.5" cy="12.5" r="1.2"{_FILLED}/>'
            f'<circle cx="14.5" cy="12.5" r="1.2"{_FILLED}/>',
        ),
        Icon(
            "twitch",
            "Twitch",
            '<path d="M5 3h15v11l-4 4h-4l-3 3v-3H5z"/><path d="M11 7.5v4"/><path d="M15 7.5v4"/>',
        ),
        Icon(
            "pinterest",
            "Pinterest",
            '<circle cx="12" cy="12" r="9"/><path d="M12.5 9 10 21"/>'
            '<path d="M11.5 13.5c2.5.6 4.5-1 4.5-3.3a4 4 0 0 0-8-.2c0 .9.3 1.6.8 2.1"/>',
        ),
        Icon(
            "snapchat",
            "Snapchat",
            '<path d="M12 3a5 5 0 0 1 5 5v3l2 .8-2 1.2c.6 1.6 1.8 2.6 3 3-1.4.6-2.8.4-3.4 1.5'
            "-.9 1-2.5.4-4.6 1.5-2.1-1.1-3.7-.5-4.6-1.5C6.8 17.4 5.4 17.6 4 17c1.2-.4 2.4-1.4 3-3"
            'L5 11.8l2-.8V8a5 5 0 0 1 5-5z"/>',
        ),
        Icon(
            "threads",
            "Threads",
            '<path d="M15.5 12a3.5 3.5 0 1 0-1.1 2.6"/>'
            '<path d="M15.5 9v3.5a2.2 2.2 0 0 0 4.4 0V12a8 8 0 1 0-3.1 6.3"/>',
        ),
        Icon(
            "mastodon",
            "Mastodon",
            '<path d="M19 13V8a4 4 0 0 0-4-4H9a4 4 0 0 0-4 4v6c0 3.5 2.6 6 6.5 6 1.5 0 2.6-.2'
            ' 3.5-.6v-2c-1 .3-2 .4-3.2.4-1.8 0-2.8-.9-2.8-2.3 2.3.5 4.6.6 6.8.3A3 3 0 0 0 19 13z"/>'
            '<path d="M9 12V9.5a1.5 1.5 0 0 1 3 0V11"/><path d="M12 11V9.5a1.5 1.5 0 0 1 3 0V12"/>',
        ),
        Icon(
            "bluesky",
            "Bluesky",
            '<path d="M12 11C10.2 7.4 7.3 5 4.6 5c-1 0-1.1 1.8-.4 4.6C4.8 11.8 6.4 12.7 8.7 12.6'
            "c-2.1.6-3 1.8-2.5 3 .8 1.8 3 1.9 4.5 0L12 13.5l1.3 2.1c1.5 1.9 3.7 1.8 4.5 0"
            ".5-1.2-.4-2.4-2.5-3 2.3.1 3.9-.8 4.5-3C20.5 6.8 20.4 5 19.4 5 16.7 5 13.8 7.4 12 11z"
            '"/>',
        ),
    )
}


def icon_names() -> list[str]:
    return list(ICONS)


SYMBOL_ATTRS = (
    'viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" '
    'stroke-linecap="round" stroke-linejoin="round"'
)


def symbol(name: str) -> str:
    """The `<symbol>` of one icon, referenced as `#i-{name}`."""
    return f'<symbol id="i-{name}" {SYMBOL_ATTRS}>{ICONS[name].markup}</symbol>'
