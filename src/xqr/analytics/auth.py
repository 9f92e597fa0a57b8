"""Named scope dependency of the analytics endpoints."""

from typing import Annotated

from fastapi import Depends

from xqr.auth.dependencies import Authenticator, Principal

AnalyticsRead = Annotated[Principal, Depends(Authenticator("analytics:read"))]
