#!/usr/bin/env bash
# Idempotent schema migration, run before each release starts.
set -eo pipefail
data_dir="${HELLO_DATA_DIR:-/tmp/hello-data}"
mkdir -p "$data_dir"
python3 - "$data_dir/hello.db" <<'PY'
import sqlite3
import sys

with sqlite3.connect(sys.argv[1]) as db:
    db.execute(
        "CREATE TABLE IF NOT EXISTS visits ("
        "id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
print(f"migrated {sys.argv[1]}")
PY
