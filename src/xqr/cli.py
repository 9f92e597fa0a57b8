"""The `xqr` command: serve, worker, migrate, admin, and the domain commands."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from xqr.accounts.cli import app as admin_member
from xqr.assets.cli import app as assets_cli
from xqr.clitools import fail, out, parse_uuid, print_json, run, unit_of_work
from xqr.config import Settings, get_settings
from xqr.context import AppContext
from xqr.core.clock import isoformat, parse_datetime
from xqr.links.cli import app as links_cli
from xqr.mcp.cli import mcp
from xqr.qr.cli import qr
from xqr.scans.cli import app as scans_cli
from xqr.scans.cli import dev as dev_cli
from xqr.webhooks.cli import worker

app = typer.Typer(
    help="xQR: short links, QR codes, scan analytics, bio pages, assets and webhooks.",
    no_args_is_help=True,
    add_completion=False,
)
admin = typer.Typer(help="Administer workspaces, members and API keys.", no_args_is_help=True)
admin_workspace = typer.Typer(
    help="Create and list workspaces, change plans.", no_args_is_help=True
)
admin_key = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
admin.add_typer(admin_workspace, name="workspace")
admin.add_typer(admin_member, name="member")
admin.add_typer(admin_key, name="key")
app.add_typer(admin, name="admin")
app.add_typer(assets_cli, name="assets")
app.add_typer(scans_cli, name="scans")
app.add_typer(dev_cli, name="dev")
app.add_typer(links_cli, name="links")
app.command("worker")(worker)
app.command("qr")(qr)
app.command("mcp")(mcp)


@app.command()
def migrate() -> None:
    """Apply database migrations (also done by `xqr serve` at start-up)."""

    async def _migrate(ctx: AppContext) -> None:
        return None

    run(_migrate)
    out.print("Database is up to date.")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (XQR_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (XQR_PORT).")] = None,
    workers: Annotated[int, typer.Option(help="Server processes.")] = 1,
) -> None:
    """Migrate the database, create a first workspace and key if there is none, and serve."""
    import uvicorn

    from xqr.accounts.bootstrap import first_owner_setup_link
    from xqr.core.logging import configure_logging
    from xqr.workspaces.bootstrap import bootstrap

    settings = get_settings()
    configure_logging(settings.log_level)
    created = run(bootstrap)
    bind_host = host or settings.host
    bind_port = port or settings.port
    if created is not None:
        _announce(settings, created)
    setup = run(first_owner_setup_link)
    if setup is not None:
        _announce_setup(*setup)
    out.print(f"xQR serving at {settings.public_url} (bound to {bind_host}:{bind_port})")
    uvicorn.run(
        "xqr.app:create_server_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=settings.access_log,
        timeout_keep_alive=settings.keep_alive_seconds,
        proxy_headers=False,
        server_header=False,
        http="xqr.server:FastRedirectProtocol",
    )


def _announce(settings: Settings, created: dict[str, str]) -> None:
    key = created["key"]
    sys.stdout.write(
        f"\nCreated workspace {created['workspace_name']!r} (enterprise) and an API key with "
        "every scope.\nIt is shown only this once; keep it somewhere safe:\n\n"
        f"    {key}\n\n"
        f'Try: curl -H "Authorization: Bearer {key}" {settings.public_url}/api/v1/workspace\n\n'
    )
    sys.stdout.flush()


def _announce_setup(email: str, url: str) -> None:
    sys.stdout.write(
        f"Sign in to the dashboard: open this one-time link (valid 24 hours) to choose the "
        f"password of {email}:\n\n    {url}\n\n"
    )
    sys.stdout.flush()


# --- admin workspace -------------------------------------------------------------------


@admin_workspace.command("create")
def workspace_create(
    name: Annotated[str, typer.Option(help="Workspace name.")],
    plan: Annotated[str, typer.Option(help="free, pro, business or enterprise.")] = "free",
    owner: Annotated[str | None, typer.Option(help="Owner's email.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a workspace."""
    from xqr.workspaces import service

    async def _create(ctx: AppContext) -> dict[str, Any]:
        async with unit_of_work(ctx) as session:
            workspace = await service.create_workspace(
                session, name=name, plan=plan, owner_email=owner
            )
            return (await service.describe(session, workspace)).model_dump(mode="json")

    data = run(_create)
    if as_json:
        print_json(data)
    else:
        out.print(f"Created workspace {data['name']!r} ({data['plan']}): {data['id']}")


@admin_workspace.command("list")
def workspace_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List workspaces."""
    from xqr.workspaces import service

    async def _list(ctx: AppContext) -> list[dict[str, Any]]:
        async with unit_of_work(ctx) as session:
            return [
                (await service.describe(session, w)).model_dump(mode="json")
                for w in await service.list_workspaces(session)
            ]

    rows = run(_list)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "name", "plan", "owner", "created_at")
    for row in rows:
        table.add_row(row["id"], row["name"], row["plan"], row["owner"] or "", row["created_at"])
    out.print(table)


@admin_workspace.command("set-plan")
def workspace_set_plan(
    workspace_id: Annotated[str, typer.Argument(help="Workspace id.")],
    plan: Annotated[str, typer.Argument(help="free, pro, business or enterprise.")],
) -> None:
    """Change a workspace's plan (emits subscription.updated)."""
    from xqr.workspaces import service

    async def _set(ctx: AppContext) -> None:
        async with unit_of_work(ctx) as session:
            workspace = await service.get_workspace(
                session, parse_uuid(workspace_id, "workspace id")
            )
            await service.set_plan(session, workspace, plan)

    run(_set)
    out.print(f"Workspace {workspace_id} is now on the {plan} plan.")


# --- admin key -------------------------------------------------------------------------


@admin_key.command("create")
def key_create(
    workspace: Annotated[str, typer.Option(help="Workspace id.")],
    scopes: Annotated[str, typer.Option(help="Comma-separated scopes, or *.")] = "*",
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
    expires_at: Annotated[str | None, typer.Option("--expires-at", help="ISO 8601 expiry.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an API key. The key is printed once and cannot be shown again."""
    from xqr.auth import service as keys
    from xqr.workspaces import service

    expiry = None
    if expires_at:
        try:
            expiry = parse_datetime(expires_at)
        except ValueError:
            fail(f"--expires-at must be an ISO 8601 datetime, got {expires_at!r}")

    async def _create(ctx: AppContext) -> dict[str, Any]:
        async with unit_of_work(ctx) as session:
            ws = await service.get_workspace(session, parse_uuid(workspace, "workspace id"))
            created = await keys.create_key(
                session,
                service.tenant_for(ws, ctx.plans),
                scopes=scopes,
                name=name,
                expires_at=expiry,
            )
            return {
                "id": str(created.key.id),
                "key": created.plaintext,
                "prefix": created.key.prefix,
                "scopes": list(created.key.scopes),
                "expires_at": isoformat(created.key.expires_at),
            }

    data = run(_create)
    if as_json:
        print_json(data)
    else:
        out.print(f"Created key {data['id']} (prefix {data['prefix']}). Shown only once:")
        sys.stdout.write(data["key"] + "\n")


@admin_key.command("list")
def key_list(
    workspace: Annotated[str, typer.Option(help="Workspace id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List a workspace's keys (never their secrets)."""
    from xqr.auth import service as keys

    async def _list(ctx: AppContext) -> list[dict[str, Any]]:
        async with unit_of_work(ctx) as session:
            rows = await keys.list_keys(session, parse_uuid(workspace, "workspace id"))
            return [keys.key_view(k) for k in rows]

    rows = run(_list)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "prefix", "name", "scopes", "expires_at", "revoked_at", "last_used_at")
    for row in rows:
        table.add_row(
            row["id"],
            row["prefix"],
            row["name"],
            ",".join(row["scopes"]),
            row["expires_at"] or "",
            row["revoked_at"] or "",
            row["last_used_at"] or "",
        )
    out.print(table)


@admin_key.command("revoke")
def key_revoke(key_id: Annotated[str, typer.Argument(help="Key id.")]) -> None:
    """Revoke a key; it stops working at once."""
    from xqr.auth import service as keys

    async def _revoke(ctx: AppContext) -> None:
        async with unit_of_work(ctx) as session:
            await keys.revoke_key(session, parse_uuid(key_id, "key id"))

    run(_revoke)
    out.print(f"Revoked key {key_id}.")


def main() -> None:
    app()
