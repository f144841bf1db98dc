"""Issue 15, per class: the bounds of what the collection reads and parses, as unit and property
tests. The limits under test are the fields of _flask_files.Limits (file_bytes 4 MiB, yaml_bytes
1 MiB, source_bytes 512 KiB, yaml_depth 64, yaml_nodes 100,000, requirement_depth 16,
requirement_files 256, requirement_line_chars 65,536, prime_globs 256, walk_entries 200,000,
walk_seconds 120). Each hypothesis example has a time budget (deadline): a validator that
backtracks or goes quadratic fails it instead of hanging."""

import os
import re
import socket
from pathlib import Path

import pytest
import yaml
from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_expansion as expansion
from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_files as files
from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_requirements as requirements
from ansible_collections.flaskrock.paas.plugins.module_utils import _project_yaml as project_yaml
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_entrypoint import find_entrypoint
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_project import (
    FlaskProjectError,
    inspect_project,
    valid_name,
)
from ansible_collections.flaskrock.paas.plugins.module_utils._rock_context import (
    ContextError,
    Symlink,
    tree_member,
)
from ansible_collections.flaskrock.paas.plugins.plugin_utils._mask_secrets import (
    MASK,
    mask,
    secret_values,
    without_credentials,
)
from hypothesis import given, settings
from hypothesis import strategies as st

BUDGET = settings(deadline=2000, max_examples=100)
# craft-application's own rule, the regex flaskrock used before (fine on short strings).
CRAFT_NAME_RE = re.compile(r"^([a-z0-9][a-z0-9-]?)*[a-z]+([a-z0-9-]?[a-z0-9])*$")
PIP_COMMENT_RE = re.compile(r"(^|\s+)#.*$")
APP = "from flask import Flask\napp = Flask(__name__)\n"


# ---------------------------------------------------------------- linear checks


@BUDGET
@given(st.text(alphabet="ab09-!", max_size=14))
def test_name_check_is_craft_applications_rule(name):
    assert valid_name(name) == (len(name) <= 40 and CRAFT_NAME_RE.match(name) is not None)


@BUDGET
@given(st.text(alphabet="a-!", min_size=30, max_size=5000))
def test_name_check_is_linear_on_long_names(name):
    valid_name(name)  # within the deadline, whatever the length


@BUDGET
@given(st.text(alphabet=" \t#ab=\\", max_size=40))
def test_comment_stripping_is_pips(line):
    assert requirements.strip_comment(line).strip() == PIP_COMMENT_RE.sub("", line).strip()


def test_long_runs_of_spaces_are_linear():
    line = " " * 200000 + "x"
    assert requirements.strip_comment(line) == line


@BUDGET
@given(
    st.lists(st.sampled_from(["a", "a/b", "a/b/c", "b", "c/d", "", "a/*", "*/c", "a/b?"]), max_size=5),
    st.sampled_from(["a", "a/b", "a/b/c", "a/bc", "b/x", "c/d/e", "d"]),
)
def test_prime_patterns_match_like_the_naive_loop(patterns, rel):
    naive = any(expansion._matches(rel, pattern) for pattern in patterns)
    assert expansion._Patterns(patterns).match(rel) == naive


def test_ten_thousand_prime_entries_are_handled(make_project):
    prime = ["flask/app/app.py"] + [f"flask/app/static/f{index}.css" for index in range(10000)]
    project = make_project({"app.py": APP, "static/f1.css": "p {}", "static/f2.css": "p {}"})
    selected, problems = expansion.app_files(str(project), prime, sorted(os.listdir(project)))
    assert selected == ["app.py", "static/f1.css", "static/f2.css"]
    # Each entry naming a file that does not exist is reported, once.
    assert len(problems) == 9998


def test_too_many_glob_prime_entries_are_refused():
    prime = [f"flask/app/static/*{index}.css" for index in range(files.LIMITS.prime_globs + 1)]
    assert "more than the limit of 256" in expansion.prime_problems(prime)[0]


# ---------------------------------------------------------------- YAML


@BUDGET
@given(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=12))
def test_alias_expansion_is_bounded(levels, fanout):
    lines = ["a0: &a0 x"]
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*a{level - 1}"] * fanout)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    expanded = sum(fanout**level for level in range(levels + 1))
    try:
        project_yaml.load("\n".join(lines))
    except project_yaml.YamlLimitError as err:
        assert "alias bomb" in str(err)
        assert expanded > files.LIMITS.yaml_nodes / 2
    else:
        assert expanded <= files.LIMITS.yaml_nodes


@BUDGET
@given(st.integers(min_value=1, max_value=3000), st.sampled_from(["[", "{a: "]))
def test_nesting_is_bounded(depth, opener):
    closer = "]" if opener == "[" else "}"
    text = "x: " + opener * depth + "1" + closer * depth
    if depth < files.LIMITS.yaml_depth:
        project_yaml.load(text)
    else:
        with pytest.raises(project_yaml.YamlLimitError, match="nested deeper than 64 levels"):
            project_yaml.load(text)


@pytest.mark.parametrize("text", ["a: &a [*a]", "a: &a {b: [*a]}", "a: &a {b: *a}"])
def test_recursive_aliases_are_refused(text):
    with pytest.raises(project_yaml.YamlLimitError, match="recursive alias"):
        project_yaml.load(text)


@BUDGET
@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=2, max_size=4), st.integers(0, 3))
def test_duplicate_keys_are_refused_at_any_depth(keys, depth):
    body = "\n".join(f"{key}: 1" for key in keys)
    text = body
    for level in range(depth):
        text = f"n{level}:\n" + "\n".join("  " + line for line in text.splitlines())
    if len(set(keys)) < len(keys):
        with pytest.raises(project_yaml.YamlLimitError, match="duplicate key"):
            project_yaml.load(text)
    else:
        project_yaml.load(text)


def test_merge_keys_are_not_duplicates():
    assert project_yaml.load("a: &a {x: 1}\nb: {<<: *a, x: 2}")["b"] == {"x": 2}


def test_lone_surrogates_are_named_with_their_key_path():
    with pytest.raises(project_yaml.YamlLimitError, match=r"parts\.p\.prime\[1\] holds an invalid character"):
        project_yaml.check_strings({"parts": {"p": {"prime": ["ok", "\ud800"]}}})


# ---------------------------------------------------------------- reading files


def test_only_regular_files_inside_are_read(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock"))
    (tmp_path / "dir").mkdir()
    (tmp_path / "out").symlink_to("/etc/hostname")
    for rel, kind in (("fifo", "FIFO"), ("sock", "socket"), ("dir", "directory"), ("out", "outside")):
        with pytest.raises(files.ProjectFileError, match=kind):
            files.read_project_bytes(str(tmp_path), rel)
    server.close()


def test_size_limit_is_exact(tmp_path):
    (tmp_path / "f").write_bytes(b"x" * 2048)
    assert len(files.read_project_bytes(str(tmp_path), "f", limit=2048)) == 2048
    with pytest.raises(files.ProjectFileError, match="larger than 2047 bytes"):
        files.read_project_bytes(str(tmp_path), "f", limit=2047)


@BUDGET
@given(st.binary(max_size=200))
def test_python_source_decoding_never_raises_anything_else(data):
    try:
        files.decode_python_source(data, "app.py")
    except files.ProjectFileError as err:
        assert "app.py" in str(err)


def test_pep_263_cookie_is_honoured(make_project):
    source = b"# -*- coding: latin-1 -*-\nfrom flask import Flask\napp = Flask('\xe9')\n"
    report = find_entrypoint(str(make_project({"app.py": source})), "demo")
    assert report.entrypoint == "app:app"


@pytest.mark.parametrize(
    ("source", "line"),
    [("x = 1\napp = " + "1+" * 100000 + "1\n", 2), ("app = " + "(" * 300 + ")" * 300 + "\n", 1)],
)
def test_too_deep_source_is_named_with_its_line(make_project, source, line):
    report = find_entrypoint(str(make_project({"app.py": source})), "demo")
    assert report.problems == [
        f"app.py is too deeply nested to analyse (line {line}): simplify that expression or statement"
    ] or ("too many nested parentheses" in report.problems[0])


def test_deep_toml_is_a_problem_of_pyproject(make_project):
    report = requirements.read_requirements(
        str(make_project({"pyproject.toml": "x = " + "[" * 5000 + "]" * 5000 + "\n"}))
    )
    assert report.problems == [
        "pyproject.toml is nested too deeply to read (arrays or tables within each other)"
    ]


def test_requirement_includes_are_bounded_and_the_chain_named(make_project):
    chain = {"requirements.txt": "flask\n-r r0.txt\n"}
    chain.update({f"r{index}.txt": f"-r r{index + 1}.txt\n" for index in range(30)})
    chain["r30.txt"] = "requests\n"
    report = requirements.read_requirements(str(make_project(chain)))
    assert report.problems == [
        "requirement files include each other (-r/-c) more than 16 levels deep: "
        "requirements.txt -> r0.txt -> r1.txt -> ... -> r13.txt -> r14.txt -> r15.txt"
    ]


def test_requirement_lines_are_bounded(make_project):
    long_line = "flask" + " --hash=sha256:" + "a" * files.LIMITS.requirement_line_chars
    report = requirements.read_requirements(str(make_project({"requirements.txt": long_line + "\n"})))
    assert report.problems == [
        "requirements.txt line 1: the line is longer than 65536 characters, the limit of a requirement line"
    ]


def test_tree_walks_are_bounded(make_project, monkeypatch):
    project = make_project(
        {"app.py": APP, "requirements.txt": "flask\n", **{f"static/{i}.css": "" for i in range(50)}}
    )
    monkeypatch.setattr(files.LIMITS, "walk_entries", 20)
    with pytest.raises(FlaskProjectError, match="holds more than 20 entries, the limit of a tree walk"):
        inspect_project(str(project))


@pytest.mark.parametrize(("src", "reason"), [("/", "file system root"), ("/proc/self", "pseudo file system")])
def test_system_directories_are_not_projects(src, reason):
    with pytest.raises(FlaskProjectError, match=reason):
        inspect_project(src)


@pytest.mark.parametrize(
    ("rock", "problem"),
    [
        ({"services": {"flask": {"command": ["a"]}}}, "services.flask.command must be a string, not a list"),
        (
            {"parts": {"flask-framework/install-app": "x"}},
            "parts.flask-framework/install-app must be a mapping, not a str",
        ),
        (
            {"parts": {"p": {"stage-packages": "libpq5"}}},
            "parts.p.stage-packages must be a list of strings, not a str",
        ),
        (
            {"parts": {"p": {"build-packages": ["gcc", 3]}}},
            "parts.p.build-packages must be a list of strings; item 1 is a int",
        ),
        ({"summary": ["x"]}, "summary must be a string, not a list"),
        ({"parts": {"p": None}}, "parts.p must be a mapping, not a null"),
    ],
)
def test_types_are_checked_with_their_key_path(make_project, rock, problem):
    base = {"name": "typed", "base": "ubuntu@24.04", "version": "1", "extensions": ["flask-framework"]}
    project = make_project(
        {"app.py": APP, "requirements.txt": "flask\n", "rockcraft.yaml": yaml.safe_dump({**base, **rock})}
    )
    with pytest.raises(FlaskProjectError) as err:
        inspect_project(str(project))
    assert "rockcraft.yaml: " + problem in err.value.problems


# ---------------------------------------------------------------- secrets


SECRET = st.text(alphabet="ABCDEFGHJK0123456789", min_size=4, max_size=12)


@BUDGET
@given(SECRET, SECRET, st.lists(st.sampled_from(["log ", "x=", "\n", "url "]), max_size=6))
def test_masked_text_holds_no_known_secret(key, password, words):
    env = f"FLASK_SECRET_KEY={key}\nDATABASE_URL=postgresql://app:{password}@db/app\nPORT=8000\n"
    text = "".join(words) + key + " ".join(words) + password + "8000"
    masked = mask(text, secret_values(env))
    assert key not in masked and password not in masked
    assert masked.endswith("8000")


def test_deploy_env_values_and_encoded_passwords_are_masked():
    secrets = secret_values("S=postgresql://u:p%40ss@h/d\n", raw_env={"API": "tok-123"})
    assert mask("p@ss p%40ss tok-123", secrets) == f"{MASK} {MASK} {MASK}"


@BUDGET
@given(SECRET, SECRET)
def test_project_build_env_has_no_credentials(user, password):
    env = {
        "HTTPS_PROXY": f"http://{user}:{password}@proxy:3128",
        "PIP_INDEX_URL": f"https://{user}:{password}@pypi/simple",
        "PIP_PASSWORD": password,
        "NO_PROXY": "localhost",
    }
    cleaned = without_credentials(env)
    assert password not in str(cleaned)
    assert cleaned["HTTPS_PROXY"] == "http://proxy:3128" and cleaned["NO_PROXY"] == "localhost"


# ---------------------------------------------------------------- last resort


class _FakeModule:
    def fail_json(self, **kwargs):
        self.failed = kwargs
        raise SystemExit(1)


def test_unexpected_errors_name_the_file_and_ask_for_a_bug_report(monkeypatch):
    monkeypatch.setattr(files.CURRENT, "path", "app/views.py")
    module = _FakeModule()
    try:
        raise KeyError("boom")
    except KeyError as error:
        with pytest.raises(SystemExit):
            files.internal_error(module, "flask_project", error)
    assert module.failed["msg"].startswith(
        "flaskrock.paas.flask_project failed unexpectedly while reading app/views.py: KeyError: 'boom'. "
        "This is a bug in flaskrock.paas: please report it"
    )
    assert "-vvv" in module.failed["msg"] and "Traceback" not in module.failed["msg"]
    # Ansible shows ``exception`` at -vvv only.
    assert "Traceback" in module.failed["exception"]


@pytest.mark.parametrize("name", ["flask_project", "rock_context_archive", "rock_inputs"])
def test_every_project_reading_module_has_the_last_resort(name):
    source = (Path(files.__file__).parents[1] / "modules" / f"{name}.py").read_text()
    assert f'internal_error(module, "{name}", error)' in source


def test_requirement_lines_are_counted_across_files(make_project):
    lines = "".join(f"pkg{index}\n" for index in range(files.LIMITS.requirement_lines + 5))
    report = requirements.read_requirements(str(make_project({"requirements.txt": "flask\n" + lines})))
    assert report.problems == [
        "requirements.txt line 10001: more than 10000 requirement lines in the requirement files; "
        "refusing to read more"
    ]


def test_context_links_and_refusals(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "a.html").write_text("a")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "tpl").symlink_to("../templates")
    (tmp_path / "static" / "gone").symlink_to("nothing")
    (tmp_path / "link.html").symlink_to("templates/a.html")
    assert tree_member(str(tmp_path), "static/tpl") == (None, Symlink("../templates"))
    assert tree_member(str(tmp_path), "static/gone") == (None, Symlink("nothing"))
    assert tree_member(str(tmp_path), "link.html")[1] == b"a"
    with pytest.raises(ContextError, match="lies under static/tpl, a symlink"):
        tree_member(str(tmp_path), "static/tpl/a.html")


def test_a_problem_per_file_is_capped(make_project):
    project = make_project({"app.py": APP, "requirements.txt": "flask\n", "static/site.css": ""})
    for index in range(150):
        (project / "static" / f"out{index}").symlink_to("/etc/hostname")
    with pytest.raises(FlaskProjectError) as err:
        inspect_project(str(project))
    assert len(err.value.problems) == 101
    assert err.value.problems[-1] == "... and 50 more problems like these"
