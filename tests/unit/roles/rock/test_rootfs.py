"""roles/rock/files/flaskrock-rootfs, the assembler of a bare rock's root filesystem: its rules."""

import importlib.machinery
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest
from ansible_collections.flaskrock.paas.plugins.module_utils import _bare_rootfs as bare

SCRIPT = Path(__file__).resolve().parents[4] / "roles" / "rock" / "files" / "flaskrock-rootfs"
CONFIG = bare.rootfs_config("ubuntu@24.04")["config"]


@pytest.fixture(scope="module")
def rootfs():
    loader = importlib.machinery.SourceFileLoader("flaskrock_rootfs", str(SCRIPT))
    spec = importlib.util.spec_from_loader("flaskrock_rootfs", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("member", "path"),
    [
        ("./bin/bash", "usr/bin/bash"),
        ("./lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libc.so.6"),
        ("./lib64/ld-linux-x86-64.so.2", "usr/lib64/ld-linux-x86-64.so.2"),
        ("./usr/lib/python3.12/os.py", "usr/lib/python3.12/os.py"),
        ("./etc/.hidden", "etc/.hidden"),
        ("./", ""),
        ("./bin", "usr/bin"),
    ],
)
def test_paths_are_merged_into_usr(rootfs, member, path):
    assert rootfs.merged(member, CONFIG["usrmerge"]) == path


@pytest.mark.parametrize(
    ("package", "path", "kept"),
    [
        ("bash", "usr/bin/bash", True),
        ("bash", "usr/bin/bashbug", False),
        ("bash", "etc/skel/.bashrc", False),
        ("coreutils", "usr/bin/chown", True),
        ("coreutils", "usr/libexec/coreutils/libstdbuf.so", False),
        ("libc6", "usr/lib/x86_64-linux-gnu/libc.so.6", True),
        ("libc6", "usr/lib/x86_64-linux-gnu/gconv/UTF-16.so", False),
        ("libc6", "usr/share/doc/libc6/copyright", False),
        ("libpython3.12-stdlib", "usr/lib/python3.12/json/__init__.py", True),
        ("libpython3.12-stdlib", "usr/lib/python3.12/test/support/__init__.py", False),
        ("libpython3.12-stdlib", "usr/share/locale/de/LC_MESSAGES/x.mo", False),
        ("tzdata", "usr/share/zoneinfo/Europe/Paris", True),
        ("supervisor", "etc/supervisor/supervisord.conf", False),
        ("supervisor", "usr/lib/python3/dist-packages/supervisor/options.py", True),
        ("libpq5", "usr/lib/x86_64-linux-gnu/libpq.so.5", True),  # a user package: the common rules only
    ],
)
def test_path_rules(rootfs, package, path, kept):
    assert rootfs.keep(package, path, CONFIG) is kept


def test_depends_take_every_group_and_its_alternatives(rootfs):
    assert rootfs._first_choices("libc6 (>= 2.38), debconf (>= 0.5) | debconf-2.0, python3:any") == [
        ["libc6"],
        ["debconf", "debconf-2.0"],
        ["python3"],
    ]
    assert rootfs._first_choices("") == []


def test_unresolved_libraries_are_named(rootfs):
    listing = (
        "\tlinux-vdso.so.1 (0x00007ffd)\n"
        "\tlibpq.so.5 => not found\n"
        "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n"
    )
    assert rootfs.unresolved(1, listing, "") == ["libpq.so.5"]
    assert rootfs.unresolved(0, "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)\n", "") == []
    assert rootfs.unresolved(1, "", "\tnot a dynamic executable\n") == []
    assert rootfs.unresolved(127, "", "chroot: failed to run command") == ["chroot: failed to run command"]


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb")
def test_extraction_of_a_real_deb_keeps_allowed_members_only(rootfs, tmp_path):
    """A .deb made by dpkg-deb with a binary, a symlink and a doc file, extracted by extract()."""
    package = tmp_path / "pkg"
    (package / "DEBIAN").mkdir(parents=True)
    (package / "DEBIAN" / "control").write_text(
        "Package: bash\nVersion: 1\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: t\n"
    )
    (package / "bin").mkdir()
    (package / "bin" / "bash").write_bytes(b"ELF")
    (package / "bin" / "bash").chmod(0o755)
    (package / "bin" / "rbash").symlink_to("bash")
    (package / "usr" / "share" / "doc" / "bash").mkdir(parents=True)
    (package / "usr" / "share" / "doc" / "bash" / "copyright").write_text("(c)")
    deb = tmp_path / "bash.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "--build", str(package), str(deb)], check=True, capture_output=True
    )
    root = tmp_path / "root"
    written = rootfs.extract("coreutils", str(deb), str(root), CONFIG)  # coreutils' rules: usr/bin/* only
    assert sorted(written) == ["usr/bin/bash", "usr/bin/rbash"]
    assert (root / "usr/bin/bash").read_bytes() == b"ELF"
    assert (root / "usr/bin/rbash").readlink() == Path("bash")
    assert (root / "usr/bin/bash").stat().st_mode & 0o777 == 0o755
    assert not (root / "usr/share").exists()
