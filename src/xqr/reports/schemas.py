"""Request and response bodies of `/v1/reports`."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from xqr.core.schemas import RequestModel, ResponseModel, Timestamp

KINDS = ("summary", "timeseries", "geography", "devices", "top_links", "links")
FORMATS = ("csv", "json", "pdf")
RUN_STATUSES = ("queued", "running", "completed", "failed")

Kind = Literal["summary", "timeseries", "geography", "devices", "top_links", "links"]
Format = Literal["csv", "json", "pdf"]
NamedPeriod = Literal["7d", "30d", "90d", "all"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class DateRange(RequestModel):
    start: date = Field(description="First local day counted (YYYY-MM-DD).")
    end: date = Field(description="Last local day counted, included.")


class ScheduleIn(RequestModel):
    frequency: Literal["daily", "weekly", "monthly"]
    hour: int | None = Field(None, description="Hour 0–23 in the report's time zone (8).")
    weekday: Weekday | None = Field(None, description="Weekly only (monday).")
    day: int | None = Field(
        None, description="Monthly only: day 1–31 (1); short months use their last day."
    )


PERIOD_DESCRIPTION = (
    "7d, 30d, 90d (that many days ending on the day of the run, included), all, "
    "or {start, end}: fixed local days."
)


class ReportCreate(RequestModel):
    name: str = Field(description="1–200 characters.")
    kind: Kind = Field(
        description="summary, timeseries, geography, devices, top_links (the 100 most "
        "scanned links), links (every link with its counts)."
    )
    period: NamedPeriod | DateRange = Field("30d", description=PERIOD_DESCRIPTION)
    timezone: str = Field("UTC", description="IANA time zone of the days and the schedule.")
    granularity: Literal["hour", "day"] = Field(
        "day", description="timeseries: bucket size; hour for periods of up to 31 days."
    )
    link_ids: list[str] | None = Field(
        None, description="Only these links (at most 100); counted together for the totals."
    )
    labels: list[str] | None = Field(
        None, description="Only links carrying any of these labels (at most 10)."
    )
    format: Format = Field("csv", description="File format of the runs.")
    schedule: ScheduleIn | None = Field(None, description="Run on this schedule too.")
    recipients: list[str] | None = Field(
        None, description="Email addresses the runs are sent to (at most 20)."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Weekly links",
                    "kind": "links",
                    "period": "7d",
                    "timezone": "Europe/Berlin",
                    "format": "csv",
                    "schedule": {"frequency": "weekly", "weekday": "monday", "hour": 8},
                    "recipients": ["marketing@example.com"],
                }
            ]
        }
    )


class ReportUpdate(RequestModel):
    name: str | None = None
    kind: Kind | None = None
    period: NamedPeriod | DateRange | None = Field(None, description=PERIOD_DESCRIPTION)
    timezone: str | None = None
    granularity: Literal["hour", "day"] | None = None
    link_ids: list[str] | None = Field(None, description="null or [] clears the filter.")
    labels: list[str] | None = Field(None, description="null or [] clears the filter.")
    format: Format | None = None
    schedule: ScheduleIn | None = Field(None, description="null removes the schedule.")
    recipients: list[str] | None = Field(None, description="null or [] sends no email.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"schedule": None}, {"format": "pdf", "period": "30d"}]}
    )


class DateRangeOut(ResponseModel):
    start: date
    end: date


class ScheduleOut(ResponseModel):
    frequency: Literal["daily", "weekly", "monthly"]
    hour: int
    weekday: Weekday | None
    day: int | None


class ReportOut(ResponseModel):
    id: uuid.UUID
    name: str
    kind: Kind
    period: NamedPeriod | DateRangeOut = Field(description=PERIOD_DESCRIPTION)
    timezone: str
    granularity: Literal["hour", "day"]
    link_ids: list[str]
    labels: list[str]
    format: Format
    schedule: ScheduleOut | None
    recipients: list[str]
    next_run_at: Timestamp | None = Field(description="The next scheduled run (UTC).")
    created_at: Timestamp
    updated_at: Timestamp


class RunFileOut(ResponseModel):
    filename: str
    content_type: str
    size: int = Field(description="Bytes.")


class RunOut(ResponseModel):
    id: uuid.UUID
    report_id: uuid.UUID
    status: Literal["queued", "running", "completed", "failed"]
    trigger: Literal["manual", "schedule"]
    scheduled_for: Timestamp | None = Field(description="The schedule slot of scheduled runs.")
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    period_start: Timestamp | None = Field(description="First hour counted (UTC).")
    period_end: Timestamp | None = Field(description="End of the last day counted (UTC).")
    row_count: int | None
    error: str | None = Field(description="Why the run failed.")
    file: RunFileOut | None = Field(description="Once completed.")
    download_url: str | None = Field(
        description="Once completed: a signed URL that needs no API key, until it expires."
    )
    download_url_expires_at: Timestamp | None
    email_status: Literal["sent", "failed", "not_configured"] | None = Field(
        description="Email to the recipients; null when there were none."
    )
    email_error: str | None
