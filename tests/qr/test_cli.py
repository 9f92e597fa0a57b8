"""`xqr qr`: renders locally, no server and no database, to files or stdout."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from tests.qr.conftest import decode, logo_png
from tests.support.server import XQR
from xqr.cli import app

STYLE = [
    "--size",
    "6",
    "--dot-style",
    "classy-rounded",
    "--corner-style",
    "extra-rounded",
    "--foreground",
    "#1e3a8a",
    "--background",
    "#fef9ef",
]


def xqr_qr(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """The real command, with no database settings at all: it must not need one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XQR_")}
    env["XQR_DATA_DIR"] = str(tmp_path / "no-data-here")
    return subprocess.run(
        [XQR, "qr", *args], env=env, cwd=tmp_path, capture_output=True, timeout=60
    )


def test_the_command_writes_a_decodable_png_without_a_database(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(logo_png())
    result = xqr_qr(
        tmp_path, "https://example.com/cli", "-o", "code.png", *STYLE, "--logo", str(logo)
    )
    assert result.returncode == 0, result.stderr.decode()
    data = (tmp_path / "code.png").read_bytes()
    assert data.startswith(b"\x89PNG")
    assert decode(data, "image/png") == ["https://example.com/cli"]
    assert not (tmp_path / "no-data-here").exists()


def test_the_command_writes_svg_to_stdout_with_dash(tmp_path: Path) -> None:
    result = xqr_qr(tmp_path, "to stdout", "-o", "-")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.startswith(b"<svg")
    assert decode(result.stdout, "image/svg+xml") == ["to stdout"]


def test_svg_file_with_a_logo(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(logo_png())
    target = tmp_path / "code.svg"
    result = CliRunner().invoke(
        app, ["qr", "https://example.com/svg", "-o", str(target), *STYLE, "--logo", str(logo)]
    )
    assert result.exit_code == 0, result.output
    assert decode(target.read_bytes(), "image/svg+xml") == ["https://example.com/svg"]


def test_format_option_overrides_the_default_for_stdout() -> None:
    result = CliRunner().invoke(
        app, ["qr", "as png", "-o", "-", "--format", "png", "--error-correction", "H"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"\x89PNG")
    assert decode(result.stdout_bytes, "image/png") == ["as png"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "out.gif"], "--format"),
        (["-o", "out.png", "--format", "jpeg"], "--format"),
        (["-o", "out.png", "--size", "51"], "--size"),
        (["-o", "out.png", "--dot-style", "hearts"], "--dot-style"),
        (["-o", "out.png", "--corner-style", "star"], "--corner-style"),
        (["-o", "out.png", "--error-correction", "Z"], "--error-correction"),
        (["-o", "out.png", "--foreground", "#eeeeee"], "--foreground"),
        (["-o", "out.png", "--background", "white"], "--background"),
        (["-o", "out.png", "--logo", "missing.png"], "--logo"),
    ],
)
def test_bad_options_fail_naming_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["qr", "x", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert not (tmp_path / "out.png").exists()


def test_a_png_over_the_pixel_cap_fails_naming_size_and_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["qr", "x" * 2000, "-o", "out.png", "--size", "50"])
    assert result.exit_code == 1
    assert "--size:" in result.output and "at most 4,096 pixels a side" in result.output
    assert not (tmp_path / "out.png").exists()


def test_studio_options_a_print_size_and_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = [
        "qr",
        "https://example.com/cli",
        "-o",
        "framed.png",
        "--gradient",
        "#1e3a8a, #b91c1c",
        "--gradient-angle",
        "45",
        "--eye-outer",
        "#b91c1c",
        "--frame",
        "banner-bottom",
        "--frame-text",
        "Сканируй",
        "--width-mm",
        "30",
        "--check",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert '"decodes": true' in result.output
    png = (tmp_path / "framed.png").read_bytes()
    assert decode(png, "image/png") == ["https://example.com/cli"]
    with Image.open(io.BytesIO(png)) as image:
        assert image.width == round(354 * 35 / 33)  # 33 modules take 354 px; the frame 2 more
        assert round(image.info["dpi"][0]) == 300
    pdf = CliRunner().invoke(app, ["qr", "https://example.com/cli", "-o", "code.pdf"])
    assert pdf.exit_code == 0, pdf.output
    assert decode((tmp_path / "code.pdf").read_bytes(), "application/pdf") == [
        "https://example.com/cli"
    ]
    refused = CliRunner().invoke(app, ["qr", "x", "-o", "x.png", "--gradient", "#000"])
    assert refused.exit_code == 1 and "--gradient" in refused.output
    cjk = CliRunner().invoke(
        app, ["qr", "x", "-o", "x.png", "--frame", "box", "--frame-text", "扫"]
    )
    assert cjk.exit_code == 1 and "--frame-text" in cjk.output
