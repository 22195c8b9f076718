#!/usr/bin/env bash
# The Linux prebuilds, reproducibly: compiled inside a Debian 11 (bullseye, glibc 2.31) root made
# with debootstrap, so that they load on every glibc from 2.31 on (Debian 11, Ubuntu 20.04 and
# later) and not only on the build machine's; linux-arm64 is cross-compiled there with Debian's
# aarch64-linux-gnu toolchain and its arm64 OpenBLAS, and smoke-tested under qemu-user with
# Debian's arm64 Node.
#   scripts/prebuild-linux.sh [x64|arm64|all] [--out DIR]    (default: all, DIR: the package root)
# Needs root (debootstrap, chroot, bind mounts) and a Debian/Ubuntu host (apt-get); installs
# debootstrap and qemu-user-static on the host when missing.
#   DARKNET_PREBUILD_ROOT  the root's folder (default: .cache/roots/bullseye; made once, reused)
#   DEBIAN_MIRROR          default: the first Debian URI in /etc/apt, else deb.debian.org
# After building, each binary is checked: GLIBC symbol versions ≤ 2.31 (objdump -T), then loaded
# inside the root by its own architecture's Node and run on the bundled shapes model
# (scripts/prebuild-check.mjs). Last, as a user on Debian 11 would: the package packed with the new
# prebuilds, installed by npm (this machine's, and its cache) into a fresh project in the root, and
# the bundled model run through the package's API (x64, whose Node 20 the root has).
# The build bind-mounts /dev, /proc, node_modules and the Darknet source into the root and unmounts
# them when done; after a run killed with SIGKILL, check `mount | grep <root>` before deleting it.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=$PWD
TARGETS=all OUT=$PKG
while [ $# -gt 0 ]; do
  case "$1" in
    x64|arm64|all) TARGETS=$1 ;;
    --out) OUT=$(realpath -m "$2"); shift ;;
    *) echo "usage: $0 [x64|arm64|all] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
[ "$TARGETS" = all ] && TARGETS="x64 arm64"
[ "$(id -u)" = 0 ] || { echo "prebuild-linux: needs root (debootstrap, chroot, mount)" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "prebuild-linux: builds from an x86-64 host" >&2; exit 1; }

ROOTFS=$(realpath -m "${DARKNET_PREBUILD_ROOT:-$PKG/.cache/roots/bullseye}")
SUITE=bullseye
mirror() {
  [ -n "${DEBIAN_MIRROR:-}" ] && { echo "$DEBIAN_MIRROR"; return; }
  local m
  m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '/^deb .*debian/ && !/security/ {print $2; exit}')
  [ -z "$m" ] && m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:.*debian/ && !/security/ {print $2; exit}')
  echo "${m:-http://deb.debian.org/debian}"
}
MIRROR=$(mirror)

MOUNTED=()
cleanup() { for ((i=${#MOUNTED[@]}-1; i>=0; i--)); do umount "${MOUNTED[$i]}" 2>/dev/null || true; done; }
trap cleanup EXIT
in_root() {   # run a command in the root with /proc and /dev, for apt and dpkg
  if ! mountpoint -q "$ROOTFS/proc"; then mount -t proc proc "$ROOTFS/proc"; MOUNTED+=("$ROOTFS/proc"); fi
  if ! mountpoint -q "$ROOTFS/dev"; then mount --bind /dev "$ROOTFS/dev"; MOUNTED+=("$ROOTFS/dev"); fi
  chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
}

host_tools() {
  local need=()
  command -v debootstrap >/dev/null || need+=(debootstrap)
  command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
  command -v objdump >/dev/null || need+=(binutils)
  if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
  fi
}

provision() {
  if [ ! -f "$ROOTFS/.darknet-base" ]; then
    echo "prebuild-linux: debootstrap $SUITE into $ROOTFS from $MIRROR"
    debootstrap --variant=minbase \
      --include=build-essential,cmake,python3,libopenblas-openmp-dev,binutils,ca-certificates,git,xz-utils \
      "$SUITE" "$ROOTFS" "$MIRROR"
    touch "$ROOTFS/.darknet-base"
  fi
  # this machine's Node (its ELF needs glibc 2.28) runs node-gyp in the root; its headers compile the addon
  local prefix
  prefix=$(dirname "$(dirname "$(realpath "$(command -v node)")")")
  [ -f "$prefix/include/node/node_api.h" ] || prefix=$(node -p 'process.config.variables.node_prefix')
  [ -f "$prefix/include/node/node_api.h" ] || { echo "prebuild-linux: no Node headers beside $(command -v node)" >&2; exit 1; }
  install -D -m 0755 "$(command -v node)" "$ROOTFS/usr/local/bin/node"
  rm -rf "$ROOTFS/usr/local/include/node" && mkdir -p "$ROOTFS/usr/local/include"
  cp -a "$prefix/include/node" "$ROOTFS/usr/local/include/node"
  if [[ " $TARGETS " == *" arm64 "* ]] && [ ! -f "$ROOTFS/.darknet-arm64" ]; then
    echo "prebuild-linux: adding arm64 (cross toolchain, OpenBLAS, Node for the smoke test) to the root"
    in_root dpkg --add-architecture arm64
    in_root apt-get update -qq
    in_root apt-get install -y -qq --no-install-recommends crossbuild-essential-arm64 \
      libopenblas-openmp-dev:arm64 libgomp1:arm64 nodejs:arm64
    touch "$ROOTFS/.darknet-arm64"
  fi
  # OpenBLAS from Debian 12 (0.3.21), linked statically: Debian 11's 0.3.13 does not know recent
  # CPUs and falls back to slow generic kernels on them (AMD Zen 5: "Barcelona"); the static
  # objects need only GLIBC_2.14 and GOMP_4.0, which Debian 11 has (prebuild-check.mjs verifies).
  for arch in $TARGETS; do
    local deb=${arch/x64/amd64}
    if [ ! -f "$ROOTFS/opt/openblas-bookworm/$arch/.done" ]; then
      in_root sh -ec "A=/opt/openblas-bookworm/apt; mkdir -p \$A/lists/partial \$A/cache/archives/partial \$A/dl
        echo 'deb $MIRROR bookworm main' > \$A/sources.list
        O='-o Dir::Etc::SourceList='\$A'/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists='\$A'/lists -o Dir::Cache='\$A'/cache -qq'
        apt-get \$O update && cd \$A/dl && apt-get \$O download libopenblas-openmp-dev:$deb
        dpkg-deb -x libopenblas-openmp-dev_*_$deb.deb /opt/openblas-bookworm/$arch && touch /opt/openblas-bookworm/$arch/.done"
    fi
  done
  if [[ " $TARGETS " == *" arm64 "* ]]; then
    # qemu-user runs the arm64 Node explicitly (no binfmt_misc needed)
    install -D -m 0755 "$(command -v qemu-aarch64-static)" "$ROOTFS/usr/local/bin/qemu-aarch64-static"
  fi
}

consumer_check() {
  local W="$ROOTFS/tmp/darknet-node-consumer" npmdir cache
  rm -rf "$W" && mkdir -p "$W/proj" "$W/pkg" "$W/cache"
  npm pack --pack-destination "$W/pkg" >/dev/null
  tar xzf "$W"/pkg/darknet-node-*.tgz -C "$W/pkg" && rm "$W"/pkg/darknet-node-*.tgz
  rm -rf "$W/pkg/package/prebuilds" && cp -a "$OUT/prebuilds" "$W/pkg/package/prebuilds"
  (cd "$W/pkg/package" && npm pack --ignore-scripts --pack-destination "$W" >/dev/null)
  npmdir=$(dirname "$(dirname "$(realpath "$(command -v npm)")")")
  cache=$(npm config get cache)
  mkdir -p "$ROOTFS/usr/local/lib/node_modules/npm"
  mount --bind "$npmdir" "$ROOTFS/usr/local/lib/node_modules/npm"; MOUNTED+=("$ROOTFS/usr/local/lib/node_modules/npm")
  mount --bind "$cache" "$W/cache"; MOUNTED+=("$W/cache")
  cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
  echo '{"name":"consumer","version":"1.0.0","private":true,"type":"module"}' > "$W/proj/package.json"
  cat > "$W/proj/check.mjs" <<'JS'
import { Detector, capabilities } from 'darknet-node';
import { createRequire } from 'node:module';
const root = createRequire(import.meta.url).resolve('darknet-node/package.json').replace(/package\.json$/, '');
const m = (f) => `${root}models/shapes/${f}`;
const d = await Detector.load({ cfg: m('shapes.cfg'), weights: m('shapes.weights'), names: m('shapes.names') });
const dets = await d.detect(m('sample.png'));
d.dispose();
console.log(JSON.stringify({ count: dets.length, classes: dets.map((x) => x.className), blas: capabilities().blas }));
if (dets.length !== 4) process.exit(1);
JS
  in_root sh -ec "cd /tmp/darknet-node-consumer/proj
    node /usr/local/lib/node_modules/npm/bin/npm-cli.js install --prefer-offline --no-audit --no-fund --cache /tmp/darknet-node-consumer/cache ../darknet-node-*.tgz
    node check.mjs"
  cleanup; MOUNTED=()
  rm -rf "$W"
  echo "prebuild-linux: the package with these prebuilds installs and detects on Debian 11 (glibc 2.31)"
}

host_tools
provision
cleanup; MOUNTED=()
for arch in $TARGETS; do
  echo "prebuild-linux: building linux-$arch in $ROOTFS"
  DARKNET_OPENBLAS_PREFIX=/opt/openblas-bookworm/$arch node scripts/prebuild.mjs --root "$ROOTFS" --arch "$arch" --out "$OUT"
  node scripts/prebuild-check.mjs --root "$ROOTFS" --arch "$arch" --glibc 2.31 "$OUT/prebuilds/linux-$arch"
done
if [[ " $TARGETS " == *" x64 "* ]]; then consumer_check; fi
