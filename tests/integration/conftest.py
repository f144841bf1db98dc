"""Shared fixtures of the integration tests (keep small; helpers live in helpers.py)."""

import os
import shutil

import pytest
from helpers import REPO_ROOT, drop_kept_layers


@pytest.fixture(scope="session")
def repo_root():
    return REPO_ROOT


@pytest.fixture(scope="session")
def docker_available():
    if shutil.which("docker") is None:
        pytest.skip("docker CLI not available")
    return True


@pytest.fixture(scope="session", autouse=True)
def build_cache():
    """Image layers remove_app kept for later builds: dropped at the end of a bare pytest run;
    scripts/test.sh (FLASKROCK_TEST_CACHE_ID set) drops them after the Molecule scenarios."""
    yield
    if not os.environ.get("FLASKROCK_TEST_CACHE_ID") and shutil.which("docker"):
        drop_kept_layers()
