"""`xqr mcp`: the MCP server over stdio, talking to an xQR server through the SDK."""

from __future__ import annotations

from typing import Annotated

import typer

from xqr.clitools import fail


def mcp(
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            envvar="XQR_BASE_URL",
            help="The xQR server, e.g. http://localhost:8000 (XQR_BASE_URL).",
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            envvar="XQR_API_KEY",
            help="API key, xqr_pk_… (XQR_API_KEY); prefer the variable to keep it out of "
            "process listings.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the MCP server on stdio for AI agents (Claude, Cursor, VS Code, …).

    Its tools and resources call the xQR API with the key given; stdout carries only the
    protocol, logs go to stderr.
    """
    from xqr.client import AsyncXQR, XQRError
    from xqr.mcp.server import run_stdio

    try:
        client = AsyncXQR(api_key=api_key, base_url=base_url)
    except XQRError as exc:
        fail(str(exc), code=2)
        return
    run_stdio(client)
