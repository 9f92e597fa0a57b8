"""`xqr qr`: render a QR code locally with the server's engine (no server, no database)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from xqr.clitools import fail
from xqr.qr.render import (
    CORNER_STYLES,
    DOT_STYLES,
    ERROR_CORRECTIONS,
    FRAME_STYLES,
    MAX_PNG_SIDE,
    Design,
    DesignError,
    EyeColor,
    Frame,
    Gradient,
    render,
)

# The engine names fields as the API does; the CLI's user typed options.
_OPTION_OF_FIELD = {
    "content": "CONTENT",
    "size": "--size",
    "format": "--format",
    "design.foreground": "--foreground",
    "design.background": "--background",
    "design.error_correction": "--error-correction",
    "design.dot_style": "--dot-style",
    "design.corner_style": "--corner-style",
    "design.logo_url": "--logo",
    "design.eye_color.outer": "--eye-outer",
    "design.eye_color.inner": "--eye-inner",
    "design.gradient.type": "--gradient-type",
    "design.gradient.angle": "--gradient-angle",
    "design.frame.style": "--frame",
    "design.frame.text": "--frame-text",
    "design.frame.color": "--frame-color",
    "design.frame.text_color": "--frame-text-color",
    "design.quiet_zone": "--quiet-zone",
    "design.logo_size": "--logo-size",
    "width_mm": "--width-mm",
    "dpi": "--dpi",
}
_FORMAT_OF_SUFFIX = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


def _format(output: str, given: str | None) -> str:
    if given is not None:
        return given.lower()
    if output == "-":
        return "svg"
    fmt = _FORMAT_OF_SUFFIX.get(Path(output).suffix.lower())
    if fmt is None:
        fail(
            f"--format: cannot tell the image format from {output!r}; name a .png, .svg or "
            ".pdf file or pass --format png|svg|pdf."
        )
    return str(fmt)


def qr(
    content: Annotated[str, typer.Argument(help="Text or URL to encode.")],
    output: Annotated[
        str,
        typer.Option("--output", "-o", help="File to write (.png, .svg, .pdf), or - for stdout."),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="png, svg or pdf; default from the output's extension (svg for -)."
        ),
    ] = None,
    size: Annotated[
        int,
        typer.Option(help=f"Pixels per module, 1–50; a PNG is at most {MAX_PNG_SIDE:,} px a side."),
    ] = 10,
    dot_style: Annotated[str, typer.Option(help=f"One of: {', '.join(DOT_STYLES)}.")] = "square",
    corner_style: Annotated[
        str, typer.Option(help=f"One of: {', '.join(CORNER_STYLES)}.")
    ] = "square",
    foreground: Annotated[str, typer.Option(help="Hex colour of the modules.")] = "#000000",
    background: Annotated[str, typer.Option(help="Hex colour of the background.")] = "#ffffff",
    error_correction: Annotated[
        str, typer.Option(help=f"One of: {', '.join(ERROR_CORRECTIONS)} (a logo raises it to H).")
    ] = "M",
    logo: Annotated[
        Path | None,
        typer.Option(help="PNG, JPEG, GIF, WebP or SVG file placed in the middle.", dir_okay=False),
    ] = None,
    logo_size: Annotated[
        float, typer.Option(help="Largest share of the width the logo takes, 0.05–0.6.")
    ] = 0.22,
    eye_outer: Annotated[
        str | None, typer.Option(help="Hex colour of the finder patterns' rings.")
    ] = None,
    eye_inner: Annotated[
        str | None, typer.Option(help="Hex colour of the finder patterns' balls.")
    ] = None,
    gradient: Annotated[
        str | None,
        typer.Option(help="2 or 3 hex colours for a gradient, comma-separated: #123,#456."),
    ] = None,
    gradient_type: Annotated[str, typer.Option(help="linear or radial.")] = "linear",
    gradient_angle: Annotated[
        float, typer.Option(help="Degrees for a linear gradient: 0 left to right.")
    ] = 0.0,
    frame: Annotated[str, typer.Option(help=f"One of: {', '.join(FRAME_STYLES)}.")] = "none",
    frame_text: Annotated[
        str | None, typer.Option(help="Call to action in the frame, at most 30 characters.")
    ] = None,
    frame_color: Annotated[str, typer.Option(help="Hex colour of the frame.")] = "#000000",
    frame_text_color: Annotated[
        str | None, typer.Option(help="Hex colour of the text (default: fits the frame).")
    ] = None,
    quiet_zone: Annotated[int, typer.Option(help="Margin in modules, 2–16.")] = 4,
    width_mm: Annotated[
        float | None, typer.Option(help="Printed width with the quiet zone, in mm.")
    ] = None,
    dpi: Annotated[int | None, typer.Option(help="PNG resolution for --width-mm (300).")] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Print the scannability report (JSON) to stderr; exit 1 if it fails."
        ),
    ] = False,
) -> None:
    """Render a QR code to a PNG, SVG or PDF file with the same engine as the API."""
    image_format = _format(output, fmt)
    logo_bytes = None
    if logo is not None:
        try:
            logo_bytes = logo.read_bytes()
        except OSError as exc:
            fail(f"--logo: cannot read {str(logo)!r}: {exc.strerror or exc}")
    stops = tuple(c.strip() for c in gradient.split(",")) if gradient is not None else ()
    design = Design(
        foreground=foreground,
        background=background,
        error_correction=error_correction,
        dot_style=dot_style,
        corner_style=corner_style,
        eye_color=EyeColor(eye_outer, eye_inner) if eye_outer or eye_inner else None,
        gradient=Gradient(gradient_type, stops, gradient_angle) if gradient else None,
        frame=Frame(frame, frame_text, frame_color, frame_text_color),
        quiet_zone=quiet_zone,
        logo_size=logo_size,
    )
    try:
        image = render(
            content,
            design,
            size=size,
            fmt=image_format,
            logo=logo_bytes,
            width_mm=width_mm,
            dpi=dpi,
        )
        report = None
        if check:
            from xqr.qr.render.scan import check_design  # zxing-cpp, for --check only

            report = check_design(content, design, logo=logo_bytes)
    except DesignError as exc:
        field = "--gradient" if exc.field.startswith("design.gradient.colors") else exc.field
        fail(f"{_OPTION_OF_FIELD.get(field, field)}: {exc.message}")
        return
    if output == "-":
        sys.stdout.buffer.write(image)
        sys.stdout.buffer.flush()
    else:
        try:
            Path(output).write_bytes(image)
        except OSError as exc:
            fail(f"--output: cannot write {output!r}: {exc.strerror or exc}")
    if report is not None:
        print(json.dumps(dataclasses.asdict(report), indent=2, ensure_ascii=False), file=sys.stderr)
        if not report.decodes:
            raise typer.Exit(1)
