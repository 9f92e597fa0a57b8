"""Named scope dependencies of the domains endpoints."""

from typing import Annotated

from fastapi import Depends

from xqr.auth.dependencies import Authenticator, Principal

DomainsRead = Annotated[Principal, Depends(Authenticator("domains:read"))]
DomainsWrite = Annotated[Principal, Depends(Authenticator("domains:write"))]
