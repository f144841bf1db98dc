"""roles/rock/files/flaskrock-app-check, the image build's last step, run as the build runs it
(with this Python instead of the image's; the integration tests run it with the images' own)."""

import subprocess
import sys
from pathlib import Path

from ansible_collections.flaskrock.paas.plugins.module_utils import _runtime as runtime
from ansible_collections.flaskrock.paas.plugins.module_utils._rock_plan import APP_CHECK_MARKER, app_check

APP_CHECK = Path(__file__).resolve().parents[4] / "roles" / "rock" / "files" / "flaskrock-app-check"
HERE = "{}.{}".format(*sys.version_info[:2])


def run_app_check(app_dir):
    """The plan's command with this Python and the role's file in place of the image's."""
    python, *options, _script, _app_dir = app_check(runtime.contract("flask"))["command"]
    assert python == runtime.SYSTEM_PYTHON
    command = [sys.executable, *options, str(APP_CHECK), str(app_dir)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_each_invalid_file_is_named_with_its_line_and_the_python_version(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "app.py").write_text("from pkg import views\napp = object()\n")
    (tmp_path / "pkg" / "views.py").write_text("x = 1\ndef broken(:\n    pass\n")
    (tmp_path / "pkg" / "nul.py").write_bytes(b"x = 1\x00\n")
    (tmp_path / "pkg" / "warns.py").write_text("PATTERN = '\\d'\n")  # a SyntaxWarning only
    (tmp_path / "notes.txt").write_text("def broken(:\n")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    completed = run_app_check(tmp_path)
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.splitlines() == [
        f"{APP_CHECK_MARKER}pkg/nul.py: source code string cannot contain null bytes "
        f"(checked against Python {HERE})",
        f"{APP_CHECK_MARKER}pkg/views.py: line 2: invalid syntax (checked against Python {HERE})",
    ]
    assert completed.stderr == ""
    assert list(tmp_path.rglob("*.pyc")) == []
    assert list(tmp_path.rglob("__pycache__")) == []


def test_shipped_virtual_environments_are_not_the_apps_code(tmp_path):
    (tmp_path / "app.py").write_text("app = object()\n")
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / ".venv" / "lib" / "py2.py").write_text("print 'old'\n")
    (tmp_path / "vendor" / "site-packages").mkdir(parents=True)
    (tmp_path / "vendor" / "site-packages" / "py2.py").write_text("print 'old'\n")
    completed = run_app_check(tmp_path)
    assert completed.returncode == 0, completed.stdout
    assert completed.stdout == f"{APP_CHECK_MARKER}{tmp_path}: every .py file compiles with Python {HERE}\n"
    assert list(tmp_path.rglob("*.pyc")) == []
