"""Fixtures for the S3 backend: one moto server per session, an app configured for it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Account, AccountFactory, make_settings
from tests.support.s3 import MotoServer
from xqr.app import XqrApp, create_app

PRIVATE_BUCKET = "xqr-private"
PUBLIC_BUCKET = "xqr-public"
PUBLIC_READ_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{PUBLIC_BUCKET}/*",
        }
    ],
}


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    server = MotoServer().start()
    s3 = server.client()
    s3.create_bucket(Bucket=PRIVATE_BUCKET)
    s3.create_bucket(Bucket=PUBLIC_BUCKET)
    # What an operator sets on the public bucket (see docs/assets.md): anyone may read.
    s3.put_bucket_policy(Bucket=PUBLIC_BUCKET, Policy=json.dumps(PUBLIC_READ_POLICY))
    try:
        yield server
    finally:
        server.stop()


@dataclass
class S3Setup:
    app: XqrApp
    client: httpx.AsyncClient  # the API, in process
    account: Account
    moto: MotoServer
    s3: Any  # a boto3 client for looking at the buckets directly


@asynccontextmanager
async def s3_app(
    db_url: str, tmp_path: Path, moto: MotoServer, **overrides: Any
) -> AsyncIterator[S3Setup]:
    """An app on the S3 backend pointed at `moto`, with a workspace and a full-scope key."""
    settings = make_settings(
        db_url,
        tmp_path / "data",
        storage_backend="s3",
        s3_endpoint_url=moto.url,
        s3_access_key_id="test",
        s3_secret_access_key="test",
        s3_addressing_style="path",
        s3_private_bucket=PRIVATE_BUCKET,
        s3_public_bucket=PUBLIC_BUCKET,
        **overrides,
    )
    application = create_app(settings)
    async with application.api.router.lifespan_context(application.api):
        account = await AccountFactory(application.ctx)()
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield S3Setup(application, http, account, moto, moto.client())


@pytest.fixture
async def s3_setup(db_url: str, tmp_path: Path, moto: MotoServer) -> AsyncIterator[S3Setup]:
    async with s3_app(db_url, tmp_path, moto) as setup:
        yield setup
