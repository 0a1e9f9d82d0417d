#!/bin/sh
# install-deps.sh: installs the Debian packages ukmon needs to build, test and
# benchmark, when they are missing. Safe to run again: it installs nothing present.
set -eu
PKGS="gcc make pkg-config libelf-dev liburing-dev libseccomp-dev clang libclang-rt-14-dev gnuplot-nox procps valgrind musl-tools busybox-static bash-static tmux"
missing=""
for p in $PKGS; do
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
        SUDO=sudo
    else
        echo "install-deps: not root; run as root: apt-get update && apt-get install -y$missing" >&2
        exit 1
    fi
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
