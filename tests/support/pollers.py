"""The app's change-log pollers, for tests that must control when a change is applied."""

from __future__ import annotations

from xqr.app import XqrApp
from xqr.db.changelog import ChangeLogPoller


def change_poller(app: XqrApp, table: str) -> ChangeLogPoller:
    """The background part that applies change log `table` (`link_changes`, `auth_changes`,
    `bio_changes`) to this process's cache."""
    [poller] = [
        part
        for part in app.background
        if isinstance(part, ChangeLogPoller) and part.table.name == table
    ]
    return poller
