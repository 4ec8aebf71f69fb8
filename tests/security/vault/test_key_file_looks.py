"""Sealing looks at the key file at most every ``KEY_FILE_LOOK_EVERY`` seconds, and a rotation waits
long enough for every server to have looked: no value is sealed under a key after it is retired."""

from __future__ import annotations

import time

import pytest

from couples.crypto import (KEY_FILE_LOOK_EVERY, Key, Keyring, create_key_file, key_id_of, keyring, read_key_file,
                            write_key_file)
from couples.extensions import db
from couples.vault import encrypted_columns, rotate_key


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "ENCRYPTION_KEY_FILE": str(tmp_path / "keys")}  # this test's own key file, rotated


def test_a_key_added_to_the_file_seals_the_next_values_once_the_look_interval_has_passed(tmp_path):
    path = tmp_path / "keys"
    create_key_file(path)
    ring = Keyring(path)
    first = ring.seal_text(b"before")
    (old,) = read_key_file(path)
    new = Key.generate(taken={old.id})
    write_key_file(path, [old, new])

    time.sleep(KEY_FILE_LOOK_EVERY)

    assert key_id_of(first) == old.id
    assert key_id_of(ring.seal_text(b"after")) == new.id
    assert ring.open_text(first) == b"before"  # the old key still opens what it sealed


def test_a_rotation_without_grace_still_waits_for_every_server_to_look_at_the_file(app):
    with app.app_context():
        started = time.monotonic()
        rotation = rotate_key(db.engine, keyring(), encrypted_columns(db.metadata), grace=0)
        took = time.monotonic() - started

    assert took >= 2 * KEY_FILE_LOOK_EVERY  # a server that sealed just before the new key appeared has looked since
    assert rotation.passes[-1].clean
