#!/usr/bin/env python3
"""Benchmark of a deployed Flask rock (role flaskrock.paas.deploy) on this machine.

1. Throughput and p99 of the deployed container (published port, supervisord, statsd-exporter)
   against bare Gunicorn from the same image with the same settings on the host network,
   for ``/`` and the 50 ms ``/io`` endpoint of examples/hello-async, with sync and gevent workers.
2. Wall time of a no-op redeploy and of a code-change redeploy (playbooks/deploy.yml, build included).
3. How long the app is unreachable during a single-host redeploy (polled every 10 ms).
4. ``--switch``: a code-change redeploy under load (wrk, 50 connections, and a 10 ms poller), in the
   direct mode and behind the proxy (roles/proxy), one after the other in one run: failed requests
   and the longest stretch without an answer, for each mode.
5. ``--noop``: the no-op redeploy of examples/hello against a playbook of 10 trivial
   ``ansible.builtin.stat`` tasks on the same host, alternated for several rounds (median and ratio),
   with the task counts of the no-op run.

Loopback only, ports 48000-48999, every load run bounded by wrk's duration.
    python bench/deploy/run.py [--duration 10] [--connections 50]
    python bench/deploy/run.py --noop [--rounds 7]
    python bench/deploy/run.py --switch [--connections 50]
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from deploy_helpers import (  # noqa: E402
    base_vars,
    build_statsd_exporter_standin,
    copy_project,
    docker_inspect,
    recap_changed,
    remove_app,
    run_playbook,
)
from helpers import VENV_BIN  # noqa: E402

APP = "bdeploy-async"
HTTP, METRICS, BARE, BARE_STATSD = 48080, 48090, 48081, 48125
WORKERS = 2


def wrk(url, duration, connections):
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requests_per_second = float(
        next(line for line in output.splitlines() if line.startswith("Requests/sec:")).split()[1]
    )
    p99_line = next(line for line in output.splitlines() if line.strip().startswith("99%"))
    value = p99_line.split()[1]
    unit_ms = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    number = float(value.rstrip("usm"))
    unit = value[len(str(value.rstrip("usm"))) :]
    errors = [line.strip() for line in output.splitlines() if "Non-2xx" in line or "Socket errors" in line]
    return {"rps": requests_per_second, "p99_ms": number * unit_ms[unit], "errors": errors}


def wait_until_up(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} never answered")


def statsd_sink():
    """Receive (and drop) bare Gunicorn's StatsD datagrams: with nothing listening, each send fails
    and Gunicorn logs an error per request, which would slow the baseline down."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", BARE_STATSD))

    def drain():
        while True:
            sink.recv(65536)

    threading.Thread(target=drain, daemon=True).start()


def bare_gunicorn(image, worker_class, gunicorn_args):
    """Bare Gunicorn from the same image and settings: host network (no published-port proxy),
    no supervisord, no statsd-exporter (its StatsD goes to statsd_sink)."""
    name = f"{APP}-bare"
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    command = json.loads(docker_inspect(image)["Config"]["Labels"]["io.flaskrock.paas.gunicorn-command"])
    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--name",
            name,
            "--network",
            "host",
            "-e",
            f"GUNICORN_CMD_ARGS={gunicorn_args}",
            "--entrypoint",
            command[0],
            image,
            *command[1:],
            "-k",
            worker_class,
            "--bind",
            f"127.0.0.1:{BARE}",
            "--statsd-host",
            f"127.0.0.1:{BARE_STATSD}",
        ],
        capture_output=True,
        check=True,
    )
    wait_until_up(f"http://127.0.0.1:{BARE}/")
    return name


def measure_downtime(url, action):
    """Run action() while polling url; return the longest unreachable stretch in seconds."""
    state = {"stop": False, "down_since": None, "longest": 0.0, "failures": 0}

    def poll():
        while not state["stop"]:
            now = time.monotonic()
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    ok = response.status < 500
            except OSError:
                ok = False
            if ok and state["down_since"] is not None:
                state["longest"] = max(state["longest"], now - state["down_since"])
                state["down_since"] = None
            elif not ok:
                state["failures"] += 1
                if state["down_since"] is None:
                    state["down_since"] = now
            time.sleep(0.01)

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        result = action()
        time.sleep(1)
    finally:
        state["stop"] = True
        thread.join()
    return result, state["longest"], state["failures"]


SWITCH_APP = "bdeploy-switch"
SWITCH_HTTP, SWITCH_METRICS, SWITCH_PROXY_HTTP, SWITCH_PROXY_HTTPS = 48280, 48290, 48281, 48282
SWITCH_PROXY = "bdeploy-proxy"
SWITCH_PROXY_DIR = Path("/var/lib/flaskrock/bdeploy-proxy")


def wrk_until(url, connections, action):
    """wrk against url while action() runs (stopped with SIGINT when it returns): its errors."""
    process = subprocess.Popen(
        ["wrk", "-t2", f"-c{connections}", "-d600s", url], stdout=subprocess.PIPE, text=True
    )
    try:
        result = action()
        time.sleep(1)
    finally:
        process.send_signal(2)
        output = process.communicate(timeout=30)[0]
    requests = re.search(r"(\d+) requests in", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return result, {
        "requests": int(requests.group(1)) if requests else 0,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def measure_switch(options):
    """Code-change redeploys of hello-async under load: direct mode, then behind the proxy."""
    work = Path(tempfile.mkdtemp(prefix="bench-switch-"))
    project = copy_project(REPO / "examples" / "hello-async", work / "hello-async", SWITCH_APP)
    standin = build_statsd_exporter_standin(work)
    common = {
        **base_vars(standin),
        "project_dir": str(project),
        "deploy_metrics_port": SWITCH_METRICS,
        "deploy_manage_docker": False,
        "deploy_workers": WORKERS,
        "deploy_worker_class": "gevent",
        "deploy_graceful_timeout": 10,
    }
    modes = {
        "direct": ({**common, "deploy_proxy": False, "deploy_http_port": SWITCH_HTTP}, SWITCH_HTTP),
        "proxy": (
            {
                **common,
                "deploy_proxy": True,
                "proxy_http_port": SWITCH_PROXY_HTTP,
                "proxy_https_port": SWITCH_PROXY_HTTPS,
                "proxy_bind_addresses": ["127.0.0.1"],
                "proxy_name": SWITCH_PROXY,
                "proxy_dir": str(SWITCH_PROXY_DIR),
            },
            SWITCH_PROXY_HTTP,
        ),
    }
    results = {"connections": options.connections}
    try:
        for mode, (variables, port) in modes.items():
            remove_app(SWITCH_APP, SWITCH_APP)
            def deploy(variables=variables):
                return timed_playbook(REPO / "playbooks" / "deploy.yml", variables, work)[0]

            deploy()
            wait_until_up(f"http://127.0.0.1:{port}/")
            code = (project / "app.py").read_text()
            (project / "app.py").write_text(code + f"\n# code change ({mode})\n")
            url = f"http://127.0.0.1:{port}/"
            (elapsed, longest, failures), load = wrk_until(
                url, options.connections, lambda url=url, deploy=deploy: measure_downtime(url, deploy)
            )
            results[mode] = {
                "redeploy_s": round(elapsed, 1),
                "poller_failures": failures,
                "longest_gap_s": round(longest, 2),
                "wrk": load,
            }
    finally:
        remove_app(SWITCH_APP, SWITCH_APP)
        subprocess.run(["docker", "rm", "-f", SWITCH_PROXY], capture_output=True, check=False)
        shutil.rmtree(SWITCH_PROXY_DIR, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))
    print("\n| mode | redeploy s | poller failures | longest gap s | wrk requests | socket err | non-2xx |")
    print("|---|---|---|---|---|---|---|")
    for mode in modes:
        row = results[mode]
        print(
            f"| {mode} | {row['redeploy_s']} | {row['poller_failures']} | {row['longest_gap_s']} "
            f"| {row['wrk']['requests']} | {row['wrk']['socket_errors']} | {row['wrk']['non_2xx_3xx']} |"
        )


NOOP_APP = "bdeploy-hello"
NOOP_HTTP, NOOP_METRICS = 48180, 48190
STAT_TASKS = 10


def stat_playbook(directory):
    """The baseline: 10 trivial ansible.builtin.stat tasks, no facts, same inventory and connection."""
    tasks = "".join(
        f"    - name: Stat the root directory ({number})\n      ansible.builtin.stat:\n        path: /\n"
        for number in range(1, STAT_TASKS + 1)
    )
    path = Path(directory) / "stat10.yml"
    path.write_text(f"---\n- name: Ten trivial tasks\n  hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return path


def timed_playbook(path, extra_vars, work):
    """Wall time and output of ansible-playbook PATH on localhost (local connection), run like
    deploy_helpers.run_playbook (same cwd, so the same ansible.cfg, same interpreter)."""
    vars_file = Path(work) / "noop-vars.json"
    vars_file.write_text(json.dumps(extra_vars))
    command = [
        str(VENV_BIN / "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        str(path),
        "-e",
        f"@{vars_file}",
    ]
    environment = dict(
        os.environ,
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}",
    )
    start = time.monotonic()
    result = subprocess.run(
        command,
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(result.stdout)
    return elapsed, result.stdout


def task_counts(output):
    """Task headers printed (run or skipped), in total and of the deploy role; the recap's ok/skipped."""
    headers = [line for line in output.splitlines() if line.startswith("TASK [")]
    recap = re.search(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+).*?skipped=(\d+)", output, re.MULTILINE)
    return {
        "tasks": len(headers),
        "deploy_role_tasks": sum(1 for line in headers if line.startswith("TASK [flaskrock.paas.deploy :")),
        "rock_role_tasks": sum(1 for line in headers if line.startswith("TASK [flaskrock.paas.rock :")),
        "ok": int(recap.group(1)),
        "changed": int(recap.group(2)),
        "skipped": int(recap.group(3)),
    }


def measure_noop(rounds):
    """Deploy examples/hello once, then alternate no-op redeploys and the 10-stat playbook."""
    work = Path(tempfile.mkdtemp(prefix="bench-noop-"))
    project = copy_project(REPO / "examples" / "hello", work / "hello", NOOP_APP)
    standin = build_statsd_exporter_standin(work)
    deploy_vars = {
        **base_vars(standin),
        "project_dir": str(project),
        "deploy_http_port": NOOP_HTTP,
        "deploy_metrics_port": NOOP_METRICS,
        "deploy_manage_docker": False,
    }
    baseline = stat_playbook(work)
    remove_app(NOOP_APP, NOOP_APP)
    results = {"rounds": rounds, "noop_s": [], "stat10_s": []}
    try:
        timed_playbook(REPO / "playbooks" / "deploy.yml", deploy_vars, work)  # the first deploy
        for _ in range(rounds):
            elapsed, output = timed_playbook(REPO / "playbooks" / "deploy.yml", deploy_vars, work)
            if recap_changed(output) != 0:
                sys.exit("the no-op redeploy changed something:\n" + output)
            results["noop_s"].append(round(elapsed, 2))
            results["counts"] = task_counts(output)
            elapsed, _ = timed_playbook(baseline, {"ansible_python_interpreter": sys.executable}, work)
            results["stat10_s"].append(round(elapsed, 2))
    finally:
        remove_app(NOOP_APP, NOOP_APP)
        shutil.rmtree(work, ignore_errors=True)
    results["noop_median_s"] = statistics.median(results["noop_s"])
    results["stat10_median_s"] = statistics.median(results["stat10_s"])
    results["ratio"] = round(results["noop_median_s"] / results["stat10_median_s"], 2)
    print(json.dumps(results, indent=2))
    counts = results["counts"]
    print(
        "\n| no-op redeploy median s | 10 stat tasks median s | ratio | tasks (deploy role) | ok / skipped |"
    )
    print("|---|---|---|---|---|")
    print(
        f"| {results['noop_median_s']:.2f} | {results['stat10_median_s']:.2f} | {results['ratio']:.2f} "
        f"| {counts['tasks']} ({counts['deploy_role_tasks']}) | {counts['ok']} / {counts['skipped']} |"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--noop", action="store_true", help="only the no-op redeploy against 10 stat tasks")
    parser.add_argument("--rounds", type=int, default=7, help="rounds of the --noop measurement")
    parser.add_argument("--switch", action="store_true", help="only the redeploy under load, direct vs proxy")
    options = parser.parse_args()
    if options.switch:
        measure_switch(options)
        return
    if options.noop:
        measure_noop(options.rounds)
        return

    work = Path(tempfile.mkdtemp(prefix="bench-deploy-"))
    project = copy_project(REPO / "examples" / "hello-async", work / "hello-async", APP)
    standin = build_statsd_exporter_standin(work)
    common = {
        **base_vars(standin),
        "project_dir": str(project),
        "deploy_http_port": HTTP,
        "deploy_metrics_port": METRICS,
        "deploy_manage_docker": False,
        "deploy_workers": WORKERS,
    }
    results = {
        "connections": options.connections,
        "duration_s": options.duration,
        "workers": WORKERS,
        "load": [],
        "redeploy": {},
    }
    remove_app(APP, APP)
    statsd_sink()
    try:
        for worker_class in ("sync", "gevent"):
            rc, output = run_playbook(
                "deploy", {**common, "deploy_worker_class": worker_class}, work_dir=work
            )
            if rc != 0:
                sys.exit(output)
            info = docker_inspect(APP)
            image = info["Config"]["Image"]
            gunicorn_args = next(
                v.split("=", 1)[1] for v in info["Config"]["Env"] if v.startswith("GUNICORN_CMD_ARGS=")
            )
            wait_until_up(f"http://127.0.0.1:{HTTP}/")
            bare = bare_gunicorn(image, worker_class, gunicorn_args)
            try:
                for path in ("/", "/io"):
                    container = wrk(f"http://127.0.0.1:{HTTP}{path}", options.duration, options.connections)
                    baseline = wrk(f"http://127.0.0.1:{BARE}{path}", options.duration, options.connections)
                    results["load"].append(
                        {
                            "worker_class": worker_class,
                            "path": path,
                            "container": container,
                            "bare": baseline,
                            "rps_ratio": round(container["rps"] / baseline["rps"], 3),
                            "io_limit_rps": options.connections / 0.05 if path == "/io" else None,
                        }
                    )
            finally:
                subprocess.run(["docker", "rm", "-f", bare], capture_output=True, check=False)

        def timed_deploy(extra):
            start = time.monotonic()
            rc, output = run_playbook(
                "deploy", {**common, "deploy_worker_class": "gevent", **extra}, work_dir=work
            )
            if rc != 0:
                sys.exit(output)
            return time.monotonic() - start

        results["redeploy"]["noop_s"] = round(timed_deploy({}), 1)
        (project / "app.py").write_text(
            (project / "app.py").read_text() + "\n# code change for the benchmark\n"
        )
        elapsed, longest, failures = measure_downtime(f"http://127.0.0.1:{HTTP}/", lambda: timed_deploy({}))
        results["redeploy"]["code_change_s"] = round(elapsed, 1)
        results["redeploy"]["unreachable_s"] = round(longest, 2)
        results["redeploy"]["failed_polls"] = failures
    finally:
        remove_app(APP, APP)
        shutil.rmtree(work, ignore_errors=True)

    print(json.dumps(results, indent=2))
    print("\n| workers | path | container req/s | bare req/s | ratio | container p99 ms | bare p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for row in results["load"]:
        print(
            f"| {row['worker_class']} | {row['path']} | {row['container']['rps']:.0f} "
            f"| {row['bare']['rps']:.0f} | {row['rps_ratio']:.2f} "
            f"| {row['container']['p99_ms']:.1f} | {row['bare']['p99_ms']:.1f} |"
        )


if __name__ == "__main__":
    main()
