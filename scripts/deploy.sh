#!/usr/bin/env bash
# The main job, locally: deploy a Flask project (default: examples/hello) to this
# machine's Docker behind the host's HAProxy and print its http and https URLs and metrics URL.
#   bash scripts/deploy.sh [PROJECT_DIR] [extra ansible-playbook arguments...]
# HTTP_PORT / HTTPS_PORT: the proxy's ports (default 80 and 443; 8080 and 8443 when another program
# holds 80/443 here). METRICS_PORT (default 9102). DEPLOY_PROXY=false: the direct mode (the container
# publishes HTTP_PORT, default 8080, itself; no HTTPS).
# Backing services: a project with a backing-services.yml (examples/tasks) gets its own PostgreSQL
# and/or Redis containers (playbooks/backing_services.yml: Ubuntu's packages, images built here, a
# Docker network <name>-backing-net the app joins) unless POSTGRESQL_URL / REDIS_URL are given
# (DEPLOY_NETWORKS="net1 net2": existing Docker networks the app joins to reach them by name).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
project="$(realpath "${1:-examples/hello}")"
[ $# -gt 0 ] && shift

bash scripts/bootstrap.sh
# shellcheck source=/dev/null
source .venv/bin/activate
# Only the base image this project builds on (rockcraft.yaml's base): the Molecule targets and
# the other release are for the tests, and building them would double a first deploy's time.
base_image="$(python scripts/base_image.py "$project")"
if [ -n "$base_image" ]; then
  bash scripts/ubuntu-images.sh "$base_image"
fi

extra=()
statsd_exporter_release="https://github.com/prometheus/statsd_exporter/releases/download/v0.26.0/statsd_exporter-0.26.0.linux-amd64.tar.gz"
if [ -n "${STATSD_EXPORTER_SRC:-}" ]; then
  extra+=(-e "rock_statsd_exporter_src=$STATSD_EXPORTER_SRC")
elif ! curl -fsSIL --max-time 10 -o /dev/null "$statsd_exporter_release"; then
  # Offline machine: the real statsd_exporter cannot be fetched. Say so loudly and use
  # the test stand-in (same flags and metric names), never pretend it is the real one.
  standin="$root/.cache/statsd_exporter-standin"
  mkdir -p "$root/.cache"
  python tests/standins/statsd_exporter/build.py "$standin"
  echo "WARNING: cannot download statsd_exporter v0.26.0 (offline?). Using the TEST STAND-IN" \
       "$standin; set STATSD_EXPORTER_SRC to a real release archive or binary for production." >&2
  extra+=(-e "rock_statsd_exporter_src=$standin")
fi

# Corporate networks (and these test machines) intercept HTTPS: let the build stage trust
# the CA certificates this machine added locally. They never reach the final image.
shopt -s nullglob
local_cas=(/usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt)
if [ ${#local_cas[@]} -gt 0 ]; then
  extra+=(-e "$(python -c 'import json, sys; print(json.dumps({"rock_build_ca_certificates": sys.argv[1:]}))' "${local_cas[@]}")")
fi

port_busy() {  # is anything listening on TCP port $1?
  python - "$1" <<'PY'
import sys
ports = set()
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        lines = open(table).read().splitlines()[1:]
    except OSError:
        continue
    ports.update(int(f[1].rsplit(":", 1)[1], 16) for f in map(str.split, lines) if len(f) > 3 and f[3] == "0A")
sys.exit(0 if int(sys.argv[1]) in ports else 1)
PY
}
proxy_cfg=/var/lib/flaskrock/proxy/haproxy.cfg
if [ "${DEPLOY_PROXY:-true}" = "false" ]; then
  extra+=(-e deploy_proxy=false -e "deploy_http_port=${HTTP_PORT:-8080}")
else
  if [ "$(docker inspect -f '{{.State.Running}}' flaskrock-proxy 2>/dev/null)" = "true" ] && [ -f "$proxy_cfg" ]; then
    # The proxy of an earlier run holds its ports: keep them.
    http_default="$(awk '$1 == "bind" && $0 !~ / ssl / {sub(/.*:/, "", $2); print $2; exit}' "$proxy_cfg")"
    https_default="$(awk '$1 == "bind" && $0 ~ / ssl / {sub(/.*:/, "", $2); print $2; exit}' "$proxy_cfg")"
  else
    http_default=80; https_default=443
    if port_busy 80; then http_default=8080; fi
    if port_busy 443; then https_default=8443; fi
  fi
  extra+=(-e "proxy_http_port=${HTTP_PORT:-$http_default}" -e "proxy_https_port=${HTTPS_PORT:-${https_default:-443}}")
fi

backing_file="$project/backing-services.yml"
if [ -f "$backing_file" ] || [ -n "${POSTGRESQL_URL:-}${REDIS_URL:-}${DEPLOY_NETWORKS:-}" ]; then
  mkdir -p "$root/.cache"
  # Which services to start here, and the deploy's variables (deploy_databases, deploy_networks).
  backing_json="$(python - "$project" "$root/.cache" <<'PY'
import json, os, pathlib, secrets, sys
import yaml
project, cache = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
wanted = yaml.safe_load((project / "backing-services.yml").read_text()) if (project / "backing-services.yml").exists() else []
name = yaml.safe_load((project / "rockcraft.yaml").read_text()).get("name") or project.name
given = {"postgresql": os.environ.get("POSTGRESQL_URL", ""), "redis": os.environ.get("REDIS_URL", "")}
start = [service for service in wanted or [] if service in given and not given[service]]
databases = {kind: url for kind, url in given.items() if url}
networks = os.environ.get("DEPLOY_NETWORKS", "").split()
prefix, password = f"{name}-backing", ""
if start:
    networks.append(f"{prefix}-net")
if "postgresql" in start:
    password_file = cache / f"{prefix}-postgresql.password"  # kept: the data volume keeps the user
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(24))
        password_file.chmod(0o600)
    password = password_file.read_text().strip()
    databases["postgresql"] = f"postgresql://{name}:{password}@{prefix}-postgresql:5432/{name}"
if "redis" in start:
    databases["redis"] = f"redis://{prefix}-redis:6379/0"
print(json.dumps({
    "start": {"backing_services": start, "backing_prefix": prefix, "backing_network": f"{prefix}-net",
              "backing_postgresql_user": name, "backing_postgresql_db": name,
              "backing_postgresql_password": password},
    "deploy": {"deploy_databases": databases, "deploy_networks": networks},
}))
PY
)"
  # Variables holding the password go through 0600 files, never the command line.
  umask 077
  python -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1])["start"]))' "$backing_json" > "$root/.cache/backing-start.json"
  python -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1])["deploy"]))' "$backing_json" > "$root/.cache/backing-deploy.json"
  umask 022
  if [ "$(python -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["backing_services"]))' "$root/.cache/backing-start.json")" != 0 ]; then
    ansible-playbook playbooks/backing_services.yml -i localhost, -c local \
      -e "ansible_python_interpreter=$root/.venv/bin/python" -e "@$root/.cache/backing-start.json"
  fi
  extra+=(-e "@$root/.cache/backing-deploy.json")
fi

# The local "host" is this machine: use .venv's Python, which has the Docker SDK that
# community.docker needs, rather than whatever interpreter discovery finds first.
exec ansible-playbook playbooks/deploy.yml -i localhost, -c local \
  -e "ansible_python_interpreter=$root/.venv/bin/python" \
  -e "project_dir=$project" \
  -e "deploy_metrics_port=${METRICS_PORT:-9102}" \
  "${extra[@]}" "$@"
