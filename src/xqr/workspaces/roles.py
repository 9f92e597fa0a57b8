"""What each workspace role may do (pure): viewer reads; member edits links, QR codes, bio
pages and assets; admin also manages keys, webhooks and members; owner also owners and plan."""

from __future__ import annotations

from typing import Literal

Role = Literal["viewer", "member", "admin", "owner"]
# Each role may do everything the roles before it may.
ROLE_ORDER: tuple[Role, ...] = ("viewer", "member", "admin", "owner")

ROLE_SUMMARIES: dict[str, str] = {
    "viewer": "sees everything, changes nothing",
    "member": "creates and edits links, QR codes, bio pages and assets",
    "admin": "also manages API keys, webhooks and members",
    "owner": "also manages owners and the plan",
}


class RoleRequired(Exception):
    """The person's role does not allow the action."""

    def __init__(self, needed: Role, action: str) -> None:
        self.needed = needed
        self.action = action
        super().__init__(f"Only {needed}s{'' if needed == 'owner' else ' and above'} can {action}.")


def at_least(role: str, needed: Role) -> bool:
    """Whether `role` includes the rights of `needed`."""
    if role not in ROLE_ORDER:
        return False
    return ROLE_ORDER.index(role) >= ROLE_ORDER.index(needed)  # type: ignore[arg-type]


def require(role: str, needed: Role, action: str) -> None:
    """Raise RoleRequired unless `role` includes `needed`."""
    if not at_least(role, needed):
        raise RoleRequired(needed, action)
