#!/usr/bin/env python3
"""Benchmark of a deployed Flask rock (roles flaskrock.paas.deploy and flaskrock.paas.proxy) on this machine.

1. Default: two apps behind the proxy (roles/proxy, its own HAProxy ``bdeploy-proxy``): examples/hello
   (sync, ``/``, the default app) and examples/hello-async (gevent, ``/io`` sleeps 50 ms, on a domain).
   For each, under wrk load through the proxy: a code-change release, a failing migration, a
   never-healthy release and a rollback; wrk's failed requests (socket errors, non-2xx/3xx) per case.
   Then throughput through the proxy (as deployed: HAProxy reaches the release at the address its
   record names, Docker's bridge gateway by default) against bare Gunicorn from the same image with
   the same settings (on the host network; with its port published, reached on 127.0.0.1 through
   docker-proxy; and the same published port reached on the bridge gateway, DNAT'ed by the kernel),
   and against the proxy with ``option http-server-close``, in alternated rounds: medians and ratios.
2. ``--switch``: a code-change redeploy under load (wrk, 50 connections, and a 10 ms poller), in the
   direct mode and behind the proxy, one after the other in one run: failed requests and the
   longest stretch without an answer, for each mode.
3. ``--noop``: the no-op redeploy of examples/hello against a playbook of 10 trivial
   ``ansible.builtin.stat`` tasks on the same host, alternated for several rounds (median and ratio),
   with the task counts of the no-op run.

Loopback (and the host's docker0 address, where the proxy reaches the releases) only, ports
48000-48999, every load run bounded by wrk's duration (or stopped with the action
it measures). The measuring phases hold ``flock /tmp/flaskrock-bench.lock``.
    python bench/deploy/run.py [--duration 5] [--rounds 3] [--connections 50]
    python bench/deploy/run.py --noop [--rounds 7]
    python bench/deploy/run.py --switch [--connections 50]
"""

import argparse
import contextlib
import fcntl
import json
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
from helpers import drop_kept_layers  # noqa: E402

BENCH_LOCK = "/tmp/flaskrock-bench.lock"


@contextlib.contextmanager
def bench_lock():
    """What `flock /tmp/flaskrock-bench.lock` holds (flock(2) on the same file): one benchmark at a time."""
    with open(BENCH_LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare(example, name, prefix):
    """A scratch directory with a copy of examples/<example> renamed to the rock ``name``, the
    statsd_exporter stand-in, and the deploy variables every mode of this benchmark starts from."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    project = copy_project(REPO / "examples" / example, work / example, name)
    standin = build_statsd_exporter_standin(work)
    variables = {**base_vars(standin), "project_dir": str(project), "deploy_manage_docker": False}
    return work, project, variables


WORKERS = 2
BARE_HOST, BARE_PUBLISHED, BARE_STATSD = 48081, 48082, 48125
WRK_TIMEOUT = "5s"


def wrk_summary(output):
    """Requests, req/s, p99 (ms) and failures of one wrk run from its text output."""
    requests = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    unit_ms = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "requests": int(requests.group(1)) if requests else 0,
        "rps": float(rate.group(1)) if rate else 0.0,
        "p99_ms": round(float(p99.group(1)) * unit_ms[p99.group(2)], 1) if p99 else None,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def wrk_command(url, connections, duration, host=None):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", WRK_TIMEOUT, "--latency"]
    return command + (["-H", f"Host: {host}"] if host else []) + [url]


def wrk(url, duration, connections, host=None):
    output = subprocess.run(
        wrk_command(url, connections, duration, host), capture_output=True, text=True, check=True
    ).stdout
    return {**wrk_summary(output), "output": output}


def wait_until_up(url, timeout=60, host=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers={"Host": host} if host else {})
            with urllib.request.urlopen(request, timeout=2):
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


# In the published baseline's network namespace: the same sink, beside Gunicorn (loopback only).
SINK_SCRIPT = (
    "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    f"s.bind(('127.0.0.1', {BARE_STATSD}))\nwhile True:\n    s.recv(65536)\n"
)


def bare_gunicorn(name, image, worker_class, gunicorn_args, *, published=False, gateway=""):
    """Bare Gunicorn from the same image and settings, no supervisord, no statsd-exporter (its StatsD
    goes to a sink): on the host network (``published=False``, port BARE_HOST), or in its own network
    namespace with its port published on 127.0.0.1:BARE_PUBLISHED (docker-proxy) and, like a release,
    on ``gateway``:BARE_PUBLISHED (the kernel's DNAT). Its URL on 127.0.0.1."""
    for container in (name, f"{name}-sink"):
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)
    command = json.loads(docker_inspect(image)["Config"]["Labels"]["io.flaskrock.paas.gunicorn-command"])
    network = ["-p", f"127.0.0.1:{BARE_PUBLISHED}:8000"] if published else ["--network", "host"]
    if published and gateway:
        network += ["-p", f"{gateway}:{BARE_PUBLISHED}:8000"]
    bind = "0.0.0.0:8000" if published else f"127.0.0.1:{BARE_HOST}"
    subprocess.run(
        [
            "docker", "run", "-d", "--name", name, *network,
            "-e", f"GUNICORN_CMD_ARGS={gunicorn_args}",
            "--entrypoint", command[0], image, *command[1:],
            "-k", worker_class, "--bind", bind, "--statsd-host", f"127.0.0.1:{BARE_STATSD}",
        ],
        capture_output=True,
        check=True,
    )  # fmt: skip
    if published:
        subprocess.run(
            ["docker", "run", "-d", "--name", f"{name}-sink", "--network", f"container:{name}",
             "--entrypoint", "python3", image, "-c", SINK_SCRIPT],
            capture_output=True,
            check=True,
        )  # fmt: skip
    port = BARE_PUBLISHED if published else BARE_HOST
    wait_until_up(f"http://127.0.0.1:{port}/")
    return f"http://127.0.0.1:{port}"


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


def wrk_until(url, connections, action, host=None):
    """wrk against url while action() runs (stopped with SIGINT one second after it returns)."""
    process = subprocess.Popen(wrk_command(url, connections, 900, host), stdout=subprocess.PIPE, text=True)
    try:
        result = action()
        time.sleep(1)
    finally:
        process.send_signal(2)
        output = process.communicate(timeout=30)[0]
    return result, {**wrk_summary(output), "output": output}


def playbook(path, variables, work, expect_failure=False):
    """ansible-playbook PATH on localhost (local connection); exits the benchmark unless its result is
    the expected one. Returns (seconds, output)."""
    start = time.monotonic()
    result = run_playbook(path, local=True, extra_vars=variables, vars_dir=work, timeout=1500)
    elapsed = time.monotonic() - start
    if (result.returncode != 0) != expect_failure:
        sys.exit(f"{path} {'succeeded' if expect_failure else 'failed'} unexpectedly:\n{result.output}")
    return elapsed, result.output


PROXY = "bdeploy-proxy"
PROXY_HTTP, PROXY_HTTPS = 48281, 48282
PROXY_DIR = Path("/var/lib/flaskrock/bdeploy-proxy")
PROXY_VARS = {
    "deploy_proxy": True,
    "proxy_http_port": PROXY_HTTP,
    "proxy_https_port": PROXY_HTTPS,
    "proxy_bind_addresses": ["127.0.0.1"],
    "proxy_name": PROXY,
    "proxy_dir": str(PROXY_DIR),
}
# A migration gate both copies get (hello's migrate.sh, and one added to hello-async): it fails while
# the release's environment has BENCH_FAIL_MIGRATION (deploy_env), so no rebuild is needed to fail it.
FAILING_GATE = '[ -z "${BENCH_FAIL_MIGRATION:-}" ] || { echo "bench: the migration fails"; exit 3; }\n'
# The two apps: (example, worker class, path measured, domain, metrics port, loopback block).
PROXY_APPS = {
    "bdeploy-sync": ("hello", "sync", "/", None, 48390, 48300),
    "bdeploy-gevent": ("hello-async", "gevent", "/io", "io.bench.test", 48391, 48304),
}


def proxy_app(name):
    """Copy, configure and deploy one app behind the bench's proxy; its deploy variables."""
    example, worker_class, _path, domain, metrics, backend = PROXY_APPS[name]
    work, project, variables = prepare(example, name, f"bench-{name}-")
    migrate = project / "migrate.sh"
    text = (
        migrate.read_text() if migrate.exists() else "#!/usr/bin/env bash\nset -eo pipefail\necho migrated\n"
    )
    migrate.write_text(text.replace("set -eo pipefail\n", "set -eo pipefail\n" + FAILING_GATE, 1))
    variables.update(
        PROXY_VARS,
        deploy_worker_class=worker_class,
        deploy_workers=WORKERS,
        deploy_graceful_timeout=10,
        deploy_metrics_port=metrics,
        deploy_proxy_backend_port=backend,
        deploy_domains=[domain] if domain else [],
    )
    remove_app(name, name)
    playbook(REPO / "playbooks" / "deploy.yml", variables, work)
    return {"work": work, "project": project, "vars": variables}


def proxy_cases(name, app, connections):
    """The four releases under wrk through the proxy: each must fail no request."""
    _example, _worker, path, domain, _metrics, _backend = PROXY_APPS[name]
    url = f"http://127.0.0.1:{PROXY_HTTP}{path}"
    deploy_playbook, rollback_playbook = (
        REPO / "playbooks" / "deploy.yml",
        REPO / "playbooks" / "rollback.yml",
    )
    variables = app["vars"]

    def code_change():
        app_py = app["project"] / "app.py"
        app_py.write_text(app_py.read_text() + "\n# a code change for the benchmark\n")
        return playbook(deploy_playbook, variables, app["work"])

    cases = {
        "code-change release": code_change,
        "failing migration": lambda: playbook(
            deploy_playbook, {**variables, "deploy_env": {"BENCH_FAIL_MIGRATION": "1"}}, app["work"], True
        ),
        "never-healthy release": lambda: playbook(
            deploy_playbook,
            {
                **variables,
                "deploy_env": {"GUNICORN_CMD_ARGS": "--bind 127.0.0.1:8001"},
                "deploy_health_check_timeout": 5,
            },
            app["work"],
            True,
        ),
        "rollback": lambda: playbook(rollback_playbook, {**variables, "deploy_app_name": name}, app["work"]),
    }
    results = {}
    for case, action in cases.items():
        with bench_lock():
            (elapsed, _output), load = wrk_until(url, connections, action, host=domain)
        results[case] = {"playbook_s": round(elapsed, 1), "wrk": load}
        print(f"{name} {case}: {wrk_summary(load['output'])}", file=sys.stderr)
    return results


def set_server_close(enabled):
    """The bench's own HAProxy with or without `option http-server-close`, reloaded hitlessly."""
    live = PROXY_DIR / "haproxy.cfg"
    text = re.sub(r"\n    option http-server-close\n", "\n", live.read_text())
    if enabled:
        text = text.replace(
            "\n    option httplog\n", "\n    option httplog\n    option http-server-close\n", 1
        )
    live.write_text(text)
    subprocess.run(["docker", "kill", "--signal", "USR2", PROXY], capture_output=True, check=True)
    time.sleep(2)


def proxy_throughput(name, options):
    """Alternated rounds: the proxy as deployed, the proxy with http-server-close, bare Gunicorn on
    the host network, bare Gunicorn behind a published port reached on 127.0.0.1 (docker-proxy) and
    on the address the proxy reaches the release at (its record's: the bridge gateway, DNAT)."""
    _example, worker_class, path, domain, _metrics, _backend = PROXY_APPS[name]
    info = docker_inspect(name)
    image = info["Config"]["Image"]
    gunicorn_args = next(
        v.split("=", 1)[1] for v in info["Config"]["Env"] if v.startswith("GUNICORN_CMD_ARGS=")
    )
    bare = f"{name}-bare"
    address = json.loads((PROXY_DIR / "apps" / f"{name}.json").read_text()).get("address") or "127.0.0.1"
    gateway = "" if address == "127.0.0.1" else address
    runs = {"proxy": [], "proxy_server_close": [], "bare_host": [], "bare_published": []}
    if gateway:
        runs["bare_gateway"] = []
    try:
        base_host = bare_gunicorn(bare, image, worker_class, gunicorn_args)
        base_published = bare_gunicorn(
            f"{bare}-pub", image, worker_class, gunicorn_args, published=True, gateway=gateway
        )
        bases = {
            "bare_host": base_host,
            "bare_published": base_published,
            "bare_gateway": base_published.replace("127.0.0.1", gateway),
        }
        proxy_url = f"http://127.0.0.1:{PROXY_HTTP}"
        with bench_lock():
            for round_number in range(options.rounds):
                order = list(runs)
                order = order[round_number % len(order) :] + order[: round_number % len(order)]
                for target in order:
                    if target.startswith("proxy"):
                        set_server_close(target == "proxy_server_close")
                        result = wrk(proxy_url + path, options.duration, options.connections, host=domain)
                    else:
                        result = wrk(bases[target] + path, options.duration, options.connections)
                    runs[target].append(result)
        set_server_close(False)
    finally:
        for container in (bare, f"{bare}-pub", f"{bare}-pub-sink"):
            subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)
    medians = {target: statistics.median(run["rps"] for run in results) for target, results in runs.items()}
    gateway_rps = medians.get("bare_gateway")
    return {
        "worker_class": worker_class,
        "path": path,
        "backend_address": address,
        "gunicorn_args": gunicorn_args,
        "runs": runs,
        "median_rps": medians,
        "ratio_proxy_vs_bare_host": round(medians["proxy"] / medians["bare_host"], 3),
        "ratio_proxy_vs_bare_published": round(medians["proxy"] / medians["bare_published"], 3),
        "ratio_server_close_vs_bare_host": round(medians["proxy_server_close"] / medians["bare_host"], 3),
        "ratio_published_vs_host": round(medians["bare_published"] / medians["bare_host"], 3),
        "ratio_gateway_vs_host": round(gateway_rps / medians["bare_host"], 3) if gateway_rps else None,
        "load_average": _load_average(),
    }


def _load_average():
    """The 1, 5 and 15 min load averages at the end of the rounds (the machine is shared)."""
    with open("/proc/loadavg", encoding="ascii") as handle:
        return [float(value) for value in handle.read().split()[:3]]


def measure_proxy(options):
    """Both apps behind the bench's proxy: the zero-failure releases, then the throughput ratios."""
    results = {"connections": options.connections, "duration_s": options.duration, "rounds": options.rounds,
               "workers": WORKERS, "wrk_timeout": WRK_TIMEOUT, "cases": {}, "throughput": {}}  # fmt: skip
    apps = {}
    statsd_sink()
    try:
        for name in PROXY_APPS:
            apps[name] = proxy_app(name)
        for name, (_example, _worker, path, domain, _metrics, _backend) in PROXY_APPS.items():
            wait_until_up(f"http://127.0.0.1:{PROXY_HTTP}{path}", host=domain)
            if not options.ratios_only:
                results["cases"][name] = proxy_cases(name, apps[name], options.connections)
        if not options.cases_only:
            for name in PROXY_APPS:
                results["throughput"][name] = proxy_throughput(name, options)
    finally:
        for name, app in apps.items():
            remove_app(name, name)
            shutil.rmtree(app["work"], ignore_errors=True)
        subprocess.run(["docker", "rm", "-f", PROXY], capture_output=True, check=False)
        shutil.rmtree(PROXY_DIR, ignore_errors=True)
    print(json.dumps(results, indent=2))
    print_proxy_tables(results)


def print_proxy_tables(results):
    print("\n| app | case | playbook s | wrk requests | socket errors | non-2xx/3xx |")
    print("|---|---|---|---|---|---|")
    for name, cases in results["cases"].items():
        for case, row in cases.items():
            load = row["wrk"]
            cells = (
                name,
                case,
                row["playbook_s"],
                load["requests"],
                load["socket_errors"],
                load["non_2xx_3xx"],
            )
            print("| " + " | ".join(str(cell) for cell in cells) + " |")
    print(
        "\n| app | path | proxy req/s | proxy, http-server-close | bare, host network | bare, published port "
        "| bare, published, on the gateway | proxy ÷ bare host | proxy ÷ bare published "
        "| server-close ÷ bare host | published ÷ host | gateway ÷ host | load average |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, row in results["throughput"].items():
        rps = row["median_rps"]
        cells = [f"{name} ({row['worker_class']})", row["path"]]
        cells += [
            f"{rps[target]:.0f}" if target in rps else "-"
            for target in ("proxy", "proxy_server_close", "bare_host", "bare_published", "bare_gateway")
        ]
        cells += [
            "-" if row[key] is None else f"{row[key]:.2f}"
            for key in (
                "ratio_proxy_vs_bare_host",
                "ratio_proxy_vs_bare_published",
                "ratio_server_close_vs_bare_host",
                "ratio_published_vs_host",
                "ratio_gateway_vs_host",
            )
        ]
        cells.append("/".join(f"{value:.1f}" for value in row["load_average"]))
        print("| " + " | ".join(cells) + " |")


SWITCH_APP = "bdeploy-switch"
SWITCH_HTTP, SWITCH_METRICS = 48280, 48290


def measure_switch(options):
    """Code-change redeploys of hello-async under load: direct mode, then behind the proxy."""
    work, project, common = prepare("hello-async", SWITCH_APP, "bench-switch-")
    common.update(
        deploy_metrics_port=SWITCH_METRICS, deploy_workers=WORKERS, deploy_worker_class="gevent",
        deploy_graceful_timeout=10,
    )  # fmt: skip
    modes = {
        "direct": ({**common, "deploy_proxy": False, "deploy_http_port": SWITCH_HTTP}, SWITCH_HTTP),
        "proxy": ({**common, **PROXY_VARS}, PROXY_HTTP),
    }
    results = {"connections": options.connections}
    try:
        for mode, (variables, port) in modes.items():
            remove_app(SWITCH_APP, SWITCH_APP)

            def deploy(variables=variables):
                return playbook(REPO / "playbooks" / "deploy.yml", variables, work)[0]

            deploy()
            wait_until_up(f"http://127.0.0.1:{port}/")
            code = (project / "app.py").read_text()
            (project / "app.py").write_text(code + f"\n# code change ({mode})\n")
            url = f"http://127.0.0.1:{port}/"
            with bench_lock():
                (elapsed, longest, failures), load = wrk_until(
                    url, options.connections, lambda url=url, deploy=deploy: measure_downtime(url, deploy)
                )
            load.pop("output")
            results[mode] = {
                "redeploy_s": round(elapsed, 1),
                "poller_failures": failures,
                "longest_gap_s": round(longest, 2),
                "wrk": load,
            }
    finally:
        remove_app(SWITCH_APP, SWITCH_APP)
        subprocess.run(["docker", "rm", "-f", PROXY], capture_output=True, check=False)
        shutil.rmtree(PROXY_DIR, ignore_errors=True)
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
    work, _project, deploy_vars = prepare("hello", NOOP_APP, "bench-noop-")
    deploy_vars.update(deploy_http_port=NOOP_HTTP, deploy_metrics_port=NOOP_METRICS)
    baseline = stat_playbook(work)
    remove_app(NOOP_APP, NOOP_APP)
    results = {"rounds": rounds, "noop_s": [], "stat10_s": []}
    try:
        playbook(REPO / "playbooks" / "deploy.yml", deploy_vars, work)  # the first deploy
        with bench_lock():
            for _ in range(rounds):
                elapsed, output = playbook(REPO / "playbooks" / "deploy.yml", deploy_vars, work)
                if recap_changed(output) != 0:
                    sys.exit("the no-op redeploy changed something:\n" + output)
                results["noop_s"].append(round(elapsed, 2))
                results["counts"] = task_counts(output)
                elapsed, _ = playbook(baseline, {"ansible_python_interpreter": sys.executable}, work)
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
    parser.add_argument(
        "--duration", type=int, default=5, help="seconds per wrk run of the throughput rounds"
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 3; --noop: 7)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--cases-only", action="store_true", help="only the zero-failure releases (no ratios)"
    )
    parser.add_argument("--ratios-only", action="store_true", help="only the throughput rounds (no releases)")
    parser.add_argument("--noop", action="store_true", help="only the no-op redeploy against 10 stat tasks")
    parser.add_argument("--switch", action="store_true", help="only the redeploy under load, direct vs proxy")
    options = parser.parse_args()
    if shutil.which("wrk") is None and not options.noop:
        sys.exit("wrk is missing: apt-get install -y wrk")
    try:
        if options.switch:
            measure_switch(options)
        elif options.noop:
            measure_noop(options.rounds or 7)
        else:
            options.rounds = options.rounds or 3
            measure_proxy(options)
    finally:
        drop_kept_layers()  # the layers remove_app kept for a rebuild (none is coming)


if __name__ == "__main__":
    main()
