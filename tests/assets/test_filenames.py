"""Filename sanitising: what users see, and the object-key segment derived from it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xqr.assets.filenames import MAX_FILENAME_CHARS, object_name, sanitize_filename
from xqr.assets.filetypes import ALLOWED_CONTENT_TYPES, ASSET_TYPES
from xqr.assets.storage.base import PUBLIC_KEY


@pytest.mark.parametrize(
    ("raw", "content_type", "shown", "stored"),
    [
        ("logo.png", "image/png", "logo.png", "logo.png"),
        ("../../etc/passwd.png", "image/png", "passwd.png", "passwd.png"),
        ("/etc/passwd.png", "image/png", "passwd.png", "passwd.png"),
        ("..\\..\\Windows\\evil.png", "image/png", "evil.png", "evil.png"),
        ("nul\x00byte.png", "image/png", "nulbyte.png", "nulbyte.png"),
        ("photo.JPEG", "image/jpeg", "photo.jpeg", "photo.jpeg"),
        ("photo", "image/jpeg", "photo.jpg", "photo.jpg"),
        ("invoice.exe", "application/pdf", "invoice.pdf", "invoice.pdf"),
        ("archive.tar.gz", "image/png", "archive.tar.png", "archive-tar.png"),
        ("Café menu.pdf", "application/pdf", "Café menu.pdf", "Cafe-menu.pdf"),
        ("日本.svg", "image/svg+xml", "日本.svg", "file.svg"),
        ("..", "image/gif", "file.gif", "file.gif"),
        ("...png", "image/png", "png.png", "png.png"),
        ('a<b>c:"d"|e?.webp', "image/webp", "a_b_c__d__e_.webp", "a_b_c__d__e.webp"),
    ],
)
def test_examples(raw: str, content_type: str, shown: str, stored: str) -> None:
    assert sanitize_filename(raw, content_type) == shown
    assert object_name(shown) == stored


@given(st.text(max_size=400), st.sampled_from(ALLOWED_CONTENT_TYPES))
def test_any_name_becomes_safe(raw: str, content_type: str) -> None:
    shown = sanitize_filename(raw, content_type)
    assert 0 < len(shown) <= MAX_FILENAME_CHARS
    assert "/" not in shown and "\\" not in shown and "\x00" not in shown
    assert not shown.startswith(".")
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in shown)
    assert shown.rsplit(".", 1)[1] in ASSET_TYPES[content_type].extensions
    stored = object_name(shown)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}\.[a-z]+", stored)
    assert PUBLIC_KEY.match(f"01234567-89ab-7def-8123-456789abcdef/{stored}")
