#!/bin/sh
# containers-root.sh: the file trees suite-containers.sh runs programs in, made once on
# the host (the emulated machine of tests/nested/ has no network) and kept:
#  - $B/containers/debian: a minimal Debian root (debootstrap --variant=minbase) with
#    python3, whose dynamically linked bash, coreutils, grep, sed and python3 run
#    under `ukmon --root`; about 30 s and 260 MB from Debian's mirror;
#  - $B/containers/busybox: busybox-static and its applets' links, a root for podman's
#    --rootfs.
# Safe to run again: it makes nothing it has. Without debootstrap or a mirror it says
# why and leaves the Debian root out (its tests then skip, naming this script).
# Usage: scripts/containers-root.sh [BUILD_DIR]     (default: build)
set -eu
B=${1:-build}
D=$B/containers
mkdir -p "$D"
MIRROR=${DEBOOTSTRAP_MIRROR:-http://deb.debian.org/debian}
SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")

if [ ! -x "$D/busybox/bin/busybox" ]; then
    rm -rf "$D/busybox.tmp"
    mkdir -p "$D/busybox.tmp/bin" "$D/busybox.tmp/etc" "$D/busybox.tmp/www" \
        "$D/busybox.tmp/tmp" "$D/busybox.tmp/proc" "$D/busybox.tmp/dev" "$D/busybox.tmp/sys"
    cp /bin/busybox "$D/busybox.tmp/bin/busybox"
    for a in $("$D/busybox.tmp/bin/busybox" --list); do
        [ "$a" = busybox ] || ln -s busybox "$D/busybox.tmp/bin/$a"
    done
    echo "root:x:0:0:root:/root:/bin/sh" >"$D/busybox.tmp/etc/passwd"
    echo "root:x:0:" >"$D/busybox.tmp/etc/group"
    echo "hello from busybox httpd in ukmon" >"$D/busybox.tmp/www/index.html"
    mv "$D/busybox.tmp" "$D/busybox"
fi

if [ -x "$D/debian/usr/bin/python3" ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "containers-root: debootstrap needs root: run as root: $0 $B" >&2
    exit 0
fi
if ! command -v debootstrap >/dev/null; then
    echo "containers-root: debootstrap is missing (scripts/install-deps.sh installs it)" >&2
    exit 0
fi
echo "containers-root: debootstrap --variant=minbase --include=python3 $SUITE into $D/debian"
rm -rf "$D/debian.tmp"
if ! debootstrap --variant=minbase --include=python3 "$SUITE" "$D/debian.tmp" "$MIRROR" \
        >"$D/debootstrap.log" 2>&1; then
    echo "containers-root: debootstrap failed (its log: $D/debootstrap.log); the Debian root's tests will skip" >&2
    tail -3 "$D/debootstrap.log" >&2
    rm -rf "$D/debian.tmp"
    exit 0
fi
mv "$D/debian.tmp" "$D/debian"
