# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Safe reading of project files: text decoding, containment and symlink checks."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import os


class ProjectFileError(Exception):
    """A project file cannot be used; the message names the file and says why."""


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


def read_project_text(root, rel):
    """Read ``rel`` (project-relative, POSIX separators) as UTF-8 text.

    Raises ProjectFileError naming the file when it is not inside the project, not text
    (NUL bytes, invalid UTF-8) or unreadable.
    """
    root_real = os.path.realpath(root)
    path = os.path.join(root, *rel.split("/"))
    real = os.path.realpath(path)
    if not is_inside(root_real, real):
        raise ProjectFileError(symlink_outside_message(rel, real))
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as err:
        raise ProjectFileError("cannot read %s: %s" % (rel, err.strerror or err)) from None
    if b"\x00" in data:
        raise ProjectFileError(
            "%s is not a text file: it contains NUL bytes at offset %d" % (rel, data.index(b"\x00"))
        )
    try:
        # utf-8-sig: a leading byte-order mark is accepted, as pip and Python do.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ProjectFileError(
            "%s is not a UTF-8 text file: invalid byte 0x%02x at offset %d"
            % (rel, data[err.start], err.start)
        ) from None
