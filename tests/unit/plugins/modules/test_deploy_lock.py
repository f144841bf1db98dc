"""flaskrock.paas.deploy_lock: one run at a time per app and host, stale locks broken on request."""

import json
import stat

from ansible_collections.flaskrock.paas.plugins.modules.deploy_lock import (
    read_lock,
    release,
    take,
    take_waiting,
)


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


class FakeClock:
    """A monotonic clock that advances only when the module sleeps; at ``release_at`` seconds the
    other run releases its lock (as a concurrent deploy finishing its proxy change would)."""

    def __init__(self, path, holder_run_id, release_at=None):
        self.now, self.path, self.holder, self.release_at = 0.0, path, holder_run_id, release_at

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        if self.release_at is not None and self.now >= self.release_at:
            release(self.path, self.holder)


def test_a_waiting_take_gets_the_lock_when_the_other_run_releases_it(tmp_path):
    path = str(tmp_path / "apply.lock")
    take(path, "first", "app-a (me@ctl)", "")
    clock = FakeClock(path, "first", release_at=3)
    changed, acquired, lock, waited = take_waiting(
        path, "second", "app-b (me@ctl)", "", wait=600, clock=clock, sleep=clock.sleep
    )
    assert changed and acquired and lock["run_id"] == "second" and lock["holder"] == "app-b (me@ctl)"
    assert waited == 3.0


def test_a_waiting_take_gives_up_after_wait_seconds_and_names_the_holder(tmp_path):
    path = str(tmp_path / "apply.lock")
    take(path, "first", "app-a (me@ctl)", "")
    clock = FakeClock(path, "first")
    changed, acquired, lock, waited = take_waiting(
        path, "second", "app-b (me@ctl)", "", wait=5, clock=clock, sleep=clock.sleep
    )
    assert (changed, acquired, waited) == (False, False, 5.0)
    assert lock["holder"] == "app-a (me@ctl)" and read_lock(path)["run_id"] == "first"
    # Free at once: no wait at all.
    release(path, "first")
    assert take_waiting(path, "second", "b", "", wait=5, clock=clock, sleep=clock.sleep)[1:] == (
        True,
        {**read_lock(path)},
        0.0,
    )
