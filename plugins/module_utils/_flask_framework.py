# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Flask on top of the Gunicorn base: what Rockcraft's flask-framework extension adds to it."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_entrypoint as flask_entrypoint
from ansible_collections.flaskrock.paas.plugins.module_utils._gunicorn_framework import GunicornFramework

MISSING_REQUIREMENTS = (
    "missing a requirements file (requirements.txt or pyproject.toml). The flask-framework extension "
    "requires one of these files with 'flask' specified as a dependency."
)
MISSING_FLASK = "missing flask package dependency in requirements file."
DEFAULT_PRIME_FILES = (
    "app",
    "app.py",
    "main.py",
    "src",
    "migrate",
    "migrate.sh",
    "migrate.py",
    "static",
    "templates",
)


class FlaskFramework(GunicornFramework):
    name = "flask"
    required_package = "flask"
    missing_requirements_message = MISSING_REQUIREMENTS
    missing_package_message = MISSING_FLASK
    default_prime_files = DEFAULT_PRIME_FILES

    def find_entrypoint(self, root, rock_name, python_version=None):
        """app.py, main.py, then app/, src/ and the rock-named package (Rockcraft's search order),
        parsed for the rock's Python."""
        return flask_entrypoint.find_entrypoint(root, rock_name, python_version)


FLASK = FlaskFramework()
