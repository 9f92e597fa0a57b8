"""`pip install xqr` is the SDK alone: installed into a fresh virtualenv from this checkout, it
brings none of the server's packages and talks to a real server; the `xqr` command there
says which extra to install."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.live import LiveServer

pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parents[2]
SERVER_PACKAGES = ["fastapi", "starlette", "sqlalchemy", "uvicorn", "typer", "boto3", "segno"]

SCRIPT = """
import importlib.util, sys
from xqr.client import XQR, verify_signature
present = [name for name in {packages!r} if importlib.util.find_spec(name) is not None]
assert not present, f"installed with the SDK: {{present}}"
with XQR(api_key=sys.argv[1], base_url=sys.argv[2]) as xqr:
    print(xqr.workspace.get().id)
"""


@pytest.fixture(scope="module")
def sdk_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with `pip install <this checkout>` and nothing else."""
    folder = tmp_path_factory.mktemp("sdk")
    source = folder / "source"  # a copy, so the build leaves nothing in the work tree
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src" / "xqr",
        source / "src" / "xqr",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return venv / "bin" / "python"


@pytest.mark.slow
def test_the_sdk_installs_without_the_server_and_works(sdk_python: Path, live: LiveServer) -> None:
    result = subprocess.run(
        [str(sdk_python), "-c", SCRIPT.format(packages=SERVER_PACKAGES), live.key, live.url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == live.workspace_id


@pytest.mark.slow
def test_the_xqr_command_without_the_server_names_the_extra(sdk_python: Path) -> None:
    result = subprocess.run(
        [str(sdk_python.parent / "xqr"), "serve"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "pip install 'xqr[server]'" in result.stderr
    assert "Traceback" not in result.stderr
