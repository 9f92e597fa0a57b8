"""Named scope dependencies of the workspace endpoints."""

from typing import Annotated

from fastapi import Depends

from xqr.auth.dependencies import Authenticator, Principal

WorkspaceRead = Annotated[Principal, Depends(Authenticator("workspace:read"))]
