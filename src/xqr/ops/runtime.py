"""Health, readiness and metrics endpoints: `/healthz`, `/readyz`, `/metrics`."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from fastapi import Request
from starlette.responses import JSONResponse, Response

from xqr import __version__
from xqr.core.errors import ApiError
from xqr.ops.health import readiness
from xqr.ops.metrics import CONTENT_TYPE, AppMetrics

if TYPE_CHECKING:
    from xqr.app import XqrApp


def install(app: XqrApp) -> None:
    ctx = app.ctx
    metrics = AppMetrics(ctx, app.requests)
    api = app.api

    @api.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        """Liveness: the process answers (the database is `/readyz`'s concern)."""
        return JSONResponse({"status": "ok", "version": __version__})

    @api.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        """Readiness, with the reasons when not ready."""
        found = await readiness(ctx)
        status = "ready" if found.ready else "not ready"
        # Optional parts (Redis) degrade the service without making the process unready.
        for name, check in app.readiness.items():
            ok, reason = check()
            found.checks[name] = {"ok": ok, "reason": reason}
            if not ok:
                found.reasons.append(f"{name}: {reason}")
                status = "degraded" if status == "ready" else status
        return JSONResponse(
            {"status": status, "reasons": found.reasons, "checks": found.checks},
            status_code=200 if found.ready else 503,
        )

    @api.get("/metrics", include_in_schema=False)
    async def prometheus(request: Request) -> Response:
        token = ctx.settings.metrics_token
        if token:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                raise ApiError(
                    "INVALID_API_KEY",
                    "/metrics requires `Authorization: Bearer <XQR_METRICS_TOKEN>`.",
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return Response(await metrics.render(), media_type=CONTENT_TYPE)
