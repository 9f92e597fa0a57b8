"""Named scope dependencies of the webhook endpoints."""

from typing import Annotated

from fastapi import Depends

from xqr.auth.dependencies import Authenticator, Principal

WebhooksRead = Annotated[Principal, Depends(Authenticator("webhooks:read"))]
WebhooksWrite = Annotated[Principal, Depends(Authenticator("webhooks:write"))]
