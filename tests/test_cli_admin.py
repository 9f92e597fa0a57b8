"""The admin CLI, run as the real `xqr` command against the test database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.server import run_xqr, xqr_env


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return xqr_env(db_url, tmp_path / "data")


def _json(env: dict[str, str], *args: str) -> object:
    result = run_xqr(env, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_workspace_member_and_key_lifecycle(env: dict[str, str]) -> None:
    workspace = _json(
        env, "admin", "workspace", "create", "--name", "Acme", "--plan", "pro", "--json"
    )
    assert isinstance(workspace, dict)
    assert workspace["plan"] == "pro"
    wid = workspace["id"]

    listed = _json(env, "admin", "workspace", "list", "--json")
    assert [w["id"] for w in listed] == [wid]  # type: ignore[union-attr,index]

    added = run_xqr(
        env,
        "admin",
        "member",
        "add",
        "--workspace",
        wid,
        "--email",
        "a@acme.test",
        "--role",
        "admin",
    )
    assert added.returncode == 0, added.stderr

    key = _json(
        env,
        "admin",
        "key",
        "create",
        "--workspace",
        wid,
        "--scopes",
        "links:read,links:write",
        "--name",
        "ci",
        "--expires-at",
        "2099-01-01T00:00:00Z",
        "--json",
    )
    assert isinstance(key, dict)
    assert set(key) == {"id", "key", "prefix", "scopes", "expires_at"}
    assert key["key"].startswith(f"xqr_pk_{key['prefix']}.")
    assert key["scopes"] == ["links:read", "links:write"]
    assert key["expires_at"] == "2099-01-01T00:00:00.000Z"

    keys = run_xqr(env, "admin", "key", "list", "--workspace", wid, "--json")
    assert keys.returncode == 0
    assert key["key"].split(".")[1] not in keys.stdout
    assert json.loads(keys.stdout)[0]["prefix"] == key["prefix"]

    revoked = run_xqr(env, "admin", "key", "revoke", key["id"])
    assert revoked.returncode == 0
    assert json.loads(run_xqr(env, "admin", "key", "list", "--workspace", wid, "--json").stdout)[0][
        "revoked_at"
    ]

    changed = run_xqr(env, "admin", "workspace", "set-plan", wid, "business")
    assert changed.returncode == 0
    assert _json(env, "admin", "workspace", "list", "--json")[0]["plan"] == "business"  # type: ignore[index]


def test_admin_errors_are_clear_and_exit_non_zero(env: dict[str, str]) -> None:
    bad_plan = run_xqr(env, "admin", "workspace", "create", "--name", "X", "--plan", "gold")
    assert bad_plan.returncode != 0
    assert "plan" in bad_plan.stderr
    wid = _json(env, "admin", "workspace", "create", "--name", "Free", "--json")["id"]  # type: ignore[index]
    no_keys = run_xqr(env, "admin", "key", "create", "--workspace", wid)
    assert no_keys.returncode != 0
    assert "FEATURE_NOT_AVAILABLE" in no_keys.stderr
    assert "pro" in no_keys.stderr
    bad_scope = run_xqr(env, "admin", "key", "create", "--workspace", wid, "--scopes", "links:rwx")
    assert "unknown scopes" in bad_scope.stderr
    missing = run_xqr(
        env, "admin", "workspace", "set-plan", "00000000-0000-0000-0000-000000000000", "pro"
    )
    assert missing.returncode != 0 and "RESOURCE_NOT_FOUND" in missing.stderr
    not_uuid = run_xqr(env, "admin", "key", "revoke", "abc")
    assert not_uuid.returncode != 0 and "UUID" in not_uuid.stderr
