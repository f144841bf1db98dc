"""Unit tests of the reproducible build-context archive (module_utils/rock_context.py)."""

import hashlib
import io
import os
import tarfile
import time
import zipfile

import pytest
from ansible_collections.flaskrock.paas.plugins.module_utils._rock_context import (
    CONTEXT_MTIME,
    ContextError,
    archive_bytes,
    collect_members,
    write_if_changed,
)
from hypothesis import given
from hypothesis import strategies as st


def _project(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "app.py").write_text("app = 1\n")
    (tmp_path / "templates" / "index.html").write_text("<p>hi</p>\n")
    (tmp_path / "migrate.sh").write_text("true\n")
    (tmp_path / "migrate.sh").chmod(0o755)
    return tmp_path


def _archive(trees=(), files=(), contents=()):
    members, directories = collect_members(list(trees), list(files), list(contents))
    return archive_bytes(members, directories)


def _listing(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return {m.name: (m.type, oct(m.mode), m.uid, m.mtime) for m in archive.getmembers()}


def test_trees_keep_relative_paths_and_permissions_under_their_directory(tmp_path):
    root = _project(tmp_path)
    paths = ["app.py", "migrate.sh", "templates/index.html"]
    data = _archive(trees=[{"src": str(root), "dest": "app", "paths": paths}])
    listing = _listing(data)
    assert sorted(listing) == ["app", *(f"app/{p}" for p in paths[:2]), "app/templates", f"app/{paths[2]}"]
    assert listing["app/migrate.sh"][1] == "0o755"
    assert listing["app/app.py"][1] == oct((root / "app.py").stat().st_mode & 0o7777)
    assert listing["app/templates"][0] == tarfile.DIRTYPE
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        assert archive.extractfile("app/templates/index.html").read() == b"<p>hi</p>\n"


def test_an_empty_tree_still_gives_its_directory(tmp_path):
    listing = _listing(_archive(trees=[{"src": str(tmp_path), "dest": "build-ca", "paths": []}]))
    assert listing == {"build-ca": (tarfile.DIRTYPE, "0o755", 0, CONTEXT_MTIME)}


def test_contents_and_files_with_explicit_modes(tmp_path):
    binary = tmp_path / "statsd_exporter"
    binary.write_bytes(b"\x7fELF")
    binary.chmod(0o600)
    data = _archive(
        files=[{"src": str(binary), "dest": "statsd_exporter", "mode": "0755"}],
        contents=[
            {"dest": "config/build-env", "content": "export A=1\n", "mode": "0600"},
            {"dest": "Dockerfile", "content": "FROM scratch\n"},
        ],
    )
    listing = _listing(data)
    assert listing["statsd_exporter"][1] == "0o755"
    assert listing["config/build-env"][1] == "0o600"
    assert listing["Dockerfile"][1] == "0o644"
    assert listing["config"][0] == tarfile.DIRTYPE


def test_same_members_give_the_same_bytes_whatever_the_file_times(tmp_path):
    root = _project(tmp_path)
    tree = [{"src": str(root), "dest": "app", "paths": ["templates/index.html", "app.py"]}]
    first = _archive(trees=tree)
    os.utime(root / "app.py", (1_000_000, 1_000_000))
    assert hashlib.sha256(_archive(trees=tree)).hexdigest() == hashlib.sha256(first).hexdigest()
    assert all(mtime == CONTEXT_MTIME and uid == 0 for _, _, uid, mtime in _listing(first).values())
    (root / "app.py").write_text("app = 2\n")
    assert _archive(trees=tree) != first


@pytest.mark.parametrize("zone", ["Etc/GMT+12", "UTC", "Etc/GMT-14", "America/Los_Angeles"])
def test_every_member_time_can_go_into_a_zip_in_any_time_zone(tmp_path, monkeypatch, zone):
    """What flit_core, wheel and hatchling do with the files of the context during pip install .:
    zipfile refuses a local time before 1980 ("ZIP does not support timestamps before 1980")."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        (tmp_path / "project").mkdir()
        root = _project(tmp_path / "project")
        data = _archive(trees=[{"src": str(root), "dest": "app", "paths": ["app.py", "migrate.sh"]}])
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            archive.extractall(tmp_path / "out", filter="tar")
        extracted = tmp_path / "out" / "app" / "app.py"
        assert extracted.stat().st_mtime == CONTEXT_MTIME
        with zipfile.ZipFile(tmp_path / "project.whl", "w") as wheel:
            wheel.write(extracted, "app.py")
            assert wheel.getinfo("app.py").date_time[0] == 1980
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


@pytest.mark.parametrize("dest", ["/etc/passwd", "../outside", "app/../../outside", "", "."])
def test_destinations_outside_the_context_are_refused(tmp_path, dest):
    with pytest.raises(ContextError, match="must be a relative path inside the build context"):
        _archive(contents=[{"dest": dest, "content": "x"}])


def test_tree_paths_must_be_normalised(tmp_path):
    with pytest.raises(ContextError, match="must be a normalised relative path"):
        _archive(trees=[{"src": str(tmp_path), "dest": "app", "paths": ["./app.py"]}])


def test_the_same_destination_twice_is_refused(tmp_path):
    root = _project(tmp_path)
    with pytest.raises(ContextError, match=r"'app/app\.py' is given twice"):
        _archive(
            trees=[{"src": str(root), "dest": "app", "paths": ["app.py"]}],
            contents=[{"dest": "app/app.py", "content": "x"}],
        )


def test_missing_and_non_regular_sources_are_named(tmp_path):
    with pytest.raises(ContextError, match=r"cannot read .*/nope\.py: No such file or directory"):
        _archive(trees=[{"src": str(tmp_path), "dest": "app", "paths": ["nope.py"]}])
    (tmp_path / "dir").mkdir()
    with pytest.raises(ContextError, match=r"/dir is not a regular file"):
        _archive(files=[{"src": str(tmp_path / "dir"), "dest": "x"}])


@pytest.mark.parametrize("mode", ["rw-r--r--", "99999", "0o644x"])
def test_bad_modes_are_refused(mode):
    with pytest.raises(ContextError, match="is not an octal permission"):
        _archive(contents=[{"dest": "Dockerfile", "content": "x", "mode": mode}])


def test_write_if_changed_writes_once_and_honours_check_mode(tmp_path):
    path = tmp_path / "context.tar"
    data = _archive(contents=[{"dest": "Dockerfile", "content": "FROM scratch\n"}])
    assert write_if_changed(str(path), data, write=False) == (True, hashlib.sha256(data).hexdigest())
    assert not path.exists()
    assert write_if_changed(str(path), data) == (True, hashlib.sha256(data).hexdigest())
    assert path.read_bytes() == data
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert write_if_changed(str(path), data)[0] is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["context.tar"]


@given(st.lists(st.text(min_size=1, max_size=20), max_size=8))
def test_any_destination_gives_an_archive_or_a_clear_error(destinations):
    contents = [{"dest": dest, "content": dest} for dest in destinations]
    try:
        data = _archive(contents=contents)
    except ContextError as error:
        assert str(error)
    else:
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for member in archive.getmembers():
                assert not member.name.startswith("/"), member.name
                assert ".." not in member.name.split("/"), member.name
