"""API keys: creation, listing, revocation, and authenticating a request's key."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Update, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.auth.cache import KeyCache, KeyRecord, log_auth_change
from xqr.auth.failures import AddressGuard
from xqr.auth.keys import ParsedKey, generate_key, hash_key, key_matches, parse_key
from xqr.auth.models import ApiKey
from xqr.auth.scopes import parse_scopes
from xqr.core.cache import MISSING
from xqr.core.clock import isoformat, utcnow
from xqr.core.errors import ApiError, not_found, validation_error
from xqr.workspaces.service import hold_limits
from xqr.workspaces.tenant import Tenant
from xqr.workspaces.usage import register_usage_counter

LAST_USED_RESOLUTION = timedelta(minutes=1)
_PREFIX_ATTEMPTS = 8
_NO_KEY_HASH = hash_key("xqr_pk_00000000." + "0" * 64)


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    plaintext: str


async def count_active_keys(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(ApiKey)
        .where(ApiKey.workspace_id == workspace_id, ApiKey.revoked_at.is_(None))
    )
    return int(total or 0)


register_usage_counter("api_keys", count_active_keys)


async def create_key(
    session: AsyncSession,
    tenant: Tenant,
    *,
    scopes: str | list[str],
    name: str = "",
    expires_at: datetime | None = None,
) -> CreatedKey:
    """A new key; the plaintext is returned here and never again."""
    try:
        scope_list = parse_scopes(scopes)
    except ValueError as exc:
        raise validation_error("scopes", str(exc)) from exc
    if expires_at is not None and expires_at <= utcnow():
        raise validation_error("expires_at", "must be in the future")
    tenant.ensure_feature("api_access", "API access")
    await hold_limits(session, tenant)
    tenant.ensure_within("api_keys", await count_active_keys(session, tenant.workspace_id))
    # The prefix is only 32 bits: retry on the unique index instead of trusting luck.
    for _ in range(_PREFIX_ATTEMPTS):
        parsed = generate_key()
        key = ApiKey(
            workspace_id=tenant.workspace_id,
            prefix=parsed.prefix,
            key_hash=hash_key(parsed.full),
            name=name,
            scopes=scope_list,
            expires_at=expires_at,
        )
        try:
            async with session.begin_nested():
                session.add(key)
                await session.flush()
        except IntegrityError:
            continue
        await log_auth_change(session, key.prefix)
        return CreatedKey(key=key, plaintext=parsed.full)
    raise ApiError("INTERNAL_ERROR", "Could not allocate a unique key prefix.")


async def list_keys(session: AsyncSession, workspace_id: uuid.UUID) -> Sequence[ApiKey]:
    result = await session.scalars(
        select(ApiKey).where(ApiKey.workspace_id == workspace_id).order_by(ApiKey.created_at.desc())
    )
    return result.all()


async def revoke_key(
    session: AsyncSession, key_id: uuid.UUID, *, workspace_id: uuid.UUID | None = None
) -> ApiKey:
    """Revoke a key; with `workspace_id`, only a key of that workspace (else 404)."""
    key = await session.get(ApiKey, key_id)
    if key is None or (workspace_id is not None and key.workspace_id != workspace_id):
        raise not_found("API key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
        await log_auth_change(session, key.prefix)
    return key


def key_view(key: ApiKey) -> dict[str, Any]:
    return {
        "id": str(key.id),
        "prefix": key.prefix,
        "name": key.name,
        "scopes": list(key.scopes),
        "expires_at": isoformat(key.expires_at),
        "revoked_at": isoformat(key.revoked_at),
        "last_used_at": isoformat(key.last_used_at),
        "created_at": isoformat(key.created_at),
    }


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _presented_key(authorization: str | None) -> ParsedKey | None:
    token = bearer_token(authorization)
    return parse_key(token) if token else None


async def authenticate(
    cache: KeyCache, authorization: str | None, guard: AddressGuard | None = None
) -> KeyRecord:
    """The key's record, or the first 401 in the documented order.

    With a `guard`, failures count against the client's address, and an address over its
    limit gets 429 for anything but a valid key already held in memory (see failures.py).
    """
    try:
        return await _verified(cache, authorization, guard)
    except ApiError as error:
        if guard is not None and error.status == 401:
            guard.failed()
        raise


async def _verified(
    cache: KeyCache, authorization: str | None, guard: AddressGuard | None
) -> KeyRecord:
    parsed = _presented_key(authorization)
    if parsed is None:
        raise ApiError(
            "INVALID_API_KEY",
            "Missing or malformed API key. Send `Authorization: Bearer xqr_pk_{prefix}.{secret}`.",
        )
    record = cache.held(parsed.prefix)
    if record is None:
        if guard is None:
            record = await cache.get(parsed.prefix)
        else:
            with guard.lookup(parsed.prefix):
                record = await cache.get(parsed.prefix)
    # Compare hashes even for an unknown prefix, so timing does not tell which prefixes exist.
    stored = _NO_KEY_HASH if record is MISSING else record.key_hash
    if not key_matches(parsed.full, stored) or record is MISSING:
        raise ApiError("INVALID_API_KEY", "API key not found.")
    if record.revoked_at is not None:
        raise ApiError("REVOKED_API_KEY", "This API key has been revoked.")
    if record.expires_at is not None and record.expires_at <= utcnow():
        raise ApiError("EXPIRED_API_KEY", "This API key has expired.")
    return record


async def key_workspace(cache: KeyCache, authorization: str | None) -> uuid.UUID | None:
    """The workspace of the key's prefix (a cached lookup), verifying and counting nothing.

    Not authentication: the caller still runs the auth step before answering anything.
    """
    parsed = _presented_key(authorization)
    record = await cache.get(parsed.prefix) if parsed is not None else MISSING
    return None if record is MISSING else record.workspace_id


def needs_touch(cache: KeyCache, key_id: uuid.UUID, now: datetime) -> bool:
    """Whether last_used_at is due for an update (at most once a minute per key)."""
    last = cache.touched.get(key_id)
    if last is not None and now - last < LAST_USED_RESOLUTION:
        return False
    cache.touched[key_id] = now
    return True


def touch_statement(key_id: uuid.UUID, now: datetime) -> Update:
    return update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now)
