"""A data folder the server cannot write stops `xqr serve` at start with one clear sentence."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.server import run_xqr, xqr_env


def _unwritable(tmp_path: Path) -> Path:
    """A folder that cannot be written. Tests may run as root, whom permissions do not stop:
    then a folder under a plain file, which no one can create."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder / "data"
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    return blocker / "data"


@pytest.mark.e2e
def test_serve_refuses_an_unwritable_data_folder_in_one_sentence(tmp_path: Path) -> None:
    data = _unwritable(tmp_path)
    env = xqr_env(f"sqlite+aiosqlite:///{tmp_path}/xqr.db", data)
    result = run_xqr(env, "serve", "--port", "9")
    assert result.returncode == 1
    message = "".join(result.stderr.split())  # the console wraps long lines, paths included
    assert "Traceback" not in result.stderr
    assert "".join(f"The data folder {data} is not writable".split()) in message
    assert "XQR_DATA_DIR" in message
