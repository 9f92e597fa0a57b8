"""The pure QR rendering engine: content and a design in, SVG or PNG bytes out; no I/O."""

from xqr.qr.render.design import (
    CORNER_STYLES,
    DOT_STYLES,
    ERROR_CORRECTIONS,
    FORMATS,
    MIN_CONTRAST_RATIO,
    Design,
    DesignError,
    validate_design,
    validate_size,
)
from xqr.qr.render.engine import MAX_PNG_SIDE, RENDERER_VERSION, render, render_cache_key

__all__ = [
    "CORNER_STYLES",
    "DOT_STYLES",
    "ERROR_CORRECTIONS",
    "FORMATS",
    "MAX_PNG_SIDE",
    "MIN_CONTRAST_RATIO",
    "RENDERER_VERSION",
    "Design",
    "DesignError",
    "render",
    "render_cache_key",
    "validate_design",
    "validate_size",
]
