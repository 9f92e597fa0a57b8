"""`xqr links import` / `export`: CSV through the same service as the API."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.support.server import run_xqr, xqr_env


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return xqr_env(db_url, tmp_path / "data")


def _workspace(env: dict[str, str], name: str = "Acme") -> str:
    result = run_xqr(env, "admin", "workspace", "create", "--name", name, "--plan", "pro", "--json")
    assert result.returncode == 0, result.stderr
    return str(json.loads(result.stdout)["id"])


def _export(env: dict[str, str], workspace: str) -> list[dict[str, str]]:
    result = run_xqr(env, "links", "export", "--workspace", workspace)
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_import_creates_valid_rows_and_reports_the_others_by_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    workspace = _workspace(env)
    source = tmp_path / "links.csv"
    source.write_text(
        "url,custom_slug,labels,expires_at,routing_rules\n"
        "https://example.com/a,spring-sale,poster|2026,,\n"
        'https://example.com/b,,,2099-01-01T00:00:00Z,"[{""destination"": ""https://example.de"",'
        ' ""conditions"": {""countries"": [""DE""]}}]"\n'
        "ftp://example.com/c,,,,\n"
        "https://example.com/d,spring-sale,,,\n"
        "https://example.com/e,,,,{not json\n"
    )
    result = run_xqr(env, "links", "import", str(source), "--workspace", workspace)
    assert result.returncode == 1
    assert "Created 2 link(s); 3 row(s) failed." in result.stdout
    assert "line 4: VALIDATION_ERROR" in result.stderr
    assert "line 5: SLUG_TAKEN" in result.stderr
    assert "line 6: VALIDATION_ERROR: routing_rules is not valid JSON" in result.stderr

    rows = {row["url"]: row for row in _export(env, workspace)}
    assert set(rows) == {"https://example.com/a", "https://example.com/b"}
    assert rows["https://example.com/a"]["custom_slug"] == "spring-sale"
    assert rows["https://example.com/a"]["labels"] == "poster|2026"
    assert rows["https://example.com/b"]["expires_at"] == "2099-01-01T00:00:00.000Z"
    rules = json.loads(rows["https://example.com/b"]["routing_rules"])
    assert rules[0]["destination"] == "https://example.de"


def test_export_then_import_round_trips_into_another_instance(
    env: dict[str, str], tmp_path: Path, db_url: str
) -> None:
    workspace = _workspace(env)
    source = tmp_path / "in.csv"
    source.write_text("url,labels\nhttps://example.com/1,a|b\nhttps://example.com/2,\n")
    assert run_xqr(env, "links", "import", str(source), "--workspace", workspace).returncode == 0
    exported = tmp_path / "out.csv"
    result = run_xqr(env, "links", "export", "--workspace", workspace, "-o", str(exported))
    assert result.returncode == 0 and "Exported 2 link(s)" in result.stdout
    before = {(r["url"], r["custom_slug"], r["labels"]) for r in _export(env, workspace)}

    other = xqr_env(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}", tmp_path / "other")
    target = _workspace(other, "Copy")
    assert run_xqr(other, "links", "import", str(exported), "--workspace", target).returncode == 0
    after = {(r["url"], r["custom_slug"], r["labels"]) for r in _export(other, target)}
    assert after == before


def test_import_refuses_a_file_without_a_url_column(env: dict[str, str], tmp_path: Path) -> None:
    workspace = _workspace(env)
    source = tmp_path / "bad.csv"
    source.write_text("destinationz,slug\nhttps://example.com,abc\n")
    result = run_xqr(env, "links", "import", str(source), "--workspace", workspace)
    assert result.returncode != 0
    assert "url" in result.stderr
