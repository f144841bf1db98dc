"""Run a module of the collection in a subprocess under a wall-clock and a memory bound.

A regression that hangs or blows up memory then shows as a failed test, not a stuck CI run:

- the address space of the child is capped with ``resource.setrlimit(RLIMIT_AS)`` (MEMORY_LIMIT),
  so a runaway allocation ends in a MemoryError (or a kill) inside the child;
- the child is killed after ``seconds`` of wall-clock time (a hang guard, not a timing assertion);
- its peak resident memory is read from ``os.wait4`` (``ru_maxrss``) so tests can check the
  "under 200 MB" promise of issue 15.
"""

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
COLLECTIONS = REPO / ".venv" / "collections"
MIB = 1024 * 1024
# Virtual address space of the child (Python and Ansible's imports take ~150 MiB of it).
MEMORY_LIMIT = 1024 * MIB
# The resident memory a module call may reach on a hostile project (issue 15: under 200 MB).
RSS_LIMIT = 200 * MIB
SECONDS = 60


class Outcome:
    def __init__(self, result, rss, timed_out, returncode, stderr):
        self.result = result
        self.rss = rss
        self.timed_out = timed_out
        self.returncode = returncode
        self.stderr = stderr

    @property
    def msg(self):
        return (self.result or {}).get("msg", "")


def _limit_memory(limit):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        os.setsid()

    return apply


def _run_bounded(argv, env, stdout, stderr, seconds, memory):
    """Run ``argv`` in its own session under ``memory`` bytes of address space, killed after
    ``seconds``; return (exit code, resource usage, whether it was killed for time)."""
    child = subprocess.Popen(
        argv,
        stdout=stdout,
        stderr=stderr,
        stdin=subprocess.DEVNULL,
        env=env,
        preexec_fn=_limit_memory(memory),  # noqa: PLW1509 - setrlimit and setsid only
    )
    timed_out = threading.Event()

    def kill():
        timed_out.set()
        os.killpg(child.pid, signal.SIGKILL)

    timer = threading.Timer(seconds, kill)
    timer.start()
    try:
        _pid, status, usage = os.wait4(child.pid, 0)
    finally:
        timer.cancel()
    return os.waitstatus_to_exitcode(status), usage, timed_out.is_set()


def run_module(name, args, *, seconds=SECONDS, memory=MEMORY_LIMIT):
    """Run plugins/modules/<name>.py with ``args``; return an Outcome (result is the module's JSON,
    None when it printed none)."""
    module = REPO / "plugins" / "modules" / f"{name}.py"
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS), ANSIBLE_LOCAL_TEMP=tempfile.gettempdir())
    with tempfile.TemporaryDirectory() as scratch:
        args_file = Path(scratch) / "args.json"
        args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        out, err = Path(scratch) / "out", Path(scratch) / "err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            returncode, usage, timed_out = _run_bounded(
                [sys.executable, str(module), str(args_file)], env, stdout, stderr, seconds, memory
            )
        text = out.read_text(errors="replace")
        try:
            result = json.loads(text[text.index("{") :]) if "{" in text else None
        except ValueError:
            result = None
        # ru_maxrss is in KiB on Linux.
        return Outcome(result, usage.ru_maxrss * 1024, timed_out, returncode, err.read_text())


_INSPECT = r"""
import json, sys
from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_project as flask_project
for src in json.loads(sys.argv[1]):
    try:
        result = flask_project.inspect_project(src)
        answer = {"failed": False, "entrypoint": result["entrypoint"], "warnings": result["warnings"],
                  "app_files": result["app_files"]}
    except flask_project.FlaskProjectError as err:
        answer = {"failed": True, "msg": str(err)}
    except Exception as err:
        answer = {"failed": True, "msg": "Traceback: %s: %s" % (type(err).__name__, err)}
    print(json.dumps(answer), flush=True)
"""


def run_inspections(sources, *, seconds=SECONDS * 3, memory=MEMORY_LIMIT):
    """Validate many projects in one bounded child (one interpreter start for all): returns
    (list of answers in order, peak RSS in bytes, timed out). A hang or blow-up in any of them
    fails the whole batch, which is what a test needs to see."""
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        with out.open("wb") as stdout:
            _returncode, usage, timed_out = _run_bounded(
                [sys.executable, "-c", _INSPECT, json.dumps([str(src) for src in sources])],
                env, stdout, subprocess.DEVNULL, seconds, memory,
            )
        answers = [json.loads(line) for line in out.read_text().splitlines() if line.startswith("{")]
        return answers, usage.ru_maxrss * 1024, timed_out
