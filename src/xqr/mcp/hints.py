"""Tool annotations: what a client may assume about each kind of tool.

Every tool acts on the user's own xQR workspace only, so none is open-world.
"""

from __future__ import annotations

from mcp.types import ToolAnnotations

READ = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
# Renders an image; changes nothing.
RENDER = READ
CREATE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)
# Overwrites fields of an existing resource; sending the same change twice is harmless.
UPDATE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
)
# Publishing adds a public copy; publishing again changes nothing.
PUBLISH = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
DELETE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
)
