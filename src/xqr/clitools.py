"""Helpers shared by every `xqr` command: consoles, clean failures, an app context per run."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:  # imported when a command runs, not when `xqr` starts
    from sqlalchemy.ext.asyncio import AsyncSession

    from xqr.context import AppContext

T = TypeVar("T")

out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    err.print(f"[red]Error:[/red] {message}")
    raise typer.Exit(code)


def run(coro_factory: Callable[[AppContext], Awaitable[T]]) -> T:
    """Run an async command with an app context, turning API errors into clean exits."""
    from xqr.config import get_settings
    from xqr.context import AppContext
    from xqr.core.errors import ApiError
    from xqr.workspaces.plans import PlansFileError

    async def _main() -> T:
        try:
            ctx = AppContext.from_settings(get_settings())
        except PlansFileError as exc:
            fail(str(exc))
        try:
            from xqr.cluster.runtime import publishing
            from xqr.db.migrate import upgrade

            await upgrade(ctx.engine)
            async with publishing(ctx.settings):  # cache changes reach servers via Redis
                return await coro_factory(ctx)
        finally:
            await ctx.close()

    try:
        return asyncio.run(_main())
    except ApiError as exc:
        fail(f"{exc.code}: {exc.message}")
        raise  # unreachable, for type checkers


@asynccontextmanager
async def unit_of_work(ctx: AppContext) -> AsyncIterator[AsyncSession]:
    """One transaction committed at the end of the command."""
    async with ctx.sessionmaker() as session:
        yield session
        await session.commit()


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        fail(f"{what} must be a UUID, got {value!r}")
        raise


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2) + "\n")
