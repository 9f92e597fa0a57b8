"""Named scope dependencies of the workspace endpoints."""

from typing import Annotated

from fastapi import Depends

from xqr.auth.dependencies import Authenticator, Principal

WorkspaceRead = Annotated[Principal, Depends(Authenticator("workspace:read"))]
# Reading usage is not counted against the monthly quota and stays open when it is spent.
WorkspaceUsageRead = Annotated[
    Principal, Depends(Authenticator("workspace:read", quota_exempt=True))
]
