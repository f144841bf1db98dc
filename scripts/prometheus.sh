#!/usr/bin/env bash
# Provide Prometheus and promtool for the tests: Debian's (or Ubuntu's) `prometheus` package,
# downloaded with apt and unpacked into .cache/prometheus, not installed: the package's maintainer
# scripts would start a Prometheus server on port 9090 of this machine (its init script) and create
# a system user, which a test machine shared by others must not get. Prints the directory holding
# `prometheus` and `promtool`; exits 1 with the reason when apt cannot provide the package.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache/prometheus"
bin="$cache/root/usr/bin"
mkdir -p "$root/.cache"
# The two pytest workers may ask at once.
exec 9>"$root/.cache/prometheus.lock"
flock 9

if [ -x "$bin/prometheus" ] && [ -x "$bin/promtool" ]; then
  echo "$bin"
  exit 0
fi
for tool in apt-get dpkg-deb; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "prometheus.sh: $tool is missing: the tests take Prometheus from Debian's or Ubuntu's prometheus package" >&2
    exit 1
  fi
done
work="$(mktemp -d "$root/.cache/prometheus.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# apt-get download writes into the current directory; the package lists may need a refresh first.
if ! (cd "$work" && apt-get download -qq prometheus >/dev/null 2>&1); then
  apt-get update -qq >/dev/null 2>&1 || true
  if ! (cd "$work" && apt-get download -qq prometheus >/dev/null 2>"$work/apt.log"); then
    echo "prometheus.sh: apt cannot download the prometheus package: $(tail -1 "$work/apt.log")" >&2
    exit 1
  fi
fi
dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
rm -f "$work"/prometheus_*.deb "$work/apt.log"
"$work/root/usr/bin/promtool" --version >/dev/null
rm -rf "$cache"
mv "$work" "$cache"
trap - EXIT
echo "$bin"
