"""429s from a real server whose plans file makes the limits tiny."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support.live import LiveServer, live_server
from xqr.client import XQR, RateLimitError


@pytest.fixture(scope="module")
def limited(
    database_template: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("limited")
    plans = folder / "plans.toml"
    plans.write_text("[plans.enterprise]\nburst_per_second = 1\n\n[plans.pro]\nmonthly_calls = 3\n")
    with live_server(database_template, folder, XQR_PLANS_FILE=str(plans)) as server:
        yield server


def test_burst_limit_is_waited_out_using_retry_after(limited: LiveServer) -> None:
    with XQR(api_key=limited.make_key("*"), base_url=limited.url) as client:
        started = time.monotonic()
        client.workspace.get()
        client.workspace.get()  # the bucket is empty: 429, Retry-After 1, then success
        assert time.monotonic() - started >= 0.9


def test_without_retries_the_burst_limit_raises_rate_limit_error(limited: LiveServer) -> None:
    with XQR(api_key=limited.make_key("*"), base_url=limited.url, max_retries=0) as client:
        client.workspace.get()
        with pytest.raises(RateLimitError) as caught:
            client.workspace.get()
    error = caught.value
    assert (error.status, error.code) == (429, "BURST_LIMIT_EXCEEDED")
    assert error.retry_after is not None and error.retry_after >= 1
    assert error.request_id


def test_a_spent_monthly_quota_is_raised_without_waiting(limited: LiveServer) -> None:
    workspace = limited.make_workspace("pro")
    with XQR(api_key=limited.make_key("*", workspace), base_url=limited.url) as client:
        for _ in range(3):
            client.workspace.get()
        started = time.monotonic()
        with pytest.raises(RateLimitError) as caught:
            client.workspace.get()
        assert time.monotonic() - started < 1.0
    assert caught.value.code == "RATE_LIMIT_EXCEEDED"
    assert caught.value.retry_after is not None and caught.value.retry_after > 3600
