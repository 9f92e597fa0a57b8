"""Upload URL signatures: bound to asset, content type and expiry."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from xqr.assets.signing import UploadUrlProblem, check_upload_signature, upload_signature

SECRET = b"secret"
ASSET = "01234567-89ab-7def-8123-456789abcdef"


def _check(**overrides: object) -> UploadUrlProblem | None:
    values: dict[str, object] = {
        "asset_id": ASSET,
        "content_type": "image/png",
        "expires": "1000",
        "signature": upload_signature(SECRET, ASSET, "image/png", 1000),
        "now": 999.0,
    }
    values.update(overrides)
    return check_upload_signature(SECRET, **values)  # type: ignore[arg-type]


def test_a_fresh_signature_is_accepted() -> None:
    assert _check() is None


def test_expiry_is_exclusive() -> None:
    assert _check(now=1000.0) is UploadUrlProblem.EXPIRED


def test_each_bound_value_changes_the_signature() -> None:
    assert _check(asset_id=ASSET.replace("0", "1", 1)) is UploadUrlProblem.BAD_SIGNATURE
    assert _check(content_type="image/gif") is UploadUrlProblem.BAD_SIGNATURE
    assert _check(expires="2000") is UploadUrlProblem.BAD_SIGNATURE
    other = upload_signature(b"other", ASSET, "image/png", 1000)
    assert _check(signature=other) is UploadUrlProblem.BAD_SIGNATURE


def test_missing_or_malformed_parameters_are_refused() -> None:
    assert _check(expires=None) is UploadUrlProblem.MALFORMED
    assert _check(expires="-5") is UploadUrlProblem.MALFORMED
    assert _check(signature=None) is UploadUrlProblem.MALFORMED


@given(st.text(max_size=80))
def test_arbitrary_signatures_are_refused_without_crashing(signature: str) -> None:
    assert _check(signature=signature) in (
        UploadUrlProblem.BAD_SIGNATURE,
        UploadUrlProblem.MALFORMED,
    )
