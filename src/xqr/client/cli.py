"""`xqr assets upload FILE`: upload a file to a running server through the SDK."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xqr.clitools import err, fail, print_json

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
        help="API key with assets:write (XQR_API_KEY).",
        show_default=False,
    ),
]


def upload_asset(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="The file to upload."),
    ],
    publish: Annotated[
        bool, typer.Option("--publish", help="Publish it to the public CDN afterwards.")
    ] = False,
    content_type: Annotated[
        str | None,
        typer.Option("--content-type", help="MIME type; guessed from the file name if left out."),
    ] = None,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the asset as JSON.")] = False,
) -> None:
    """Upload FILE to a running server: presign, PUT the bytes, confirm (and publish)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    from xqr.client import XQR, APIError, XQRError

    try:
        client = XQR(api_key=api_key, base_url=base_url)
    except XQRError as exc:
        fail(str(exc), code=2)
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err,
        transient=as_json,
    )
    task = progress.add_task(file.name, total=file.stat().st_size)
    try:
        with client, progress:
            asset = client.assets.upload(
                file,
                content_type=content_type,
                publish=publish,
                progress=lambda sent, total: progress.update(task, completed=sent, total=total),
            )
    except APIError as exc:
        fail(f"{exc.code}: {exc.message}")
        return
    except XQRError as exc:
        fail(str(exc))
        return
    if as_json:
        print_json(asset.to_dict())
        return
    typer.echo(
        f"Uploaded {asset.filename} ({asset.size} bytes) as asset {asset.id}: {asset.status}"
    )
    if asset.public_url:
        typer.echo(f"Public URL: {asset.public_url}")
