from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from xqr.auth.keys import KEY_PATTERN, generate_key, hash_key, key_matches, parse_key, redact


def test_generated_keys_have_the_documented_format() -> None:
    key = generate_key()
    assert len(key.prefix) == 8 and all(c in "0123456789abcdef" for c in key.prefix)
    assert len(key.secret) == 64
    assert KEY_PATTERN.fullmatch(key.full)
    assert parse_key(key.full) == key


def test_hash_is_sha256_hex_of_the_whole_key_and_compares_in_constant_time() -> None:
    key = generate_key().full
    digest = hash_key(key)
    assert len(digest) == 64
    assert key not in digest
    assert key_matches(key, digest)
    assert not key_matches(key[:-1] + ("A" if key[-1] != "A" else "B"), digest)


@given(st.text(max_size=120))
def test_parse_key_rejects_anything_not_in_the_format(value: str) -> None:
    parsed = parse_key(value)
    if parsed is not None:
        assert KEY_PATTERN.fullmatch(value)


def test_malformed_keys_are_rejected() -> None:
    good = generate_key().full
    for bad in [
        "",
        good[:-1],
        good + "x",
        good.replace("xqr_pk_", "xqr_sk_"),
        good.upper(),
        good.replace(".", "_"),
        f"xqr_pk_ZZZZZZZZ.{'a' * 64}",
    ]:
        assert parse_key(bad) is None, bad


def test_redact_keeps_the_prefix_and_drops_the_secret() -> None:
    key = generate_key()
    text = f"GET /x?token={key.full} HTTP/1.1"
    cleaned = redact(text)
    assert key.secret not in cleaned
    assert key.prefix in cleaned
