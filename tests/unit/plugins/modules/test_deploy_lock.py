"""flaskrock.paas.deploy_lock: one run at a time per app and host, stale locks broken on request."""

import json
import stat

from ansible_collections.flaskrock.paas.plugins.modules.deploy_lock import read_lock, release, take


def test_take_creates_a_root_only_lock_with_the_holder(tmp_path):
    path = tmp_path / "state" / "deploy.lock"
    changed, acquired, lock = take(str(path), "run-1", "me@ctl", "hello:0.1-abc")
    assert changed and acquired
    assert json.loads(path.read_text()) == lock
    assert lock["holder"] == "me@ctl" and lock["version"] == "hello:0.1-abc" and lock["run_id"] == "run-1"
    assert lock["since"].endswith("+00:00")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_taking_our_own_lock_again_changes_nothing(tmp_path):
    path = str(tmp_path / "deploy.lock")
    take(path, "run-1", "me@ctl", "v")
    assert take(path, "run-1", "me@ctl", "v")[:2] == (False, True)


def test_another_runs_lock_is_reported_not_replaced(tmp_path):
    path = tmp_path / "deploy.lock"
    other = {
        "holder": "tester@elsewhere",
        "since": "2026-01-01T00:00:00+00:00",
        "version": "x",
        "run_id": "other",
    }
    path.write_text(json.dumps(other))
    assert take(str(path), "run-1", "me@ctl", "v") == (False, False, other)
    assert json.loads(path.read_text()) == other


def test_force_breaks_a_stale_lock(tmp_path):
    path = tmp_path / "deploy.lock"
    path.write_text(json.dumps({"holder": "gone", "run_id": "other"}))
    changed, acquired, _ = take(str(path), "run-1", "me@ctl", "v", force=True)
    assert changed and acquired and json.loads(path.read_text())["run_id"] == "run-1"


def test_an_unreadable_lock_still_locks(tmp_path):
    path = tmp_path / "deploy.lock"
    path.write_text("not json")
    changed, acquired, lock = take(str(path), "run-1", "me@ctl", "v")
    assert (changed, acquired) == (False, False)
    assert lock["holder"] == "?"
    assert read_lock(str(path))["run_id"] == ""


def test_check_mode_takes_nothing(tmp_path):
    path = tmp_path / "deploy.lock"
    changed, acquired, _ = take(str(path), "run-1", "me@ctl", "v", check_mode=True)
    assert changed and acquired and not path.exists()


def test_release_removes_only_our_lock(tmp_path):
    path = tmp_path / "deploy.lock"
    take(str(path), "run-1", "me@ctl", "v")
    assert release(str(path), "run-2") == (False, json.loads(path.read_text()))
    assert path.exists()
    assert release(str(path), "run-1") == (True, None)
    assert not path.exists()
    assert release(str(path), "run-1") == (False, None)
