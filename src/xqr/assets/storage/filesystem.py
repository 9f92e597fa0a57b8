"""The embedded backend: folders under the data dir; this app signs, receives and serves."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

from xqr.assets.signing import UploadUrlProblem, check_upload_signature, upload_signature
from xqr.assets.storage.base import (
    PRIVATE_KEY,
    PUBLIC_KEY,
    AssetStorage,
    ObjectChanged,
    ObjectInfo,
    PresignedUpload,
    content_type_of_key,
)
from xqr.core.clock import utcnow

UPLOAD_PATH = "/_uploads/"
_CHUNK = 1024 * 1024


class UploadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"upload over {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class PublicFile:
    path: Path
    size: int
    etag: str
    content_type: str


def _md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@functools.lru_cache(maxsize=4096)
def _cached_md5(path: str, _mtime_ns: int, _size: int) -> str:
    # Keyed by mtime and size too, so a file replaced in place is hashed again.
    return _md5_of(Path(path))


class FilesystemStorage(AssetStorage):
    """`{root}/private/{workspace}/{asset}/{name}` and `{root}/public/{asset}/{name}`."""

    backend = "filesystem"

    def __init__(
        self,
        root: Path,
        *,
        secret: bytes,
        upload_base_url: str,
        public_base_url: str,
        max_file_bytes: int,
    ) -> None:
        super().__init__(public_base_url, max_file_bytes=max_file_bytes)
        self.private_root = root / "private"
        self.public_root = root / "public"
        self.secret = secret
        self.upload_base_url = upload_base_url.rstrip("/")

    # Paths are only ever built from keys matching the key patterns, so no "..", no absolute
    # paths and no separators other than the two or three the pattern allows.
    def _private_path(self, key: str) -> Path:
        if not PRIVATE_KEY.match(key):
            raise ValueError(f"not a private object key: {key!r}")
        return self.private_root / key

    def _public_path(self, public_key: str) -> Path | None:
        if not PUBLIC_KEY.match(public_key):
            return None
        return self.public_root / public_key

    async def presign_put(
        self, *, asset_id: uuid.UUID, key: str, content_type: str, expires_at: datetime
    ) -> PresignedUpload:
        expires = int(expires_at.timestamp())
        query = urlencode(
            {
                "expires": expires,
                "signature": upload_signature(self.secret, str(asset_id), content_type, expires),
            }
        )
        return PresignedUpload(
            url=f"{self.upload_base_url}{UPLOAD_PATH}{asset_id}?{query}",
            expires_at=expires_at,
            headers={"Content-Type": content_type},
        )

    def check_upload_url(
        self, asset_id: str, content_type: str, expires: str | None, signature: str | None
    ) -> UploadUrlProblem | None:
        return check_upload_signature(
            self.secret,
            asset_id=asset_id,
            content_type=content_type,
            expires=expires,
            signature=signature,
            now=utcnow().timestamp(),
        )

    async def write_upload(
        self, key: str, chunks: AsyncIterator[bytes], *, max_bytes: int
    ) -> ObjectInfo:
        """Stream `chunks` to the object, all or nothing; `UploadTooLarge` past `max_bytes`."""
        final = self._private_path(key)
        await asyncio.to_thread(final.parent.mkdir, parents=True, exist_ok=True)
        partial = final.with_name(f".{final.name}.{secrets.token_hex(8)}.part")
        handle: IO[bytes] = await asyncio.to_thread(partial.open, "wb")
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        try:
            async for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(max_bytes)
                digest.update(chunk)
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(handle.close)
            await asyncio.to_thread(os.replace, partial, final)
        except BaseException:
            handle.close()
            partial.unlink(missing_ok=True)
            raise
        return ObjectInfo(size=size, etag=digest.hexdigest())

    async def stat(self, key: str) -> ObjectInfo | None:
        path = self._private_path(key)

        def _stat() -> ObjectInfo | None:
            if not path.is_file():
                return None
            return ObjectInfo(size=path.stat().st_size, etag=_md5_of(path))

        return await asyncio.to_thread(_stat)

    async def read(self, key: str, *, length: int | None = None) -> bytes:
        path = self._private_path(key)

        def _read() -> bytes:
            with path.open("rb") as handle:
                return handle.read(-1 if length is None else length)

        return await asyncio.to_thread(_read)

    async def publish(self, key: str, public_key: str, *, content_type: str, etag: str) -> None:
        source = self._private_path(key)
        target = self._public_path(public_key)
        if target is None:
            raise ValueError(f"not a public object key: {public_key!r}")

        def _copy() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{secrets.token_hex(8)}.part")
            digest = hashlib.md5(usedforsecurity=False)
            try:
                with source.open("rb") as src, partial.open("wb") as dst:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        dst.write(chunk)
            except FileNotFoundError as exc:
                partial.unlink(missing_ok=True)
                raise ObjectChanged(key) from exc
            if digest.hexdigest() != etag:
                partial.unlink(missing_ok=True)
                raise ObjectChanged(key)
            os.replace(partial, target)

        await asyncio.to_thread(_copy)

    async def read_public(self, public_key: str, *, max_bytes: int) -> bytes | None:
        path = self._public_path(public_key)
        if path is None:
            return None

        def _read() -> bytes | None:
            try:
                with path.open("rb") as handle:
                    data = handle.read(max_bytes + 1)
            except FileNotFoundError:
                return None
            return data if len(data) <= max_bytes else None

        return await asyncio.to_thread(_read)

    async def public_file(self, public_key: str) -> PublicFile | None:
        """What the `/cdn/` route serves for `public_key`, or None."""
        path = self._public_path(public_key)
        content_type = content_type_of_key(public_key)
        if path is None or content_type is None:
            return None

        def _describe() -> PublicFile | None:
            try:
                stat = path.stat()
            except FileNotFoundError:
                return None
            etag = _cached_md5(str(path), stat.st_mtime_ns, stat.st_size)
            return PublicFile(path, stat.st_size, etag, content_type)

        return await asyncio.to_thread(_describe)

    async def delete(self, *, key: str | None = None, public_key: str | None = None) -> None:
        paths: list[Path] = []
        if key is not None:
            paths.append(self._private_path(key))
        if public_key is not None:
            public_path = self._public_path(public_key)
            if public_path is not None:
                paths.append(public_path)

        def _delete() -> None:
            for path in paths:
                path.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    path.parent.rmdir()  # the asset's own folder, once empty

        await asyncio.to_thread(_delete)
