#!/usr/bin/env python3
"""Benchmark: validate and expand a 10,000-file Flask project, against a plain os.walk of the same tree.

Usage: .venv/bin/python bench/validate/run.py [--files 10000] [--repeat 7]
"""

import argparse
import os
import pathlib
import statistics
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / ".venv" / "collections"))

from ansible_collections.flaskrock.paas.plugins.module_utils._flask_project import inspect_project  # noqa: E402

FILES_PER_DIRECTORY = 100


def build_project(root, total_files):
    """A Flask project whose files all reach /flask/app (exclude-mode prime), ``total_files`` in all."""
    fixed = {
        "requirements.txt": "Flask>=3  # web\ngevent\n-r requirements-extra.txt\n",
        "requirements-extra.txt": "requests\n",
        "app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
        "migrate.sh": "#!/bin/bash\n",
        "rockcraft.yaml": (
            "name: bench\nbase: ubuntu@24.04\nversion: '1'\nextensions: [flask-framework]\n"
            "parts:\n  flask-framework/install-app:\n    prime: ['-flask/app/tests']\n"
        ),
    }
    for rel, content in fixed.items():
        (root / rel).write_text(content)
    remaining = total_files - len(fixed)
    index = 0
    while index < remaining:
        top = ("static", "templates", "webapp")[index // FILES_PER_DIRECTORY % 3]
        directory = root / top / f"d{index // FILES_PER_DIRECTORY:03d}"
        directory.mkdir(parents=True, exist_ok=True)
        for _ in range(min(FILES_PER_DIRECTORY, remaining - index)):
            (directory / f"f{index:05d}.txt").write_text("x")
            index += 1


def count_files(root):
    return sum(len(files) for _, _, files in os.walk(root))


def walk_baseline(root):
    return [os.path.join(directory, name) for directory, _, files in os.walk(root) for name in files]


def median_seconds(function, repeat):
    function()  # warm the page cache and imports
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples), max(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="flaskrock-bench-validate-") as tmp:
        root = pathlib.Path(tmp) / "bench"
        root.mkdir()
        build_project(root, args.files)
        files = count_files(root)
        result = inspect_project(str(root))
        shipped = len(result["app_files"])
        validate = median_seconds(lambda: inspect_project(str(root)), args.repeat)
        baseline = median_seconds(lambda: walk_baseline(root), args.repeat)
    print(f"project files: {files}; files reaching /flask/app: {shipped}; repeats: {args.repeat}")
    print(f"os.walk baseline   median {baseline[0]:.4f} s (min {baseline[1]:.4f}, max {baseline[2]:.4f})")
    print(f"validate + expand  median {validate[0]:.4f} s (min {validate[1]:.4f}, max {validate[2]:.4f})")
    print(f"ratio validate / os.walk: {validate[0] / baseline[0]:.1f}x")


if __name__ == "__main__":
    main()
