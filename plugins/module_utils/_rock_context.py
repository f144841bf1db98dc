# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Write a Docker build context as one reproducible tar archive.

The same members give the same bytes (sorted names, one fixed time, root owner), so the archive's
sha256 says whether anything changed, and a build context of many files crosses to the builder
host as one transfer instead of one per file.
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import stat
import tarfile
import tempfile

# The time of every member (a SOURCE_DATE_EPOCH-style constant): 1980-01-02T00:00:00Z. Not 0: the
# builders that zip the project (flit_core, wheel, hatchling... during ``pip install .``) refuse
# times before 1980, and a ZIP stores local time, so 1980-01-01T00:00Z would read as 1979 west of
# UTC; a day later is 1980 in every time zone (UTC-12 to UTC+14). Valid for tar, zip and every
# format a wheel or sdist builder writes.
CONTEXT_MTIME = 315619200


# A member larger than this is refused (the archive is built in memory).
MAX_MEMBER_BYTES = 1024 * 1024 * 1024


class ContextError(Exception):
    """A member that cannot go into the build context; the message says which and why."""


class Symlink(str):
    """A symbolic link member: its (relative) target."""


def _inside(root_real, path):
    return path == root_real or path.startswith(root_real.rstrip(os.sep) + os.sep)


def _open_regular(path, label, follow):
    """(mode, bytes) of a regular file, opened non-blocking (a FIFO never blocks) and checked with
    fstat after opening (a file swapped for something else is refused)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise ContextError(f"cannot read {label}: {error.strerror or error}") from None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_MEMBER_BYTES:
        os.close(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise ContextError(f"{label} is not a regular file")
        raise ContextError(f"{label} is larger than {MAX_MEMBER_BYTES} bytes")
    with io.open(descriptor, "rb", closefd=True) as handle:
        data = handle.read(info.st_size + 1)
    if len(data) > info.st_size:
        raise ContextError(f"{label} grew while it was read: refusing it (did the project change?)")
    return stat.S_IMODE(info.st_mode), data


def tree_member(src, path):
    """(mode, bytes) or (None, Symlink) of project-relative ``path`` below ``src``, checked again at
    the time it is read (defence in depth after validation):

    - no parent directory of ``path`` may be a symlink (its members could be anywhere);
    - a symlink must resolve inside ``src``: to a directory (or nothing: dangling), it becomes a
      relative symlink member (Rockcraft copies links; the image gets the link), to a file, the
      file's content;
    - anything but a regular file or such a symlink (FIFO, device, socket) is refused.

    Hard links are copied as ordinary files: their content is read through the project's own path.
    """
    root_real = os.path.realpath(src)
    parts = path.split("/")
    current = src
    for index, part in enumerate(parts[:-1]):
        current = os.path.join(current, part)
        try:
            info = os.lstat(current)
        except OSError as error:
            raise ContextError(f"cannot read {src}/{path}: {error.strerror or error}") from None
        if stat.S_ISLNK(info.st_mode):
            prefix = "/".join(parts[: index + 1])
            raise ContextError(
                f"{path} of {src} lies under {prefix}, a symlink: refusing to read through it "
                "(did the project change since it was validated?)"
            )
    full = os.path.join(src, *parts)
    label = f"{src}/{path}"
    try:
        info = os.lstat(full)
    except OSError as error:
        raise ContextError(f"cannot read {label}: {error.strerror or error}") from None
    if stat.S_ISLNK(info.st_mode):
        real = os.path.realpath(full)
        if not _inside(root_real, real) or real == root_real:
            raise ContextError(
                f"{label} is a symlink resolving outside {src} (to {real}): refusing to copy it "
                "(did the project change since it was validated?)"
            )
        if os.path.isdir(real) or not os.path.exists(real):  # a directory, or dangling: a link, as Rockcraft
            target = os.path.relpath(real, root_real).replace(os.sep, "/")
            return None, Symlink(posixpath.relpath(target, posixpath.dirname(path) or "."))
        return _open_regular(real, label, follow=False)
    if not stat.S_ISREG(info.st_mode):
        raise ContextError(f"{label} is not a regular file")
    return _open_regular(full, label, follow=False)


def _member_name(dest):
    name = posixpath.normpath(dest)
    if not dest or posixpath.isabs(dest) or name == "." or name.split("/")[0] == "..":
        raise ContextError(f"dest {dest!r} must be a relative path inside the build context")
    return name


def _mode(value, default):
    if value is None or value == "":
        return default
    try:
        mode = int(str(value), 8)
    except ValueError:
        raise ContextError(f"mode {value!r} is not an octal permission such as '0644'") from None
    if not 0 <= mode <= 0o7777:
        raise ContextError(f"mode {value!r} is not an octal permission such as '0644'")
    return mode


def collect_members(trees, files, contents):
    """Return ({archive name: (mode, bytes)}, directories) for trees and files read from disk and
    inline contents. Each tree's dest directory is in the archive even when it lists no path."""
    members, directories = {}, set()

    def add(dest, mode, data):
        name = _member_name(dest)
        if name in members or name in directories:
            raise ContextError(f"{name!r} is given twice")
        members[name] = (mode, data)

    def add_file(src, dest, mode):
        # Files given one by one (CA certificates, rendered configuration) are the role's own:
        # symlinks are followed, but only a regular file is read.
        file_mode, data = _open_regular(src, src, follow=True)
        add(dest, _mode(mode, file_mode), data)

    for tree in trees:
        directories.add(_member_name(tree["dest"]))
        for path in tree["paths"]:
            if _member_name(path) != path:
                raise ContextError(f"path {path!r} of {tree['src']} must be a normalised relative path")
            mode, data = tree_member(tree["src"], path)
            add(posixpath.join(tree["dest"], path), mode, data)
    for entry in files:
        add_file(entry["src"], entry["dest"], entry.get("mode"))
    for entry in contents:
        add(entry["dest"], _mode(entry.get("mode"), 0o644), entry["content"].encode("utf-8"))
    return members, directories


def _parents(names):
    parents = set()
    for name in names:
        parent = posixpath.dirname(name)
        while parent:
            parents.add(parent)
            parent = posixpath.dirname(parent)
    return parents


def archive_bytes(members, directories=()):
    """The reproducible tar archive of members, their parent directories and directories."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        entries = [(name, None) for name in (_parents(members) | _parents(directories) | set(directories))]
        entries += list(members.items())
        for name, member in sorted(entries):
            info = tarfile.TarInfo(name)
            info.mtime = CONTEXT_MTIME
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if member is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                archive.addfile(info)
            elif isinstance(member[1], Symlink):
                info.type, info.mode, info.linkname = tarfile.SYMTYPE, 0o777, str(member[1])
                archive.addfile(info)
            else:
                info.mode, info.size = member[0], len(member[1])
                archive.addfile(info, io.BytesIO(member[1]))
    return buffer.getvalue()


def sha256_of_file(path):
    try:
        with open(path, "rb") as handle:
            digest = hashlib.sha256()
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
            return digest.hexdigest()
    except FileNotFoundError:
        return None


def write_if_changed(path, data, write=True):
    """Write data to path atomically unless it already holds it; return (changed, sha256)."""
    digest = hashlib.sha256(data).hexdigest()
    if sha256_of_file(path) == digest:
        return False, digest
    if write:
        directory = os.path.dirname(os.path.abspath(path))
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".rock-context-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
    return True, digest
