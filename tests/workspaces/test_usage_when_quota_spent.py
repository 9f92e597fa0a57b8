"""`GET /workspace/usage` is how a client learns why it gets 429: it is not counted against the
monthly quota and answers when the quota is used up."""

from __future__ import annotations

from pathlib import Path

from tests.links.linkkit import new_account, plans_file, quiet_settings, running


async def test_usage_stays_readable_and_uncounted_when_the_quota_is_spent(
    db_url: str, tmp_path: Path
) -> None:
    settings = quiet_settings(
        db_url, tmp_path / "data", plans_file=plans_file(tmp_path, monthly_calls=3)
    )
    async with running(settings) as (app, client):
        account = await new_account(app, plan="pro")
        statuses = [
            (await client.get("/api/v1/links", headers=account.headers)).status_code
            for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        for _ in range(2):
            usage = await client.get("/api/v1/workspace/usage", headers=account.headers)
            assert usage.status_code == 200, usage.text
            assert usage.json()["data"]["api_calls"]["used"] == 3
            assert usage.headers["x-ratelimit-remaining"] == "0"
        assert (await client.get("/api/v1/links", headers=account.headers)).status_code == 429
