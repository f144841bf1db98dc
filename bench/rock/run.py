"""Benchmark of the flaskrock.paas.rock role: image size, cold build, no-op rerun, code-only change.

Method (all in one run, on the local Docker engine, builder = this machine):
  1. build examples/hello (copied to a temp dir, name "benchrock-hello-<base>") with no cache for
     the project (a fresh name means a fresh build-stage image; apt/pip layers of the shared base
     may still come from Docker's cache, see --no-cache);
  2. rerun with the same inputs (no-op);
  3. change app.py only and rerun (dependency layers reused);
  report image sizes against the base image size and times as ratios against the cold build.

  --static-files N adds N small files under static/bench/ to the project first, to show how the
  build context's cost grows with the number of files (it crosses to the builder as one archive).

  A base "bare/ubuntu@24.04" is base bare on that build-base; its figures are also given as ratios
  to the ubuntu@24.04 figures of the same run (when that base is benchmarked too).

Usage: python bench/rock/run.py [--base ubuntu@24.04 ...] [--no-cache] [--static-files N]
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests/integration"))
from helpers import local_inventory, run_playbook  # noqa: E402

PLAYBOOK = "- hosts: all\n  gather_facts: false\n  roles:\n    - role: flaskrock.paas.rock\n"


def docker_size(reference):
    inspect = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Size}}", reference],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(inspect.stdout.strip())


BASES = ["ubuntu@22.04", "ubuntu@24.04", "bare/ubuntu@22.04", "bare/ubuntu@24.04"]
REFERENCE = "ubuntu@24.04"


def timed_run(playbook, inventory, variables, work):
    started = time.monotonic()
    result = run_playbook(playbook, inventory=inventory, extra_vars=variables, vars_dir=work)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(result.output[-4000:])
    return elapsed, result.output


def bench_base(base, work, standin, no_cache, static_files=0):
    project = work / "project"
    shutil.copytree(REPO_ROOT / "examples/hello", project)
    if static_files:
        (project / "static" / "bench").mkdir(parents=True)
        for number in range(static_files):
            (project / "static" / "bench" / f"file-{number:05d}.txt").write_text(f"static file {number}\n")
    name = "benchrock-hello-" + base.replace("@", "").replace(".", "").replace("/", "-")
    base, _, build_base = base.partition("/")
    playbook = work / "play.yml"
    playbook.write_text(PLAYBOOK)
    inventory = local_inventory(work / "inventory.ini")
    variables = {
        "rock_project_dir": str(project),
        "rock_name": name,
        "rock_base": base,
        "rock_build_base": build_base,
        "rock_build_dir": str(work / "build"),
        "rock_transfer_dir": str(work / "transfer"),
        "rock_statsd_exporter_src": str(standin),
        "rock_build_ca_certificates": sorted(
            str(path) for path in Path("/usr/local/share/ca-certificates").glob("*.crt")
        ),
        "rock_build_env": {"FLASKROCK_BENCH_RUN": str(time.time()) if no_cache else "cached"},
    }
    cold, _ = timed_run(playbook, inventory, variables, work)
    noop, noop_output = timed_run(playbook, inventory, variables, work)
    (project / "app.py").write_text((project / "app.py").read_text() + "\n# code-only change\n")
    code_only, _ = timed_run(playbook, inventory, variables, work)
    images = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}", name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    final_size = docker_size(images[0])
    base_image = {"ubuntu@22.04": "ubuntu:22.04", "ubuntu@24.04": "ubuntu:24.04"}[build_base or base]
    base_size = docker_size(base_image)
    build_stages = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}", name + "-build-stage"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    subprocess.run(["docker", "image", "rm", *images, *build_stages], capture_output=True, check=False)
    return {
        "base": base + ("/" + build_base if build_base else ""),
        "project_files": sum(1 for path in project.rglob("*") if path.is_file()),
        "image_mb": round(final_size / 1e6, 1),
        "base_image_mb": round(base_size / 1e6, 1),
        "size_ratio_to_base": round(final_size / base_size, 2),
        "overhead_mb": round((final_size - base_size) / 1e6, 1),
        "cold_build_s": round(cold, 1),
        "noop_rerun_s": round(noop, 1),
        "noop_ratio": round(noop / cold, 3),
        "noop_changed_zero": "changed=0" in noop_output,
        "code_only_s": round(code_only, 1),
        "code_only_ratio": round(code_only / cold, 3),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", action="append", choices=BASES)
    parser.add_argument("--no-cache", action="store_true", help="make the build stage miss Docker's cache")
    parser.add_argument("--static-files", type=int, default=0, help="add this many files to the project")
    options = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="benchrock-") as temp:
        standin = Path(temp) / "statsd_exporter"
        subprocess.run(
            [sys.executable, str(REPO_ROOT / "tests/standins/statsd_exporter/build.py"), str(standin)],
            check=True,
            capture_output=True,
        )
        for base in options.base or ["ubuntu@22.04", "ubuntu@24.04"]:
            work = Path(temp) / base.replace("@", "-").replace("/", "-")
            work.mkdir()
            results.append(bench_base(base, work, standin, options.no_cache, options.static_files))
    reference = next((result for result in results if result["base"] == REFERENCE), None)
    for result in results:
        if reference and result["base"].startswith("bare/"):
            result["vs_" + REFERENCE] = {
                key: round(result[key] / reference[key], 2)
                for key in ("image_mb", "cold_build_s", "code_only_s", "noop_rerun_s")
            }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
