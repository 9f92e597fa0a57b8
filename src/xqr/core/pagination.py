"""`limit`/`offset` query parameters shared by every list endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

MAX_LIMIT = 200
# Far beyond any real list, and far inside the databases' 64-bit integers (an offset near
# 2**63 overflows them).
MAX_OFFSET = 1_000_000_000


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (1–{MAX_LIMIT}).")
    ] = 50,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description=f"Items to skip (0–{MAX_OFFSET:,}).")
    ] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Pagination = Annotated[PageParams, Depends(page_params)]
