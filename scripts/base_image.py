#!/usr/bin/env python3
"""Print the Docker base image the rock role builds a Flask project on.

The project's base is rockcraft.yaml's ``base`` (the collection's default base when the file or the
key is missing); for ``bare``, its ``build-base`` (the bare rock is assembled from that image's
packages). The image is the rock role's default ``rock_base_images`` entry for it. Prints nothing
when no image serves that base (an unknown base, bare without a build-base): the role then explains.

Usage: scripts/base_image.py PROJECT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".venv" / "collections"))

from ansible_collections.flaskrock.paas.plugins.module_utils._flask_project import (  # noqa: E402
    DEFAULT_BASE,
)

ROCK_DEFAULTS = ROOT / "roles" / "rock" / "defaults" / "main.yml"


def project_base(project_dir):
    """The base whose image builds the project: rockcraft.yaml's base (its build-base for ``bare``,
    "" when it has none), or DEFAULT_BASE when there is none (unreadable files included)."""
    rockcraft = Path(project_dir) / "rockcraft.yaml"
    try:
        data = yaml.safe_load(rockcraft.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return DEFAULT_BASE
    data = data if isinstance(data, dict) else {}
    base = data.get("base")
    if base == "bare":
        base = data.get("build-base")
        return base.replace(":", "@", 1) if isinstance(base, str) else ""
    return base if isinstance(base, str) and base else DEFAULT_BASE


def base_image(project_dir, defaults_file=ROCK_DEFAULTS):
    images = yaml.safe_load(Path(defaults_file).read_text(encoding="utf-8"))["rock_base_images"]
    return images.get(project_base(project_dir), "")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    image = base_image(argv[0])
    if image:
        print(image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
