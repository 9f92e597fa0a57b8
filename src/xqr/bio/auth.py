"""Named scope dependencies of the bio page endpoints."""

from typing import Annotated

from fastapi import Depends

from xqr.auth.dependencies import Authenticator, Principal

BioRead = Annotated[Principal, Depends(Authenticator("bio:read"))]
BioWrite = Annotated[Principal, Depends(Authenticator("bio:write"))]
AnalyticsRead = Annotated[Principal, Depends(Authenticator("analytics:read"))]
