"""The corpus (tests/corpus): projects shaped like people's Flask apps, built and served for real.

One build per project, all at once (the builds spend their time downloading from PyPI): the rock
role for notes (bare on 22.04, setuptools, src/ layout, `-e .`), guestbook (hatchling, factory in
the package named after the rock, .env/.flaskenv), tasks (poetry-core, pyproject only) and counter
(bare on 24.04, pdm-backend, Python 3.12 syntax in its entrypoint), a project whose setup.py raises,
and the deploy playbook for flaskr (the Flask tutorial, flit_core). Each app then stores a form post
in SQLite in a fresh named volume and reads it back from a new container (the deploy role's flow for
flaskr, across a code-change redeploy).
"""

import http.cookiejar
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from deploy_helpers import (
    CA_CERTIFICATES,
    PORT_BASE,
    REPO_ROOT,
    RUN_SUFFIX,
    base_vars,
    build_statsd_exporter_standin,
    docker_inspect,
    http_get,
    remove_app,
    run_playbook,
)
from helpers import ROCK_PLAYBOOK, image_tags, local_inventory

# corpus: lets a quick run leave it out (pytest -m "not corpus"); it is the longest integration test.
pytestmark = [pytest.mark.docker, pytest.mark.corpus]

CORPUS = REPO_ROOT / "tests" / "corpus"
MARK = f"corpus-{RUN_SUFFIX}"
# The app user of every rock (the runtime contract) and what the deploy role runs to give it a
# fresh data volume; the plain `docker run`s below do the same.
APP_USER = "584792:584792"
# Where each app keeps its SQLite database, how to write a row and where to read it back.
SERVED = {
    "notes": {  # bare on ubuntu@22.04, setuptools, src/ layout, requirements.txt "-e ."
        "data": "/flask/data",
        "env": {"FLASK_DATABASE": "/flask/data/notes.sqlite"},
        "post": ("/", {"text": MARK}),
        "read": "/",
        "static": "/static/notes.css",
    },
    "guestbook": {  # ubuntu@24.04, hatchling, the instance folder inside /flask/app
        "data": "/flask/app/instance",
        "env": {},
        "post": ("/sign", {"name": "corpus", "message": MARK}),
        "read": "/",
        "static": "/static/guestbook.css",
    },
    "tasks": {  # ubuntu@22.04, poetry-core, no requirements.txt, the package from its wheel
        "data": "/flask/data",
        "env": {"FLASK_DATABASE": "/flask/data/tasks.sqlite"},
        "post": ("/tasks", {"title": MARK}),
        "read": "/tasks",
        "static": None,
    },
    "counter": {  # bare on ubuntu@24.04, pdm-backend, app.py (a PEP 701 f-string) with templates/ and static/
        "data": "/flask/data",
        "env": {"COUNTER_DATABASE": "/flask/data/counter.sqlite"},
        "post": ("/click", {"label": MARK}),
        "read": "/",
        "static": "/static/counter.css",
    },
}
BROKEN = "ctest-brokenwheel"
TUTORIAL = "flaskr"
HTTP, METRICS = PORT_BASE + 14, PORT_BASE + 15


def _docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)




def _broken_project(directory):
    """A project whose setup.py raises: its version file was never added."""
    directory.mkdir()
    # The requirements of test_app_syntax's 22.04 project: the two builds share that layer.
    (directory / "requirements.txt").write_text("Flask>=3.0,<4\n")
    (directory / "app.py").write_text("from flask import Flask\n\napp = Flask(__name__)\n")
    (directory / "setup.py").write_text(
        'from setuptools import setup\n\nwith open("VERSION") as version_file:\n'
        "    version = version_file.read().strip()\n\n"
        'setup(name="brokenwheel", version=version, py_modules=["app"])\n'
    )
    (directory / "rockcraft.yaml").write_text(
        f"name: {BROKEN}\nbase: ubuntu@22.04\nversion: '0.1'\nextensions: [flask-framework]\n"
    )
    return directory


def _guestbook_with_dotenv(directory):
    """guestbook as its developer has it: with the .env its .gitignore keeps out of git."""
    project = shutil.copytree(CORPUS / "guestbook", directory / "guestbook")
    (project / ".env").write_text("SECRET_KEY=corpus-dotenv-secret\n")
    return project


def _build(work, project):
    scratch = work / f"build-{project.name}"
    scratch.mkdir()
    playbook = scratch / "play.yml"
    playbook.write_text(ROCK_PLAYBOOK)
    variables = {
        "rock_project_dir": str(project),
        "rock_build_dir": str(scratch / "build"),
        "rock_transfer_dir": str(scratch / "transfer"),
        "rock_build_ca_certificates": CA_CERTIFICATES,
        "rock_statsd_exporter_src": str(work / "statsd_exporter-standin"),
    }
    return run_playbook(playbook, inventory=local_inventory(scratch / "inventory.ini"),
                        extra_vars=variables, vars_dir=scratch)


def _deploy(work):
    return run_playbook("playbooks/deploy.yml", local=True, extra_vars=work["deploy_vars"],
                        vars_dir=work["dir"], timeout=1500)


def _cleanup():
    for name in [*SERVED, TUTORIAL, BROKEN]:
        remove_app(name)
    for name in SERVED:
        remove_app(f"ctest-{name}-{RUN_SUFFIX}")


@pytest.fixture(scope="module")
def work(tmp_path_factory, docker_available):
    """Build everything at once: the rock role for each corpus project and the broken one, the
    deploy playbook for the tutorial."""
    directory = tmp_path_factory.mktemp("corpus")
    _cleanup()
    standin = build_statsd_exporter_standin(directory)
    tutorial = shutil.copytree(CORPUS / TUTORIAL, directory / TUTORIAL)
    state = {
        "dir": directory,
        "tutorial": tutorial,
        "deploy_vars": {
            **base_vars(standin),
            "project_dir": str(tutorial),
            "deploy_http_port": HTTP,
            "deploy_metrics_port": METRICS,
            "deploy_data_volume": f"{TUTORIAL}-data",
            "deploy_data_path": "/flask/app/instance",
            "deploy_manage_docker": False,
        },
    }
    broken = _broken_project(directory / BROKEN)
    started, builds = time.monotonic(), {}

    def build(project):
        begin = time.monotonic()
        builds[project.name] = _build(directory, project)
        print(f"corpus: {project.name} built in {time.monotonic() - begin:.0f} s", file=sys.stderr)

    # First one project per base: the layers every project shares (apt, Gunicorn, the final stage's
    # packages) are built once, not by every build at the same time; then the rest at once.
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(build, [CORPUS / "notes", _guestbook_with_dotenv(directory)]))
    with ThreadPoolExecutor(max_workers=4) as pool:
        deployed = pool.submit(_deploy, state)
        list(pool.map(build, [CORPUS / "tasks", CORPUS / "counter", broken]))
        state["deployed"] = deployed.result()
    state["builds"] = builds
    print(f"corpus: building the {len(builds)} rocks and deploying {TUTORIAL} took "
          f"{time.monotonic() - started:.0f} s", file=sys.stderr)
    yield state
    _cleanup()


def _wait_for(url, seconds=60):
    status, body, deadline = 0, "", time.monotonic() + seconds
    while status != 200 and time.monotonic() < deadline:
        status, body = http_get(url)
        time.sleep(0 if status == 200 else 1)
    return status, body


def _post(url, fields, opener=None):
    data = urllib.parse.urlencode(fields).encode()
    try:
        with (opener or urllib.request.build_opener()).open(url, data=data, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _serve(name, image, volume):
    """Start ``image`` with ``volume`` at the app's data path; return (container, base URL)."""
    served = SERVED[name]
    container = f"ctest-{name}-{RUN_SUFFIX}"
    _docker("rm", "-f", container, check=False)
    environment = [argument for key, value in served["env"].items() for argument in ("-e", f"{key}={value}")]
    _docker("run", "-d", "--name", container, "-p", "127.0.0.1::8000", "-v", f"{volume}:{served['data']}",
            *environment, image)
    port = _docker("port", container, "8000/tcp").stdout.split(":")[-1].strip()
    return container, f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("name", list(SERVED))
def test_each_backend_builds_and_serves_data_that_survives_the_container(work, name):
    result = work["builds"][name]
    assert result.returncode == 0, result.output
    [image] = image_tags(name)
    served = SERVED[name]
    volume = f"ctest-{name}-{RUN_SUFFIX}-data"
    _docker("volume", "create", volume)
    # What the deploy role does for a new data volume: give it to the app user.
    _docker("run", "--rm", "--user", "0:0", "--entrypoint", "chown", "-v", f"{volume}:{served['data']}",
            image, APP_USER, served["data"])
    container, url = _serve(name, image, volume)
    status, body = _wait_for(url + served["read"])
    assert status == 200, _docker("logs", container, check=False).stderr
    status, body = _post(url + served["post"][0], served["post"][1])
    assert status == 200 and MARK in body, body
    if served["static"]:
        assert http_get(url + served["static"])[0] == 200
    # A new container of the same image reads the row back from the volume.
    container, url = _serve(name, image, volume)
    status, body = _wait_for(url + served["read"])
    assert status == 200 and MARK in body, _docker("logs", container, check=False).stderr


def test_dotenv_files_stay_out_of_the_image_with_a_warning(work):
    output = " ".join(work["builds"]["guestbook"].output.split())
    assert ".env, .flaskenv left out of the image" in output
    assert "deploy_env" in output
    [image] = image_tags("guestbook")
    listing = _docker("run", "--rm", "--entrypoint", "find", image, "/flask", "/project", "-name", ".*env*",
                      check=False)
    assert listing.stdout == "", listing.stdout
    shipped = _docker("run", "--rm", "--entrypoint", "find", image, "/flask/app").stdout
    assert "guestbook/__init__.py" in shipped
    history = _docker("history", "--no-trunc", image).stdout
    assert "corpus-dotenv-secret" not in history


def test_python_312_syntax_passes_an_older_controller_and_the_images_own_check(work):
    """counter's app.py (the entrypoint) has a PEP 701 f-string: the controller reads its bindings
    from tokens when its Python is older than the rock's 3.12, and the image's own Python accepts
    it (the build's last step); test_each_backend_... shows it serving."""
    result = work["builds"]["counter"]
    assert result.returncode == 0, result.output
    if sys.version_info < (3, 12):  # flask_project runs on this Python (local inventory)
        here = "{}.{}".format(*sys.version_info[:2])
        assert f"app.py does not parse with Python {here}, which runs this check" in " ".join(
            result.output.split()
        )


def test_a_wheel_that_fails_to_build_is_named_with_its_step(work):
    result = work["builds"][BROKEN]
    assert result.returncode != 0
    message = " ".join(result.output[result.output.index(f"Building {BROKEN}:0.1-"):].split())
    assert (
        "pip could not build the project itself (/project, `pip install .` of its pyproject.toml or "
        "setup.py): python setup.py egg_info failed: FileNotFoundError: [Errno 2] No such file or "
        "directory: 'VERSION'." in message
    )
    assert "Failing step and its output: Step " in message
    assert image_tags(BROKEN) == []


def _tutorial_session(url):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    _post(f"{url}/auth/register", {"username": "ada", "password": "lovelace"}, opener)
    status, body = _post(f"{url}/auth/login", {"username": "ada", "password": "lovelace"}, opener)
    assert status == 200 and "Log Out" in body, body
    return opener


def test_tutorial_deploys_migrates_and_keeps_its_data_across_a_code_change(work):
    url = f"http://127.0.0.1:{HTTP}"
    result = work["deployed"]
    assert result.returncode == 0, result.output
    info = docker_inspect(TUTORIAL)
    assert info["Config"]["Labels"]["io.flaskrock.paas.entrypoint"] == "flaskr:create_app()"
    opener = _tutorial_session(url)
    status, body = _post(f"{url}/create", {"title": MARK, "body": "stored in the instance folder"}, opener)
    assert status == 200 and MARK in body, body

    base = work["tutorial"] / "flaskr" / "templates" / "base.html"
    base.write_text(base.read_text().replace("<h1><a href=\"{{ url_for('index') }}\">Flaskr</a>",
                                             "<h1><a href=\"{{ url_for('index') }}\">Flaskr 2</a>"))
    begin = time.monotonic()
    result = _deploy(work)
    print(f"corpus: {TUTORIAL} redeployed in {time.monotonic() - begin:.0f} s", file=sys.stderr)
    assert result.returncode == 0, result.output
    assert docker_inspect(TUTORIAL)["Id"] != info["Id"]
    status, body = http_get(f"{url}/")
    assert status == 200 and "Flaskr 2" in body and MARK in body, body
    # The schema was created once (by the first migration), in the volume at /flask/app/instance.
    listing = _docker("run", "--rm", "--entrypoint", "ls", "-v", f"{TUTORIAL}-data:/data",
                      info["Config"]["Image"], "-ln", "/data").stdout
    assert "584792 584792" in listing and "flaskr.sqlite" in listing, listing
