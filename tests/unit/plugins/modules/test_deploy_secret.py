"""flaskrock.paas.deploy_secret: one generated key per app, root-only, the same on every read."""

import re
import secrets
import stat

from ansible_collections.flaskrock.paas.plugins.modules.deploy_secret import (
    CHECK_MODE_PLACEHOLDER,
    read_or_create,
)


def test_generates_a_token_urlsafe_64_key_once(tmp_path):
    path = tmp_path / "hello" / "secret_key"
    changed, key = read_or_create(str(path))
    assert changed
    assert len(key) == len(secrets.token_urlsafe(64)) == 86
    assert re.fullmatch(r"[A-Za-z0-9_-]{86}", key)
    assert path.read_text() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_or_create(str(path)) == (False, key)


def test_a_stored_key_is_returned_as_it_is(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text("kept-key")
    assert read_or_create(str(path)) == (False, "kept-key")
    assert read_or_create(str(path), check_mode=True) == (False, "kept-key")


def test_check_mode_generates_nothing(tmp_path):
    path = tmp_path / "secret_key"
    assert read_or_create(str(path), check_mode=True) == (True, CHECK_MODE_PLACEHOLDER)
    assert not path.exists()
