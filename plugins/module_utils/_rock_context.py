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


class ContextError(Exception):
    """A member that cannot go into the build context; the message says which and why."""


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
        try:
            info = os.stat(src)
            if not stat.S_ISREG(info.st_mode):
                raise ContextError(f"{src} is not a regular file")
            with open(src, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise ContextError(f"cannot read {src}: {error.strerror or error}") from None
        add(dest, _mode(mode, stat.S_IMODE(info.st_mode)), data)

    for tree in trees:
        directories.add(_member_name(tree["dest"]))
        for path in tree["paths"]:
            if _member_name(path) != path:
                raise ContextError(f"path {path!r} of {tree['src']} must be a normalised relative path")
            add_file(os.path.join(tree["src"], path), posixpath.join(tree["dest"], path), None)
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
