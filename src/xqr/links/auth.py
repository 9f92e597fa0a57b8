"""Named scope dependencies of the links endpoints."""

from typing import Annotated

from fastapi import Depends

from xqr.auth.dependencies import Authenticator, Principal

LinksRead = Annotated[Principal, Depends(Authenticator("links:read"))]
LinksWrite = Annotated[Principal, Depends(Authenticator("links:write"))]
