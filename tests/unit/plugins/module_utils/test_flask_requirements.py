"""Requirements reading (pip's requirements-file format and pyproject.toml)."""

import pytest
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_requirements import (
    logical_lines,
    read_requirements,
)


def names_of(make_project, files):
    report = read_requirements(str(make_project(files)))
    assert report.problems == []
    return report.names


@pytest.mark.parametrize(
    "line",
    [
        "flask",
        "Flask",
        " flask == 99",
        "Flask>=3",
        "flask[async]",
        "flask @ git+https://github.com/pallets/flask.git",
        'flask; python_version>"3"',
        "flask  # web framework",
        "flask==3.0.3 --hash=sha256:" + "a" * 64,
    ],
)
def test_flask_counts_as_direct_dependency(make_project, line):
    assert "flask" in names_of(make_project, {"requirements.txt": line + "\n"})


@pytest.mark.parametrize(
    "line", ["flask-login", "Flask_Login>=0.6", "flask-sqlalchemy", "# flask", "-c c.txt"]
)
def test_other_packages_are_not_flask(make_project, line):
    names = names_of(make_project, {"requirements.txt": line + "\n", "c.txt": "flask\n"})
    assert "flask" not in names


def test_pip_option_lines_are_accepted(make_project):
    names = names_of(
        make_project,
        {
            "requirements.txt": (
                "--index-url https://pypi.example/simple\n"
                "-i https://pypi.example/simple\n"
                "--extra-index-url https://mirror.example/simple\n"
                "--trusted-host mirror.example\n"
                "--no-binary :all:\n"
                "--prefer-binary\n"
                "--require-hashes\n"
                "flask==3.0.3 \\\n"
                "    --hash=sha256:" + "b" * 64 + " \\\n"
                "    --hash=sha256:" + "c" * 64 + "\n"
                "gevent>=24  # async workers\n"
            )
        },
    )
    assert names == {"flask", "gevent"}


def test_continuation_lines_join_like_pip():
    text = "fla\\\nsk>=3\n# comment \\\nrequests\n"
    assert list(logical_lines(text)) == [(1, "flask>=3"), (4, "requests")]


def test_hash_without_preceding_space_is_not_a_comment():
    text = "https://example.invalid/pkg.zip#egg=flask\n"
    assert list(logical_lines(text)) == [(1, "https://example.invalid/pkg.zip#egg=flask")]


def test_includes_are_followed_relative_to_the_including_file(make_project):
    report = read_requirements(
        str(
            make_project(
                {
                    "requirements.txt": "-r requirements/base.txt\n",
                    "requirements/base.txt": "--requirement common.txt\ngevent\n",
                    "requirements/common.txt": "flask\n-c ../constraints.txt\n",
                    "constraints.txt": "werkzeug<4\n",
                }
            )
        )
    )
    assert report.problems == []
    assert report.names == {"flask", "gevent"}
    assert report.files == [
        "constraints.txt",
        "requirements.txt",
        "requirements/base.txt",
        "requirements/common.txt",
    ]
    # Rockcraft reads only requirements.txt, line by line: it would see no flask here.
    assert "flask" not in report.rockcraft_names


def test_include_cycle_is_read_once(make_project):
    report = read_requirements(
        str(make_project({"requirements.txt": "-r a.txt\nflask\n", "a.txt": "-r requirements.txt\n"}))
    )
    assert report.problems == []
    assert report.files == ["a.txt", "requirements.txt"]


def test_include_escaping_the_project_is_an_error_naming_it(make_project, tmp_path):
    (tmp_path / "outside.txt").write_text("flask\n")
    report = read_requirements(str(make_project({"requirements.txt": "flask\n-r ../outside.txt\n"})))
    assert report.problems == [
        "requirements.txt line 2: the included requirements file ../outside.txt is outside the project; "
        "only files inside the project directory reach the build"
    ]


def test_include_through_symlink_escaping_the_project_is_an_error(make_project, tmp_path):
    (tmp_path / "outside.txt").write_text("flask\n")
    root = make_project({"requirements.txt": "-r linked.txt\n"})
    (root / "linked.txt").symlink_to(tmp_path / "outside.txt")
    report = read_requirements(str(root))
    assert len(report.problems) == 1
    assert "linked.txt is outside the project" in report.problems[0]


def test_missing_include_is_an_error(make_project):
    report = read_requirements(str(make_project({"requirements.txt": "flask\n-r dev.txt\n"})))
    assert report.problems == [
        "requirements.txt line 2: the included requirements file dev.txt does not exist (looked for dev.txt)"
    ]


def test_editable_url_and_local_requirements(make_project):
    report = read_requirements(
        str(
            make_project(
                {
                    "requirements.txt": (
                        "-e git+https://github.com/pallets/flask.git#egg=flask\n"
                        "-e ./libs/helper\n"
                        "https://example.invalid/archive/gevent-24.tar.gz#egg=gevent\n"
                        "./wheels/other-1.0-py3-none-any.whl\n"
                        "file:vendor/pkg.tar.gz#egg=vendored\n"
                        "--find-links ./wheels\n"
                        "-f https://example.invalid/wheels/\n"
                    ),
                    "libs/helper/setup.py": "",
                    "wheels/other-1.0-py3-none-any.whl": "",
                    "vendor/pkg.tar.gz": "",
                }
            )
        )
    )
    assert report.problems == []
    assert report.names == {"flask", "gevent", "vendored"}
    assert report.paths == {"libs/helper", "wheels/other-1.0-py3-none-any.whl", "vendor/pkg.tar.gz", "wheels"}


def test_missing_local_requirement_is_an_error(make_project):
    report = read_requirements(str(make_project({"requirements.txt": "flask\n-e ./libs/helper\n"})))
    assert report.problems == [
        "requirements.txt line 2: the local requirement ./libs/helper does not exist in the project"
    ]


@pytest.mark.parametrize(
    "line", ["../shared/lib", "-e ../shared/lib", "/opt/wheels/x.whl", "file:///opt/x.whl", "-f ../wheels"]
)
def test_local_requirement_outside_the_project_is_an_error(make_project, line):
    report = read_requirements(str(make_project({"requirements.txt": "flask\n" + line + "\n"})))
    assert len(report.problems) == 1
    assert report.problems[0].startswith("requirements.txt line 2: the ")
    assert "is outside the project" in report.problems[0]


def test_invalid_requirement_is_an_error_with_line_number(make_project):
    report = read_requirements(str(make_project({"requirements.txt": "flask\nnot a requirement!\n"})))
    assert len(report.problems) == 1
    assert report.problems[0].startswith(
        "requirements.txt line 2: invalid requirement 'not a requirement!': "
    )


def test_unknown_option_is_an_error(make_project):
    report = read_requirements(str(make_project({"requirements.txt": "flask\n--frobnicate\n"})))
    assert report.problems == ["requirements.txt line 2: no such option: --frobnicate"]


def test_environment_variables_are_left_to_the_build_with_a_warning(make_project):
    report = read_requirements(str(make_project({"requirements.txt": "flask\nmylib==${MYLIB_VERSION}\n"})))
    assert report.problems == []
    assert report.names == {"flask"}
    assert report.warnings and "MYLIB_VERSION" in report.warnings[0]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"flask\n\x00\x01", "requirements.txt is not a text file: it contains NUL bytes at offset 6"),
        (b"flask\n\xff\xfe", "requirements.txt is not a UTF-8 text file: invalid byte 0xff at offset 6"),
    ],
)
def test_non_text_requirements_file_is_named(make_project, content, expected):
    report = read_requirements(str(make_project({"requirements.txt": content})))
    assert report.problems == [expected]


def test_utf8_bom_is_accepted(make_project):
    assert names_of(make_project, {"requirements.txt": "\ufeffflask\n".encode()}) == {"flask"}


def test_pyproject_dependencies_are_read(make_project):
    report = read_requirements(
        str(
            make_project(
                {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["Flask>=3.0", "requests"]\n'}
            )
        )
    )
    assert report.problems == []
    assert report.names == {"flask", "requests"}
    assert report.files == []
    assert report.has_pyproject and not report.has_requirements_txt


def test_union_of_requirements_txt_and_pyproject(make_project):
    names = names_of(
        make_project,
        {"requirements.txt": "gevent\n", "pyproject.toml": '[project]\ndependencies = ["flask"]\n'},
    )
    assert names == {"flask", "gevent"}


@pytest.mark.parametrize(
    ("content", "expected_start"),
    [
        ("[project\n", "pyproject.toml is not valid TOML: "),
        ("project = 3\n", "pyproject.toml: [project] must be a table"),
        (
            '[project]\ndependencies = "flask"\n',
            "pyproject.toml: [project].dependencies must be a list of strings",
        ),
        ('[project]\ndependencies = ["flask", "!!"]\n', "pyproject.toml: invalid dependency '!!': "),
    ],
)
def test_bad_pyproject_is_reported(make_project, content, expected_start):
    report = read_requirements(str(make_project({"pyproject.toml": content})))
    assert len(report.problems) == 1
    assert report.problems[0].startswith(expected_start)


def test_pyproject_without_project_table_has_no_dependencies(make_project):
    report = read_requirements(str(make_project({"pyproject.toml": "[tool.ruff]\nline-length = 100\n"})))
    assert report.problems == []
    assert report.names == set()


def test_gunicorn_gevent_extra_is_not_gevent(make_project):
    assert names_of(make_project, {"requirements.txt": "flask\ngunicorn[gevent]\n"}) == {"flask", "gunicorn"}


@pytest.mark.parametrize(
    "line", ["-rbase.txt", "--requirement=base.txt", "-r   base.txt", "--requirement 'base.txt'"]
)
def test_include_option_spellings(make_project, line):
    report = read_requirements(str(make_project({"requirements.txt": line + "\n", "base.txt": "flask\n"})))
    assert report.problems == []
    assert report.names == {"flask"}
    assert report.files == ["base.txt", "requirements.txt"]
