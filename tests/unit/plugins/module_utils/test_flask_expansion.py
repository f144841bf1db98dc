"""The flask-framework expansion: merge semantics, prime modes, files reaching /flask/app, bases."""

import os

import pytest
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_expansion import (
    DEFAULT_PRIME_FILES,
    PRIME_PREFIX_ERROR,
    apply_extension_property,
    apply_root_snippet,
)
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_project import (
    FlaskProjectError,
    inspect_project,
)

ROCK = {
    "name": "foo-bar",
    "base": "ubuntu@22.04",
    "platforms": {"amd64": {}},
    "extensions": ["flask-framework"],
}
OWNED = {"owner": 584792, "group": 584792}
STATSD_COMMAND = (
    "/bin/statsd_exporter --statsd.mapping-config=/statsd-mapping.conf "
    "--statsd.listen-udp=localhost:9125 --statsd.listen-tcp=localhost:9125"
)


def flask_project(make_project, extra=None, rock=None):
    files = {"requirements.txt": "flask\n", "app.py": "app = object()\n", "rockcraft.yaml": rock or ROCK}
    files.update(extra or {})
    return str(make_project(files))


# ---------------------------------------------------------------- merge semantics


@pytest.mark.parametrize(
    ("user", "extension", "expected"),
    [
        (["libpq-dev"], ["python3-venv"], ["python3-venv", "libpq-dev"]),
        (["python3-venv", "a"], ["python3-venv"], ["python3-venv", "a"]),  # strings de-duplicated
        ([{"A": "1"}], [{"A": "1"}], [{"A": "1"}, {"A": "1"}]),  # not all strings: kept
        ("nil", "python", "nil"),  # user's scalar wins
        (None, "python", "python"),
        ([], ["x"], ["x"]),  # falsy user values take the extension's
        ("", "python", "python"),
        (0, 5, 5),
        (["a"], "scalar", ["a"]),  # type mismatch: the user's value is kept
        (
            {"a": 1, "b": {"c": [1]}},
            {"b": {"c": [0], "d": 2}, "e": 3},
            {"a": 1, "b": {"c": [0, 1], "d": 2}, "e": 3},
        ),
    ],
)
def test_merge_semantics(user, extension, expected):
    assert apply_extension_property(user, extension) == expected


def test_root_snippet_drops_extensions_and_keeps_user_key_order():
    expanded = apply_root_snippet(
        {"name": "x", "services": {"web": {}}, "extensions": ["flask-framework"], "version": "1"},
        {"run-user": "_daemon_", "services": {"flask": {}}, "parts": {"p": {}}},
    )
    assert list(expanded) == ["name", "services", "version", "run-user", "parts"]
    assert list(expanded["services"]) == ["web", "flask"]


# ---------------------------------------------------------------- the whole expansion


@pytest.mark.parametrize(("requirements", "worker"), [("flask\ngevent\n", "gevent"), ("flask\n", "sync")])
def test_expansion_equals_rockcraft(make_project, requirements, worker):
    src = flask_project(
        make_project,
        {"requirements.txt": requirements, "static": None, "node_modules": None, "test": "test"},
    )
    expanded = inspect_project(src)["expanded"]
    assert expanded == {
        "name": "foo-bar",
        "base": "ubuntu@22.04",
        "version": "0.1",
        "platforms": {"amd64": {}},
        "run-user": "_daemon_",
        "services": {
            "flask": {
                "override": "replace",
                "startup": "enabled",
                "after": ["statsd-exporter"],
                "user": "_daemon_",
                "command": f"/bin/python3 -m gunicorn -c /flask/gunicorn.conf.py 'app:app' -k [ {worker} ]",
            },
            "statsd-exporter": {
                "override": "merge",
                "command": STATSD_COMMAND,
                "summary": "statsd exporter service",
                "startup": "enabled",
                "user": "_daemon_",
            },
        },
        "parts": {
            "flask-framework/dependencies": {
                "plugin": "python",
                "stage-packages": ["python3-venv"],
                "source": ".",
                "python-packages": ["gunicorn~=23.0"],
                "python-requirements": ["requirements.txt"],
                "build-environment": [],
                "stage": ["-etc/ssl/certs/ca-certificates.crt"],
            },
            "flask-framework/install-app": {
                "plugin": "dump",
                "source": ".",
                "organize": {"app.py": "flask/app/app.py", "static": "flask/app/static"},
                "stage": ["flask/app/app.py", "flask/app/static"],
                "prime": ["flask/app/app.py", "flask/app/static"],
                "permissions": [OWNED],
            },
            "flask-framework/config-files": {
                "plugin": "dump",
                "source": "/snap/rockcraft/current/share/rockcraft/extensions/flask-framework",
                "organize": {"gunicorn.conf.py": "flask/gunicorn.conf.py"},
                "permissions": [dict(path="flask/gunicorn.conf.py", **OWNED)],
            },
            "flask-framework/statsd-exporter": {
                "build-snaps": ["go"],
                "source-tag": "v0.26.0",
                "plugin": "go",
                "source": "https://github.com/prometheus/statsd_exporter.git",
            },
            "flask-framework/logging": {
                "plugin": "nil",
                "override-build": "craftctl default\n"
                "mkdir -p $CRAFT_PART_INSTALL/opt/promtail\n"
                "mkdir -p $CRAFT_PART_INSTALL/etc/promtail\n"
                "mkdir -p $CRAFT_PART_INSTALL/var/log/flask",
                "permissions": [
                    dict(path="opt/promtail", **OWNED),
                    dict(path="etc/promtail", **OWNED),
                    dict(path="var/log/flask", **OWNED),
                ],
            },
            "flask-framework/runtime": {"plugin": "nil", "stage-packages": ["ca-certificates_data"]},
        },
    }


@pytest.mark.parametrize(
    ("base", "build_base", "python"),
    [
        ("ubuntu@22.04", None, "3.10"),
        ("ubuntu:22.04", None, "3.10"),
        ("ubuntu@24.04", None, "3.12"),
        ("bare", "ubuntu@22.04", "3.10"),
        ("bare", "ubuntu@24.04", "3.12"),
    ],
)
def test_bases(make_project, base, build_base, python):
    rock = dict(ROCK, base=base)
    if build_base:
        rock["build-base"] = build_base
    result = inspect_project(flask_project(make_project, rock=rock))
    parts = result["expanded"]["parts"]
    assert result["python_version"] == python
    assert result["build_base"] == build_base
    dependencies = parts["flask-framework/dependencies"]
    if base == "bare":
        assert dependencies["stage-packages"] == [f"python{python}-venv_ensurepip"]
        assert dependencies["build-environment"] == [{"PARTS_PYTHON_INTERPRETER": f"python{python}"}]
        assert "stage" not in dependencies
        assert parts["flask-framework/runtime"] == {
            "plugin": "nil",
            "override-build": "mkdir -m 777 ${CRAFT_PART_INSTALL}/tmp\n"
            "ln -sf /usr/bin/bash ${CRAFT_PART_INSTALL}/usr/bin/sh",
            "stage-packages": ["bash_bins", "coreutils_bins", "ca-certificates_data"],
        }
        assert parts["flask-framework/runtime-libs"] == {"plugin": "nil", "stage-packages": ["libstdc++6"]}
    else:
        assert dependencies["stage-packages"] == ["python3-venv"]
        assert dependencies["build-environment"] == []
        assert dependencies["stage"] == ["-etc/ssl/certs/ca-certificates.crt"]
        assert parts["flask-framework/runtime"] == {
            "plugin": "nil",
            "stage-packages": ["ca-certificates_data"],
        }
        assert "flask-framework/runtime-libs" not in parts


def test_user_parts_and_services_are_merged(make_project):
    rock = dict(
        ROCK,
        parts={
            "flask-framework/dependencies": {
                "stage-packages": ["libpq-dev"],
                "python-requirements": ["requirements-jammy.txt"],
            },
            "my-part": {"plugin": "nil"},
        },
        services={"foobar": {"command": "/bin/foobar", "override": "replace"}},
    )
    expanded = inspect_project(flask_project(make_project, {"requirements-jammy.txt": "x\n"}, rock=rock))[
        "expanded"
    ]
    dependencies = expanded["parts"]["flask-framework/dependencies"]
    assert dependencies["stage-packages"] == ["python3-venv", "libpq-dev"]
    assert dependencies["python-requirements"] == ["requirements.txt", "requirements-jammy.txt"]
    assert list(expanded["parts"])[:2] == ["flask-framework/dependencies", "my-part"]
    assert expanded["services"]["foobar"] == {"command": "/bin/foobar", "override": "replace"}
    assert set(expanded["services"]) == {"foobar", "flask", "statsd-exporter"}


def test_user_service_command_is_kept_and_skips_entrypoint_detection(make_project):
    command = "/bin/python3 -m gunicorn -c /flask/gunicorn.conf.py webapp:app"
    rock = dict(ROCK, services={"flask": {"command": command}})
    src = str(make_project({"requirements.txt": "flask\n", "rockcraft.yaml": rock, "webapp.py": "app = 1\n"}))
    result = inspect_project(src)
    assert result["expanded"]["services"]["flask"] == {
        "command": command,
        "override": "replace",
        "startup": "enabled",
        "after": ["statsd-exporter"],
        "user": "_daemon_",
    }
    assert result["entrypoint"] == "webapp:app"
    assert result["service_command"] == command


def test_pyproject_only_project(make_project):
    src = str(
        make_project(
            {
                "pyproject.toml": '[project]\nname = "t"\ndependencies = ["flask>=3.0", "requests"]\n',
                "app.py": "app = object()\n",
                "rockcraft.yaml": ROCK,
            }
        )
    )
    result = inspect_project(src)
    assert result["expanded"]["parts"]["flask-framework/dependencies"]["python-requirements"] == []
    assert result["install_project"] is True
    assert result["requirements_files"] == []
    assert result["requirements"] == ["flask", "requests"]


# ---------------------------------------------------------------- prime and /flask/app


@pytest.mark.parametrize("default_file", DEFAULT_PRIME_FILES)
def test_each_default_prime_file(make_project, default_file):
    is_dir = default_file in ("app", "src", "static", "templates")
    extra = {default_file + "/x.txt": "x"} if is_dir else {default_file: "app = object()\n"}
    extra.update({"notes.md": "not shipped", ".env": "SECRET=1"})
    result = inspect_project(flask_project(make_project, extra))
    install = result["expanded"]["parts"]["flask-framework/install-app"]
    assert "flask/app/" + default_file in install["prime"]
    expected_file = default_file + "/x.txt" if is_dir else default_file
    assert expected_file in result["app_files"]
    assert "notes.md" not in result["app_files"]
    assert ".env" not in result["app_files"]


def test_default_prime_order_and_files(make_project):
    extra = {
        "templates/index.html": "",
        "static/css/site.css": "",
        "migrate.sh": "",
        "src/lib.py": "",
        "main.py": "",
        "README.md": "",
    }
    result = inspect_project(flask_project(make_project, extra))
    install = result["expanded"]["parts"]["flask-framework/install-app"]
    assert install["prime"] == [
        "flask/app/app.py",
        "flask/app/main.py",
        "flask/app/src",
        "flask/app/migrate.sh",
        "flask/app/static",
        "flask/app/templates",
    ]
    # The default list is used like a user's include-mode prime: only those entries are organized.
    assert install["organize"] == {entry[len("flask/app/") :]: entry for entry in install["prime"]}
    assert install["stage"] == install["prime"]
    assert result["app_files"] == [
        "app.py",
        "main.py",
        "migrate.sh",
        "src/lib.py",
        "static/css/site.css",
        "templates/index.html",
    ]


def test_include_mode(make_project):
    prime = ["flask/app/app.py", "flask/app/requirements.txt", "flask/app/webapp"]
    rock = dict(ROCK, parts={"flask-framework/install-app": {"prime": prime}})
    extra = {"webapp/views.py": "", "webapp/t/a.html": "", "static/s.css": "", "other.txt": ""}
    result = inspect_project(flask_project(make_project, extra, rock=rock))
    install = result["expanded"]["parts"]["flask-framework/install-app"]
    assert install["organize"] == {
        "app.py": "flask/app/app.py",
        "requirements.txt": "flask/app/requirements.txt",
        "webapp": "flask/app/webapp",
    }
    assert install["stage"] == prime
    assert install["prime"] == prime
    assert result["app_files"] == ["app.py", "requirements.txt", "webapp/t/a.html", "webapp/views.py"]


def test_exclude_mode(make_project):
    rock = dict(
        ROCK, parts={"flask-framework/install-app": {"prime": ["- flask/app/test", "-flask/app/.env"]}}
    )
    extra = {
        "static/a.css": "",
        "webapp/v.py": "",
        "test/t.py": "",
        ".env": "",
        "node_modules/x/index.js": "",
        ".git/HEAD": "",
        "old.rock": "",
    }
    result = inspect_project(flask_project(make_project, extra, rock=rock))
    install = result["expanded"]["parts"]["flask-framework/install-app"]
    assert install["prime"] == ["- flask/app/test", "-flask/app/.env"]
    assert sorted(install["organize"]) == [
        ".env",
        "app.py",
        "requirements.txt",
        "rockcraft.yaml",
        "static",
        "test",
        "webapp",
    ]
    assert result["app_files"] == [
        "app.py",
        "requirements.txt",
        "rockcraft.yaml",
        "static/a.css",
        "webapp/v.py",
    ]


def test_no_default_file_means_everything(make_project):
    src = str(
        make_project(
            {
                "requirements.txt": "flask\n",
                "wsgi/__init__.py": "",
                "rockcraft.yaml": dict(ROCK, services={"flask": {"command": "python3 -m gunicorn wsgi:app"}}),
            }
        )
    )
    result = inspect_project(src)
    install = result["expanded"]["parts"]["flask-framework/install-app"]
    assert install["prime"] == []
    assert result["app_files"] == ["requirements.txt", "rockcraft.yaml", "wsgi/__init__.py"]


@pytest.mark.parametrize(
    "prime",
    [
        ["app.py"],
        ["flask/app/app.py", "/flask/app/x"],
        ["- /etc/passwd"],
        ["flaskapp/x"],
        ["flask/apples"],
        ["flask/app.py"],
        ["flask/app.py", "static", "flask/app/app.py"],
    ],
)
def test_prime_prefix_error_has_rockcraft_wording(make_project, prime):
    rock = dict(ROCK, parts={"flask-framework/install-app": {"prime": prime}})
    with pytest.raises(FlaskProjectError) as raised:
        inspect_project(flask_project(make_project, rock=rock))
    # Rockcraft's message, then the entry it is about, once for each entry outside flask/app.
    outside = [entry for entry in prime if entry != "flask/app/app.py"]
    assert raised.value.problems == [f"{PRIME_PREFIX_ERROR}: {entry!r}" for entry in outside]


@pytest.mark.parametrize("entry", ["flask/app/../../etc/passwd", "- flask/app/../x", "flask/app/.."])
def test_prime_entry_escaping_flask_app_is_refused_by_name(make_project, entry):
    rock = dict(ROCK, parts={"flask-framework/install-app": {"prime": ["flask/app/app.py", entry]}})
    with pytest.raises(FlaskProjectError) as raised:
        inspect_project(flask_project(make_project, rock=rock))
    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].startswith(
        f"prime entry {entry!r} of the flask-framework/install-app part escapes"
    )


def test_prime_entry_normalising_inside_flask_app_is_fine(make_project):
    rock = dict(ROCK, parts={"flask-framework/install-app": {"prime": ["flask/app/./lib/../app.py"]}})
    assert inspect_project(flask_project(make_project, rock=rock))["app_files"] == ["app.py"]


def test_missing_include_mode_entry_is_an_error(make_project):
    rock = dict(
        ROCK, parts={"flask-framework/install-app": {"prime": ["flask/app/app.py", "flask/app/missing"]}}
    )
    with pytest.raises(FlaskProjectError) as raised:
        inspect_project(flask_project(make_project, rock=rock))
    assert raised.value.problems == [
        "prime entry 'flask/app/missing' of the flask-framework/install-app part names missing, "
        "which does not exist in the project"
    ]


def test_symlinks_leading_outside_are_refused_by_name(make_project, tmp_path):
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "key").write_text("x")
    src = flask_project(make_project, {"static/ok.css": ""})
    (tmp_path / "demo" / "static" / "passwd").symlink_to("/etc/passwd")
    (tmp_path / "demo" / "static" / "secrets").symlink_to(tmp_path / "secret")
    (tmp_path / "demo" / "templates").symlink_to(tmp_path / "secret")
    (tmp_path / "demo" / "static" / "inside").symlink_to(tmp_path / "demo" / "app.py")
    with pytest.raises(FlaskProjectError) as raised:
        inspect_project(src)
    problems = raised.value.problems
    assert len(problems) == 3
    assert any(
        problem.startswith("static/passwd is a symlink resolving outside the project (to /etc/passwd)")
        for problem in problems
    )
    assert any(problem.startswith("static/secrets is a symlink resolving outside") for problem in problems)
    assert any(problem.startswith("templates is a symlink resolving outside") for problem in problems)


def test_symlinks_outside_that_are_not_shipped_are_ignored(make_project):
    src = flask_project(make_project)
    os.symlink("/usr/bin/python3", os.path.join(src, "python"))
    assert inspect_project(src)["app_files"] == ["app.py"]


@pytest.mark.parametrize("target", ["nowhere", "static/missing.css"])
def test_dangling_symlink_named_like_a_default_entry_is_left_out_like_rockcraft(make_project, target):
    """Rockcraft lists the default names that exist (``Path.exists`` follows the link): a dangling
    ``templates`` is not in the default prime, so it is neither primed nor an error."""
    src = flask_project(make_project, {"static/site.css": ""})
    os.symlink(target, os.path.join(src, "templates"))
    result = inspect_project(src)
    assert result["expanded"]["parts"]["flask-framework/install-app"]["prime"] == [
        "flask/app/app.py",
        "flask/app/static",
    ]
    assert result["app_files"] == ["app.py", "static/site.css"]


def test_symlink_to_an_existing_default_entry_is_in_the_default_prime(make_project):
    src = flask_project(make_project, {"views/page.html": ""})
    os.symlink("views", os.path.join(src, "templates"))
    result = inspect_project(src)
    assert result["expanded"]["parts"]["flask-framework/install-app"]["prime"] == [
        "flask/app/app.py",
        "flask/app/templates",
    ]
    assert result["app_files"] == ["app.py", "templates"]


def test_file_name_that_is_not_utf8_is_refused_by_name(make_project):
    src = flask_project(make_project, {"static/ok.css": ""})
    with open(os.path.join(os.fsencode(src), b"static", b"bad\xff.css"), "wb"):
        pass
    with pytest.raises(FlaskProjectError) as raised:
        inspect_project(src)
    assert raised.value.problems == [
        "the file name static/bad\\xff.css is not valid UTF-8; rename it or leave it out of the rock"
    ]
