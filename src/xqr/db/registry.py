"""Imports every domain's models so `metadata` knows all tables (migrations, drift checks)."""

from __future__ import annotations

import xqr.accounts.models
import xqr.assets.models
import xqr.auth.models
import xqr.bio.models
import xqr.domains.models
import xqr.links.models
import xqr.qr.models
import xqr.reports.models
import xqr.scans.models
import xqr.webhooks.models
import xqr.workspaces.models  # noqa: F401
from xqr.db.base import Base

metadata = Base.metadata
