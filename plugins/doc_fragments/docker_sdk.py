# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Shared by the small Docker SDK modules the deploy role uses where community.docker has no module.
    DOCUMENTATION = r"""
requirements:
  - Docker SDK for Python (C(python3-docker)) on the managed host.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: >-
      Will return details on what has changed (or possibly needs changing in check_mode),
      when in diff mode.
    support: none
options:
  docker_host:
    description: Docker daemon URL.
    type: str
    default: unix:///var/run/docker.sock
"""
