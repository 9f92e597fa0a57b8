"""The app of these tests writes scans only when a test flushes, and runs no webhook dispatcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.links.linkkit import quiet_settings
from xqr.config import Settings


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return quiet_settings(db_url, tmp_path / "data")
