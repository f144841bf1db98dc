# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Project files that never go into an image: dotenv files (``.env``, ``.env.*``, ``.flaskenv``).

They hold a developer's local settings and often secrets (python-dotenv, ``flask run``). Rockcraft
would ship them with the rest of the project; an image is copied to every host and kept in its
build cache, so they are left out of the app files, of the requirement paths and of the project
``pip install .`` builds, and flaskrock.paas.flask_project warns, naming them. Their values belong
in the deploy role's variables (``deploy_env``, ``deploy_config``, ``deploy_flask_secret_key``).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import posixpath
import re

# A file named .env, .env.<anything> (.env.local, .env.production) or .flaskenv, at any depth.
DOTENV_NAME = re.compile(r"^(\.env(\..+)?|\.flaskenv)$")


def is_dotenv(rel):
    """Whether the project-relative path ``rel`` names a dotenv file."""
    return bool(DOTENV_NAME.match(posixpath.basename(rel)))


def without_dotenv(rels):
    """(the paths that may go into an image, the dotenv files left out), both in their order."""
    kept, left_out = [], []
    for rel in rels:
        (left_out if is_dotenv(rel) else kept).append(rel)
    return kept, left_out


def dotenv_warning(left_out):
    """The warning of flaskrock.paas.flask_project naming the dotenv files left out."""
    return (
        "%s left out of the image: dotenv files hold local settings and secrets, and an image is "
        "copied to every host. Pass their values at deploy time: deploy_env (raw variables), "
        "deploy_config (FLASK_<OPTION>) or deploy_flask_secret_key (Ansible Vault) of "
        "flaskrock.paas.deploy; .flaskenv's FLASK_APP and FLASK_DEBUG are not used by Gunicorn"
        % ", ".join(left_out)
    )
