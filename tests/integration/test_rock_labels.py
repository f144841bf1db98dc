"""The rock Dockerfile's LABEL quoting (macro ``label`` of roles/rock/templates/Dockerfile.j2),
checked by the real Dockerfile parser: tricky values are built into a FROM-scratch image."""

import io
import pathlib
import re

import docker
import jinja2
import pytest

TEMPLATE = pathlib.Path(__file__).resolve().parents[2] / "roles/rock/templates/Dockerfile.j2"
VALUES = {
    "plain": "hello",
    "json": '["bash", "-eo", "pipefail", "migrate.sh"]',
    "dollars": "costs $5 or ${HOME} and $(id)",
    "backslashes": "back\\slash \\\\ \\n \\$x \\",
    "quotes": 'it\'s "quoted" `ticks`',
    "unicode": "café — ünïcode ✓",
}

pytestmark = pytest.mark.docker


def test_label_values_survive_the_dockerfile_parser(docker_available):
    macro = re.search(r"{% macro label\(value\) %}.*?{% endmacro %}", TEMPLATE.read_text()).group(0)
    label = jinja2.Environment().from_string(macro).module.label
    lines = [f"LABEL test.{key}={label(value)}" for key, value in VALUES.items()]
    lines.append(f"LABEL test.multiline={label('two' + chr(10) + 'lines')}")
    dockerfile = "FROM scratch\n" + "\n".join(lines) + "\n"
    client = docker.from_env()
    image, _ = client.images.build(
        fileobj=io.BytesIO(dockerfile.encode()), rm=True, tag="flaskrock-labeltest:1"
    )
    try:
        labels = image.attrs["Config"]["Labels"]
        assert {key: labels[f"test.{key}"] for key in VALUES} == VALUES
        assert labels["test.multiline"] == "two lines"
    finally:
        client.images.remove("flaskrock-labeltest:1", force=True)
        client.close()
