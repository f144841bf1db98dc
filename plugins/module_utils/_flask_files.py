# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The one place that reads project files: containment, file types, size limits, decoding.

Every file of a project the collection reads goes through ``read_project_bytes`` (or its text
variants): the path must resolve inside the project (symlinks that stay inside are followed), the
file must be a regular file (a FIFO, device or socket is refused before anything is read, so a
read never blocks) and is read up to ``LIMITS.file_bytes``. Tree walks go through ``walk_files``,
bounded by ``LIMITS.walk_entries`` and ``LIMITS.walk_seconds``.

The limits (``Limits``) are the collection's only copy of these numbers; the modules may raise
``file_bytes`` from an option (``max_file_size`` of flaskrock.paas.flask_project).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import codecs
import errno
import io
import os
import stat
import time
import tokenize
import traceback

MIB = 1024 * 1024
BUG_REPORTS = "the issue tracker of the collection's repository, see galaxy.yml"


class Limits:
    """The bounds on what the collection reads from a project (generous for any real project)."""

    # One project file (rockcraft.yaml, requirement files, pyproject.toml, Python entrypoint candidates).
    file_bytes = 4 * MIB
    # A Python entrypoint candidate (app.py...): parsing takes up to ~250 bytes of memory per source
    # byte on pathological code (a 300,000-term expression), so this is the smaller bound.
    source_bytes = 512 * 1024
    # rockcraft.yaml (parsed by pure-Python PyYAML: a few seconds and tens of MiB per MiB).
    yaml_bytes = 1 * MIB
    # rockcraft.yaml: nesting depth and the nodes an alias may add (billion-laughs bombs).
    yaml_depth = 64
    yaml_nodes = 100000
    # Requirement files: one logical line, the logical lines of all files, the -r/-c nesting depth
    # and the number of files read.
    requirement_line_chars = 65536
    requirement_lines = 10000
    requirement_depth = 16
    requirement_files = 256
    # prime: entries with glob characters (each is matched against every staged file).
    prime_globs = 256
    prime_entries = 100000
    # Tree walks (the app files, the project files of `pip install .`).
    walk_entries = 200000
    walk_seconds = 120.0


LIMITS = Limits()
# Pseudo file systems that never hold a project.
PSEUDO_FILESYSTEMS = ("/proc", "/sys", "/dev", "/run")


class ProjectFileError(Exception):
    """A project file cannot be used; the message names the file and says why."""


class _Current:
    """The project file being read or walked, named by a module's last-resort error handler."""

    path = None


CURRENT = _Current()


def is_inside(root_real, path):
    """True when the already-resolved ``path`` is ``root_real`` or below it."""
    return path == root_real or path.startswith(root_real.rstrip(os.sep) + os.sep)


def escaping_symlink_target(root_real, path):
    """Return where ``path`` resolves to when it is a symlink leading outside the project, else None."""
    if not os.path.islink(path):
        return None
    target = os.path.realpath(path)
    if is_inside(root_real, target):
        return None
    return target


def symlink_outside_message(rel, target):
    return (
        "%s is a symlink resolving outside the project (to %s); nothing outside the project may "
        "reach the image: replace it with a real file or directory, or leave it out of the rock"
        % (rel, target)
    )


def file_kind(mode):
    """``a FIFO``, ``a character device``... for a stat mode that is not a regular file."""
    for test, kind in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISLNK, "a symlink"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def not_regular_message(rel, mode):
    return "%s is %s, not a regular file: refusing to read it" % (rel, file_kind(mode))


def size_message(rel, limit):
    option = "max_source_size" if limit == LIMITS.source_bytes and rel.endswith(".py") else "max_file_size"
    return (
        "%s is larger than %d bytes (%s), the limit on a project file this collection reads "
        "(raise it with the %s option of flaskrock.paas.flask_project if it is really needed)"
        % (rel, limit, "%d KiB" % (limit // 1024) if limit < MIB else "%d MiB" % (limit // MIB), option)
    )


def check_project_dir(src):
    """Refuse a project directory that is the file system root or a pseudo file system."""
    real = os.path.realpath(src)
    if real == os.sep:
        raise ProjectFileError(
            "project directory %s is the file system root: refusing to read a whole system as a "
            "project; point src at the project's own directory" % src
        )
    for pseudo in PSEUDO_FILESYSTEMS:
        if is_inside(pseudo, real):
            raise ProjectFileError(
                "project directory %s is inside %s, a pseudo file system, not a project: refusing to "
                "read it" % (src, pseudo)
            )


def read_regular_file(path, label, limit=None, original=None):
    """The bytes of ``path`` (symlinks already resolved by the caller), refusing anything but a
    regular file and anything larger than ``limit`` (``original``: the path before resolving, to name a
    dangling symlink). Never blocks: the file is opened non-blocking
    and checked (fstat) before the read."""
    limit = LIMITS.file_bytes if limit is None else limit
    CURRENT.path = label
    try:
        info = os.lstat(path)
    except OSError as err:
        if err.errno == errno.ENOENT and original is not None and os.path.islink(original):
            raise ProjectFileError("%s is a symlink that resolves to nothing (dangling)" % label) from None
        raise ProjectFileError("cannot read %s: %s" % (label, err.strerror or err)) from None
    if stat.S_ISLNK(info.st_mode):  # the caller resolved it: a link left means a loop
        raise ProjectFileError("%s is a symlink that resolves to nothing (a loop)" % label)
    if not stat.S_ISREG(info.st_mode):
        raise ProjectFileError(not_regular_message(label, info.st_mode))
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOCTTY", 0)
    )
    try:
        descriptor = os.open(path, flags)
    except OSError as err:
        raise ProjectFileError("cannot read %s: %s" % (label, err.strerror or err)) from None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        os.close(descriptor)
        if not stat.S_ISREG(info.st_mode):  # swapped between lstat and open
            raise ProjectFileError(not_regular_message(label, info.st_mode))
        raise ProjectFileError(size_message(label, limit))
    with io.open(descriptor, "rb", closefd=True) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as err:
            raise ProjectFileError("cannot read %s: %s" % (label, err.strerror or err)) from None
    if len(data) > limit:
        raise ProjectFileError(size_message(label, limit))
    return data


def resolve_inside(root, rel):
    """The real path of project-relative ``rel``; ProjectFileError when it resolves outside."""
    root_real = os.path.realpath(root)
    path = os.path.join(root, *rel.split("/"))
    real = os.path.realpath(path)
    if not is_inside(root_real, real):
        raise ProjectFileError(symlink_outside_message(rel, real))
    return real


def read_project_bytes(root, rel, limit=None):
    """The bytes of ``rel`` (project-relative, POSIX separators), resolved inside the project."""
    CURRENT.path = rel
    return read_regular_file(resolve_inside(root, rel), rel, limit, os.path.join(root, *rel.split("/")))


def decode_text(data, rel):
    """UTF-8 text (a leading byte-order mark accepted, as pip and Python do), NUL bytes refused."""
    if b"\x00" in data:
        raise ProjectFileError(
            "%s is not a text file: it contains NUL bytes at offset %d" % (rel, data.index(b"\x00"))
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ProjectFileError(
            "%s is not a UTF-8 text file: invalid byte 0x%02x at offset %d"
            % (rel, data[err.start], err.start)
        ) from None


def read_project_text(root, rel, limit=None):
    """Read ``rel`` (project-relative, POSIX separators) as UTF-8 text.

    Raises ProjectFileError naming the file when it is not inside the project, not a regular file,
    too large, not text (NUL bytes, invalid UTF-8) or unreadable.
    """
    return decode_text(read_project_bytes(root, rel, limit), rel)


def decode_python_source(data, rel):
    """Python source decoded as Python does: a PEP 263 coding cookie or a UTF-8 BOM, else UTF-8."""
    if b"\x00" in data:
        raise ProjectFileError(
            "%s is not a text file: it contains NUL bytes at offset %d" % (rel, data.index(b"\x00"))
        )
    declaration_error = None
    try:
        encoding, _lines = tokenize.detect_encoding(io.BytesIO(data).readline)
        codecs.lookup(encoding)
    except (SyntaxError, LookupError) as err:
        # Undecodable first lines, or an unknown encoding named: say which byte, or what Python says.
        encoding, declaration_error = "utf-8", getattr(err, "msg", None) or str(err)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        if encoding in ("utf-8", "utf-8-sig"):
            what = "a UTF-8 text file"
        else:
            what = "valid %s text (the encoding its coding declaration names)" % encoding
        raise ProjectFileError(
            "%s is not %s: invalid byte 0x%02x at offset %d" % (rel, what, data[err.start], err.start)
        ) from None
    if declaration_error:
        raise ProjectFileError("error parsing %s: %s" % (rel, declaration_error))
    return text


def read_python_source(root, rel, limit=None):
    """Python source text of ``rel``, decoded per PEP 263, at most LIMITS.source_bytes."""
    limit = LIMITS.source_bytes if limit is None else limit
    return decode_python_source(read_project_bytes(root, rel, limit), rel)


class WalkLimitError(ProjectFileError):
    """A tree walk went beyond LIMITS.walk_entries or LIMITS.walk_seconds."""


class Deadline:
    """Counts the entries of a tree walk and checks its time (monotonic clock)."""

    def __init__(self, what, entries=None, seconds=None):
        self.what = what
        self.entries_left = LIMITS.walk_entries if entries is None else entries
        self.seconds = LIMITS.walk_seconds if seconds is None else seconds
        self.end = time.monotonic() + self.seconds

    def tick(self, count=1):
        self.entries_left -= count
        if self.entries_left < 0:
            raise WalkLimitError(
                "%s holds more than %d entries, the limit of a tree walk: is this really the project "
                "directory? (leave big data directories out of it, or out of the prime)"
                % (self.what, LIMITS.walk_entries)
            )
        if time.monotonic() > self.end:
            raise WalkLimitError(
                "walking %s took longer than %d seconds, the limit of a tree walk: is this really the "
                "project directory (a network or very slow file system)?" % (self.what, self.seconds)
            )


def internal_error(module, module_name, error):
    """Fail ``module`` (an AnsibleModule) on an unexpected exception: name the project file involved
    and ask for a bug report; the traceback goes to ``exception``, which Ansible shows at -vvv."""
    where = " while reading %s" % CURRENT.path if CURRENT.path else ""
    module.fail_json(
        msg="flaskrock.paas.%s failed unexpectedly%s: %s: %s. This is a bug in flaskrock.paas: please "
        "report it (%s), with the file if you can share it; rerun with -vvv for the traceback"
        % (module_name, where, type(error).__name__, error, BUG_REPORTS),
        exception=traceback.format_exc(),
        project_file=CURRENT.path,
    )
