"""Named scope dependencies of the workspace endpoints."""

from xqr.auth.dependencies import requires

WorkspaceRead = requires("workspace:read")
