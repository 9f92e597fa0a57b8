"""The contrast guard: every built-in theme passes it; custom colours under WCAG AA 4.5:1
are refused by the API with the ratio in the message, and good ones reach the public page."""

from __future__ import annotations

import httpx
import pytest

from tests.bio.biokit import create_page, patch, publish
from tests.conftest import Account, assert_error
from xqr.bio.themes import THEMES, contrast_problems, with_colours

PAGES = "/api/v1/bio/pages"


@pytest.mark.parametrize("name", list(THEMES))
def test_every_built_in_theme_passes_the_contrast_guard(name: str) -> None:
    assert contrast_problems(THEMES[name]) == []


def test_a_pale_grey_on_white_fails_with_its_ratio() -> None:
    palette = with_colours(THEMES["mono"], {"text": "#999999"})
    [(field, message)] = contrast_problems(palette)
    assert field == "text"
    assert "2.85:1" in message and "4.5:1" in message


def test_colours_that_are_not_hex_never_reach_the_palette() -> None:
    palette = with_colours(THEMES["classic"], {"text": "red;}body{display:none", "x": "#000000"})
    assert palette == THEMES["classic"]


async def test_a_custom_button_colour_under_aa_is_refused_with_the_ratio(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.post(
        PAGES,
        json={
            "title": "Ada",
            "theme": "mono",
            "colors": {"button_background": "#ffcc00", "button_text": "#ffffff"},
        },
        headers=account.headers,
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "1.51:1" in error["message"]
    assert "4.5:1" in error["message"]
    assert error["details"][0]["field"] == "colors.button_text"
    listed = await client.get(PAGES, headers=account.headers)
    assert listed.json()["data"] == []


async def test_a_theme_change_is_checked_against_the_colours_already_chosen(
    client: httpx.AsyncClient, account: Account
) -> None:
    page = await create_page(
        client, account, title="Ada", colors={"text": "#ffffff"}, theme="midnight"
    )
    assert page["colors"] == {"text": "#ffffff"}
    response = await client.patch(
        f"{PAGES}/{page['id']}", json={"theme": "mono"}, headers=account.headers
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert (
        "text on the page background (#ffffff on #ffffff) has a contrast ratio of 1.00:1"
        in (error["message"])
    )


async def test_a_badly_written_colour_names_its_field(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.post(
        PAGES, json={"title": "Ada", "colors": {"background": "blue"}}, headers=account.headers
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"] == [
        {"field": "colors.background", "message": "must be a colour written as #rrggbb"}
    ]


async def test_readable_custom_colours_are_drawn_on_the_public_page(
    client: httpx.AsyncClient, account: Account
) -> None:
    page = await create_page(
        client,
        account,
        title="Ada",
        slug="ada-colours",
        colors={
            "background": "#102030",
            "text": "#FAFAFA",
            "button_background": "#ffffff",
            "button_text": "#102030",
        },
    )
    assert page["colors"]["text"] == "#fafafa"
    await publish(client, account, page["id"])
    html = (await client.get("/bio/ada-colours")).text
    assert "background:#102030" in html and "color:#fafafa" in html
    cleared = await patch(client, account, page["id"], colors=None)
    assert cleared.json()["data"]["colors"] is None
