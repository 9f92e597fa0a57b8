"""The dashboard's CSP lets its upload module PUT to the asset store: on S3 the bucket's
origin joins connect-src; on the filesystem backend the upload URL is the dashboard's own."""

from __future__ import annotations

import httpx

from tests.assets.conftest import S3Setup


async def test_on_s3_the_dashboard_may_connect_to_the_bucket_origin(s3_setup: S3Setup) -> None:
    page = await s3_setup.client.get("/dashboard/signin")
    csp = page.headers["content-security-policy"]
    connect = next(p for p in csp.split("; ") if p.startswith("connect-src"))
    assert connect == f"connect-src 'self' {s3_setup.moto.url}"
    assert "frame-ancestors 'none'" in csp


async def test_on_the_filesystem_the_upload_url_is_same_origin(client: httpx.AsyncClient) -> None:
    page = await client.get("/dashboard/signin")
    assert "connect-src 'self';" in page.headers["content-security-policy"]
