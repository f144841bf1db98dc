#!/usr/bin/env bash
# Run every test of the collection: linters, the role checks (scripts/check_roles.py) and README
# tables (scripts/role_docs.py --check), pytest (unit, Docker integration and every Molecule
# scenario, tests/integration/test_molecule.py), ansible-test sanity. Exits non-zero if any step fails.
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh ruff pytest     # only these steps (names as printed)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/bootstrap.sh || exit 1
# shellcheck source=/dev/null
source .venv/bin/activate
passed=0 failed=0 failures=()
wanted=("$@")

# The integration tests keep the layers of the images they remove (tagged
# flaskrock-test-cache:<id>-*) so later builds of the same project, Molecule's included, hit
# Docker's build cache; they are dropped when this script ends.
export FLASKROCK_TEST_CACHE_ID="testsh-$$"
drop_build_cache() {
  local tags
  tags="$(docker images --format '{{.Repository}}:{{.Tag}}' \
          --filter "reference=flaskrock-test-cache:$FLASKROCK_TEST_CACHE_ID-*" 2>/dev/null)" || return 0
  # shellcheck disable=SC2086
  [ -z "$tags" ] || docker rmi $tags >/dev/null 2>&1 || true
}
trap drop_build_cache EXIT

# The Docker step (pytest: integration tests and Molecule) needs the four Ubuntu images; the
# linters and checks do not.
if [ ${#wanted[@]} -eq 0 ] || [[ " ${wanted[*]} " == *" pytest "* ]]; then
  bash scripts/ubuntu-images.sh || { echo "test: could not provide the Ubuntu base images" >&2; exit 1; }
fi

wanted_step() {
  [ ${#wanted[@]} -eq 0 ] || [[ " ${wanted[*]} " == *" $1 "* ]]
}

report_step() {  # name exit-status start-seconds
  if [ "$2" -eq 0 ]; then
    passed=$((passed + 1)); echo "<== $1 passed ($((SECONDS - $3)) s)"
  else
    failed=$((failed + 1)); failures+=("$1"); echo "<== $1 FAILED ($((SECONDS - $3)) s)"
  fi
}

run_step() {
  local name="$1"; shift
  wanted_step "$name" || return 0
  echo "==> $name: $*"
  local start=$SECONDS status=0
  "$@" || status=$?
  report_step "$name" "$status" "$start"
}

# One step may run beside the others (its output is printed, and its result counted, when
# finish_background_step waits for it).
background_step() {
  bg_name="$1"; shift
  wanted_step "$bg_name" || { bg_name=""; return 0; }
  echo "==> $bg_name (in the background, reported below): $*"
  bg_log="$(mktemp)" bg_start=$SECONDS
  "$@" >"$bg_log" 2>&1 &
  bg_pid=$!
}

finish_background_step() {
  [ -n "${bg_name:-}" ] || return 0
  local status=0
  wait "$bg_pid" || status=$?
  echo "--- output of $bg_name"
  cat "$bg_log"; rm -f "$bg_log"
  report_step "$bg_name" "$status" "$bg_start"
}

run_step ruff ruff check .
run_step yamllint yamllint -s .
run_step ansible-lint ansible-lint --profile production
# Issue 10's rules ansible-lint cannot express: <= 4 filters per Jinja expression in roles/, the
# runtime contract's values only through its lookup. Then the README variable tables are current.
run_step role-checks python scripts/check_roles.py
run_step role-docs python scripts/role_docs.py --check
# Two workers, each taking whole modules (and each Molecule scenario, a class of
# tests/integration/test_molecule.py); ports and names are per module, and tests/conftest.py puts
# the longest first so both workers stay busy to the end.
# ansible-test sanity (mostly CPU) runs beside pytest (mostly waiting on Docker builds and downloads).
background_step sanity bash scripts/sanity.sh
run_step pytest pytest -n 2 --dist loadscope --no-loadscope-reorder --durations=40 tests
finish_background_step

echo
[ $failed -eq 0 ] || echo "failed steps: ${failures[*]}"
echo "steps: $passed passed, $failed failed"
[ $failed -eq 0 ]
