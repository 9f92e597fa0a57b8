"""`xqr domains …`: custom domains on a running server, through the SDK."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from xqr.clitools import fail, print_json

app = typer.Typer(
    help="Custom domains on a running server, through the API.",
    no_args_is_help=True,
)

BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        envvar="XQR_BASE_URL",
        help="The xQR server, e.g. http://localhost:8000 (XQR_BASE_URL).",
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="XQR_API_KEY",
        help="API key with domains:read / domains:write (XQR_API_KEY).",
        show_default=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _call(base_url: str | None, api_key: str | None, work: Callable[[Any], Any]) -> Any:
    from xqr.client import XQR, APIError, XQRError

    try:
        with XQR(api_key=api_key, base_url=base_url) as client:
            return work(client)
    except APIError as exc:
        fail(f"{exc.code}: {exc.message}")
    except XQRError as exc:
        fail(str(exc), code=2)
    return None


def _show(domain: Any, as_json: bool) -> None:
    if as_json:
        print_json(domain.to_dict())
        return
    default = " (default)" if domain.default else ""
    typer.echo(f"{domain.hostname}  {domain.status}  {domain.purpose}{default}  {domain.id}")
    verification = domain.verification
    if verification is not None and domain.status != "verified":
        typer.echo(f"  verification URL: {verification.url}")
        if verification.last_error:
            typer.echo(f"  last error: {verification.last_error}")


@app.command("list")
def list_domains(base_url: BaseUrl = None, api_key: ApiKey = None, as_json: AsJson = False) -> None:
    """List the workspace's custom domains."""
    domains = _call(base_url, api_key, lambda client: list(client.domains.iter()))
    if as_json:
        print_json([d.to_dict() for d in domains or []])
        return
    for domain in domains or []:
        _show(domain, False)


@app.command("add")
def add_domain(
    hostname: Annotated[str, typer.Argument(help="The host name, e.g. go.example.com.")],
    purpose: Annotated[str, typer.Option("--purpose", help="links, bio or both.")] = "links",
    default: Annotated[
        bool, typer.Option("--default", help="New links go on it once it is verified.")
    ] = False,
    not_found_url: Annotated[
        str | None, typer.Option("--not-found-url", help="Where unknown codes redirect.")
    ] = None,
    root_url: Annotated[
        str | None, typer.Option("--root-url", help="Where the bare host redirects.")
    ] = None,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
    as_json: AsJson = False,
) -> None:
    """Add a custom domain; it stays pending until `xqr domains verify` succeeds."""
    domain = _call(
        base_url,
        api_key,
        lambda client: client.domains.create(
            hostname,
            purpose=purpose,
            default=default,
            not_found_url=not_found_url,
            root_url=root_url,
        ),
    )
    _show(domain, as_json)


@app.command("verify")
def verify_domain(
    domain_id: Annotated[str, typer.Argument(help="The domain's id.")],
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
    as_json: AsJson = False,
) -> None:
    """Check the host now; exits 1 when it is not verified."""
    domain = _call(base_url, api_key, lambda client: client.domains.verify(domain_id))
    _show(domain, as_json)
    if domain.status != "verified":
        raise typer.Exit(1)


@app.command("delete")
def delete_domain(
    domain_id: Annotated[str, typer.Argument(help="The domain's id.")],
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
) -> None:
    """Delete a custom domain no link uses any more."""
    _call(base_url, api_key, lambda client: client.domains.delete(domain_id))
    typer.echo(f"Deleted domain {domain_id}.")
