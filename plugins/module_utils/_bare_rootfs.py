# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""What the root filesystem of a ``bare`` rock contains: decided here, carried out at build time.

A bare rock is assembled, the way a chiselled rock is, from the build-base's own Ubuntu packages:
the interpreter and its standard library, the shared libraries they load, CA certificates data,
bash and coreutils (the spec's ``bash_bins``, ``coreutils_bins``, ``ca-certificates_data``,
``libstdc++6``), supervisord (the process supervisor the launcher starts) and the user's
``stage-packages`` with their library dependencies. No apt, no dpkg database, no perl.

``rootfs_config`` returns the ``rootfs`` entry of the build plan; ``roles/rock/files/flaskrock-rootfs``
carries it out in the ``rootfs`` stage of the Dockerfile (``apt-get download``, ``dpkg-deb``,
path rules) and proves it complete: every ELF file must find its shared libraries in the rootfs,
or the build fails naming the file and the library.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.flaskrock.paas.plugins.module_utils import _runtime as runtime

# The packages of every bare rock, per build-base (explicit: nothing is pulled in implicitly).
COMMON_PACKAGES = (
    # the C and C++ runtimes (runtime-libs: libstdc++6)
    "libc6",
    "libgcc-s1",
    "libstdc++6",
    # the libraries the interpreter and its standard-library extension modules load
    "libexpat1",
    "zlib1g",
    "libbz2-1.0",
    "liblzma5",
    "libffi8",
    "libsqlite3-0",
    "libcrypt1",
    # data the standard library reads: MIME types, services/protocols, time zones
    "media-types",
    "netbase",
    "tzdata",
    # bash_bins and coreutils_bins, and the libraries they load
    "bash",
    "libtinfo6",
    "coreutils",
    "libacl1",
    "libattr1",
    "libgmp10",
    "libselinux1",
    "libpcre2-8-0",
    # supervisord, which plays Pebble's part
    "supervisor",
    "python3-pkg-resources",
)
BASE_PACKAGES = {
    # 3.10 links _decimal to libmpdec3 and _uuid to libuuid1; 3.12 has both built in.
    "ubuntu@22.04": (
        "python3.10-minimal",
        "libpython3.10-minimal",
        "libpython3.10-stdlib",
        "python3-minimal",
        "libssl3",
        "libmpdec3",
        "libuuid1",
    ),
    "ubuntu@24.04": (
        "python3.12-minimal",
        "libpython3.12-minimal",
        "libpython3.12-stdlib",
        "python3-minimal",
        "libssl3t64",
    ),
}
PYTHON_VERSIONS = {"ubuntu@22.04": "3.10", "ubuntu@24.04": "3.12"}

# Never extracted, even when a user's stage package depends on them: package management, perl,
# init scripts' helpers, and what the layout provides itself (the interpreter's meta packages).
NEVER = (
    "adduser",
    "base-files",
    "base-passwd",
    "debconf",
    "debconf-2.0",
    "debianutils",
    "dpkg",
    "gcc-*-base",
    "init-system-helpers",
    "install-info",
    "libc-bin",
    "login",
    "lsb-base",
    "passwd",
    "perl",
    "perl-base",
    "perl-modules-*",
    "python3",
    "python3.10",
    "python3.12",
    "libpython3-stdlib",
    "sensible-utils",
    "ucf",
)

# Paths (relative to the root, /bin, /sbin and /lib* already merged into /usr) dropped from every
# package: documentation, translations, packaging metadata, service-manager files.
DROP = (
    "usr/share/doc/*",
    "usr/share/doc-base/*",
    "usr/share/man/*",
    "usr/share/info/*",
    "usr/share/locale/*",
    "usr/share/lintian/*",
    "usr/share/bug/*",
    "usr/share/menu/*",
    "usr/share/bash-completion/*",
    "usr/share/gdb/*",
    "usr/share/gcc/*",
    "usr/share/binfmts/*",
    "usr/share/pixmaps/*",
    "usr/share/applications/*",
    "usr/lib/systemd/*",
    "usr/lib/tmpfiles.d/*",
    "etc/init.d/*",
    "etc/default/*",
    "etc/logrotate.d/*",
    "etc/cron.*/*",
    # glibc's iconv modules (8 MB): Python's codecs are its own.
    "usr/lib/*/gconv/*",
    "usr/lib/python3*/test/*",
    "usr/lib/python3*/config-*/*",
    "*/__pycache__/*",
)
# Packages of which only these paths are kept.
KEEP_ONLY = {
    "bash": ("usr/bin/bash",),
    "coreutils": ("usr/bin/*",),
    "python3-minimal": ("usr/bin/python3",),
    "python3.10-minimal": ("usr/bin/python3.10",),
    "python3.12-minimal": ("usr/bin/python3.12",),
    "supervisor": ("usr/bin/supervisord", "usr/bin/supervisorctl", "usr/lib/python3/dist-packages/*"),
    "tzdata": ("usr/share/zoneinfo/*",),
    "libselinux1": ("usr/lib/*",),
}
# Standard-library extension modules left out on purpose, with the libraries they would need
# (listed in roles/rock/README.md): removed after extraction, before the completeness check.
LEFT_OUT_MODULES = {
    "_curses, _curses_panel": ("_curses.*", "_curses_panel.*"),  # libncursesw6
    "_dbm": ("_dbm.*",),  # libdb5.3
    "readline": ("readline.*",),  # libreadline8
    "nis": ("nis.*",),  # libnsl2, libtirpc3, Kerberos (3.10)
    "the CPython test modules": ("_test*", "_ctypes_test.*", "_xx*", "xx*"),
}
USRMERGE = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# The dynamic loader of each architecture, first one present is used for the completeness check.
LOADERS = ("/usr/lib64/ld-linux-x86-64.so.2", "/usr/lib/ld-linux-aarch64.so.1")
# Installed in the rootfs stage (never in the image) to run the assembler: python3, and the CA
# bundle generated from the archive's ca-certificates alone (no build-only CA reaches that stage).
SETUP_PACKAGES = ("python3", "ca-certificates")


def supported_build_bases():
    return sorted(BASE_PACKAGES)


def packages(build_base):
    """The explicit package allow-list of a bare rock on ``build_base`` (None when unsupported)."""
    if build_base not in BASE_PACKAGES:
        return None
    return sorted(set(COMMON_PACKAGES) | set(BASE_PACKAGES[build_base]))


def removed_paths(python_version):
    return [
        "usr/lib/python%s/lib-dynload/%s" % (python_version, pattern)
        for patterns in LEFT_OUT_MODULES.values()
        for pattern in patterns
    ]


def accounts(contract):
    """/etc/passwd and /etc/group lines: root and the rock's user (no useradd in a bare rock)."""
    user, uid, gid = contract["user"], contract["uid"], contract["gid"]
    return {
        "/etc/passwd": [
            "root:x:0:0:root:/root:/usr/bin/bash",
            "%s:x:%d:%d::/nonexistent:/usr/bin/false" % (user, uid, gid),
        ],
        "/etc/group": ["root:x:0:", "%s:x:%d:" % (user, gid)],
    }


def rootfs_config(build_base, user_packages=(), contract=None):
    """The ``rootfs`` entry of a bare rock's build plan (None for an unsupported build-base).

    ``config`` is the same for every project on ``build_base`` (its Docker layer is shared by them
    all); ``user_packages`` are added in a layer of their own, with their dependencies."""
    allow = packages(build_base)
    if allow is None:
        return None
    contract = runtime.contract() if contract is None else contract
    python = PYTHON_VERSIONS[build_base]
    return {
        "build_base": build_base,
        "python_version": python,
        "setup_packages": list(SETUP_PACKAGES),
        "user_packages": sorted(set(user_packages) - set(allow)),
        "config": {
            "packages": allow,
            "never": list(NEVER),
            "drop": list(DROP),
            "keep_only": {package: list(paths) for package, paths in sorted(KEEP_ONLY.items())},
            "remove": removed_paths(python),
            "usrmerge": dict(USRMERGE),
            # The stage's own bundle (source) is copied to the same path in the rootfs (dest).
            "copy": {CA_BUNDLE: CA_BUNDLE},
            "symlinks": {
                "/usr/bin/sh": "bash",
                # OpenSSL's default paths (Python's ssl.get_default_verify_paths()) lead to the bundle.
                "/usr/lib/ssl/certs": "/etc/ssl/certs",
                "/usr/lib/ssl/cert.pem": CA_BUNDLE,
            },
            "dirs": {"/tmp": "1777", "/root": "0700"},
            "files": accounts(contract),
            "loaders": list(LOADERS),
        },
    }
