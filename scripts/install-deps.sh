#!/bin/sh
# install-deps.sh: installs the Debian packages ukmon needs to build, test and
# benchmark, when they are missing. Safe to run again: it installs nothing present.
# Usage: scripts/install-deps.sh [--nested] [--bench]
# Where /dev/kvm is missing or unusable, or with --nested (make check-nested), it adds
# what the emulated machine of tests/nested/ needs: QEMU, a Debian kernel with its KVM,
# virtio and 9p modules, busybox-static and cpio. --bench (make bench) adds the HTTP
# load generator wrk, and crun and runsc (gVisor), the container runtimes measured beside ukmon.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# musl-tools, busybox-static, bash-static, tmux: the suites run Linux programs (musl-gcc
# builds, Debian's static busybox and bash) and drive busybox sh at a terminal; curl
# fetches pages from the HTTP servers of the network suite; libsqlite3-dev: SQLite's
# static library, for a test of its default VFS (file locks) under ukmon; debootstrap:
# the minimal Debian root of suite-containers.sh (scripts/containers-root.sh); podman
# and its CNI plugins (port forwarding, iptables), containerd (ctr and its runc shim):
# suite-containers.sh runs containers with ukmon-runc under podman and containerd;
# golang-go: a static Go program (CGO_ENABLED=0), whose runtime starts threads.
PKGS="gcc make pkg-config libelf-dev liburing-dev libseccomp-dev clang libclang-rt-14-dev gnuplot-nox procps valgrind musl-tools busybox-static bash-static tmux curl libsqlite3-dev debootstrap podman containernetworking-plugins iptables containerd golang-go"
NESTED_PKGS="qemu-system-x86 linux-image-amd64 busybox-static cpio"
BENCH_PKGS="wrk crun runsc"

nested=""
for arg in "$@"; do
    case $arg in
        --nested) nested=yes ;;
        --bench) PKGS="$PKGS $BENCH_PKGS" ;;
        *) echo "usage: scripts/install-deps.sh [--nested] [--bench]" >&2; exit 2 ;;
    esac
done
if [ -n "$nested" ]; then
    PKGS="$PKGS $NESTED_PKGS"
elif ! why=$("$here/../tests/nested/kvm-usable.sh"); then
    echo "install-deps: no usable /dev/kvm ($why): adding the emulated machine's packages"
    PKGS="$PKGS $NESTED_PKGS"
fi

missing=""
for p in $PKGS; do
    case " $missing " in *" $p "*) continue ;; esac
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi
echo "install-deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo --preserve-env=DEBIAN_FRONTEND,INITRD"
    else
        echo "install-deps: not root; run as root: apt-get update && apt-get install -y$missing" >&2
        exit 1
    fi
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
# The kernel is only booted by tests/nested/, with an initramfs of its own: INITRD=No
# spares the minute Debian's kernel hook spends building one it would not use.
export INITRD=No
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
