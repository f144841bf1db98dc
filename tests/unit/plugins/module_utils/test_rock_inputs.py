"""The build inputs' checks and digest (module_utils/_rock_inputs.py, module flaskrock.paas.rock_inputs)."""

import hashlib

import pytest
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_project import inspect_project
from ansible_collections.flaskrock.paas.plugins.module_utils._rock_inputs import (
    InputsError,
    architecture,
    check_base_image,
    digest_inputs,
    project_files,
    statsd_exporter_source,
)

APP = "from flask import Flask\napp = Flask(__name__)\n"
STATSD = {
    "src": "",
    "version": "0.26.0",
    "url": "https://example.com/{arch}.tar.gz",
    "checksums": {},
    "checksums_url": "https://example.com/sums",
}


def digest(plan, **overrides):
    options = dict(base_image_id="sha256:base", contents={"Dockerfile": "FROM x\n"}, statsd_exporter=STATSD)
    options.update(overrides)
    return digest_inputs(plan, **options)


@pytest.fixture
def project(make_project):
    return make_project(
        {
            "requirements.txt": "flask\n-e ./lib\n",
            "app.py": APP,
            "lib/pyproject.toml": "[project]\nname = 'lib'\n",
            "lib/lib/__init__.py": "",
            "lib/__pycache__/x.pyc": b"\0",
            "notes.txt": "not shipped\n",
            ".git/HEAD": "ref\n",
        }
    )


def plan_of(path, **options):
    return inspect_project(str(path), **options)["plan"]


def test_same_inputs_same_digest_and_tag(project):
    first, second = digest(plan_of(project)), digest(plan_of(project))
    assert first == second
    assert first["tag"] == "0.1-" + first["digest"]
    assert len(first["digest"]) == 12 and int(first["digest"], 16) >= 0
    assert first["local_image"] == first["image"] == "demo:" + first["tag"]
    assert digest(plan_of(project), registry="registry.example:5000/team/")["image"] == (
        "registry.example:5000/team/demo:" + first["tag"]
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda project: (project / "app.py").write_text(APP + "# changed\n"),
        lambda project: (project / "requirements.txt").write_text("flask\n-e ./lib\ngevent\n"),
        lambda project: (project / "lib" / "lib" / "__init__.py").write_text("X = 1\n"),
    ],
    ids=["app file", "requirement file", "file below a local requirement path"],
)
def test_every_shipped_file_is_in_the_digest(project, change):
    before = digest(plan_of(project))["digest"]
    change(project)
    assert digest(plan_of(project))["digest"] != before


def test_unshipped_and_ignored_files_are_not(project):
    before = digest(plan_of(project))["digest"]
    (project / "notes.txt").write_text("changed\n")
    (project / ".git" / "HEAD").write_text("other\n")
    (project / "lib" / "__pycache__" / "x.pyc").write_bytes(b"\1")
    assert digest(plan_of(project))["digest"] == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"base_image_id": "sha256:other"},
        {"contents": {"Dockerfile": "FROM y\n"}},
        {"build_env": {"PIP_INDEX_URL": "https://mirror/simple"}},
        {"statsd_exporter": dict(STATSD, checksums={"amd64": "0" * 64})},
        {"arch": "arm64"},
    ],
    ids=["base image", "rendered file", "build env", "statsd checksum", "architecture"],
)
def test_build_settings_are_in_the_digest(project, overrides):
    assert digest(plan_of(project), **overrides)["digest"] != digest(plan_of(project))["digest"]


def test_controller_files_and_ca_certificates_are_digested_by_content(project, tmp_path):
    ca, config = tmp_path / "corp.pem", tmp_path / "launcher"
    ca.write_text("CA 1\n")
    config.write_text("one\n")
    plan = plan_of(project)
    before = digest(plan, build_ca_certificates=[str(ca)], files={"config/launcher": str(config)})
    ca.write_text("CA 2\n")
    after_ca = digest(plan, build_ca_certificates=[str(ca)], files={"config/launcher": str(config)})
    config.write_text("two\n")
    after_config = digest(plan, build_ca_certificates=[str(ca)], files={"config/launcher": str(config)})
    assert len({before["digest"], after_ca["digest"], after_config["digest"]}) == 3
    assert before["context_files"] == [{"src": str(ca), "dest": "build-ca/0-corp.crt", "mode": "0644"}]


def test_requirement_files_include_the_local_path_files_but_not_ignored_ones(project):
    result = digest(plan_of(project))
    assert result["requirement_files"] == ["lib/lib/__init__.py", "lib/pyproject.toml", "requirements.txt"]
    assert result["project_files"] == []


def test_install_project_ships_every_project_file_but_ignored_ones(make_project):
    project = make_project(
        {
            "requirements.txt": "flask\n",
            "app.py": APP,
            "setup.py": "",
            "node_modules/x.js": "",
            "a/b.rock": "",
        }
    )
    assert digest(plan_of(project))["project_files"] == ["app.py", "requirements.txt", "setup.py"]
    assert project_files(str(project)) == ["app.py", "requirements.txt", "setup.py"]


def test_statsd_exporter_sources(tmp_path):
    assert statsd_exporter_source(STATSD, "arm64") == {
        "kind": "download",
        "src": "",
        "url": "https://example.com/arm64.tar.gz",
        "checksum": "https://example.com/sums",
        "archive": "arm64.tar.gz",
        "arch": "arm64",
    }
    pinned = statsd_exporter_source(dict(STATSD, checksums={"amd64": "a" * 64}), "amd64")
    assert pinned["checksum"] == "a" * 64
    assert (
        statsd_exporter_source({"src": "/x/statsd_exporter-0.26.0.linux-amd64.tar.gz"}, "amd64")["kind"]
        == "archive"
    )
    assert statsd_exporter_source({"src": "/x/statsd_exporter"}, "amd64")["kind"] == "binary"


def test_a_local_statsd_exporter_binary_goes_into_the_context_and_its_content_into_the_digest(
    project, tmp_path
):
    binary = tmp_path / "statsd_exporter"
    binary.write_bytes(b"#!/bin/sh\n")
    result = digest(plan_of(project), statsd_exporter={"src": str(binary)})
    assert result["context_files"] == [{"src": str(binary), "dest": "statsd_exporter", "mode": "0755"}]
    binary.write_bytes(b"#!/bin/sh\necho\n")
    assert digest(plan_of(project), statsd_exporter={"src": str(binary)})["digest"] != result["digest"]


def test_a_download_that_cannot_be_verified_is_refused():
    with pytest.raises(InputsError) as error:
        statsd_exporter_source(dict(STATSD, checksums={"amd64": ""}, checksums_url=""), "amd64")
    assert str(error.value) == (
        "rock_statsd_exporter_checksums.amd64 and rock_statsd_exporter_checksums_url are both empty, "
        "so the downloaded statsd_exporter 0.26.0 archive could not be verified: set the first to the "
        "sha256 listed for statsd_exporter-0.26.0.linux-amd64.tar.gz in the release's sha256sums.txt (or "
        "the second to that file's URL), or set rock_statsd_exporter_src to a local archive or binary."
    )


def test_missing_local_files_are_named(project, tmp_path):
    with pytest.raises(InputsError) as error:
        digest(
            plan_of(project),
            build_ca_certificates=[str(tmp_path / "no.crt")],
            statsd_exporter={"src": "/no/se"},
        )
    assert str(error.value) == (
        f"Not found on the controller: {tmp_path / 'no.crt'}, /no/se (from rock_build_ca_certificates or "
        "rock_statsd_exporter_src)."
    )


def test_missing_base_image_says_how_to_get_it():
    check_base_image("ubuntu:24.04", "sha256:1", "ubuntu@24.04", "web1")
    with pytest.raises(InputsError) as error:
        check_base_image("mirror/ubuntu:24.04", "", "ubuntu@24.04", "web1")
    assert str(error.value) == (
        "Base image mirror/ubuntu:24.04 (for base ubuntu@24.04) is not present on the builder web1, and "
        "the role never pulls implicitly. Get it with `docker pull mirror/ubuntu:24.04` on the builder, "
        "build it offline with the collection's scripts/ubuntu-images.sh (debootstrap), or point "
        "rock_base_images at an image you have."
    )


def test_architecture_names():
    assert [architecture(name) for name in ("x86_64", "amd64", "aarch64", "arm64", "s390x")] == [
        "amd64",
        "amd64",
        "arm64",
        "arm64",
        "s390x",
    ]


def test_digest_covers_the_content_not_the_path(project):
    plan = plan_of(project)
    result = digest(plan)
    manual = hashlib.sha256((project / "app.py").read_bytes()).hexdigest()
    (project / "app.py").write_text(APP)  # same bytes rewritten
    assert digest(plan)["digest"] == result["digest"]
    assert len(manual) == 64


def test_dotenv_files_never_reach_the_build_context(make_project):
    """Not even the build stage (kept on the builder) gets a .env: -e . ships the whole project."""
    project = make_project(
        {
            "requirements.txt": "-e .\n",
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1"\ndependencies = ["flask"]\n',
            "app.py": APP,
            ".env": "SECRET=1\n",
            ".flaskenv": "FLASK_APP=app\n",
            "config/.env.production": "SECRET=2\n",
            "config/settings.env": "kept, not a dotenv file name\n",
        }
    )
    inputs = digest(plan_of(project))
    expected = ["app.py", "config/settings.env", "pyproject.toml", "requirements.txt"]
    assert inputs["project_files"] == expected
    assert inputs["requirement_files"] == expected
