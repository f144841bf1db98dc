"""Shared fixtures of the integration tests (keep small; helpers live in helpers.py)."""

import shutil

import pytest
from helpers import REPO_ROOT


@pytest.fixture(scope="session")
def repo_root():
    return REPO_ROOT


@pytest.fixture(scope="session")
def docker_available():
    if shutil.which("docker") is None:
        pytest.skip("docker CLI not available")
    return True
