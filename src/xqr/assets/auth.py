"""Named scope dependencies of the asset endpoints."""

from typing import Annotated

from fastapi import Depends

from xqr.auth.dependencies import Authenticator, Principal

AssetsRead = Annotated[Principal, Depends(Authenticator("assets:read"))]
AssetsWrite = Annotated[Principal, Depends(Authenticator("assets:write"))]
