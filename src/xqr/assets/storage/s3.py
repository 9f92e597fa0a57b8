"""The S3-compatible backend (AWS S3, MinIO, Cloudflare R2, …) on boto3.

boto3 blocks, so every call runs in a thread. Uploads go straight to the private bucket
through a presigned PUT; publishing is a server-side CopyObject to the public bucket.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from xqr.assets.filetypes import SVG
from xqr.assets.storage.base import (
    PUBLIC_CACHE_CONTROL,
    AssetStorage,
    ObjectChanged,
    ObjectInfo,
    PresignedUpload,
)
from xqr.config import Settings
from xqr.core.clock import utcnow

_MISSING = {"404", "NoSuchKey", "NotFound"}
_CHANGED = {"412", "PreconditionFailed"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def default_public_base_url(settings: Settings) -> str:
    """Path-style URL of the public bucket on the configured endpoint (or AWS)."""
    bucket = settings.s3_public_bucket
    if settings.s3_endpoint_url:
        return f"{settings.s3_endpoint_url.rstrip('/')}/{bucket}"
    return f"https://s3.{settings.s3_region}.amazonaws.com/{bucket}"


class S3Storage(AssetStorage):
    backend = "s3"

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            settings.assets_public_base_url or default_public_base_url(settings),
            max_file_bytes=settings.assets_max_file_bytes,
        )
        self.private_bucket = settings.s3_private_bucket
        self.public_bucket = settings.s3_public_bucket
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=settings.s3_secret_access_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": settings.s3_addressing_style},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )

    async def presign_put(
        self, *, asset_id: uuid.UUID, key: str, content_type: str, expires_at: datetime
    ) -> PresignedUpload:
        seconds = max(1, math.ceil((expires_at - utcnow()).total_seconds()))
        url = await asyncio.to_thread(
            self.client.generate_presigned_url,
            "put_object",
            Params={"Bucket": self.private_bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=seconds,
            HttpMethod="PUT",
        )
        return PresignedUpload(
            url=str(url), expires_at=expires_at, headers={"Content-Type": content_type}
        )

    def upload_origin(self) -> str:
        # Signing is local (no request), and the bucket's URL style is decided by the client.
        url = self.client.generate_presigned_url(
            "put_object", Params={"Bucket": self.private_bucket, "Key": "origin"}, ExpiresIn=1
        )
        parts = urlsplit(str(url))
        return f"{parts.scheme}://{parts.netloc}"

    async def stat(self, key: str) -> ObjectInfo | None:
        try:
            head = await asyncio.to_thread(
                self.client.head_object, Bucket=self.private_bucket, Key=key
            )
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise
        return ObjectInfo(size=int(head["ContentLength"]), etag=str(head["ETag"]).strip('"'))

    async def read(self, key: str, *, length: int | None = None) -> bytes:
        params: dict[str, Any] = {"Bucket": self.private_bucket, "Key": key}
        if length is not None:
            params["Range"] = f"bytes=0-{max(0, length - 1)}"

        def _get() -> bytes:
            try:
                response = self.client.get_object(**params)
            except ClientError as exc:
                if _code(exc) == "InvalidRange":  # an empty object has no byte 0
                    return b""
                raise
            body = response["Body"]
            try:
                return bytes(body.read())
            finally:
                body.close()

        return await asyncio.to_thread(_get)

    async def publish(self, key: str, public_key: str, *, content_type: str, etag: str) -> None:
        # Checked twice: by HEAD (any S3-compatible store) and by the copy's own precondition
        # (closes the race on stores that honour x-amz-copy-source-if-match).
        current = await self.stat(key)
        if current is None or current.etag != etag:
            raise ObjectChanged(key)
        extra: dict[str, Any] = {}
        if content_type == SVG:
            # Buckets cannot send a CSP header; as an attachment an SVG opened directly is
            # downloaded rather than rendered, while <img src> still displays it.
            extra["ContentDisposition"] = "attachment"
        try:
            await asyncio.to_thread(
                self.client.copy_object,
                Bucket=self.public_bucket,
                Key=public_key,
                CopySource={"Bucket": self.private_bucket, "Key": key},
                CopySourceIfMatch=f'"{etag}"',
                MetadataDirective="REPLACE",
                ContentType=content_type,
                CacheControl=PUBLIC_CACHE_CONTROL,
                **extra,
            )
        except ClientError as exc:
            if _code(exc) in _CHANGED | _MISSING:
                raise ObjectChanged(key) from exc
            raise

    async def read_public(self, public_key: str, *, max_bytes: int) -> bytes | None:
        def _get() -> bytes | None:
            try:
                response = self.client.get_object(Bucket=self.public_bucket, Key=public_key)
            except ClientError as exc:
                if _code(exc) in _MISSING:
                    return None
                raise
            body = response["Body"]
            try:
                if int(response.get("ContentLength", 0)) > max_bytes:
                    return None
                return bytes(body.read(max_bytes + 1))
            finally:
                body.close()

        data = await asyncio.to_thread(_get)
        return data if data is not None and len(data) <= max_bytes else None

    async def delete(self, *, key: str | None = None, public_key: str | None = None) -> None:
        targets = [(self.private_bucket, key), (self.public_bucket, public_key)]
        for bucket, object_key in targets:
            if object_key is not None:
                await asyncio.to_thread(self.client.delete_object, Bucket=bucket, Key=object_key)
