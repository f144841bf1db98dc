"""scripts/role_docs.py: README variable tables generated from meta/argument_specs.yml."""

import textwrap

import pytest
import role_docs
import yaml

SPECS = {
    "main": {
        "short_description": "Do the thing",
        "options": {
            "demo_name": {
                "description": ["Name of the C(thing).", "Empty: O(demo_dir=x) decides."],
                "type": "str",
                "required": True,
            },
            "demo_mode": {
                "description": "How | why.",
                "type": "str",
                "choices": ["fast", "safe"],
                "default": "safe",
            },
            "demo_items": {"description": "Items.", "type": "list", "elements": "str", "default": ["a", "b"]},
            "demo_map": {"description": "Map.", "type": "dict", "default": {"k": ""}},
            "demo_flag": {"description": "A I(flag).", "type": "bool", "default": False},
            "demo_empty": {"description": "Empty.", "type": "str", "default": ""},
            "demo_token": {"description": "Secret.", "type": "str", "default": "", "no_log": True},
            "demo_port": {"description": "Port.", "type": "int", "default": 8080},
        },
    }
}
MAIN_TABLE = textwrap.dedent(
    """\
    | Variable | Type | Default | Required | Description | no_log |
    |---|---|---|---|---|---|
    | `demo_name` | str |  | yes | Name of the `thing`. Empty: `demo_dir=x` decides. |  |
    | `demo_mode` | str | `safe` |  | How \\| why. Choices: `fast`, `safe`. |  |
    | `demo_items` | list of str | `[a, b]` |  | Items. |  |
    | `demo_map` | dict | `{k: ''}` |  | Map. |  |
    | `demo_flag` | bool | `false` |  | A *flag*. |  |
    | `demo_empty` | str | `""` |  | Empty. |  |
    | `demo_token` | str | `""` |  | Secret. | yes |
    | `demo_port` | int | `8080` |  | Port. |  |"""
)


def readme(body):
    return f"# demo\n\nProse before.\n\n## Variables\n\n{body}\n\nProse after.\n"


def test_one_entry_point_is_one_table():
    assert role_docs.render(SPECS) == MAIN_TABLE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C(a) O(b=c) V(d) M(x.y.z) RV(r) E(ENV)", "`a` `b=c` `d` `x.y.z` `r` `ENV`"),
        ("I(it) B(bold) U(https://x.org)", "*it* **bold** <https://x.org>"),
        ("L(text, https://y.org)", "[text](https://y.org)"),
        ("(C(secrets.token_urlsafe(64)) strength)", "(`secrets.token_urlsafe(64)` strength)"),
        ("multi\n  line   text", "multi line text"),
        ("a | b", "a \\| b"),
        ("URI(x) stays", "URI(x) stays"),
    ],
)
def test_markup(text, expected):
    assert role_docs.markdown(text) == expected


def test_defaults_as_yaml_in_code():
    assert role_docs.code("") == '`""`'
    assert role_docs.code("unix:///x") == "`unix:///x`"
    assert role_docs.code(True) == "`true`"
    assert role_docs.code(3600) == "`3600`"
    assert role_docs.code([]) == "`[]`"
    assert role_docs.code({"ubuntu@22.04": "ubuntu:22.04"}) == "`{ubuntu@22.04: 'ubuntu:22.04'}`"
    assert role_docs.code("a`b") == "`` a`b ``"


def test_an_entry_point_extending_main_lists_only_its_own_options():
    specs = {
        **SPECS,
        "rollback": {
            "short_description": "Go back",
            "options": {**SPECS["main"]["options"], "release": {"description": "Tag.", "type": "str"}},
        },
    }
    rendered = role_docs.render(specs)
    assert rendered == (
        "#### Entry point `main`\n\nDo the thing\n\n"
        + MAIN_TABLE
        + "\n\n#### Entry point `rollback` (`tasks_from: rollback`)\n\nGo back\n\n"
        "Takes every variable of `main`, and:\n\n"
        "| Variable | Type | Default | Required | Description | no_log |\n"
        "|---|---|---|---|---|---|\n"
        "| `release` | str |  |  | Tag. |  |"
    )
    # A marker naming one entry point renders that one alone, without a heading.
    assert role_docs.render(specs, "main") == MAIN_TABLE


def test_an_entry_point_that_changes_a_main_option_gets_its_full_table():
    options = {**SPECS["main"]["options"], "demo_port": {"description": "Port.", "type": "int", "default": 1}}
    rendered = role_docs.render({**SPECS, "other": {"options": options}})
    assert "Takes every variable" not in rendered
    assert rendered.count("| `demo_port` |") == 2


def test_update_keeps_the_prose_and_is_idempotent():
    stale = readme("<!-- BEGIN generated: variables -->\n| old | table |\n<!-- END generated -->")
    updated = role_docs.update_readme(stale, SPECS)
    block = f"<!-- BEGIN generated: variables -->\n{role_docs.NOTE}\n\n{MAIN_TABLE}\n\n<!-- END generated -->"
    assert updated == readme(block)
    assert role_docs.update_readme(updated, SPECS) == updated


def test_markers_errors():
    with pytest.raises(role_docs.RoleDocsError, match="no '<!-- BEGIN generated: variables -->' marker"):
        role_docs.update_readme(readme("| hand | made |"), SPECS)
    with pytest.raises(role_docs.RoleDocsError, match="has no <!-- END generated -->"):
        role_docs.update_readme(readme("<!-- BEGIN generated: variables -->\n"), SPECS)
    with pytest.raises(role_docs.RoleDocsError, match="no entry point 'nope'"):
        block = "<!-- BEGIN generated: variables nope -->\n<!-- END generated -->"
        role_docs.update_readme(readme(block), SPECS)


def make_role(roles_dir, name, body):
    role = roles_dir / name
    (role / "meta").mkdir(parents=True)
    (role / "meta" / "argument_specs.yml").write_text(yaml.safe_dump({"argument_specs": SPECS}))
    (role / "README.md").write_text(readme(body))
    return role


def test_check_mode_diffs_and_fails_then_write_mode_fixes(tmp_path, capsys):
    role = make_role(tmp_path, "demo", "<!-- BEGIN generated: variables -->\n<!-- END generated -->")
    before = (role / "README.md").read_text()
    assert role_docs.main(["--check", "--roles-dir", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "+| `demo_port` | int | `8080` |  | Port. |  |" in captured.out
    assert "is stale: run python scripts/role_docs.py" in captured.err
    assert (role / "README.md").read_text() == before

    assert role_docs.main(["--roles-dir", str(tmp_path)]) == 0
    assert "| `demo_port` |" in (role / "README.md").read_text()
    assert role_docs.main(["--check", "--roles-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""


def test_a_readme_without_markers_fails_both_modes(tmp_path, capsys):
    make_role(tmp_path, "demo", "| hand | made |")
    assert role_docs.main(["--check", "--roles-dir", str(tmp_path)]) == 1
    assert role_docs.main(["--roles-dir", str(tmp_path), "demo"]) == 1
    assert "no '<!-- BEGIN generated: variables -->' marker" in capsys.readouterr().err
