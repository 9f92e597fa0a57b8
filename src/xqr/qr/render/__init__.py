"""The pure QR rendering engine: content and a design in, SVG, PNG or PDF bytes out; no I/O."""

from xqr.qr.render.design import (
    CORNER_STYLES,
    DOT_STYLES,
    ERROR_CORRECTIONS,
    FORMATS,
    FRAME_STYLES,
    GRADIENT_TYPES,
    MIN_CONTRAST_RATIO,
    Design,
    DesignError,
    EyeColor,
    Frame,
    Gradient,
    design_from_values,
    validate_design,
    validate_size,
)
from xqr.qr.render.engine import MAX_PNG_SIDE, RENDERER_VERSION, render, render_cache_key

__all__ = [
    "CORNER_STYLES",
    "DOT_STYLES",
    "ERROR_CORRECTIONS",
    "FORMATS",
    "FRAME_STYLES",
    "GRADIENT_TYPES",
    "MAX_PNG_SIDE",
    "MIN_CONTRAST_RATIO",
    "RENDERER_VERSION",
    "Design",
    "DesignError",
    "EyeColor",
    "Frame",
    "Gradient",
    "design_from_values",
    "render",
    "render_cache_key",
    "validate_design",
    "validate_size",
]
