#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_project
short_description: Validate a Flask project and expand Rockcraft's flask-framework extension
version_added: 0.1.0
description:
  - Reads a Flask project directory (and its optional C(rockcraft.yaml)) on the controller and
    checks it the way Rockcraft 1.20's C(flask-framework) extension does before C(rockcraft pack).
  - Returns the project with the extension expanded, as C(rockcraft expand-extensions) prints it,
    together with the facts an image builder needs (entrypoint, worker class, the files that land
    in C(/flask/app), the requirement files, the migration command).
  - Returns the build plan of the image (RV(plan)), which the C(flaskrock.paas.rock) role renders.
  - Goes beyond Rockcraft where Rockcraft is wrong or unsafe, see the notes.
  - Changes nothing; always returns C(changed=false).
  - Reads only regular files that resolve inside the project (a FIFO, device, socket or a symlink
    leading outside is refused, naming the file), each up to a size limit (O(max_file_size),
    O(max_source_size), 1 MiB for C(rockcraft.yaml)); YAML alias bombs, deep nesting and duplicate
    keys are refused. The limits are listed in the collection's README (Security).
author:
  - flaskrock.paas developers (@flaskrock)
requirements:
  - Python 3.11 or later on the controller (for C(tomllib))
  - packaging
  - PyYAML
attributes:
  check_mode:
    support: full
    description: Only reads files, so check mode returns the same answer.
  diff_mode:
    support: none
    description: Nothing is changed, there is no diff.
options:
  src:
    description:
      - Path of the project directory on the controller.
      - A relative path resolves against the module's working directory, which for a local run
        is the playbook's directory; pass an absolute path (for example with the
        C(ansible.builtin.realpath) filter, which resolves against the directory C(ansible-playbook)
        was started from) to avoid surprises.
    type: path
    required: true
  rockcraft_yaml:
    description:
      - Path of the C(rockcraft.yaml) to use.
      - Defaults to C(<src>/rockcraft.yaml). Without that file the name is the directory name,
        the base C(ubuntu@24.04) and the version C(0.1).
      - When set explicitly, the file must exist.
    type: path
  name:
    description: Rock name, overriding C(name) in C(rockcraft.yaml).
    type: str
  max_file_size:
    description:
      - Largest project file read, in bytes (C(requirements.txt) and the files it includes,
        C(pyproject.toml)). A larger file is refused, naming it.
      - C(rockcraft.yaml) has its own fixed limit of 1 MiB, Python entrypoint candidates O(max_source_size).
    type: int
    default: 4194304
  max_source_size:
    description:
      - Largest Python entrypoint candidate (C(app.py), C(main.py), C(app/__init__.py)...) parsed, in
        bytes. Parsing takes up to about 250 bytes of memory per byte of pathological source, hence
        the smaller default.
    type: int
    default: 524288
  base:
    description: Base (C(bare), C(ubuntu@22.04), C(ubuntu:22.04), C(ubuntu@24.04)), overriding the file.
    type: str
  build_base:
    description: Build base (C(ubuntu@22.04), C(ubuntu@24.04)), overriding C(build-base) in the file.
    type: str
  version:
    description: Rock version, overriding C(version) in the file.
    type: str
  base_images:
    description:
      - Docker image of each base (C(ubuntu@22.04), C(ubuntu@24.04)) for RV(plan.images).
      - The C(flaskrock.paas.rock) role passes its C(rock_base_images).
    type: dict
    default:
      ubuntu@22.04: ubuntu:22.04
      ubuntu@24.04: ubuntu:24.04
    version_added: 0.2.0
notes:
  - "Beyond Rockcraft: requirement files are read with pip's format: C(#) comments (also inline),
    C(\\\\) continuations, option lines such as C(-i), C(--extra-index-url), C(--hash), C(-e) and
    C(-r)/C(-c) includes, which are followed inside the project. An include or local path leading
    outside the project is an error naming it. Names in constraint files (C(-c)) are not direct
    dependencies."
  - "Beyond Rockcraft: a file that is not UTF-8 text (invalid bytes, NUL bytes) is reported by name;
    C(pyproject.toml) syntax errors are reported instead of crashing."
  - "Beyond Rockcraft: C(app: Flask = Flask(__name__)) (annotated assignment) is a valid global."
  - "Beyond Rockcraft: C(prime) entries that escape C(flask/app) after normalisation, and symlinks
    resolving outside the project among the files that reach the image, are refused by name; a
    C(prime) entry not starting with C(flask/app) gets Rockcraft's message followed by the entry."
  - "Beyond Rockcraft: the entrypoint files are parsed for the rock's Python (RV(python_version)),
    whatever Python runs the module; a parse error says C((line N, checked against Python 3.X)).
    When this Python is older than the rock's, a file using newer syntax (PEP 701 f-strings, PEP 695
    type parameters) on its failing statement is read from its tokens, with a warning; the image
    build of C(flaskrock.paas.rock) compiles every C(.py) file of the app with the rock's own Python."
  - All problems are collected and reported together, one per line starting with C(- ).
seealso:
  - name: Rockcraft flask-framework extension
    description: The reference this module reproduces.
    link: https://documentation.ubuntu.com/rockcraft/en/latest/reference/extensions/flask-framework/
"""

EXAMPLES = r"""
- name: Validate the project and expand the flask-framework extension
  flaskrock.paas.flask_project:
    src: "{{ playbook_dir }}/../examples/hello"
  register: hello_project

- name: Show the WSGI entrypoint and worker class
  ansible.builtin.debug:
    msg: "{{ hello_project.entrypoint }} with {{ hello_project.worker_class }} workers"

- name: Validate with a different version than rockcraft.yaml declares
  flaskrock.paas.flask_project:
    src: /srv/projects/shop
    version: "2.3.1"
"""

RETURN = r"""
expanded:
  description:
    - The project's C(rockcraft.yaml) with the flask-framework extension applied, as
      C(rockcraft expand-extensions) prints it (the C(source) of C(flask-framework/config-files)
      points at the extension's data directory in the Rockcraft snap).
  returned: success
  type: dict
  sample:
    name: hello
    base: ubuntu@24.04
    version: "0.1"
    run-user: _daemon_
    services: {}
    parts: {}
expanded_yaml:
  description: RV(expanded) as YAML text (block style for multi-line strings), ready to print or save.
  returned: success
  type: str
  sample: "name: hello\nbase: ubuntu@24.04\n..."
name:
  description: Rock name.
  returned: success
  type: str
  sample: hello
base:
  description: Base of the rock.
  returned: success
  type: str
  sample: ubuntu@24.04
build_base:
  description: Build base, or null when none is set.
  returned: success
  type: str
  sample: null
version:
  description: Rock version (C(0.1) when the project sets none).
  returned: success
  type: str
  sample: "0.1"
python_version:
  description: Python minor version of the runtime (C(3.10) for 22.04, C(3.12) for 24.04).
  returned: success
  type: str
  sample: "3.12"
entrypoint:
  description:
    - WSGI application for Gunicorn (C(module:variable) or C(module:factory())).
    - Taken from C(services.flask.command) when the user sets it; null if it cannot be found there.
  returned: success
  type: str
  sample: app:app
worker_class:
  description: Default Gunicorn worker class, C(gevent) exactly when gevent is a direct dependency.
  returned: success
  type: str
  sample: sync
requirements:
  description: Sorted lower-case names of the direct dependencies.
  returned: success
  type: list
  elements: str
  sample: [flask, gevent]
requirements_files:
  description: Sorted project-relative requirement files read (requirements.txt and its -r/-c includes).
  returned: success
  type: list
  elements: str
  sample: [requirements.txt]
requirements_paths:
  description:
    - Sorted project-relative local paths the requirement files install from (C(-e ./lib),
      C(./wheels/x.whl), C(--find-links ./wheels)); a builder copies them with RV(requirements_files).
  returned: success
  type: list
  elements: str
  sample: [libs/helper]
install_project:
  description: True when setup.py or pyproject.toml exists (the python plugin then runs C(pip install .)).
  returned: success
  type: bool
  sample: false
project_dependencies:
  description:
    - The static C([project].dependencies) of pyproject.toml when RV(install_project) is true; empty
      when they are dynamic or one is a direct reference (C(name @ url)).
    - A builder installs them before the project's code, so a code-only change reuses that layer.
  returned: success
  type: list
  elements: str
  sample: ["Flask>=3.0"]
app_files:
  description:
    - Sorted project-relative paths of the files that land under C(/flask/app).
    - File C(x/y.py) lands at C(/flask/app/x/y.py).
  returned: success
  type: list
  elements: str
  sample: [app.py, migrate.sh, static/style.css, templates/index.html]
migration:
  description: Migration command run in C(/flask/app) before the app starts, or null.
  returned: success
  type: list
  elements: str
  sample: [bash, -eo, pipefail, migrate.sh]
service_command:
  description: The Pebble command of the C(flask) service after expansion.
  returned: success
  type: str
  sample: "/bin/python3 -m gunicorn -c /flask/gunicorn.conf.py 'app:app' -k [ sync ]"
plan:
  description:
    - The framework-neutral build plan of the image, every decision an image builder needs; the
      C(flaskrock.paas.rock) role only renders it (Dockerfile, supervisord and Gunicorn
      configuration, launcher configuration) and orchestrates the build.
    - Paths, user and ports come from the runtime contract (RV(plan.contract)).
  returned: success
  type: dict
  version_added: 0.2.0
  contains:
    framework:
      description: Framework name (service name, C(/<framework>) directory).
      type: str
      sample: flask
    project_dir:
      description: Real path of the project directory (the files the build context takes).
      type: str
      sample: /srv/projects/hello
    name:
      description: Rock name (the image repository).
      type: str
    version:
      description: Rock version (the first part of the image tag).
      type: str
    base:
      description: Base of the rock.
      type: str
    build_base:
      description: Build base, or null.
      type: str
    images:
      description:
        - Docker image of the C(build) and C(runtime) stages, from O(base_images).
        - Null where O(base_images) has no image for the base; C(runtime) is null for C(bare).
      type: dict
      sample: {build: "ubuntu:24.04", runtime: "ubuntu:24.04"}
    build_stage_repository:
      description: Repository of the kept build-stage image (the dependency cache).
      type: str
      sample: hello-build-stage
    build_packages:
      description: apt packages of the build stage (the layout's, then the parts' C(build-packages)).
      type: list
      elements: str
      sample: [ca-certificates, python3-venv]
    runtime_packages:
      description:
        - apt packages of the final stage (the layout's, then the parts' C(stage-packages) without the
          extension's own; a Chisel slice such as C(libpq5_libs) becomes its package C(libpq5)).
      type: list
      elements: str
      sample: [python3, supervisor, ca-certificates, libpq5]
    python_packages:
      description: Python packages installed first (C(python-packages) of the dependencies part).
      type: list
      elements: str
      sample: [gunicorn~=23.0]
    python_requirements:
      description: Requirement files installed with C(pip install -r) (C(python-requirements)).
      type: list
      elements: str
      sample: [requirements.txt]
    requirements_files:
      description: Same as RV(requirements_files).
      type: list
      elements: str
    requirements_paths:
      description: Same as RV(requirements_paths).
      type: list
      elements: str
    kept_paths:
      description: Image paths of RV(plan.requirements_paths), copied from the build stage to the same place.
      type: list
      elements: str
      sample: [/project/lib]
    install_project:
      description: Same as RV(install_project).
      type: bool
    project_dependencies:
      description: Same as RV(project_dependencies).
      type: list
      elements: str
    app_files:
      description: Same as RV(app_files).
      type: list
      elements: str
    owned_dirs:
      description: Directories of the final image owned by the daemon user.
      type: list
      elements: str
    owned_files:
      description: Empty files of the final image owned by the daemon user (the Gunicorn logs).
      type: list
      elements: str
    files:
      description:
        - Files copied into the final image, in order (C(src) in the build context, C(dest) in the
          image, C(owned) by the daemon user).
      type: list
      elements: dict
    env:
      description: Environment of the final image.
      type: dict
    expose:
      description: Ports the image exposes (Gunicorn, statsd-exporter metrics).
      type: list
      elements: int
      sample: [8000, 9102]
    healthcheck:
      description: Docker health check (C(command), C(interval), C(timeout), C(start_period), C(retries)).
      type: dict
    app_check:
      description:
        - The image build's last step (C(command)), run by the image's own Python, compiling every
          C(.py) file of the app directory; its report lines start with C(marker).
      type: dict
    services:
      description:
        - The services supervisord runs, in start order. Each has a fixed C(command), the C(default_args)
          Pebble-style C(--args <service> ...) replaces, the variable C(args_env) carrying them, the
          C(working_dir) and the C(stop_timeout) in seconds.
      type: list
      elements: dict
    gunicorn_command:
      description: Gunicorn command line without C(-k), or null without an entrypoint.
      type: list
      elements: str
      sample: [python3, -m, gunicorn, -c, /flask/gunicorn.conf.py, "app:app"]
    gunicorn:
      description: Settings of the image's C(gunicorn.conf.py) (C(bind), C(chdir), C(statsd_host), log files).
      type: dict
    launcher:
      description: The image's entrypoint C(command), and the C(config) it reads from C(config_path).
      type: dict
    labels:
      description: Labels of the image (name to value), in Dockerfile order.
      type: dict
    contract:
      description: The runtime contract (user, uid, ports, paths, label names) of the framework.
      type: dict
warnings:
  description:
    - Things Rockcraft would reject or read differently that this module accepts, emitted as Ansible warnings.
    - Ansible only keeps this key when there is at least one warning; use C(result.warnings | default([]))
      or RV(project_warnings).
  returned: when there are warnings
  type: list
  elements: str
  sample:
    - the WSGI application app:app is bound by an annotated assignment, which Rockcraft 1.20 ignores
project_warnings:
  description: The same list as RV(warnings), always present (empty when there is nothing to say).
  returned: always
  type: list
  elements: str
  sample: []
problems:
  description: On failure, every problem found (C(msg) holds them one per line, each starting with C(- )).
  returned: failed
  type: list
  elements: str
  sample: ["Missing WSGI entrypoint in default search locations"]
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402
from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_project as flask_project  # noqa: E402
from ansible_collections.flaskrock.paas.plugins.module_utils import (  # noqa: E402
    _flask_requirements as flask_requirements,
)
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_files import (  # noqa: E402
    LIMITS,
    internal_error,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path", required=True),
            rockcraft_yaml=dict(type="path"),
            name=dict(type="str"),
            base=dict(type="str"),
            build_base=dict(type="str"),
            version=dict(type="str"),
            base_images=dict(type="dict", default=dict(flask_project.DEFAULT_BASE_IMAGES)),
            max_file_size=dict(type="int", default=LIMITS.file_bytes),
            max_source_size=dict(type="int", default=LIMITS.source_bytes),
        ),
        supports_check_mode=True,
    )
    try:
        run(module)
    except Exception as error:
        internal_error(module, "flask_project", error)


def run(module):
    for present, library, error in (
        (flask_requirements.HAS_PACKAGING, "packaging", flask_requirements.PACKAGING_IMPORT_ERROR),
        (
            flask_requirements.HAS_TOMLLIB,
            "tomllib (Python 3.11 or later)",
            flask_requirements.TOMLLIB_IMPORT_ERROR,
        ),
        (flask_project.HAS_YAML, "PyYAML", flask_project.YAML_IMPORT_ERROR),
    ):
        if not present:
            module.fail_json(msg=missing_required_lib(library), exception=error)

    params = module.params
    for option in ("max_file_size", "max_source_size"):
        if params[option] < 1024:
            module.fail_json(msg="%s must be at least 1024 (bytes), not %d" % (option, params[option]))
    LIMITS.file_bytes = params["max_file_size"]
    LIMITS.source_bytes = params["max_source_size"]
    try:
        result = flask_project.inspect_project(
            os.path.abspath(params["src"]),
            rockcraft_yaml=os.path.abspath(params["rockcraft_yaml"]) if params["rockcraft_yaml"] else None,
            name=params["name"],
            base=params["base"],
            build_base=params["build_base"],
            version=params["version"],
            base_images=params["base_images"],
        )
    except flask_project.FlaskProjectError as err:
        for warning in err.warnings:
            module.warn(warning)
        module.fail_json(msg=str(err), problems=err.problems, project_warnings=err.warnings, changed=False)
    # Ansible reserves the "warnings" key: module.warn() fills it (present only when non-empty);
    # project_warnings always carries the same list.
    project_warnings = result.pop("warnings")
    for warning in project_warnings:
        module.warn(warning)
    module.exit_json(changed=False, project_warnings=project_warnings, **result)


if __name__ == "__main__":
    main()
