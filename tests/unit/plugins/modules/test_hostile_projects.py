"""Issue 15: hostile and odd projects end well, within bounds, through the real modules.

Each case builds a project, runs flaskrock.paas.flask_project (or rock_context_archive) in a
subprocess under tests/unit/plugins/bounded.py's limits (RLIMIT_AS 1 GiB, killed after 60 s) and checks
the answer: a clear error naming the file, or the right result. Every call must also stay under
200 MiB of resident memory (bounded.RSS_LIMIT). The limits exercised are those of
plugins/module_utils/_flask_files.py (Limits): file_bytes 4 MiB, yaml_bytes 1 MiB, source_bytes
512 KiB, yaml_depth 64, yaml_nodes 100,000, requirement_depth 16, requirement_line_chars 65,536.
"""

import os
import stat
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bounded import RSS_LIMIT, run_inspections, run_module

APP = "from flask import Flask\napp = Flask(__name__)\n"
ROCK = {"name": "hostile", "base": "ubuntu@24.04", "version": "0.1", "extensions": ["flask-framework"]}
MIB = 1024 * 1024


def _write(root, files):
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def _project(root, **files):
    base = {"requirements.txt": "flask\n", "app.py": APP, "rockcraft.yaml": yaml.safe_dump(ROCK)}
    base.update({rel.replace("__", "/"): content for rel, content in files.items()})
    _write(root, {rel: content for rel, content in base.items() if content is not None})
    return root


def _fifo(root, rel):
    path = root / rel
    if path.exists():
        path.unlink()
    os.mkfifo(path)


def _big(root, rel, size):
    """A file of ``size`` bytes (sparse: costs no disk or time; reads as NUL bytes)."""
    with (root / rel).open("wb") as handle:
        handle.truncate(size)


def _rock_text(extra):
    return yaml.safe_dump(ROCK) + extra


# (id, builder(tmp_path) -> module args, expected substring of msg or None for success)
def _alias_bomb(tmp_path):
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 10):
        aliases = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    _project(tmp_path, **{"rockcraft.yaml": _rock_text("\n".join(lines) + "\n")})


def _self_alias(tmp_path):
    _project(tmp_path, **{"rockcraft.yaml": _rock_text("loop: &loop [*loop]\n")})


def _nested_flow(tmp_path):
    _project(tmp_path, **{"rockcraft.yaml": _rock_text("deep: " + "[" * 100000 + "]" * 100000 + "\n")})


def _big_yaml(tmp_path):
    _project(tmp_path)
    _big(tmp_path, "rockcraft.yaml", 50 * MIB)


def _surrogate(tmp_path):
    _project(tmp_path, **{"rockcraft.yaml": _rock_text('summary: "\\ud800 oops"\n')})


def _binary(tmp_path):
    _project(tmp_path, **{"rockcraft.yaml": _rock_text("blob: !!binary gICA\n")})


def _duplicate_key(tmp_path):
    _project(tmp_path, **{"rockcraft.yaml": _rock_text("name: other\n")})


def _command_list(tmp_path):
    rock = dict(ROCK, services={"flask": {"command": ["gunicorn", "app:app"]}})
    _project(tmp_path, **{"rockcraft.yaml": yaml.safe_dump(rock)})


def _install_app_string(tmp_path):
    rock = dict(ROCK, parts={"flask-framework/install-app": "flask/app/app.py"})
    _project(tmp_path, **{"rockcraft.yaml": yaml.safe_dump(rock)})


def _name_backtracking(tmp_path):
    _project(tmp_path, **{"rockcraft.yaml": yaml.safe_dump(dict(ROCK, name="a" * 39 + "!"))})


def _yaml_outside(tmp_path):
    project = _project(tmp_path / "p", **{"rockcraft.yaml": None})
    (tmp_path / "secret.yaml").write_text("name: leaked-secret\n")
    (project / "rockcraft.yaml").symlink_to(tmp_path / "secret.yaml")
    return {"src": str(project)}


def _fifo_named(rel):
    def build(tmp_path):
        _project(tmp_path)
        _fifo(tmp_path, rel)

    return build


def _zero_device(tmp_path):
    _project(tmp_path, **{"requirements.txt": None})
    os.mknod(tmp_path / "requirements.txt", stat.S_IFCHR | 0o644, os.makedev(1, 5))


def _big_requirements(tmp_path):
    _project(tmp_path)
    _big(tmp_path, "requirements.txt", 100 * MIB)


def _big_app(tmp_path):
    _project(tmp_path)
    _big(tmp_path, "app.py", 100 * MIB)


def _spaces_line(tmp_path):
    _project(tmp_path, **{"requirements.txt": "flask\n" + " " * 100000 + "\n" + " " * 100000 + "x#y\n"})


def _nested_includes(tmp_path):
    files = {"requirements.txt": "flask\n-r r0.txt\n"}
    files.update({f"r{index}.txt": f"-r r{index + 1}.txt\n" for index in range(400)})
    files["r400.txt"] = "requests\n"
    _project(tmp_path, **files)


def _sum_chain(tmp_path):
    _project(tmp_path, **{"app.py": "app = " + "1+" * 200000 + "1\n"})


def _attribute_chain(tmp_path):
    _project(tmp_path, **{"app.py": "import os\napp = os" + ".path" * 80000 + "\n"})


def _latin1_cookie(tmp_path):
    _project(tmp_path, **{"app.py": b"# -*- coding: latin-1 -*-\n" + APP.encode() + b"name = '\xe9'\n"})


def _deep_toml(tmp_path):
    _project(
        tmp_path, **{"requirements.txt": None, "pyproject.toml": "x = " + "[" * 5000 + "]" * 5000 + "\n"}
    )


def _dir_symlink(tmp_path):
    _project(tmp_path, **{"templates/index.html": "<p>hi</p>", "static/site.css": "p {}"})
    (tmp_path / "static" / "tpl").symlink_to("../templates")


CASES = [
    ("alias-bomb", _alias_bomb, "alias bomb"),
    ("self-alias", _self_alias, "recursive alias"),
    ("nested-flow-100000", _nested_flow, "nested deeper than 64 levels"),
    ("rockcraft-50MB", _big_yaml, "larger than 1048576 bytes"),
    # libyaml refuses the escape itself; the pure-Python parser accepts it and the loader refuses it.
    ("rockcraft-surrogate", _surrogate, ("invalid Unicode character escape", "lone surrogate U+D800")),
    ("rockcraft-binary", _binary, "holds binary data"),
    ("duplicate-key", _duplicate_key, "duplicate key 'name'"),
    ("command-list", _command_list, "services.flask.command must be a string, not a list"),
    ("install-app-string", _install_app_string, "parts.flask-framework/install-app must be a mapping"),
    ("name-backtracking", _name_backtracking, "invalid name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'"),
    ("rockcraft-symlink-outside", _yaml_outside, "rockcraft.yaml is a symlink resolving outside"),
    ("fifo-rockcraft", _fifo_named("rockcraft.yaml"), "rockcraft.yaml is a FIFO (named pipe)"),
    ("fifo-requirements", _fifo_named("requirements.txt"), "requirements.txt is a FIFO (named pipe)"),
    ("fifo-pyproject", _fifo_named("pyproject.toml"), "pyproject.toml is a FIFO (named pipe)"),
    ("fifo-app", _fifo_named("app.py"), "app.py is a FIFO (named pipe)"),
    ("fifo-static", _fifo_named("static"), "static is a FIFO (named pipe), which cannot go into the image"),
    ("dev-zero-requirements", _zero_device, "requirements.txt is a character device"),
    ("requirements-100MB", _big_requirements, "requirements.txt is larger than 4194304 bytes"),
    ("app-100MB", _big_app, "app.py is larger than 524288 bytes"),
    ("spaces-line", _spaces_line, "invalid requirement 'x#y'"),
    ("nested-includes-400", _nested_includes, "more than 16 levels deep: requirements.txt -> r0.txt"),
    ("sum-chain", _sum_chain, "app.py is too deeply nested to analyse (line 1)"),
    ("attribute-chain", _attribute_chain, "app.py is too deeply nested to analyse (line 2)"),
    ("latin1-coding-cookie", _latin1_cookie, None),
    ("deep-toml", _deep_toml, "pyproject.toml is nested too deeply"),
    ("symlink-to-directory-inside", _dir_symlink, None),
]


def _check(outcome, expected):
    assert not outcome.timed_out, "the module call hung (killed after the wall-clock bound)"
    assert outcome.result is not None, outcome.stderr[-2000:]
    assert "Traceback" not in outcome.msg
    assert outcome.rss < RSS_LIMIT, f"peak RSS {outcome.rss // MIB} MiB"
    if expected is None:
        assert not outcome.result.get("failed"), outcome.msg
    else:
        assert outcome.result.get("failed"), outcome.result
        assert expected in outcome.msg


def test_hostile_projects_end_well():
    """Every case in one bounded child (bounded.run_inspections): no hang, no traceback, under
    200 MiB, and the expected answer."""
    with tempfile.TemporaryDirectory() as scratch:
        sources = []
        for name, build, _expected in CASES:
            root = Path(scratch) / name
            root.mkdir()
            args = build(root) or {"src": str(root)}
            sources.append(args["src"])
        answers, rss, timed_out = run_inspections(sources)
    assert not timed_out, f"validation hung (killed after the wall-clock bound) after {len(answers)} cases"
    assert len(answers) == len(CASES)
    assert rss < RSS_LIMIT, f"peak RSS {rss // MIB} MiB"
    wrong = []
    for (name, _build, expected), answer in zip(CASES, answers, strict=True):
        if expected is None:
            good = not answer["failed"] and answer["entrypoint"] == "app:app"
        else:
            alternatives = expected if isinstance(expected, tuple) else (expected,)
            good = answer["failed"] and any(text in answer["msg"] for text in alternatives)
            good = good and "Traceback" not in answer["msg"]
        if not good:
            wrong.append((name, expected, answer))
    assert not wrong


def test_lone_surrogate_reaches_no_json_output(tmp_path):
    _surrogate(tmp_path)
    outcome = run_module("flask_project", {"src": str(tmp_path)})
    _check(outcome, "rockcraft.yaml")
    assert "lone surrogate U+D800" in outcome.msg or "invalid Unicode character escape" in outcome.msg


@pytest.mark.parametrize(
    ("src", "expected"), [("/", "is the file system root"), ("/proc", "inside /proc, a pseudo file system")]
)
def test_system_directories_are_refused(src, expected):
    _check(run_module("flask_project", {"src": src}), expected)


def test_outside_symlink_never_reaches_the_output(tmp_path):
    _yaml_outside(tmp_path)
    outcome = run_module("flask_project", {"src": str(tmp_path / "p")})
    assert "leaked-secret" not in str(outcome.result)


def test_hard_links_are_copied_with_a_warning(tmp_path):
    _project(tmp_path / "p")
    (tmp_path / "p" / "templates").mkdir()
    (tmp_path / "outside.html").write_text("<p>outside</p>")
    os.link(tmp_path / "outside.html", tmp_path / "p" / "templates" / "index.html")
    outcome = run_module("flask_project", {"src": str(tmp_path / "p")})
    _check(outcome, None)
    assert any(
        "templates/index.html: hard-linked" in warning for warning in outcome.result["project_warnings"]
    )


def _archive(tmp_path, project, paths):
    return run_module(
        "rock_context_archive",
        {
            "path": str(tmp_path / "context.tar"),
            "trees": [{"src": str(project), "dest": "app", "paths": paths}],
        },
    )


def test_archive_refuses_what_changed_after_validation(tmp_path):
    project = _project(tmp_path / "p", **{"templates/index.html": "<p>hi</p>"})
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "index.html").write_text("secret")
    (tmp_path / "elsewhere" / "app.py").write_text("secret")
    # app.py became a symlink to a file outside after validation.
    (project / "app.py").unlink()
    (project / "app.py").symlink_to(tmp_path / "elsewhere" / "app.py")
    _check(_archive(tmp_path, project, ["app.py"]), "a symlink resolving outside")
    # templates became a symlink to a directory outside: its members lie under a symlinked directory.
    (project / "templates" / "index.html").unlink()
    (project / "templates").rmdir()
    (project / "templates").symlink_to(tmp_path / "elsewhere")
    _check(_archive(tmp_path, project, ["templates/index.html"]), "lies under templates, a symlink")
    # A FIFO that replaced a validated file never blocks the writer.
    _fifo(project, "requirements.txt")
    _check(_archive(tmp_path, project, ["requirements.txt"]), "is not a regular file")


def test_archive_copies_a_symlink_to_a_directory_inside_as_a_link(tmp_path):
    _dir_symlink(tmp_path)
    outcome = run_module("flask_project", {"src": str(tmp_path)})
    _check(outcome, None)
    assert "static/tpl" in outcome.result["app_files"]
    archive = tmp_path / "context.tar"
    _check(
        run_module(
            "rock_context_archive",
            {
                "path": str(archive),
                "trees": [{"src": str(tmp_path), "dest": "app", "paths": outcome.result["app_files"]}],
            },
        ),
        None,
    )
    with tarfile.open(archive) as tar:
        link = tar.getmember("app/static/tpl")
        assert link.issym() and link.linkname == "../templates"
        assert tar.getmember("app/templates/index.html").isfile()
