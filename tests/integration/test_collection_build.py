"""`ansible-galaxy collection build` gives an artifact with the collection and none of the dev files."""

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_GALAXY = str(Path(sys.executable).parent / "ansible-galaxy")
DEV_ONLY = (".venv/", ".cache/", ".ci/", ".config/", ".git/", "molecule/", "tests/", "bench/", "scripts/")


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    output = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [ANSIBLE_GALAXY, "collection", "build", "--output-path", str(output), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (built,) = output.glob("flaskrock-paas-*.tar.gz")
    return built


def member_names(artifact):
    with tarfile.open(artifact) as archive:
        return [name.removeprefix("./") for name in archive.getnames()]


def test_artifact_is_named_after_galaxy_yml(artifact):
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert artifact.name == f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"


def test_artifact_holds_the_collection(artifact):
    names = member_names(artifact)
    for expected in ("MANIFEST.json", "FILES.json", "README.md", "meta/runtime.yml",
                     "plugins/modules/flask_project.py", "playbooks/deploy.yml",
                     "observability/grafana/flaskrock-flask.json",
                     "observability/prometheus/flaskrock-flask.rules.yml",
                     "observability/prometheus/flaskrock-flask.rules.test.yml"):
        assert expected in names
    for role in ("docker_engine", "rock", "deploy"):
        assert f"roles/{role}/meta/argument_specs.yml" in names


def test_artifact_excludes_development_and_test_files(artifact):
    leaked = [name for name in member_names(artifact) if name.startswith(DEV_ONLY) or "__pycache__" in name]
    assert leaked == []


def test_manifest_declares_the_community_docker_dependency(artifact):
    with tarfile.open(artifact) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["dependencies"] == {"community.docker": ">=4.0.0"}
    assert manifest["collection_info"]["license"] == ["GPL-3.0-or-later"]
