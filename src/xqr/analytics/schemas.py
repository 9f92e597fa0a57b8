"""Response bodies of the analytics endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from xqr.core.schemas import ResponseModel, Timestamp
from xqr.links.schemas import LinkOut

# `custom`: a report's own range of days (the analytics endpoints take the named periods).
PeriodName = Literal["7d", "30d", "90d", "all", "custom"]


class Point(ResponseModel):
    timestamp: Timestamp = Field(
        description="Start of the bucket: a UTC hour, or a local midnight."
    )
    scans: int


class TrendPoint(Point):
    unique_visitors: int


class CountryShare(ResponseModel):
    country: str = Field(examples=["Germany"])
    country_code: str = Field(description="ISO 3166-1 alpha-2; XX when unknown.")
    scans: int
    percentage: float = Field(description="Share of the period's scans, 2 decimals.")


class NamedShare(ResponseModel):
    name: str
    scans: int
    percentage: float = Field(description="Share of the period's scans, 2 decimals.")


class DevicesOut(ResponseModel):
    device_types: list[NamedShare] = Field(description="mobile, desktop, tablet.")
    browsers: list[NamedShare]
    os: list[NamedShare]


class PreviousPeriod(ResponseModel):
    start: Timestamp
    end: Timestamp
    total_scans: int
    unique_visitors: int


class Change(ResponseModel):
    total_scans: float | None = Field(description="Percent; null when the previous was 0.")
    unique_visitors: float | None


class WindowOut(ResponseModel):
    period: PeriodName = Field(examples=["30d"])
    timezone: str = Field(examples=["UTC"])
    start: Timestamp = Field(description="First hour counted (UTC).")
    end: Timestamp = Field(description="End of the last day counted (UTC, exclusive).")


class SummaryOut(WindowOut):
    total_scans: int
    unique_visitors: int = Field(description="Visitor-days: see the analytics docs.")
    top_countries: list[CountryShare]
    top_devices: list[NamedShare]
    trend: list[TrendPoint]
    previous: PreviousPeriod | None = Field(description="null for period=all.")
    change: Change | None


class TopLinkOut(LinkOut):
    scans: int = Field(description="Scans in the period.")


class LinkStatsOut(ResponseModel):
    link: LinkOut
    period: PeriodName = Field(examples=["30d"])
    timezone: str = Field(examples=["UTC"])
    start: Timestamp = Field(description="First hour counted (UTC).")
    end: Timestamp = Field(description="End of the last day counted (UTC, exclusive).")
    total_scans: int
    unique_visitors: int
    timeseries: list[Point]
    geography: list[CountryShare]
    devices: DevicesOut
    sources: list[NamedShare] = Field(description="qr (scanned code) and direct.")
