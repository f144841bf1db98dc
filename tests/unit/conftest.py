"""Shared fixtures of the unit tests."""

import pathlib
import sys

import pytest
import yaml

# The checkout is importable as ansible_collections.flaskrock.paas through the bootstrap's symlink.
COLLECTIONS_PATH = str(pathlib.Path(__file__).resolve().parents[2] / ".venv" / "collections")
if COLLECTIONS_PATH not in sys.path:
    sys.path.insert(0, COLLECTIONS_PATH)


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
