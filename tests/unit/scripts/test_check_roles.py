"""scripts/check_roles.py: filters per Jinja expression and runtime-contract literals in roles/."""

import textwrap

import check_roles
import pytest


def write(root, files):
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content))
    return root


def messages(problems, root):
    return [f"{p.path.relative_to(root)}:{p.line}: {p.message}" for p in problems]


# --- counting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ a }}", [()]),
        ("{{ a | b | c }}", [("b", "c")]),
        ("{{ a | default(b | int) | join(',') }}", [("int", "default", "join")]),
        ("{{ x | f }} text {{ y | g | h }}", [("f",), ("g", "h")]),
        ("{{ a.b['c'] is defined and d is not none }}", [()]),
        ("{{ 'a | b | c | d | e' }}", [()]),
        ("{{ items | map(attribute='x') | map('upper') | list }}", [("map", "map", "list")]),
        ("{{ {'k': v | int, 'l': w | bool} | to_json }}", [("int", "bool", "to_json")]),
    ],
)
def test_filters_of_each_output_expression(source, expected):
    assert [e.filters for e in check_roles.parse_template(source)] == expected


def test_statement_tags_count_their_own_expressions_not_their_body():
    source = textwrap.dedent(
        """\
        {% for x in xs | sort | unique if x | length %}
        {{ x | upper }}
        {% endfor %}
        {% if a | bool %}A{% elif b | int > 1 %}B{% endif %}
        {% set joined = xs | map('string') | join(',') %}
        """
    )
    found = [(e.line, e.filters) for e in check_roles.parse_template(source)]
    assert found == [
        (1, ("sort", "unique", "length")),
        (2, ("upper",)),
        (4, ("bool",)),
        (4, ("int",)),
        (5, ("map", "join")),
    ]


def test_filters_inside_a_macro_body_and_filter_block():
    source = (
        "{% macro q(v) %}{{ v | string | replace('a', 'b') }}{% endmacro %}"
        "{% filter upper | trim %}x{% endfilter %}"
    )
    found = [e.filters for e in check_roles.parse_template(source)]
    assert found == [(), ("string", "replace"), ("upper", "trim")]


def test_bare_expression():
    (expression,) = check_roles.parse_bare_expression("a | bool and (b | default([]) | length) > 0")
    assert expression.filters == ("bool", "default", "length")


def test_bare_expression_with_trailing_text_is_a_syntax_error():
    with pytest.raises(check_roles.TemplateSyntaxError):
        check_roles.parse_bare_expression("a b")


# --- roles tree -------------------------------------------------------------------------------

FIVE = "{{ x | a | b | c | d | e }}"
FOUR = "{{ x | a | b | c | d }}"


def test_filters_check_reports_each_expression_over_the_limit_with_its_line(tmp_path):
    roles = write(
        tmp_path / "roles",
        {
            "demo/tasks/main.yml": f"""\
                ---
                - name: Fine
                  ansible.builtin.debug:
                    msg: "{FOUR}"
                - name: Too many in a value
                  ansible.builtin.debug:
                    msg: "{FIVE}"
                  when: x | a | b | c | d | e
                - name: Bare list items and a block scalar
                  ansible.builtin.assert:
                    that:
                      - ok | bool
                      - x | a | b | c | d | e | f
                    fail_msg: >-
                      first line
                      {FIVE}
                  changed_when: false
                """,
            "demo/handlers/main.yml": (
                "---\n- name: H\n  ansible.builtin.debug:\n    msg: hi\n  when: x | a | b | c | d | e\n"
            ),
            "demo/defaults/main.yml": f'---\ndemo_a: "{FIVE}"\ndemo_b: 3\nwhen: x | a | b | c | d | e\n',
            "demo/vars/main.yml": "---\n_demo_x: \"{{ a }}\"\n",
            "demo/meta/main.yml": "---\ngalaxy_info:\n  author: me\n",
            "demo/templates/conf.j2": f"line one\n{FOUR}\n{{% if y | a | b | c | d | e %}}y{{% endif %}}\n",
            "demo/files/raw.txt": FIVE,
            "other/tasks/main.yml": (
                '---\n- name: X\n  ansible.builtin.debug:\n    msg: "{{ a | b(c | d) | e(f | g) | h }}"\n'
            ),
        },
    )
    assert messages(check_roles.check_filters(roles), roles) == [
        # defaults are not tasks: a `when` key there is data, but templated values count.
        "demo/defaults/main.yml:2: 5 filters in one expression (max 4): a | b | c | d | e",
        "demo/handlers/main.yml:5: 5 filters in one expression (max 4): a | b | c | d | e",
        "demo/tasks/main.yml:7: 5 filters in one expression (max 4): a | b | c | d | e",
        "demo/tasks/main.yml:8: 5 filters in one expression (max 4): a | b | c | d | e",
        "demo/tasks/main.yml:13: 6 filters in one expression (max 4): a | b | c | d | e | f",
        "demo/tasks/main.yml:15: 5 filters in one expression (max 4): a | b | c | d | e",
        "demo/templates/conf.j2:3: 5 filters in one expression (max 4): a | b | c | d | e",
        # Filters inside arguments count, in the order they apply.
        "other/tasks/main.yml:4: 5 filters in one expression (max 4): d | b | g | e | h",
    ]


def test_jinja_syntax_errors_are_reported(tmp_path):
    roles = write(
        tmp_path / "roles",
        {
            "demo/tasks/main.yml": '---\n- name: Broken\n  ansible.builtin.debug:\n    msg: "{{ a | }}"\n',
            "demo/templates/t.j2": "ok\n{% if %}\n",
        },
    )
    found = messages(check_roles.check_filters(roles), roles)
    assert [line.split(": Jinja syntax error")[0] for line in found] == [
        "demo/tasks/main.yml:4",
        "demo/templates/t.j2:2",
    ]


def test_a_different_limit(tmp_path):
    roles = write(tmp_path / "roles", {"demo/templates/t.j2": "{{ a | b | c }}"})
    assert check_roles.check_filters(roles, max_filters=1)
    assert not check_roles.check_filters(roles, max_filters=2)


# --- contract literals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "uid: 584792",
        "  - /flask/app",
        'path: "/flask"',
        "WorkingDir /flask/app",
        "dest: '{{ base }}/flask/data'",
        "EXPOSE 8000",
        "published: '127.0.0.1:9102:9102'",
        "ports: [8000]",
        "label: io.flaskrock.paas.worker-class",
        "# the app listens on 8000",
    ],
)
def test_contract_literals_are_found(line):
    assert check_roles.contract_literals("f", line)


@pytest.mark.parametrize(
    "line",
    [
        "uid: 1584792",
        "name: flask-framework/install-app",
        "dir: /var/lib/flaskrock/app",
        "parts/flask/app",
        "port: 28000",
        "version: 1.8000",
        "sha: a8000b",
        "host_port: 8080",
        "flaskrock.paas.runtime_contract",
        "prefix: io.flaskrock.paasx",
    ],
)
def test_look_alikes_are_not_contract_literals(line):
    assert check_roles.contract_literals("f", line) == []


def test_contract_check_covers_code_and_data_dirs_but_not_readme_or_meta(tmp_path):
    roles = write(
        tmp_path / "roles",
        {
            "demo/README.md": "The app runs as 584792 in /flask/app on port 8000.\n",
            "demo/meta/argument_specs.yml": "---\n# prose: port 8000\n",
            "demo/tasks/main.yml": "---\n- name: Run\n  vars:\n    port: 8000\n",
            "demo/handlers/main.yml": "---\n# uid 584792\n",
            "demo/defaults/main.yml": "---\ndemo_path: /flask/data\n",
            "demo/vars/main.yml": "---\n_demo_label: io.flaskrock.paas.migration\n",
            "demo/templates/Dockerfile.j2": "FROM x\nUSER 584792:584792\n",
            "demo/files/gunicorn.conf.py": "bind = ['0.0.0.0:8000']\n",
        },
    )
    (roles / "demo" / "files" / "binary").write_bytes(b"\xff\xfe8000")
    found = sorted(messages(check_roles.check_contract(roles), roles))
    assert [line.split(": ", 1)[0] for line in found] == [
        "demo/defaults/main.yml:2",
        "demo/files/gunicorn.conf.py:1",
        "demo/handlers/main.yml:2",
        "demo/tasks/main.yml:4",
        "demo/templates/Dockerfile.j2:2",
        "demo/vars/main.yml:2",
    ]
    assert "read it from lookup('flaskrock.paas.runtime_contract')" in found[0]


def test_main_exit_status_and_output(tmp_path, capsys, monkeypatch):
    roles = write(tmp_path / "roles", {"demo/templates/t.j2": "{{ a | b | c | d | e | f }}\nEXPOSE 8000\n"})
    monkeypatch.chdir(tmp_path)
    assert check_roles.main(["--roles-dir", str(roles), "filters"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "roles/demo/templates/t.j2:1: 5 filters in one expression (max 4): b | c | d | e | f"
    ]
    assert check_roles.main(["--roles-dir", str(roles)]) == 1
    assert len(capsys.readouterr().out.splitlines()) == 2
    write(roles, {"demo/templates/t.j2": "{{ a | b }}\n"})
    assert check_roles.main(["--roles-dir", str(roles)]) == 0
    assert capsys.readouterr().out == ""
