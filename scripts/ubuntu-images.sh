#!/usr/bin/env bash
# Make sure the local Docker engine has the Ubuntu images the collection's tests use:
#   ubuntu:22.04, ubuntu:24.04                                   (plain base images)
#   flaskrock/molecule-ubuntu:22.04, flaskrock/molecule-ubuntu:24.04  (systemd Molecule targets)
# A base image is pulled when a registry answers; otherwise (and always for the Molecule
# targets) it is built offline with debootstrap from the Ubuntu archive and `docker import`ed.
# Seconds when every image already exists. Needs root (apt-get, debootstrap).
#
# Usage: scripts/ubuntu-images.sh [--force] [--no-pull] [IMAGE...]
#   --force    rebuild even if the image exists (and ignore the rootfs cache)
#   --no-pull  do not try a registry first
#   IMAGE      limit the work to these references (default: all four)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="$root/.cache/ubuntu-images"
pull_timeout="${UBUNTU_IMAGES_PULL_TIMEOUT:-20}"
ubuntu_keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg
key_label=io.flaskrock.paas.ubuntu-images.key

force=false
try_pull=true
requested=()
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    --no-pull) try_pull=false ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "ubuntu-images: unknown option '$arg' (see --help)" >&2; exit 2 ;;
    *) requested+=("$arg") ;;
  esac
done

all_images=(ubuntu:24.04 ubuntu:22.04 flaskrock/molecule-ubuntu:24.04 flaskrock/molecule-ubuntu:22.04)
if [ "${#requested[@]}" -eq 0 ]; then
  requested=("${all_images[@]}")
fi

base_packages=(python3)
# python3-setuptools: noble's python3-docker imports distutils without depending on it.
molecule_packages=(systemd systemd-sysv dbus python3 python3-apt python3-docker python3-setuptools sudo ca-certificates iproute2 curl)

log() { echo "ubuntu-images: $*" >&2; }
die() { log "error: $*"; exit 1; }

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

suite_for() {
  case "$1" in
    22.04) echo jammy ;;
    24.04) echo noble ;;
    *) die "unsupported Ubuntu release '$1' (supported: 22.04, 24.04)" ;;
  esac
}

# Host packages: debootstrap, and the Ubuntu archive keyring so debootstrap can verify
# the archive's signatures (Debian 12 does not ship that keyring).
ensure_host_tools() {
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >/dev/null; } \
      || die "could not install debootstrap with apt-get"
  fi
  [ -f "$ubuntu_keyring" ] && return 0
  if apt-cache show ubuntu-keyring >/dev/null 2>&1 && \
     DEBIAN_FRONTEND=noninteractive apt-get install -y ubuntu-keyring >/dev/null 2>&1 && [ -f "$ubuntu_keyring" ]; then
    return 0
  fi
  install_ubuntu_keyring_from_trixie
  [ -f "$ubuntu_keyring" ] || die "ubuntu-keyring installed but $ubuntu_keyring is missing"
}

# Debian 13's ubuntu-keyring is architecture-independent data, installable on Debian 12.
# It is fetched through a private apt configuration (own sources list, own index directory)
# so no trixie source is ever visible to the system's apt.
install_ubuntu_keyring_from_trixie() {
  log "fetching ubuntu-keyring from Debian trixie (private apt sources list, signatures checked)"
  local work
  work="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/sources.list.d"
  # apt downloads as the unprivileged _apt user where it exists.
  chmod 0755 "$work"
  if id _apt >/dev/null 2>&1; then chown -R _apt:root "$work"; fi
  python3 - "$work/trixie.list" <<'PY' || die "no Debian bookworm source found in /etc/apt to derive a trixie source from"
import glob, re, sys

entries = []  # (uri, signed_by)
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(path).read()):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" in fields.get("types", "").split() and "bookworm" in fields.get("suites", "").split():
            for uri in fields.get("uris", "").split():
                entries.append((uri, fields.get("signed-by", "")))
for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        m = re.match(r"\s*deb\s+(\[([^\]]*)\]\s+)?(\S+)\s+bookworm\s", line + " ")
        if m:
            signed = re.search(r"signed-by=(\S+)", m.group(2) or "")
            entries.append((m.group(3), signed.group(1) if signed else ""))
if not entries:
    sys.exit(1)
uri, signed_by = entries[0]
signed_by = signed_by or "/usr/share/keyrings/debian-archive-keyring.gpg"
with open(sys.argv[1], "w") as out:
    out.write(f"deb [signed-by={signed_by}] {uri} trixie main\n")
PY
  local apt_opts=(
    -o "Dir::Etc::SourceList=$work/trixie.list"
    -o "Dir::Etc::SourceParts=$work/sources.list.d"
    -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache::Archives=$work/archives"
    -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
    -o "APT::Get::List-Cleanup=false"
  )
  apt-get "${apt_opts[@]}" -qq update || die "apt-get update of the private trixie source failed"
  (cd "$work" && apt-get "${apt_opts[@]}" -qq download ubuntu-keyring) \
    || die "apt-get download ubuntu-keyring from trixie failed"
  dpkg -i "$work"/ubuntu-keyring_*.deb >/dev/null || die "dpkg -i ubuntu-keyring failed"
}

# debootstrap's script for an Ubuntu suite; Debian 12's debootstrap predates noble, whose
# bootstrap is identical to every Ubuntu suite since gutsy.
debootstrap_script_for() {
  local suite="$1" scripts=/usr/share/debootstrap/scripts
  if [ -e "$scripts/$suite" ]; then
    echo "$scripts/$suite"
  else
    echo "$scripts/gutsy"
  fi
}

# Build a root filesystem tarball at $4 for Ubuntu $1 with packages $3 (comma separated),
# components $2, finished by function $5. The mirror is debootstrap's default for Ubuntu suites.
build_rootfs_tar() {
  local release="$1" components="$2" include="$3" out="$4" finish_kind="$5" suite rootfs
  suite="$(suite_for "$release")"
  rootfs="$(mktemp -d "${TMPDIR:-/tmp}/flaskrock-rootfs-$suite.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$rootfs'" RETURN
  log "debootstrap $suite ($components) with $include"
  if ! debootstrap --variant=minbase --components="$components" --include="$include" \
      --keyring="$ubuntu_keyring" "$suite" "$rootfs" "" "$(debootstrap_script_for "$suite")" \
      >"$rootfs.log" 2>&1; then
    tail -n 30 "$rootfs.log" >&2
    rm -f "$rootfs.log"
    die "debootstrap of $suite failed (log above)"
  fi
  rm -f "$rootfs.log"
  finish_rootfs "$rootfs" "$suite"
  "$finish_kind" "$rootfs"
  mkdir -p "$(dirname "$out")"
  tar --numeric-owner --xattrs -C "$rootfs" -cf "$out.tmp" .
  mv "$out.tmp" "$out"
}

# Make the tree look like the archive's official container images: full component and
# pocket list (-updates, -security) on debootstrap's mirror, no host identity, no caches.
finish_rootfs() {
  local rootfs="$1" suite="$2" mirror
  mirror="$(awk '$1 == "deb" { print $2; exit }' "$rootfs/etc/apt/sources.list")"
  [ -n "$mirror" ] || die "debootstrap wrote no mirror into $rootfs/etc/apt/sources.list"
  {
    for pocket in "$suite" "$suite-updates" "$suite-security"; do
      echo "deb $mirror $pocket main restricted universe multiverse"
    done
  } >"$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'APT::Install-Recommends "false";' >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin
  : >"$rootfs/etc/resolv.conf"
  echo localhost >"$rootfs/etc/hostname"
  [ -e "$rootfs/etc/machine-id" ] && : >"$rootfs/etc/machine-id"
  rm -f "$rootfs/var/lib/dbus/machine-id"
}

# Plain base image: services never start during `apt-get install` in a build (as in the
# official images), bash as the default command.
finish_base_rootfs() {
  local rootfs="$1"
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
}

# Molecule target: systemd as PID 1 in a container. Units that need real hardware or a
# real console are masked so boot reaches multi-user.target without failed units.
finish_molecule_rootfs() {
  local rootfs="$1" unit
  for unit in systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
              systemd-udev-trigger.service getty@tty1.service console-getty.service \
              systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount \
              sys-kernel-tracing.mount systemd-remount-fs.service systemd-firstboot.service \
              systemd-networkd-wait-online.service systemd-resolved.service systemd-timesyncd.service; do
    ln -sfn /dev/null "$rootfs/etc/systemd/system/$unit"
  done
}

import_image() {
  local ref="$1" tarball="$2" release="$3" kind="$4" key="$5"
  local changes=(
    --change "LABEL org.opencontainers.image.title=\"ubuntu\" org.opencontainers.image.version=\"$release\""
    --change "LABEL org.opencontainers.image.description=\"Ubuntu $release ($kind) made offline with debootstrap by flaskrock.paas scripts/ubuntu-images.sh\""
    --change "LABEL $key_label=\"$key\""
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  )
  if [ "$kind" = molecule ]; then
    changes+=(--change "ENV container=docker" --change 'CMD ["/sbin/init"]')
  else
    changes+=(--change 'CMD ["/bin/bash"]')
  fi
  local staging="flaskrock/ubuntu-images-staging:$release-$kind" out container
  docker import "$tarball" "$staging" >/dev/null
  # Bring the release pocket's packages up to -updates/-security, then flatten the result into
  # one layer: as a layer of its own the upgrade would keep both versions of every upgraded file.
  out="$(DOCKER_BUILDKIT=0 docker build -q -t "$staging" - 2>&1 <<EOF_DOCKERFILE
FROM $staging
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -y dist-upgrade \\
 && apt-get clean && rm -rf /var/lib/apt/lists/*
EOF_DOCKERFILE
)" || { echo "$out" >&2; docker image rm "$staging" >/dev/null 2>&1; die "updating $ref from the archive's -updates/-security pockets failed"; }
  container="$(docker create "$staging" /bin/true)"
  docker export "$container" | docker import "${changes[@]}" - "$ref" >/dev/null \
    || { docker rm "$container" >/dev/null; die "flattening $ref failed"; }
  docker rm "$container" >/dev/null
  docker image rm "$staging" >/dev/null 2>&1 || true
  if [ "$kind" = molecule ]; then
    # systemd stops on SIGRTMIN+3; `docker import --change` cannot set STOPSIGNAL (an empty layer).
    out="$(DOCKER_BUILDKIT=0 docker build -q -t "$ref" - 2>&1 <<<"FROM $ref
STOPSIGNAL SIGRTMIN+3")" || { echo "$out" >&2; die "setting the stop signal of $ref failed"; }
  fi
  log "imported $ref"
}

# What shapes image $1: kind, debootstrap components and packages.
image_recipe() {
  local ref="$1"
  suite_for "${ref##*:}" >/dev/null
  if [[ "$ref" == flaskrock/molecule-ubuntu:* ]]; then
    echo "molecule main,universe $(IFS=,; echo "${molecule_packages[*]}")"
  else
    echo "base main $(IFS=,; echo "${base_packages[*]}")"
  fi
}

# Cache keys: the rootfs tarball's covers everything that shapes the tree; the image's adds how
# it is imported. Changing either rebuilds (an image made by an older script is replaced).
rootfs_key() {
  local kind components include
  read -r kind components include < <(image_recipe "$1")
  { printf '%s\n' "${1##*:}" "$kind" "$components" "$include"
    declare -f build_rootfs_tar finish_rootfs "finish_${kind}_rootfs"; } | sha256sum | cut -c1-12
}

image_key() {
  { rootfs_key "$1"; declare -f import_image; } | sha256sum | cut -c1-12
}

# True when $1 exists and is current: pulled from a registry, or built by this version of the script.
image_is_current() {
  local ref="$1" labels
  labels="$(docker image inspect --format '{{index .Config.Labels "org.opencontainers.image.description"}} {{index .Config.Labels "'"$key_label"'"}}' "$ref" 2>/dev/null)" || return 1
  [[ "$labels" != *"by flaskrock.paas scripts/ubuntu-images.sh"* ]] && return 0
  [ "${labels##* }" = "$(image_key "$ref")" ]
}

build_image() {
  local ref="$1" release="${1##*:}" kind components include tarball
  read -r kind components include < <(image_recipe "$ref")
  tarball="$cache_dir/$kind-$release-$(rootfs_key "$ref").tar"
  if $force || [ ! -f "$tarball" ]; then
    ensure_host_tools
    build_rootfs_tar "$release" "$components" "$include" "$tarball" "finish_${kind}_rootfs"
  else
    log "using cached root filesystem $tarball"
  fi
  import_image "$ref" "$tarball" "$release" "$kind" "$(image_key "$ref")"
}

try_pull_image() {
  local ref="$1"
  $try_pull || return 1
  [[ "$ref" == ubuntu:* ]] || return 1
  log "trying docker pull $ref (timeout ${pull_timeout}s)"
  if timeout "$pull_timeout" docker pull -q "$ref" >/dev/null 2>&1; then
    log "pulled $ref"
    return 0
  fi
  log "no registry answered for $ref; building it offline"
  try_pull=false  # one failed pull is enough to know the registry is unreachable
  return 1
}

docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "the Docker daemon does not answer (is it running, and may $(id -un) use it?)"

for ref in "${requested[@]}"; do
  case " ${all_images[*]} " in
    *" $ref "*) ;;
    *) die "unknown image '$ref' (known: ${all_images[*]})" ;;
  esac
  if ! $force && image_is_current "$ref"; then
    log "$ref already present"
    continue
  fi
  image_exists "$ref" && log "$ref was made by an older version of this script: rebuilding it"
  previous_id="$(docker image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)"
  # Not `try_pull_image || build_image`: errexit is off on the left of || and in what it calls.
  if ! try_pull_image "$ref"; then
    build_image "$ref"
  fi
  # A rebuilt image leaves its predecessor untagged; remove it unless something still uses it
  # (without --force, docker refuses for images with containers or child images).
  if [ -n "$previous_id" ] && [ "$previous_id" != "$(docker image inspect --format '{{.Id}}' "$ref")" ]; then
    docker image rm "$previous_id" >/dev/null 2>&1 || log "kept the previous $ref ($previous_id): still in use"
  fi
done
