"""The allowed asset types and the check that an object's bytes are what it claims to be."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from xml.parsers import expat


@dataclass(frozen=True)
class AssetType:
    content_type: str
    extension: str  # the canonical one, used when a filename's own does not match
    extensions: frozenset[str]
    label: str


ASSET_TYPES: dict[str, AssetType] = {
    t.content_type: t
    for t in (
        AssetType("image/png", "png", frozenset({"png"}), "PNG image"),
        AssetType("image/jpeg", "jpg", frozenset({"jpg", "jpeg"}), "JPEG image"),
        AssetType("image/gif", "gif", frozenset({"gif"}), "GIF image"),
        AssetType("image/webp", "webp", frozenset({"webp"}), "WebP image"),
        AssetType("image/svg+xml", "svg", frozenset({"svg"}), "SVG image"),
        AssetType("application/pdf", "pdf", frozenset({"pdf"}), "PDF document"),
    )
}
ALLOWED_CONTENT_TYPES: tuple[str, ...] = tuple(ASSET_TYPES)
CONTENT_TYPE_BY_EXTENSION: dict[str, str] = {
    ext: t.content_type for t in ASSET_TYPES.values() for ext in t.extensions
}

# Bytes read to check a binary type; an SVG is read whole because it must parse.
SNIFF_BYTES = 64
SVG = "image/svg+xml"


def normalize_content_type(value: str) -> str | None:
    """The allowed media type `value` names (parameters and case ignored), else None."""
    media_type = value.split(";", 1)[0].strip().lower()
    return media_type if media_type in ASSET_TYPES else None


def needs_whole_object(content_type: str) -> bool:
    return content_type == SVG


def bytes_match(content_type: str, data: bytes) -> bool:
    """Whether `data` (the object's first bytes, or all of an SVG) is of `content_type`."""
    if content_type == "image/png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "image/jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if content_type == "image/gif":
        return data.startswith((b"GIF87a", b"GIF89a"))
    if content_type == "image/webp":
        return len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    if content_type == "application/pdf":
        return data.startswith(b"%PDF-")
    if content_type == SVG:
        return is_svg(data)
    return False


class _NotSvg(Exception):
    pass


_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def is_svg(data: bytes) -> bool:
    """Well-formed XML whose root element is `<svg>` (a BOM, declaration, doctype and
    comments may come first). Entity declarations are refused, so no expansion bombs."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return False
    match = _XML_ENCODING.match(data)
    if match and match.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        return False
    parser = expat.ParserCreate(encoding="utf-8")
    root: list[str] = []

    def start(name: str, _attrs: object) -> None:
        if not root:
            root.append(name)
            local = name.rsplit(":", 1)[-1]
            if local != "svg":
                raise _NotSvg

    def refuse(*_args: object) -> None:
        raise _NotSvg

    parser.StartElementHandler = start
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    try:
        parser.Parse(data, True)
    except (expat.ExpatError, _NotSvg, ValueError):
        return False
    return bool(root)
