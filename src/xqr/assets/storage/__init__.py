"""Asset storage: the interface (`base`) and its filesystem and S3-compatible backends."""

from __future__ import annotations

from xqr.assets.storage.base import AssetStorage, ObjectChanged, ObjectInfo, PresignedUpload
from xqr.config import Settings

__all__ = ["AssetStorage", "ObjectChanged", "ObjectInfo", "PresignedUpload", "build_storage"]


def build_storage(settings: Settings) -> AssetStorage:
    """The backend `XQR_STORAGE_BACKEND` names."""
    if settings.storage_backend == "s3":
        try:
            from xqr.assets.storage.s3 import S3Storage
        except ModuleNotFoundError as missing:  # boto3 is the `s3` extra
            if missing.name not in {"boto3", "botocore"}:
                raise
            raise RuntimeError(
                "XQR_STORAGE_BACKEND=s3 needs boto3, which is not installed: pip install 'xqr[s3]'"
            ) from missing

        return S3Storage(settings)
    from xqr.assets.storage.filesystem import FilesystemStorage

    return FilesystemStorage(
        settings.data_dir / "assets",
        secret=settings.secret,
        upload_base_url=settings.public_url,
        public_base_url=settings.assets_public_base_url or f"{settings.public_url}/cdn",
        max_file_bytes=settings.assets_max_file_bytes,
    )
