"""Named scope dependencies of the QR endpoints."""

from typing import Annotated

from fastapi import Depends

from xqr.auth.dependencies import Authenticator, Principal

QrRead = Annotated[Principal, Depends(Authenticator("qr:read"))]
QrWrite = Annotated[Principal, Depends(Authenticator("qr:write"))]
QrRender = Annotated[Principal, Depends(Authenticator("qr:render"))]
