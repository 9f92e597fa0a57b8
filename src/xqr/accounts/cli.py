"""`xqr admin member …`: add members, set their passwords, make set-up links."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from xqr.clitools import fail, out, parse_uuid, run, unit_of_work

if TYPE_CHECKING:
    from xqr.context import AppContext

app = typer.Typer(
    help="Manage workspace members and the passwords they sign in to the dashboard with.",
    no_args_is_help=True,
)


def _read_password() -> str:
    """The password from standard input (one line; the final newline is not part of it)."""
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("no password on standard input")
    return password


@app.command("add")
def member_add(
    workspace: Annotated[str, typer.Option(help="Workspace id.")],
    email: Annotated[str, typer.Option(help="Member's email; they sign in with it.")],
    role: Annotated[str, typer.Option(help="owner, admin, member or viewer.")] = "member",
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the member's password from standard input. Without it the member has "
            "no password yet: a one-time set-up link is printed instead.",
        ),
    ] = False,
) -> None:
    """Add a member to a workspace (creating their sign-in account if they have none)."""
    from xqr.accounts import service as accounts
    from xqr.accounts.bootstrap import setup_url
    from xqr.workspaces import service

    password = _read_password() if password_stdin else None

    async def _add(ctx: AppContext) -> str | None:
        async with unit_of_work(ctx) as session:
            ws = await service.get_workspace(session, parse_uuid(workspace, "workspace id"))
            member = await service.add_member(
                session, service.tenant_for(ws, ctx.plans), email=email, role=role
            )
            account = await accounts.ensure_account(session, member.email)
            if password is not None:
                await accounts.set_password(session, account, password)
                return None
            if account.password_hash is None:
                token = await accounts.create_setup_link_token(session, account)
                return setup_url(ctx.settings.public_url, token)
            return None

    link = run(_add)
    out.print(f"Added {email} as {role}.")
    if link:
        out.print("They choose a password with this one-time link (valid 24 hours):")
        sys.stdout.write(link + "\n")


@app.command("set-password")
def member_set_password(
    email: Annotated[str, typer.Argument(help="The member's email.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from standard input.")
    ] = False,
) -> None:
    """Set a member's dashboard password; their other sessions are signed out."""
    from xqr.accounts import service as accounts
    from xqr.workspaces import service

    if not password_stdin:
        fail("pass --password-stdin and the password on standard input")
    password = _read_password()

    async def _set(ctx: AppContext) -> None:
        async with unit_of_work(ctx) as session:
            if not await service.memberships(session, email):
                fail(f"{email} is not a member of any workspace")
            account = await accounts.ensure_account(session, email)
            await accounts.set_password(session, account, password)

    run(_set)
    out.print(f"Password set for {email}.")


@app.command("setup-link")
def member_setup_link(
    email: Annotated[str, typer.Argument(help="The member's email.")],
) -> None:
    """Print a one-time link (valid 24 hours) where the member chooses a new password."""
    from xqr.accounts import service as accounts
    from xqr.accounts.bootstrap import setup_url
    from xqr.workspaces import service

    async def _link(ctx: AppContext) -> str:
        async with unit_of_work(ctx) as session:
            if not await service.memberships(session, email):
                fail(f"{email} is not a member of any workspace")
            account = await accounts.ensure_account(session, email)
            token = await accounts.create_setup_link_token(session, account)
            return setup_url(ctx.settings.public_url, token)

    sys.stdout.write(run(_link) + "\n")
