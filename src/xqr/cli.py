"""The `xqr` command: serve, worker, migrate, admin, and the domain commands.

Each command imports what it needs when it runs. The domain commands' modules are imported
only when they are named (`xqr --help` lists them from the summaries below), and the server's
packages only by the commands that use them, so `xqr --help` or `xqr links --help` starts
without FastAPI, SQLAlchemy or the models.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Annotated, Any

try:
    import typer
except ModuleNotFoundError as missing:  # `pip install xqr` is the SDK alone
    raise SystemExit(
        f"The xqr command needs the server's packages ({missing.name} is missing): "
        "pip install 'xqr[server]'"
    ) from missing
import typer.core
import typer.main

from xqr.accounts.cli import app as admin_member
from xqr.clitools import fail, out, parse_uuid, print_json, run, unit_of_work

if TYPE_CHECKING:
    from xqr.config import Settings
    from xqr.context import AppContext

# Commands defined in other modules, imported when named: "module:attribute" of a function (a
# command) or of a Typer app (a group), and the summary `xqr --help` lists without importing
# them (the first paragraph of their help; tests/test_cli_startup.py keeps the two the same).
# Typer lists commands before groups; these keep that order around the ones defined here.
LAZY_COMMANDS = {
    "worker": (
        "xqr.webhooks.cli:worker",
        "Deliver webhooks and make reports until SIGTERM or Ctrl-C.",
    ),
    "qr": (
        "xqr.qr.cli:qr",
        "Render a QR code to a PNG, SVG or PDF file with the same engine as the API.",
    ),
    "mcp": (
        "xqr.mcp.cli:mcp",
        "Run the MCP server on stdio for AI agents (Claude, Cursor, VS Code, …).",
    ),
}
LAZY_GROUPS = {
    "assets": ("xqr.assets.cli:app", "Manage stored assets."),
    "scans": ("xqr.scans.cli:app", "Scan data: pruning raw events."),
    "dev": ("xqr.scans.cli:dev", "Development helpers: realistic demo data."),
    "links": ("xqr.links.cli:app", "Import and export links as CSV."),
    "domains": ("xqr.domains.cli:app", "Custom domains on a running server, through the API."),
}
LAZY = {**LAZY_COMMANDS, **LAZY_GROUPS}


def load_command(name: str) -> Any:
    """The Click command of a lazily imported command or group.

    Click types are `Any` here: recent Typer versions carry a copy of Click of their own."""
    module, _, attribute = LAZY[name][0].partition(":")
    found = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer(add_completion=False)  # built as `app` would (no completion options)
    if isinstance(found, typer.Typer):
        holder.add_typer(found, name=name)
    else:
        holder.command(name)(found)
    return typer.main.get_group(holder).commands[name]


class LazyGroup(typer.core.TyperGroup):
    """The top-level group: the commands of `LAZY` are imported the first time they are
    looked up, except to list them in this group's help."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*LAZY_COMMANDS, *super().list_commands(ctx), *LAZY_GROUPS]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in LAZY and cmd_name not in self.commands:
            if self._listing:
                return typer.core.TyperCommand(cmd_name, help=LAZY[cmd_name][1])
            self.commands[cmd_name] = load_command(cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    cls=LazyGroup,
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
    from xqr.config import get_settings
    from xqr.core.logging import configure_logging
    from xqr.workspaces.bootstrap import bootstrap

    settings = get_settings()
    configure_logging(settings.log_level)
    problem = settings.data_dir_problem()
    if problem:
        fail(problem)
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
    from rich.table import Table

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
    from xqr.core.clock import isoformat, parse_datetime
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
    from rich.table import Table

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
