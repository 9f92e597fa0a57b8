"""The design of a QR code and its validation.

Colours are hex only (``#rgb`` or ``#rrggbb``, any case, normalised to lowercase ``#rrggbb``).
A design is rejected when a colour the modules are drawn in (the foreground, a gradient stop,
an eye colour) is lighter than the background, because inverted codes do not scan on many
phones, and when the WCAG 2.x contrast ratio of such a colour against the background is below
``MIN_CONTRAST_RATIO`` (3:1, the WCAG minimum for graphical objects), because cameras in poor
light cannot separate the two colours. The scannability check (``xqr.qr.render.scan``) takes
designs unchecked for contrast (``enforce_contrast=False``) so that it can report on them.
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DOT_STYLES = ("square", "rounded", "dots", "classy", "classy-rounded", "extra-rounded")
CORNER_STYLES = ("square", "rounded", "extra-rounded", "dot")
ERROR_CORRECTIONS = ("L", "M", "Q", "H")
FORMATS = ("svg", "png", "pdf")
GRADIENT_TYPES = ("linear", "radial")
FRAME_STYLES = ("none", "box", "rounded-box", "banner-bottom", "banner-top")

MIN_SIZE = 1
MAX_SIZE = 50
MIN_CONTRAST_RATIO = 3.0
DEFAULT_QUIET_ZONE = 4
# ISO/IEC 18004 asks for 4 modules; 2 still reads on most phones, less does not reliably.
MIN_QUIET_ZONE = 2
MAX_QUIET_ZONE = 16
FRAME_TEXT_MAX = 30
DEFAULT_LOGO_SIZE = 0.22
MIN_LOGO_SIZE = 0.05
MAX_LOGO_SIZE = 0.6
GRADIENT_MIN_COLOURS = 2
GRADIENT_MAX_COLOURS = 3

_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(frozen=True)
class EyeColor:
    """Colours of the finder patterns: the 7x7 ring (``outer``) and the 3x3 ball (``inner``);
    None draws that part like the data modules."""

    outer: str | None = None
    inner: str | None = None


@dataclass(frozen=True)
class Gradient:
    """A gradient for the modules: ``linear`` at ``angle`` degrees (0 runs left to right, 90
    top to bottom) or ``radial`` from the centre out, through two or three ``colors``."""

    type: str = "linear"
    colors: tuple[str, ...] = ()
    angle: float = 0.0


@dataclass(frozen=True)
class Frame:
    """A frame around the code (outside its quiet zone) with an optional call to action.

    ``text_color`` defaults to the background colour on banners (the text sits on the frame
    colour) and to the frame colour on boxes (the text sits on the background)."""

    style: str = "none"
    text: str | None = None
    color: str = "#000000"
    text_color: str | None = None


@dataclass(frozen=True)
class Design:
    """How a QR code looks: colours, error correction, shapes, gradient, frame, quiet zone."""

    foreground: str = "#000000"
    background: str = "#ffffff"
    error_correction: str = "M"
    dot_style: str = "square"
    corner_style: str = "square"
    eye_color: EyeColor | None = None
    gradient: Gradient | None = None
    frame: Frame | None = None
    quiet_zone: int = DEFAULT_QUIET_ZONE
    logo_size: float = DEFAULT_LOGO_SIZE

    def module_colours(self) -> tuple[str, ...]:
        """Every colour a module may be drawn in (gradient stops, eye colours)."""
        colours = list(self.gradient.colors) if self.gradient else [self.foreground]
        if self.eye_color is not None:
            colours += [c for c in (self.eye_color.outer, self.eye_color.inner) if c]
        return tuple(colours)


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


def worst_contrast(design: Design) -> float:
    """The lowest contrast ratio of any module colour against the background; a colour
    lighter than the background counts as its ratio's inverse (below 1)."""
    worst = math.inf
    for colour in design.module_colours():
        ratio = contrast_ratio(colour, design.background)
        if relative_luminance(colour) > relative_luminance(design.background):
            ratio = 1 / ratio
        worst = min(worst, ratio)
    return worst


def _choice(value: object, allowed: tuple[str, ...], field: str, what: str) -> str:
    if isinstance(value, str) and value in allowed:
        return value
    options = ", ".join(allowed)
    raise DesignError(field, f"{value!r} is not a known {what}; use one of: {options}.")


def _check_contrast(colour: str, background: str, field: str, what: str) -> None:
    if relative_luminance(colour) > relative_luminance(background):
        raise DesignError(
            field,
            f"The {what} {colour} is lighter than the background {background}; "
            "inverted QR codes do not scan on many phones, so use a dark foreground "
            "on a light background.",
        )
    ratio = contrast_ratio(colour, background)
    if ratio < MIN_CONTRAST_RATIO:
        raise DesignError(
            field,
            f"The {what} {colour} and background {background} have a contrast ratio "
            f"of {ratio:.2f}:1; QR codes need at least {MIN_CONTRAST_RATIO:g}:1 to scan reliably.",
        )


def _eye_color(value: EyeColor, background: str, enforce_contrast: bool) -> EyeColor | None:
    parts: dict[str, str | None] = {}
    for part in ("outer", "inner"):
        colour = getattr(value, part)
        field = f"design.eye_color.{part}"
        parts[part] = None if colour is None else normalise_hex(colour, field)
        if enforce_contrast and parts[part] is not None:
            _check_contrast(str(parts[part]), background, field, f"{part} eye colour")
    if parts["outer"] is None and parts["inner"] is None:
        return None
    return EyeColor(**parts)


def _gradient(value: Gradient, background: str, enforce_contrast: bool) -> Gradient:
    kind = _choice(value.type, GRADIENT_TYPES, "design.gradient.type", "gradient type")
    colours = value.colors
    if (
        not isinstance(colours, (tuple, list))
        or not GRADIENT_MIN_COLOURS <= len(colours) <= GRADIENT_MAX_COLOURS
    ):
        raise DesignError(
            "design.gradient.colors",
            f"A gradient needs {GRADIENT_MIN_COLOURS} or {GRADIENT_MAX_COLOURS} colours, "
            "from the first stop to the last.",
        )
    stops = tuple(
        normalise_hex(colour, f"design.gradient.colors[{index}]")
        for index, colour in enumerate(colours)
    )
    if enforce_contrast:
        for index, stop in enumerate(stops):
            _check_contrast(stop, background, f"design.gradient.colors[{index}]", "gradient colour")
    angle = value.angle
    if (
        isinstance(angle, bool)
        or not isinstance(angle, (int, float))
        or not math.isfinite(angle)
        or not 0 <= angle <= 360
    ):
        raise DesignError(
            "design.gradient.angle",
            f"The angle must be a number of degrees from 0 to 360; got {angle!r}.",
        )
    if kind == "radial":
        angle = 0.0
    return Gradient(kind, stops, float(angle) % 360)


def unsupported_characters(text: str) -> list[str]:
    """The characters of ``text`` that the frame font cannot draw as they should look."""
    from xqr.qr.render.text import font_covers  # the font's character map, loaded once

    bad = []
    for char in text:
        category = unicodedata.category(char)
        if (
            category in ("Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me", "Zl", "Zp")
            or unicodedata.bidirectional(char) in ("R", "AL")
            or not font_covers(char)
        ):
            bad.append(char)
    return bad


FRAME_FONT_COVERS = (
    "Latin (with accents), Greek, Cyrillic, Armenian, Georgian, digits, punctuation and common "
    "symbols"
)


def _frame_text(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise DesignError("design.frame.text", "The frame text must be a string or null.")
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if not text:
        return None
    if len(text) > FRAME_TEXT_MAX:
        raise DesignError(
            "design.frame.text",
            f"The frame text is {len(text)} characters long; use at most {FRAME_TEXT_MAX}.",
        )
    bad = unsupported_characters(text)
    if bad:
        shown = ", ".join(repr(c) for c in dict.fromkeys(bad))
        raise DesignError(
            "design.frame.text",
            f"The frame text has characters the frame font cannot draw: {shown}. It covers "
            f"{FRAME_FONT_COVERS}; Chinese, Japanese, Korean, right-to-left scripts (Arabic, "
            "Hebrew) and scripts that need shaping (Devanagari, Thai, …) are not supported.",
        )
    return text


def _frame(value: Frame, background: str, enforce_contrast: bool) -> Frame | None:
    style = _choice(value.style, FRAME_STYLES, "design.frame.style", "frame style")
    text = _frame_text(value.text)
    color = normalise_hex(value.color, "design.frame.color")
    # Banners carry the text on the frame colour; boxes under the code, on the background.
    ground = color if style.startswith("banner") else background
    if value.text_color is None:
        text_color = background if style.startswith("banner") else color
    else:
        text_color = normalise_hex(value.text_color, "design.frame.text_color")
    if style == "none":
        if text is not None:
            raise DesignError(
                "design.frame.text",
                "A call to action needs a frame to sit in; choose a frame style other than none.",
            )
        return None
    if text is not None and enforce_contrast:
        ratio = contrast_ratio(text_color, ground)
        if ratio < MIN_CONTRAST_RATIO:
            raise DesignError(
                "design.frame.text_color",
                f"The frame text colour {text_color} on {ground} has a contrast ratio of "
                f"{ratio:.2f}:1; text needs at least {MIN_CONTRAST_RATIO:g}:1 to be legible.",
            )
    return Frame(style, text, color, text_color)


def _quiet_zone(value: object) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not MIN_QUIET_ZONE <= value <= MAX_QUIET_ZONE
    ):
        raise DesignError(
            "design.quiet_zone",
            f"The quiet zone must be a whole number of modules from {MIN_QUIET_ZONE} to "
            f"{MAX_QUIET_ZONE} (4 is the standard); got {value!r}.",
        )
    return value


def _logo_size(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not MIN_LOGO_SIZE <= value <= MAX_LOGO_SIZE
    ):
        raise DesignError(
            "design.logo_size",
            f"The logo size is the fraction of the code's width the logo may take, from "
            f"{MIN_LOGO_SIZE:g} to {MAX_LOGO_SIZE:g}; got {value!r}.",
        )
    return float(value)


def validate_design(design: Design, *, enforce_contrast: bool = True) -> Design:
    """Return a normalised copy of ``design`` or raise DesignError naming the bad field.

    With ``enforce_contrast=False`` colours only need to be readable hex: the scannability
    check reports on low contrast instead of refusing it.
    """
    foreground = normalise_hex(design.foreground, "design.foreground")
    background = normalise_hex(design.background, "design.background")
    if enforce_contrast:
        _check_contrast(foreground, background, "design.foreground", "foreground")
    error_correction = design.error_correction
    if isinstance(error_correction, str):
        error_correction = error_correction.upper()
    eye_color = design.eye_color
    if eye_color is not None:
        if not isinstance(eye_color, EyeColor):
            raise DesignError("design.eye_color", "The eye colour must be an object or null.")
        eye_color = _eye_color(eye_color, background, enforce_contrast)
    gradient = design.gradient
    if gradient is not None:
        if not isinstance(gradient, Gradient):
            raise DesignError("design.gradient", "The gradient must be an object or null.")
        gradient = _gradient(gradient, background, enforce_contrast)
    frame = design.frame
    if frame is not None:
        if not isinstance(frame, Frame):
            raise DesignError("design.frame", "The frame must be an object or null.")
        frame = _frame(frame, background, enforce_contrast)
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
        eye_color=eye_color,
        gradient=gradient,
        frame=frame,
        quiet_zone=_quiet_zone(design.quiet_zone),
        logo_size=_logo_size(design.logo_size),
    )


def _part(value: Any, kind: type, field: str) -> Any:
    """A nested design object from a mapping (unknown keys refused), or the value as it is."""
    if value is None or isinstance(value, kind):
        return value
    if not isinstance(value, Mapping):
        raise DesignError(field, f"The {field.removeprefix('design.')} must be an object or null.")
    names = {f.name for f in dataclasses.fields(kind)}
    for key in value:
        if key not in names:
            raise DesignError(f"{field}.{key}", "Unknown field.")
    given = {key: item for key, item in value.items() if item is not None}
    if kind is Gradient and "colors" in given:
        colours = given["colors"]
        given["colors"] = tuple(colours) if isinstance(colours, (list, tuple)) else colours
    return kind(**given)


def design_from_values(values: Mapping[str, Any]) -> Design:
    """A Design from API-shaped values (nested objects as mappings); None means the default."""
    fields = {f.name for f in dataclasses.fields(Design)}
    given = {name: values[name] for name in fields if values.get(name) is not None}
    given["eye_color"] = _part(values.get("eye_color"), EyeColor, "design.eye_color")
    given["gradient"] = _part(values.get("gradient"), Gradient, "design.gradient")
    given["frame"] = _part(values.get("frame"), Frame, "design.frame")
    return Design(**given)


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
