"""boto3 is the `s3` extra: without it the S3 backend refuses to start with the install
command, and the filesystem backend does not need it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import make_settings
from xqr.assets.storage import build_storage


@pytest.fixture
def without_boto3(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("boto3", "botocore", "xqr.assets.storage.s3"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setitem(sys.modules, "boto3", None)  # `import boto3` now fails
    monkeypatch.setitem(sys.modules, "botocore", None)


@pytest.mark.usefixtures("without_boto3")
def test_the_s3_backend_without_boto3_names_the_extra(tmp_path: Path) -> None:
    settings = make_settings("sqlite+aiosqlite://", tmp_path, storage_backend="s3")
    with pytest.raises(RuntimeError, match=r"pip install 'xqr\[s3\]'"):
        build_storage(settings)


@pytest.mark.usefixtures("without_boto3")
def test_the_filesystem_backend_does_not_need_boto3(tmp_path: Path) -> None:
    settings = make_settings("sqlite+aiosqlite://", tmp_path)
    assert build_storage(settings).backend == "filesystem"
