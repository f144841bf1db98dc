"""What a bare rock's root filesystem contains (module_utils/_bare_rootfs.py)."""

import fnmatch

import pytest
from ansible_collections.flaskrock.paas.plugins.module_utils import _bare_rootfs as bare
from ansible_collections.flaskrock.paas.plugins.module_utils import _runtime as runtime
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_expansion import PYTHON_VERSIONS


@pytest.mark.parametrize(
    ("build_base", "python", "libssl"),
    [("ubuntu@22.04", "3.10", "libssl3"), ("ubuntu@24.04", "3.12", "libssl3t64")],
)
def test_each_build_base_has_its_python_and_libraries(build_base, python, libssl):
    config = bare.rootfs_config(build_base)
    assert config["python_version"] == python == PYTHON_VERSIONS[build_base]
    packages = config["config"]["packages"]
    for package in (f"python{python}-minimal", f"libpython{python}-stdlib", "python3-minimal", libssl):
        assert package in packages
    # the spec's bare runtime: bash_bins, coreutils_bins, ca-certificates_data, libstdc++6
    assert {"bash", "coreutils", "libstdc++6", "supervisor"} <= set(packages)
    assert packages == sorted(set(packages))


@pytest.mark.parametrize("build_base", ["ubuntu@22.04", "ubuntu@24.04"])
def test_no_package_manager_no_perl(build_base):
    packages = bare.rootfs_config(build_base)["config"]["packages"]
    for never in ("apt", "dpkg", "perl-base", "perl", "debconf", "ca-certificates"):
        assert never not in packages
    assert not [package for package in packages if any(fnmatch.fnmatchcase(package, n) for n in bare.NEVER)]


def test_unsupported_build_base_has_no_root_filesystem():
    assert bare.rootfs_config("ubuntu@20.04") is None
    assert bare.packages(None) is None


def test_user_packages_are_the_ones_not_allow_listed_already():
    config = bare.rootfs_config("ubuntu@24.04", ["libpq5", "libc6", "libpq5"])
    assert config["user_packages"] == ["libpq5"]


def test_layout_of_the_contract():
    config = bare.rootfs_config("ubuntu@24.04", contract=runtime.contract())["config"]
    assert config["dirs"]["/tmp"] == "1777"
    assert config["symlinks"]["/usr/bin/sh"] == "bash"
    assert config["symlinks"]["/usr/lib/ssl/cert.pem"] == config["copy"][bare.CA_BUNDLE] == bare.CA_BUNDLE
    assert config["files"]["/etc/group"] == ["root:x:0:", "_daemon_:x:584792:"]
    assert config["usrmerge"]["bin"] == "usr/bin"


def test_left_out_modules_are_removed_by_python_version():
    removed = bare.rootfs_config("ubuntu@22.04")["config"]["remove"]
    assert "usr/lib/python3.10/lib-dynload/readline.*" in removed
    assert "usr/lib/python3.10/lib-dynload/_curses.*" in removed
    assert "usr/lib/python3.10/lib-dynload/nis.*" in removed
    assert not [path for path in removed if "_ssl" in path or "_sqlite3" in path or "_ctypes." in path]
