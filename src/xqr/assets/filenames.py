"""Turning the filename a client sends into one that is safe to show and to store under."""

from __future__ import annotations

import re
import unicodedata

from xqr.assets.filetypes import ASSET_TYPES

MAX_FILENAME_CHARS = 120
MAX_OBJECT_STEM_CHARS = 64
DEFAULT_STEM = "file"

_UNSAFE_IN_NAME = re.compile(r'[<>:"|?*]')
_NOT_KEY_SAFE = re.compile(r"[^A-Za-z0-9_-]+")
_EXTENSION = re.compile(r"^[A-Za-z0-9]{1,10}$")


def _split_extension(name: str) -> tuple[str, str | None]:
    stem, dot, ext = name.rpartition(".")
    if dot and stem and _EXTENSION.match(ext):
        return stem, ext.lower()
    return name, None


def sanitize_filename(raw: str, content_type: str) -> str:
    """The display name: no directories, control characters or leading dots, at most
    `MAX_FILENAME_CHARS` characters, ending with an extension of `content_type`."""
    asset_type = ASSET_TYPES[content_type]
    # Both separators, whatever the client's OS: "..\\..\\x.png" and "/etc/x.png" lose their paths.
    name = re.split(r"[/\\]", raw)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE_IN_NAME.sub("_", name)
    name = " ".join(name.split()).lstrip(". ").rstrip(". ")
    stem, ext = _split_extension(name)
    if ext not in asset_type.extensions:
        ext = asset_type.extension
    stem = stem.rstrip(". ") or DEFAULT_STEM
    stem = stem[: MAX_FILENAME_CHARS - len(ext) - 1].rstrip(". ") or DEFAULT_STEM
    return f"{stem}.{ext}"


def object_name(filename: str) -> str:
    """The ASCII last segment of an object key, from a name `sanitize_filename` made."""
    stem, ext = _split_extension(filename)
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_KEY_SAFE.sub("-", ascii_stem).strip("-_")[:MAX_OBJECT_STEM_CHARS].strip("-_")
    return f"{slug or DEFAULT_STEM}.{ext or 'bin'}"
