"""The AWX surveys (playbooks/vars/awx_surveys.yml) agree with the roles' argument specs.

AWX passes survey answers to the playbook as extra vars; the role's argument spec then
validates them. A survey offering a choice, a type or a default the role does not accept
(or missing a new required option) is caught here instead of at launch time in AWX.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

ROOT = Path(__file__).resolve().parents[3]
SURVEYS_FILE = ROOT / "playbooks" / "vars" / "awx_surveys.yml"
OBJECTS_FILE = ROOT / "playbooks" / "vars" / "awx_objects.yml"
AWX_PROJECT = ROOT / "examples" / "awx-project"

# AWX's survey question types (awx/api/views/__init__.py, SurveySpec validation).
AWX_QUESTION_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
BOOL_CHOICES = ["true", "false"]


class _UnsafeLoader(yaml.SafeLoader):
    """Reads Ansible's `!unsafe` tag as the plain string it wraps."""


_UnsafeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def _load(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_UnsafeLoader)


SURVEYS = _load(SURVEYS_FILE)["awx_surveys"]


def _entry_point_options(role: str, entry_point: str) -> dict:
    spec_file = ROOT / "roles" / role / "meta" / "argument_specs.yml"
    assert spec_file.is_file(), f"{spec_file} is missing: the survey is checked against it"
    entry_points = _load(spec_file)["argument_specs"]
    assert entry_point in entry_points, f"{spec_file} has no entry point {entry_point!r}"
    return entry_points[entry_point].get("options", {})


def _survey_options(survey: dict) -> dict:
    """All argument-spec options the survey's playbook validates, by variable name."""
    options: dict = {}
    for ref in survey["argument_specs"]:
        options.update(_entry_point_options(ref["role"], ref["entry_point"]))
    return options


def _questions() -> list:
    return [
        pytest.param(key, question, id=f"{key}:{question['variable']}")
        for key, survey in SURVEYS.items()
        for question in survey["spec"]
    ]


def _as_survey_value(option: dict, value):
    """How an argument-spec value is written in an AWX survey."""
    if option.get("type") == "bool":
        return "true" if value else "false"
    return value


def test_every_template_has_a_survey_and_a_playbook_in_the_awx_project():
    assert {s["name"] for s in SURVEYS.values()} == {"Deploy", "Rollback", "Validate"}
    for survey in SURVEYS.values():
        playbook = AWX_PROJECT / survey["playbook"]
        assert playbook.is_file(), f"job template {survey['name']} runs {playbook}, which is missing"
        assert survey["spec"], f"survey {survey['name']} has no question"


@pytest.mark.parametrize("key", sorted(SURVEYS))
def test_survey_is_well_formed_for_awx(key):
    spec = SURVEYS[key]["spec"]
    variables = [q["variable"] for q in spec]
    assert len(variables) == len(set(variables)), f"duplicate survey variables in {key}"
    for question in spec:
        assert {"question_name", "variable", "type", "required"} <= set(question), question
        assert question["type"] in AWX_QUESTION_TYPES, question
        if question["type"] in {"multiplechoice", "multiselect"}:
            assert question["choices"], question
            assert all(isinstance(c, str) for c in question["choices"]), "AWX choices are strings"
            if "default" in question:
                assert question["default"] in question["choices"], question
        if question["type"] == "integer" and "default" in question:
            assert question.get("min", question["default"]) <= question["default"]
            assert question["default"] <= question.get("max", question["default"])


@pytest.mark.parametrize(("key", "question"), _questions())
def test_question_matches_the_argument_spec(key, question):
    survey = SURVEYS[key]
    name = question["variable"]
    if name in survey.get("playbook_inputs", {}):
        _check_playbook_input(survey["playbook_inputs"][name], question)
        return
    options = _survey_options(survey)
    assert name in options, (
        f"survey {key!r} asks for {name!r}, which is not an option of "
        f"{SURVEYS[key]['argument_specs']}: rename or remove the question"
    )
    option = options[name]
    option_type = option.get("type", "str")
    survey_type = question["type"]

    if option_type == "bool":
        assert survey_type == "multiplechoice", f"{name}: a bool is a true/false multiple choice"
        assert question["choices"] == BOOL_CHOICES, name
    elif option_type == "int":
        assert survey_type == "integer", f"{name}: an int option needs an integer question"
    elif option_type == "float":
        assert survey_type == "float", f"{name}: a float option needs a float question"
    elif option_type == "str":
        if option.get("choices"):
            assert survey_type == "multiplechoice", f"{name}: an option with choices needs a multiple choice"
            assert question["choices"] == [str(c) for c in option["choices"]], (
                f"{name}: survey choices {question['choices']} != argument spec choices {option['choices']}"
            )
        else:
            assert survey_type in {"text", "textarea", "password"}, name
    else:
        pytest.fail(f"{name}: a {option_type} option cannot be a survey question")

    assert (survey_type == "password") == bool(option.get("no_log")), (
        f"{name}: no_log options (and only they) must be password questions"
    )
    assert bool(question["required"]) == bool(option.get("required")), f"{name}: 'required' differs"
    if "default" in option:
        assert question.get("default") == _as_survey_value(option, option["default"]), (
            f"{name}: survey default {question.get('default')!r} != "
            f"argument spec default {option['default']!r}"
        )


def _check_playbook_input(declared: dict, question: dict) -> None:
    """A survey variable read by the collection's playbook itself rather than by a role."""
    playbook = ROOT / "playbooks" / declared["playbook"]
    assert question["variable"] in playbook.read_text(encoding="utf-8"), (
        f"{playbook} no longer reads {question['variable']}"
    )
    survey_types = {"str": {"text", "textarea"}, "int": {"integer"}}[declared["type"]]
    assert question["type"] in survey_types, question


@pytest.mark.parametrize("key", sorted(SURVEYS))
def test_survey_defaults_as_awx_sends_them_pass_the_argument_spec(key):
    """AWX sends answers as extra vars; the strings "true"/"4" must validate and convert."""
    options = _survey_options(SURVEYS[key])
    answers = {
        q["variable"]: str(q["default"])
        for q in SURVEYS[key]["spec"]
        if "default" in q and q["variable"] in options
    }
    # Options the survey does not ask for (e.g. rock_project_dir) are set by the playbook.
    asked = {name: options[name] for name in answers}
    result = ArgumentSpecValidator(asked).validate(answers)
    assert not result.error_messages, result.error_messages
    for name, value in result.validated_parameters.items():
        if name in answers and options[name].get("type") == "bool":
            assert value is (answers[name] == "true")


@pytest.mark.parametrize(
    ("variable", "answer", "message"),
    [
        ("deploy_worker_class", "turbo", "value of deploy_worker_class must be one of: auto, sync, gevent"),
        ("deploy_workers", "many", "argument 'deploy_workers' is of type"),
        ("deploy_migrate", "maybe", "argument 'deploy_migrate' is of type"),
    ],
)
def test_wrong_answers_are_refused_by_the_deploy_argument_spec(variable, answer, message):
    options = _survey_options(SURVEYS["deploy"])
    result = ArgumentSpecValidator(options).validate({variable: answer})
    assert any(message in error for error in result.error_messages), result.error_messages


def test_secrets_come_from_a_credential_injecting_no_log_options():
    objects = _load(OBJECTS_FILE)
    options = _entry_point_options("deploy", "main")
    for credential_type in objects["awx_credential_types"]:
        injected = credential_type["injectors"]["extra_vars"]
        fields = {f["id"]: f for f in credential_type["inputs"]["fields"]}
        for variable, value in injected.items():
            assert variable in options, f"{credential_type['name']} injects unknown variable {variable!r}"
            assert options[variable].get("no_log"), (
                f"{variable} carries a secret from credential type {credential_type['name']!r}: "
                "the role's argument spec must mark it no_log"
            )
            templates = value.values() if isinstance(value, dict) else [value]
            for template in templates:
                field = template.strip("{} ")
                assert field in fields, f"{variable} is injected from unknown field {field!r}"
                assert fields[field].get("secret") is True, f"field {field} must be secret in AWX"
    for survey in SURVEYS.values():
        assert all(q["type"] != "password" for q in survey["spec"]), "secrets belong in credentials"
