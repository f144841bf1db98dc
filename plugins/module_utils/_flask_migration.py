# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The migration command the 12-factor charm would run for a Flask app."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

# Lowest precedence first: when several exist in /flask/app, the later one wins.
MIGRATION_COMMANDS = (
    ("migrate", ["./migrate"]),
    ("migrate.sh", ["bash", "-eo", "pipefail", "migrate.sh"]),
    ("migrate.py", ["python3", "migrate.py"]),
    ("manage.py", ["python3", "manage.py", "migrate"]),
)


def migration_file(app_files):
    """The top-level file of ``app_files`` (paths relative to /flask/app) that defines the migration."""
    present = set(app_files)
    chosen = None
    for filename, _command in MIGRATION_COMMANDS:
        if filename in present:
            chosen = filename
    return chosen


def migration_command(app_files):
    """The migration command list for the files that reach /flask/app, or None."""
    chosen = migration_file(app_files)
    for filename, command in MIGRATION_COMMANDS:
        if filename == chosen:
            return list(command)
    return None
