"""The design of a QR code and its validation.

Colours are hex only (``#rgb`` or ``#rrggbb``, any case, normalised to lowercase ``#rrggbb``).
A design is rejected when the foreground is lighter than the background, because inverted
codes do not scan on many phones, and when the WCAG 2.x contrast ratio of the pair is below
``MIN_CONTRAST_RATIO`` (3:1, the WCAG minimum for graphical objects), because cameras in poor
light cannot separate the two colours.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

DOT_STYLES = ("square", "rounded", "dots", "classy", "classy-rounded", "extra-rounded")
CORNER_STYLES = ("square", "rounded", "extra-rounded", "dot")
ERROR_CORRECTIONS = ("L", "M", "Q", "H")
FORMATS = ("svg", "png")

MIN_SIZE = 1
MAX_SIZE = 50
MIN_CONTRAST_RATIO = 3.0

_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(frozen=True)
class Design:
    """How a QR code looks: colours, error correction and module shapes."""

    foreground: str = "#000000"
    background: str = "#ffffff"
    error_correction: str = "M"
    dot_style: str = "square"
    corner_style: str = "square"


class DesignError(ValueError):
    """A design, size, format, content or logo that cannot be rendered."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __reduce__(self) -> tuple[type[DesignError], tuple[str, str]]:
        return (DesignError, (self.field, self.message))

    def __repr__(self) -> str:
        return f"DesignError(field={self.field!r}, message={self.message!r})"


def normalise_hex(value: object, field: str) -> str:
    """Return ``value`` as lowercase ``#rrggbb`` or raise DesignError."""
    if not isinstance(value, str) or not _HEX_COLOUR.fullmatch(value):
        raise DesignError(
            field, f"{value!r} is not a hex colour; use #RGB or #RRGGBB, for example #1a2b3c."
        )
    digits = value[1:].lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    """Return the (r, g, b) bytes of a normalised ``#rrggbb`` colour."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def relative_luminance(colour: str) -> float:
    """Return the WCAG 2.x relative luminance of a normalised colour."""
    channels = []
    for byte in hex_to_rgb(colour):
        c = byte / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """Return the WCAG 2.x contrast ratio (1 to 21) of two normalised colours."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _choice(value: object, allowed: tuple[str, ...], field: str, what: str) -> str:
    if isinstance(value, str) and value in allowed:
        return value
    options = ", ".join(allowed)
    raise DesignError(field, f"{value!r} is not a known {what}; use one of: {options}.")


def validate_design(design: Design) -> Design:
    """Return a normalised copy of ``design`` or raise DesignError naming the bad field."""
    foreground = normalise_hex(design.foreground, "design.foreground")
    background = normalise_hex(design.background, "design.background")
    if relative_luminance(foreground) > relative_luminance(background):
        raise DesignError(
            "design.foreground",
            f"The foreground {foreground} is lighter than the background {background}; "
            "inverted QR codes do not scan on many phones, so use a dark foreground "
            "on a light background.",
        )
    ratio = contrast_ratio(foreground, background)
    if ratio < MIN_CONTRAST_RATIO:
        raise DesignError(
            "design.foreground",
            f"The foreground {foreground} and background {background} have a contrast ratio "
            f"of {ratio:.2f}:1; QR codes need at least {MIN_CONTRAST_RATIO:g}:1 to scan reliably.",
        )
    error_correction = design.error_correction
    if isinstance(error_correction, str):
        error_correction = error_correction.upper()
    return dataclasses.replace(
        design,
        foreground=foreground,
        background=background,
        error_correction=_choice(
            error_correction,
            ERROR_CORRECTIONS,
            "design.error_correction",
            "error correction level",
        ),
        dot_style=_choice(design.dot_style, DOT_STYLES, "design.dot_style", "dot style"),
        corner_style=_choice(
            design.corner_style, CORNER_STYLES, "design.corner_style", "corner style"
        ),
    )


def validate_size(size: int) -> int:
    """Return ``size`` (pixels per module) if it is an integer from 1 to 50."""
    if isinstance(size, bool) or not isinstance(size, int) or not MIN_SIZE <= size <= MAX_SIZE:
        raise DesignError(
            "size",
            f"The size must be a whole number of pixels per module from {MIN_SIZE} "
            f"to {MAX_SIZE}; got {size!r}.",
        )
    return size


def validate_format(fmt: str) -> str:
    """Return ``fmt`` if it is one of FORMATS."""
    return _choice(fmt, FORMATS, "format", "image format")
