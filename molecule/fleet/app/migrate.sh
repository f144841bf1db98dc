#!/usr/bin/env bash
# Logs one line per run in the data volume: the scenario counts the lines (once per deploy).
set -eo pipefail
data_dir="${FLEET_DATA_DIR:-/tmp/fleet-data}"
mkdir -p "$data_dir"
echo "migrated $(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$data_dir/migrations.log"
