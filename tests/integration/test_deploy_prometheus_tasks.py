"""roles/deploy/tasks/prometheus.yml on this machine, without Docker: the app's file_sd target file is
written (root, 0644), check mode is truthful (also when the directory does not exist yet), a directory
another role owns keeps its owner and mode, and a path that is not a directory fails with a clear
message. The content itself is decided (and unit-tested) by the deploy_prometheus_target filter; a real
deploy writing it and a real Prometheus reading it: test_deploy_gevent.py."""

import json
import os
import stat
import sys

import pytest
import yaml
from helpers import run_playbook

TARGETS = [{"targets": ["127.0.0.1:9102"],
            "labels": {"app": "hello", "host": "localhost", "job": "flaskrock", "release": "0.1-abc"}}]
PLAY = """\
- name: Write file_sd targets with the deploy role's tasks
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write one target file per directory
      ansible.builtin.include_role:
        name: flaskrock.paas.deploy
        tasks_from: prometheus
      vars:
        _deploy_prometheus:
          dir: "{{ item }}"
          path: "{{ item }}/flaskrock-hello.yml"
          content: "{{ content }}"
      loop: "{{ dirs }}"
"""


@pytest.fixture
def play(tmp_path):
    path = tmp_path / "play.yml"
    path.write_text(PLAY)

    def run(dirs, *args, release="0.1-abc"):
        targets = [{**TARGETS[0], "labels": {**TARGETS[0]["labels"], "release": release}}]
        variables = {"dirs": [str(d) for d in dirs], "content": yaml.safe_dump(targets),
                     "ansible_python_interpreter": sys.executable}
        result = run_playbook(path, *args, local=True, extra_vars=variables, vars_dir=tmp_path,
                              json_output=True, timeout=300)
        return result.returncode, json.loads(result.stdout)

    return run


def stats(output):
    return output["stats"]["localhost"]


def test_written_and_a_foreign_directory_keeps_its_owner_and_mode(play, tmp_path):
    # A second deploy changing nothing: test_deploy.py's test_second_run_changes_and_restarts_nothing.
    new_dir, owned_dir = tmp_path / "etc" / "prometheus" / "file_sd", tmp_path / "owned"
    owned_dir.mkdir()
    owned_dir.chmod(0o775)
    os.chown(owned_dir, 65534, 65534)  # as prometheus.prometheus leaves it: prometheus:prometheus 0775
    rc, output = play([new_dir, owned_dir])
    assert rc == 0, output
    assert stats(output)["changed"] == 3  # the new directory and two files
    for directory in (new_dir, owned_dir):
        written = directory / "flaskrock-hello.yml"
        assert yaml.safe_load(written.read_text()) == TARGETS
        assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert stat.S_IMODE(new_dir.stat().st_mode) == 0o755
    assert stat.S_IMODE(owned_dir.stat().st_mode) == 0o775 and owned_dir.stat().st_uid == 65534


def test_check_mode_reports_the_change_and_writes_nothing(play, tmp_path):
    existing = tmp_path / "existing"
    rc, output = play([existing])
    assert rc == 0, output
    before = (existing / "flaskrock-hello.yml").read_text()
    missing = tmp_path / "missing" / "file_sd"
    rc, output = play([existing, missing], "--check", "--diff", release="0.2-def")
    assert rc == 0, output
    # A new release changes the file; a missing directory would be created (and the file with it).
    assert stats(output)["changed"] == 2
    assert (existing / "flaskrock-hello.yml").read_text() == before
    assert not missing.exists()
    diffs = json.dumps(output)
    assert "0.2-def" in diffs


def test_a_path_that_is_not_a_directory_fails_naming_the_variable(play, tmp_path):
    not_a_dir = tmp_path / "file_sd"
    not_a_dir.write_text("a file\n")
    rc, output = play([not_a_dir])
    assert rc != 0
    messages = json.dumps(output)
    assert f"deploy_prometheus_file_sd_dir {not_a_dir} exists on localhost but is not a directory" in messages
    assert "Traceback" not in messages
    assert not_a_dir.read_text() == "a file\n"
