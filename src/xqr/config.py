"""Settings from `XQR_*` environment variables (and `.env`); the only place env is read."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="XQR_", env_file=".env", extra="ignore", frozen=False
    )

    data_dir: Path = Field(
        Path("data"), description="Folder for the SQLite file, uploads and keys."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy async URL; default `sqlite+aiosqlite:///{data_dir}/xqr.db`. "
        "PostgreSQL: `postgresql+asyncpg://user:pass@host/db`.",
    )
    public_url: str = Field(
        "http://localhost:8000", description="Where this server is reached (API, docs, uploads)."
    )
    short_url_base: str | None = Field(
        None, description="Base of short links (`{base}/{code}`); default the public URL."
    )
    bio_url_base: str | None = Field(
        None,
        description="Base of published bio pages; default `{public_url}/bio`. A bare host "
        "(no path) serves pages at `/{slug}` on that host.",
    )
    host: str = Field("127.0.0.1", description="Interface `xqr serve` binds to.")
    port: int = Field(8000, description="Port `xqr serve` listens on.")
    trusted_proxies: str = Field(
        "",
        description="Comma-separated IPs/CIDRs whose `X-Forwarded-For` is believed.",
    )
    plans_file: Path | None = Field(None, description="TOML file overriding the plans table.")
    log_level: str = Field("INFO", description="Python logging level.")
    access_log: bool = Field(True, description="Log every request (method, path, status).")
    keep_alive_seconds: int = Field(
        5,
        ge=1,
        description="How long `xqr serve` keeps an idle client connection open. Behind a load "
        "balancer, set it above the balancer's idle timeout.",
    )
    secret_key: str | None = Field(
        None,
        description="Server secret for signed upload URLs, visitor salts and the encryption "
        "of stored webhook signing secrets; generated into `{data_dir}/secret.key` when unset.",
    )
    max_body_bytes: int = Field(1024 * 1024, description="Largest accepted API request body.")
    country_header: str | None = Field(
        None,
        description="Trusted request header carrying the visitor's country (e.g. CF-IPCountry).",
    )
    scan_flush_interval_ms: int = Field(
        250,
        description="Longest a scan waits in the buffer; under sustained load the writer starts "
        "one transaction per interval, with every scan that came in meanwhile.",
    )
    scan_batch_size: int = Field(
        1000,
        description="Buffered scans that wake an idle writer before the interval ends; one "
        "transaction takes up to 20 such batches.",
    )
    scan_retention_days: int | None = Field(
        None,
        description="Raw scan events (and visitor rows) older than this many days are pruned "
        "hourly and by `xqr scans prune`; rollups are kept. Unset keeps everything.",
    )
    cache_poll_interval_ms: int = Field(
        500,
        description="How often a process checks for link, key, plan and bio page changes made "
        "by other processes (without Redis, or while it is away).",
    )
    webhook_retry_schedule: str = Field(
        "0,60,300,1800,7200,43200",
        description="Seconds before each webhook delivery attempt (6 attempts).",
    )
    webhooks_allow_private: bool = Field(
        False, description="Allow webhook and logo URLs on private addresses (development only)."
    )
    webhook_lease_seconds: float = Field(
        60.0,
        description="How long a worker holds a claimed webhook delivery before another worker "
        "may take it over (a send times out at 10 s or half this, whichever is shorter).",
    )
    webhook_poll_interval_ms: int = Field(
        200, description="How often an idle webhook dispatcher looks for due deliveries."
    )
    storage_backend: Literal["filesystem", "s3"] = Field(
        "filesystem", description="Where assets are stored."
    )
    assets_public_base_url: str | None = Field(
        None,
        description="Base URL of published assets (e.g. a CDN); default `{public_url}/cdn` "
        "(filesystem) or `{s3_endpoint_url}/{s3_public_bucket}` (S3).",
    )
    assets_max_file_bytes: int = Field(
        25 * 1024 * 1024, description="Largest single asset upload, in bytes (25 MiB)."
    )
    s3_endpoint_url: str | None = Field(None, description="S3-compatible endpoint (MinIO, R2).")
    s3_region: str = Field("us-east-1", description="S3 region (`auto` for Cloudflare R2).")
    s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        "auto",
        description="S3 bucket addressing: `path` for MinIO and most self-hosted stores.",
    )
    s3_access_key_id: str | None = Field(None, description="S3 access key id.")
    s3_secret_access_key: str | None = Field(None, description="S3 secret access key.")
    s3_private_bucket: str = Field("xqr-private", description="Bucket receiving uploads.")
    s3_public_bucket: str = Field(
        "xqr-public", description="Bucket published assets are copied to."
    )
    session_idle_minutes: int = Field(
        720,
        ge=5,
        description="Dashboard sessions end after this many minutes without a request (and "
        "30 days after sign-in in any case).",
    )
    run_background: bool = Field(
        True,
        description="Run the webhook dispatcher and the report worker inside `xqr serve` as well.",
    )
    qr_concurrent_renders: int | None = Field(
        None,
        ge=1,
        description="QR images drawn at once per server process, each by a render worker "
        "process of its own (see docs/qr.md); more wait their turn. Default: the CPU cores "
        "available to the process, at most 4.",
    )
    auth_failure_limit: int = Field(
        20,
        ge=0,
        description="Failed authentications a client address may make within "
        "`XQR_AUTH_FAILURE_WINDOW_SECONDS` before it is answered 429 for that long (0: no limit).",
    )
    auth_failure_window_seconds: int = Field(
        60,
        ge=1,
        description="The window of `XQR_AUTH_FAILURE_LIMIT`, and how long an address over it "
        "is refused.",
    )
    short_host_aliases: str = Field(
        "",
        description="Comma-separated other names of this server (e.g. `go.acme.com,10.0.0.5`); "
        "like the short-link, public and bio hosts, links may not point at them (a loop).",
    )
    redis_url: str | None = Field(
        None,
        description="Redis for several processes or machines (`redis://host:6379/0`): burst "
        "limits shared by all of them, and cache changes published to all at once. Unset: "
        "burst limits per process, changes found by polling.",
    )
    redis_cache_poll_interval_ms: int = Field(
        30_000,
        ge=100,
        le=50_000,
        description="How often a process checks the database change log while Redis is "
        "connected (changes arrive through Redis; the poll is the safety net). Without Redis, "
        "or while it is away, `XQR_CACHE_POLL_INTERVAL_MS` applies.",
    )
    redis_timeout_ms: int = Field(
        250,
        ge=10,
        description="Longest wait for Redis on an API request before the burst limit falls "
        "back to this process's own count.",
    )
    scan_fsync_interval_ms: int = Field(
        1000,
        ge=0,
        description="How often the scan journal is synced to disk: a power loss or machine "
        "crash loses at most this much of scans (a process crash loses none). 0 leaves it to "
        "the operating system's own write-back.",
    )
    scan_journal_max_bytes: int = Field(
        1024**3,
        ge=64 * 1024,
        description="Largest size of the on-disk scan journal (default 1 GiB), which holds "
        "scans not yet stored, e.g. during a database outage. Past it, redirects still work "
        "but their scans are dropped, counted in `/metrics` and reported by `/readyz`.",
    )
    scan_buffer_max_scans: int = Field(
        50_000,
        ge=1000,
        description="Scans waiting to be stored that are also held in memory; more wait in "
        "the scan journal only and are read back from it.",
    )
    scan_visitor_memory: int = Field(
        200_000,
        ge=1000,
        description="Visitor-days the scan writer remembers to spare the database a lookup "
        "(about 200 bytes each); past it, the oldest are forgotten.",
    )
    ready_max_lag_seconds: float = Field(
        60.0,
        gt=0,
        description="`/readyz` answers 503 when the oldest scan not yet stored has waited "
        "longer than this.",
    )
    metrics_token: str | None = Field(
        None,
        description="When set, `/metrics` requires `Authorization: Bearer <token>`.",
    )
    link_password_attempts: int = Field(
        10,
        ge=1,
        description="Wrong passwords a visitor address may try on one protected link within "
        "`XQR_LINK_PASSWORD_WINDOW_SECONDS` before it is answered 429 for the rest of it.",
    )
    link_password_window_seconds: int = Field(
        900, ge=1, description="The window of `XQR_LINK_PASSWORD_ATTEMPTS`."
    )
    health_check_interval_minutes: int = Field(
        360,
        ge=1,
        description="Each enabled link's destinations are checked at most once per this many "
        "minutes by the background worker (see docs/links.md).",
    )
    health_check_timeout_seconds: float = Field(
        10.0, gt=0, description="How long one destination health check may take."
    )
    health_check_per_host: int = Field(
        2, ge=1, description="Health checks run at once against one destination host."
    )
    health_check_allowed_hosts: str = Field(
        "",
        description="Comma-separated hosts or addresses on private networks that health "
        "checks may fetch anyway (an intranet you run); every other private address is "
        "reported as refused, never fetched.",
    )
    report_poll_interval_ms: int = Field(
        1000,
        ge=1,
        description="How often an idle report worker looks for queued runs and schedule slots "
        "(runs queued through this process's API start at once).",
    )
    report_lease_seconds: float = Field(
        120.0,
        gt=0,
        description="How long a worker holds a report run without renewing it (it renews every "
        "third of it); a dead worker's run is taken over once it runs out.",
    )
    report_download_url_ttl_seconds: int = Field(
        7 * 24 * 3600,
        ge=60,
        description="How long the signed download URLs of report files (webhooks, emails, run "
        "objects) stay valid.",
    )
    smtp_url: str | None = Field(
        None,
        description="SMTP server for report emails: `smtp://host:25`, "
        "`smtp+starttls://user:pass@host:587` or `smtps://user:pass@host:465`. Unset: no email.",
    )
    smtp_from: str | None = Field(
        None,
        description="From address of report emails; default `xQR reports <reports@{public host}>`.",
    )
    report_email_max_attachment_bytes: int = Field(
        5 * 1024 * 1024,
        ge=0,
        description="Largest report file attached to an email (5 MiB); larger ones are sent as "
        "a download link.",
    )
    domains_recheck_minutes: int = Field(
        60,
        ge=1,
        description="Verified custom domains are checked again at most once per this many "
        "minutes by the background worker; one that stops answering is marked `failed` "
        "(see docs/domains.md).",
    )
    domains_strict_hosts: bool = Field(
        False,
        description="Answer short codes only on this server's own host names and on "
        "verified custom domains: any other Host gets the 404 page (off: any other Host "
        "serves the server's own links, as before custom domains).",
    )
    domains_verify_via: str = Field(
        "",
        description="`address:port` every domain verification connects to instead of the "
        "host name's DNS answer (your proxy's local address, when the server cannot reach "
        "its own public address); empty: DNS. Any host pointed at that address verifies.",
    )

    @field_validator("public_url", "short_url_base", "bio_url_base", "assets_public_base_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'xqr.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def short_base(self) -> str:
        return self.short_url_base or self.public_url

    @property
    def bio_base(self) -> str:
        return self.bio_url_base or f"{self.public_url}/bio"

    @property
    def short_hosts(self) -> frozenset[str]:
        """Hosts that serve our short links; destinations there would loop."""
        hosts = {urlsplit(self.short_base).hostname, urlsplit(self.public_url).hostname}
        return frozenset(h.lower() for h in hosts if h)

    @property
    def loop_hosts(self) -> frozenset[str]:
        """Names of this server that answer short codes: link destinations there would loop.

        A bio host of its own (a bare `XQR_BIO_URL_BASE`) serves only pages, so links may
        point there. Loopback names are matched as one host (`links.destinations`)."""
        hosts = set(self.short_hosts)
        bio = urlsplit(self.bio_base)
        if bio.path.strip("/"):
            hosts.add(bio.hostname or "")
        hosts.update(alias.strip() for alias in self.short_host_aliases.split(","))
        return frozenset(host.lower() for host in hosts if host)

    @property
    def retry_schedule(self) -> list[float]:
        return [float(part) for part in self.webhook_retry_schedule.split(",") if part.strip()]

    def data_dir_problem(self) -> str | None:
        """One sentence saying why the data folder cannot be used, or None when it can."""
        folder = self.data_dir.resolve()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f".write-check-{secrets.token_hex(4)}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            return (
                f"The data folder {folder} is not writable ({error.strerror}): xQR keeps its "
                "scan journal there (and, on SQLite, its database); set XQR_DATA_DIR to a "
                "folder the server's user can write."
            )
        return None

    @cached_property
    def secret(self) -> bytes:
        """The server secret, created once per data dir when not configured."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()


def get_settings() -> Settings:
    return Settings()
