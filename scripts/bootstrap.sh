#!/usr/bin/env bash
# Create .venv with everything the collection's commands and tests need, and make
# flaskrock.paas.* resolvable without Galaxy. Seconds when nothing changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
python="${PYTHON:-python3}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$root/requirements-dev.txt" | cut -d' ' -f1)"

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing development requirements into .venv" >&2
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -r "$root/requirements-dev.txt"
  echo "$want" > "$stamp"
fi

# ansible.cfg points collections_path at .venv/collections; the collection is this checkout.
link="$venv/collections/ansible_collections/flaskrock/paas"
mkdir -p "$(dirname "$link")"
if [ "$(readlink "$link" 2>/dev/null)" != "$root" ]; then
  ln -sfn "$root" "$link"
fi
