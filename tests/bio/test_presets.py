"""Pure parts: slugs made from titles, theme contrast, icon markup."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from xqr.bio.icons import ICONS, symbol
from xqr.bio.render import theme_css
from xqr.bio.slugs import check_page_slug, next_free, slugify
from xqr.bio.themes import THEMES, contrast_ratio


@given(st.text(max_size=200))
def test_a_slug_made_from_any_title_is_a_valid_slug(title: str) -> None:
    slug = slugify(title)
    assert check_page_slug(slug) == slug
    assert slug == slug.lower()
    assert len(slug) <= 58  # room for "-99999" within the 64-character limit


def test_next_free_takes_the_first_gap() -> None:
    assert next_free("ada", []) == "ada"
    assert next_free("ada", ["ada"]) == "ada-2"
    assert next_free("ada", ["ada", "ada-2", "ada-4"]) == "ada-3"
    assert next_free("ada", ["ada-2"]) == "ada"


def test_contrast_ratio_matches_the_wcag_reference_values() -> None:
    assert round(contrast_ratio("#000000", "#ffffff"), 2) == 21.0
    assert round(contrast_ratio("#777777", "#ffffff"), 2) == 4.48
    assert contrast_ratio("#123456", "#123456") == 1.0


def test_every_theme_keeps_text_readable() -> None:
    assert len(THEMES) >= 6
    for theme in THEMES.values():
        # WCAG AA: 4.5:1 for text, 3:1 for the focus ring against the page
        assert contrast_ratio(theme.text, theme.background) >= 4.5, theme.name
        assert contrast_ratio(theme.muted, theme.background) >= 4.5, theme.name
        assert contrast_ratio(theme.button_text, theme.button_background) >= 4.5, theme.name
        assert contrast_ratio(theme.button_text, theme.button_hover) >= 4.5, theme.name
        assert contrast_ratio(theme.focus, theme.background) >= 3, theme.name
        assert "<" not in theme_css(theme.name) and "&#" not in theme_css(theme.name)


def test_every_icon_is_well_formed_svg_without_scripts_or_references() -> None:
    assert len(ICONS) >= 20
    for name, icon in ICONS.items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", name)
        markup = symbol(name).replace("<symbol ", '<symbol xmlns="http://www.w3.org/2000/svg" ')
        root = ET.fromstring(markup)
        assert root.get("id") == f"i-{name}"
        tags = {element.tag.split("}")[1] for element in root.iter()}
        assert tags <= {"symbol", "path", "circle", "rect"}, name
        assert "href" not in icon.markup and "script" not in icon.markup.lower()
        assert "on" not in {attr[:2] for element in root.iter() for attr in element.attrib}
