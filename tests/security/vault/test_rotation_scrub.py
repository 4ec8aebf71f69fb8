"""``rotate-key`` ends by overwriting the space the re-sealed values left behind: afterwards no byte of
the SQLite file (nor its WAL) holds a value under the old key, and PostgreSQL's sealed tables are
written anew (``VACUUM FULL``); what the app reads is unchanged."""

from __future__ import annotations

from security.vault.sealed_world import decrypted_values, raw_text
from security.vault.test_encryption import SEALED_TABLES, relation_files
from security.vault.test_encryption_rotation import key_ids, rotate


def headers_in_files(app, key_ids_: set[str]) -> list[str]:
    """The key ids whose sealed values' header (``enc1:<id>:``) is found in the database's raw bytes."""
    raw = raw_text(app)
    return sorted(key_id for key_id in key_ids_ if f"enc1:{key_id}:".encode() in raw)


def test_after_a_rotation_no_page_of_the_database_holds_a_value_under_the_old_key(app, world):
    old_keys = key_ids(app)
    assert headers_in_files(app, old_keys) == sorted(old_keys)  # every private value is sealed under it
    files_before = relation_files(app)

    result, _, _ = rotate(app)

    assert result.returncode == 0, result.stderr
    assert headers_in_files(app, old_keys) == []
    assert "overwritten (VACUUM)" in result.stdout
    assert decrypted_values(app) == world
    if files_before:  # PostgreSQL: a pg_dump never shows dead rows, so check that each table was written anew
        after = relation_files(app)
        assert [name for name in SEALED_TABLES if after[name] == files_before[name]] == []
