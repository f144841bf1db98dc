#!/usr/bin/env bash
# Run `ansible-test sanity` on the collection, offline.
# ansible-test wants the collection under ansible_collections/<ns>/<name>, so the
# built collection is unpacked there first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache/sanity"
# Outside the checkout: inside it, git would report the copy as ignored and ansible-test would skip it.
copy="${TMPDIR:-/tmp}/flaskrock-sanity/ansible_collections/flaskrock/paas"
venv="$cache/venv"
core_pin="$(grep -E '^ansible-core==' "$root/requirements-dev.txt")"

if ! command -v shellcheck >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
fi
# ansible-test installs each sanity test's pinned requirements into its own venv;
# a separate ansible-core venv keeps those pins away from .venv.
if [ ! -x "$venv/bin/ansible-test" ] || ! "$venv/bin/pip" freeze | grep -qx "$core_pin"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "$core_pin"
fi
# ansible-test downloads get-pip.py from a host these machines cannot reach.
mkdir -p "$HOME/.ansible/test/cache"
for version in 24.2 24.3.1 25.0.1; do
  cp "$root/scripts/offline_get_pip.py" "$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
done

# Sanity-check what ships: the collection artifact, without the dev and test files
# that galaxy.yml's build_ignore leaves out.
rm -rf "$copy" && mkdir -p "$copy"
dist="$(mktemp -d)"
trap 'rm -rf "$dist"' EXIT
"$root/.venv/bin/ansible-galaxy" collection build --output-path "$dist" "$root" >/dev/null
tar -C "$copy" -xzf "$dist"/flaskrock-paas-*.tar.gz
cd "$copy"
"$venv/bin/ansible-test" sanity --local --requirements --python "$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')" "$@"
