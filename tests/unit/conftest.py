"""Shared fixtures of the unit tests."""

import pathlib
import sys

import pytest
import yaml


def find_repo_root(start):
    """The checkout holding ``start``: the nearest directory upwards with the collection's galaxy.yml."""
    for directory in pathlib.Path(start).resolve().parents:
        if (directory / "galaxy.yml").is_file():
            return directory
    raise RuntimeError(f"no galaxy.yml above {start}: not inside the flaskrock.paas checkout")


REPO_ROOT = find_repo_root(__file__)
# The checkout is importable as ansible_collections.flaskrock.paas through the bootstrap's symlink,
# and the repository's scripts (scripts/*.py) by their module names.
for extra_path in (REPO_ROOT / ".venv" / "collections", REPO_ROOT / "scripts"):
    if str(extra_path) not in sys.path:
        sys.path.insert(0, str(extra_path))


def write_project(root, files):
    """Create ``files`` ({relative path: str | bytes | dict (YAML) | None (directory)}) below ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, dict):
            path.write_text(yaml.safe_dump(content, sort_keys=False))
        else:
            path.write_text(content)
    return root


@pytest.fixture
def make_project(tmp_path):
    """Return a factory creating a project directory named ``name`` under tmp_path."""

    def factory(files, name="demo"):
        return write_project(tmp_path / name, files)

    return factory
