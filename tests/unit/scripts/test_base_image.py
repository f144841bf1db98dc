"""scripts/base_image.py: the one Ubuntu image a deploy of a project needs."""

import base_image
import pytest


@pytest.mark.parametrize(
    ("rockcraft", "expected"),
    [
        ("name: x\nbase: ubuntu@24.04\n", "ubuntu:24.04"),
        ("name: x\nbase: ubuntu@22.04\n", "ubuntu:22.04"),
        ("name: x\n", "ubuntu:24.04"),  # no base: the collection's default
        (None, "ubuntu:24.04"),  # no rockcraft.yaml
        ("name: [unclosed\n", "ubuntu:24.04"),  # unreadable: the role reports it, the default image is built
        ("- a list\n", "ubuntu:24.04"),
        # bare: assembled from its build-base's image
        ("name: x\nbase: bare\nbuild-base: ubuntu@22.04\n", "ubuntu:22.04"),
        ("name: x\nbase: bare\nbuild-base: ubuntu:24.04\n", "ubuntu:24.04"),
        ("name: x\nbase: bare\n", ""),  # no build-base: the role explains
        ("name: x\nbase: bare\nbuild-base: ubuntu@20.04\n", ""),
        ("name: x\nbase: ubuntu@20.04\n", ""),
    ],
)
def test_base_image_of_a_project(tmp_path, rockcraft, expected):
    if rockcraft is not None:
        (tmp_path / "rockcraft.yaml").write_text(rockcraft)
    assert base_image.base_image(tmp_path) == expected


def test_the_examples(capsys):
    root = base_image.ROOT
    assert base_image.main([str(root / "examples" / "hello")]) == 0
    assert capsys.readouterr().out == "ubuntu:24.04\n"


def test_the_rockcraft_init_project(capsys):
    """The project `rockcraft init --profile flask-framework` writes: base bare, build-base ubuntu@24.04."""
    assert base_image.main([str(base_image.ROOT / "tests" / "corpus" / "rockcraft-init")]) == 0
    assert capsys.readouterr().out == "ubuntu:24.04\n"


def test_images_come_from_the_rock_defaults(tmp_path):
    defaults = tmp_path / "main.yml"
    defaults.write_text("rock_base_images:\n  ubuntu@24.04: mirror.example/ubuntu:24.04\n")
    assert base_image.base_image(tmp_path, defaults) == "mirror.example/ubuntu:24.04"


def test_usage(capsys):
    assert base_image.main([]) == 2
    assert "Usage: scripts/base_image.py PROJECT_DIR" in capsys.readouterr().err
