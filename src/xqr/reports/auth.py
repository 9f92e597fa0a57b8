"""Named scope dependencies of the report endpoints.

Creating, changing or running a report also needs `analytics:read`: a report is a way to
read analytics, so a key that may not read them may not make reports that do."""

from typing import Annotated

from fastapi import Depends

from xqr.auth.dependencies import Authenticator, Principal
from xqr.auth.scopes import grants
from xqr.core.errors import ApiError

ReportsRead = Annotated[Principal, Depends(Authenticator("reports:read"))]
ReportsWrite = Annotated[Principal, Depends(Authenticator("reports:write"))]


async def _write_and_read_analytics(principal: ReportsWrite) -> Principal:
    """`reports:write` first (the auth step names it when missing), then `analytics:read`."""
    if not grants(principal.scopes, "analytics:read"):
        raise ApiError(
            "INSUFFICIENT_SCOPE",
            "This endpoint requires the analytics:read scope as well as reports:write.",
        )
    return principal


ReportsWriteAnalytics = Annotated[Principal, Depends(_write_and_read_analytics)]
