"""`xqr qr`: render a QR code locally with the server's engine (no server, no database)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from xqr.clitools import fail
from xqr.qr.render import (
    CORNER_STYLES,
    DOT_STYLES,
    ERROR_CORRECTIONS,
    MAX_PNG_SIDE,
    Design,
    DesignError,
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
}
_FORMAT_OF_SUFFIX = {".svg": "svg", ".png": "png"}


def _format(output: str, given: str | None) -> str:
    if given is not None:
        return given.lower()
    if output == "-":
        return "svg"
    fmt = _FORMAT_OF_SUFFIX.get(Path(output).suffix.lower())
    if fmt is None:
        fail(
            f"--format: cannot tell the image format from {output!r}; name a .png or .svg "
            "file or pass --format png|svg."
        )
    return str(fmt)


def qr(
    content: Annotated[str, typer.Argument(help="Text or URL to encode.")],
    output: Annotated[
        str, typer.Option("--output", "-o", help="File to write (.png or .svg), or - for stdout.")
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="png or svg; default from the output's extension (svg for -)."
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
) -> None:
    """Render a QR code to a PNG or SVG file with the same engine as the API."""
    image_format = _format(output, fmt)
    logo_bytes = None
    if logo is not None:
        try:
            logo_bytes = logo.read_bytes()
        except OSError as exc:
            fail(f"--logo: cannot read {str(logo)!r}: {exc.strerror or exc}")
    design = Design(
        foreground=foreground,
        background=background,
        error_correction=error_correction,
        dot_style=dot_style,
        corner_style=corner_style,
    )
    try:
        image = render(content, design, size=size, fmt=image_format, logo=logo_bytes)
    except DesignError as exc:
        fail(f"{_OPTION_OF_FIELD.get(exc.field, exc.field)}: {exc.message}")
        return
    if output == "-":
        sys.stdout.buffer.write(image)
        sys.stdout.buffer.flush()
        return
    try:
        Path(output).write_bytes(image)
    except OSError as exc:
        fail(f"--output: cannot write {output!r}: {exc.strerror or exc}")
