# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Controller-side decisions of the flaskrock.paas.rock role (its filters): which plan to build,
whether the role can build it, which hosts lack the image, what a failed build said."""

from __future__ import annotations

import ast
import copy
import re

from ansible_collections.flaskrock.paas.plugins.module_utils._rock_plan import (
    APP_CHECK_MARKER,
    resolve_images,
)


class RockBuildError(Exception):
    """The input is not what the role produces; the message says why."""


def plan_for(project, base_images):
    """The build plan of a flaskrock.paas.flask_project result, its stage images resolved against
    ``base_images`` (the result may have been computed with other ones, e.g. by another play)."""
    plan = project.get("plan") if isinstance(project, dict) else None
    if not isinstance(plan, dict):
        raise RockBuildError(
            "rock_project must be the registered result of flaskrock.paas.flask_project (0.2.0 or later, "
            "it returns the build plan), or empty to validate the project in the role"
        )
    plan = copy.deepcopy(plan)
    plan["images"] = resolve_images(plan.get("base"), plan.get("build_base"), base_images)
    return plan


def project_problems(project, base_images, builder, play_hosts, project_dir):
    """Why the role cannot build ``project`` (a flask_project result) on ``builder``, one message
    each; empty when it can."""
    # The role's own validation was skipped (or there is nothing at all): no project to build.
    nothing = not project or (isinstance(project, dict) and project.get("skipped"))
    if nothing and not project_dir:
        return [
            "rock_project_dir must name the Flask project directory on the controller "
            "(or rock_project hold its flaskrock.paas.flask_project result)."
        ]
    try:
        return plan_problems(plan_for(project, base_images), base_images, builder, play_hosts)
    except RockBuildError as error:
        return [str(error)]


def plan_problems(plan, base_images, builder, play_hosts):
    """Why the role cannot build ``plan`` on ``builder`` (empty when it can), one message each."""
    problems = []
    base = plan.get("base")
    choices = ", ".join(base_images)
    if not plan["images"]["runtime"]:
        if base == "bare":
            problems.append(
                "No Docker image is configured for the build-base %s of base bare: set build-base to one "
                "of %s in rockcraft.yaml or rock_build_base, or add it to rock_base_images."
                % (plan.get("build_base"), choices)
            )
        else:
            problems.append(
                "No Docker image is configured for base %s: set base to one of %s in rockcraft.yaml or "
                "rock_base, or add the base to rock_base_images." % (base, choices)
            )
    elif base == "bare" and not plan.get("rootfs"):
        problems.append(
            "Base bare is built on ubuntu@22.04 or ubuntu@24.04 only, not on build-base %s."
            % plan.get("build_base")
        )
    if not plan.get("gunicorn_command"):
        problems.append(
            "The project defines no WSGI entrypoint that flaskrock.paas.rock can serve (a custom "
            "services.%s.command is not supported yet): define a module-level `app` in app.py or main.py."
            % plan.get("framework")
        )
    if builder not in play_hosts:
        problems.append(
            "rock_builder_host '%s' is not a host of this play (%s): choose one of them or leave it empty."
            % (builder, ", ".join(play_hosts))
        )
    return problems


def hosts_missing_image(hosts, hostvars, register, builder):
    """The hosts other than ``builder`` whose registered docker_image_info found no image."""
    missing = []
    for host in hosts:
        if host == builder:
            continue
        info = hostvars[host].get(register) if host in hostvars else None
        if isinstance(info, dict) and "images" in info and len(info["images"]) == 0:
            missing.append(host)
    return missing


# community.docker's docker_image (classic builder) fails with
#   "Error building NAME - code: C, message: M, logs: ['Step 1/9 : FROM ...', ' ---> id', ...]"
# the log being the Python repr of the output chunks.
LOGS_MARKER = ", logs: "
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NOISE = re.compile(r" ---> |Removing intermediate container")
STEP = re.compile(r"Step [0-9]+/[0-9]+ :")
QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


def _log_chunks(text):
    """The output chunks of a repr()'d list; a truncated list is read chunk by chunk."""
    try:
        chunks = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        chunks = None
    if isinstance(chunks, list) and all(isinstance(chunk, str) for chunk in chunks):
        return chunks
    return [
        ast.literal_eval("'%s'" % single) if not double else ast.literal_eval('"%s"' % double)
        for single, double in QUOTED.findall(text)
    ]


# pip's own words when it cannot build a wheel (pip 22.0 of ubuntu@22.04 to pip 24 of ubuntu@24.04).
PIP_FAILED_HOOK = re.compile(r"^\s*\u00d7 (.+?) did not run successfully\.$")
PIP_SUBJECT = re.compile(r"^\s*(Processing|Collecting|Obtaining) (\S+)")
PIP_WHEEL_OF = re.compile(
    r"(?:Failed building wheel for|Failed to build|Building (?:wheel|editable) for) ([\w.-]+)"
)
PIP_EXCEPTION = re.compile(r"^\w*(Error|Exception):")
PIP_BACKEND_UNAVAILABLE = "BackendUnavailable"
PIP_OUTPUT_START = re.compile(r"^\s*╰─> \[\d+ lines? of output\]$")
PIP_OUTPUT_END = re.compile(r"^\s*\[end of output\]$")


def _subject(lines, before):
    """The requirement pip was working on before line ``before``: (its name or path, is the project)."""
    for line in reversed(lines[:before]):
        match = PIP_WHEEL_OF.search(line)
        if match:
            return match.group(1), False
        match = PIP_SUBJECT.match(line)
        if match:
            target = match.group(2)
            return target, match.group(1) != "Collecting" and target.startswith("/")
    return None, False


def _hook_output(lines, start):
    """The last non-empty line the failing build hook printed (its error), from line ``start``."""
    block, inside = [], False
    for line in lines[start:]:
        if PIP_OUTPUT_START.match(line):
            inside = True
        elif PIP_OUTPUT_END.match(line):
            break
        elif inside and line.strip():
            block.append(line.strip())
    return block[-1] if block else ""


def wheel_failure(lines):
    """What pip said when it could not build a wheel (a project's or a requirement's), in one
    sentence naming the package, the failing step and its error; "" for any other failure."""
    failed = next((index for index, line in enumerate(lines) if PIP_FAILED_HOOK.match(line)), None)
    backend = next((index for index, line in enumerate(lines) if PIP_BACKEND_UNAVAILABLE in line), None)
    if failed is None and backend is None:
        return ""
    if failed is not None:
        where = failed
        step = PIP_FAILED_HOOK.match(lines[failed]).group(1)
        cause = _hook_output(lines, failed)
    else:
        where = backend
        step = "loading the build backend named by [build-system] build-backend in pyproject.toml"
        cause = next((line.strip() for line in reversed(lines) if PIP_EXCEPTION.match(line)), "")
    subject, is_project = _subject(lines, where)
    cause = (": " + cause) if cause else ""
    if is_project:
        return (
            "pip could not build the project itself (%s, `pip install .` of its pyproject.toml or setup.py): "
            "%s failed%s. Fix the project's build configuration (pyproject.toml [build-system], setup.py)."
            % (subject, step, cause)
        )
    return (
        "pip could not build the wheel of %s: %s failed%s. Pin a version that has a wheel for this "
        "Python, or add what its build needs (build-packages in rockcraft.yaml)."
        % ("the package %s" % subject if subject else "a requirement", step, cause)
    )


CHECKED_AGAINST = re.compile(r"\(checked against Python ([0-9]+\.[0-9]+)\)$")


def _app_check_failure(lines):
    """The error of the image build's last step (the app check of the build plan), or None."""
    invalid = [
        line.strip()[len(APP_CHECK_MARKER) :]
        for line in lines
        if line.strip().startswith(APP_CHECK_MARKER)
    ]
    if not invalid:
        return None
    versions = [match.group(1) for match in map(CHECKED_AGAINST.search, invalid) if match]
    python = "Python %s" % versions[0] if versions else "Python"
    return {
        "error": "the rock's %s cannot compile %d file%s of the app (the last build step compiles every "
        ".py file of the app with the image's own interpreter). Fix the code for %s, choose a base "
        "whose Python accepts it, or leave files that are not part of the app out of the rock (a "
        "prime entry starting with '-')."
        % (python, len(invalid), "" if len(invalid) == 1 else "s", python),
        "output": "\n".join(invalid),
    }


def build_failure(message):
    """{"error": what the builder said, "output": the failing step and its output ("" without a log),
    "summary": one sentence when pip could not build a wheel (else "")}.

    When the failing step is the app check (the build plan's ``app_check``), the error says so and
    the output is its report: one line per file, with the line and the Python version.
    """
    message = str(message)
    error, logs = message, ""
    if LOGS_MARKER in message:
        # The first marker whose remainder is the log list (a RUN command may contain the marker).
        start = 0
        while True:
            position = message.find(LOGS_MARKER, start)
            if position < 0:
                break
            if message[position + len(LOGS_MARKER) :].lstrip().startswith("["):
                error, logs = message[:position], message[position + len(LOGS_MARKER) :]
                break
            start = position + 1
    try:
        chunks = _log_chunks(logs) if logs else []
    except (SyntaxError, ValueError):
        chunks = []
    lines = [
        ANSI_ESCAPE.sub("", line).replace("\t", "    ").rstrip() for line in "\n".join(chunks).splitlines()
    ]
    lines = [line for line in lines if line and not NOISE.match(line)]
    starts = [index for index, line in enumerate(lines) if STEP.match(line)]
    if starts:
        lines = lines[starts[-1] :]
    app_check = _app_check_failure(lines)
    if app_check:
        return dict(app_check, summary="")
    return {"error": error, "output": "\n".join(lines), "summary": wheel_failure(lines)}
