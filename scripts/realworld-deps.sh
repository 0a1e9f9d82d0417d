#!/bin/sh
# realworld-deps.sh: what `make check-realworld` needs from Debian: a deb-src entry, the
# few packages its builds and runs use, and the source packages of the programs it runs
# (unpacked under build/realworld/src/). Safe to run again: it fetches nothing it has.
# Usage: scripts/realworld-deps.sh [BUILD_DIR]     (default: build)
set -eu
B=${1:-build}
SRC=$B/realworld/src
# The source packages, by the name apt-get source takes; each unpacks to NAME-VERSION/.
SOURCES="busybox sqlite3 nginx lighttpd make-dfsg lua5.4 dash"
# dpkg-dev: apt-get source unpacks with dpkg-source; busybox-static and bash-static: the
# programs themselves; autoconf, automake, autopoint, libtool: make's autoreconf; tcl:
# sqlite3 makes its amalgamation with tclsh; zlib1g-dev: the sqlite3 shell's static
# libz; wrk and curl drive the servers.
PKGS="dpkg-dev xz-utils busybox-static bash-static gcc make autoconf automake autopoint libtool pkg-config tcl zlib1g-dev wrk curl"

export DEBIAN_FRONTEND=noninteractive
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else
        echo "realworld-deps: not root; run as root: $*" >&2
        exit 1
    fi
}

# The deb-src entry: Debian's own mirrors for this release, in a file of our own, only
# when no deb-src line for it exists yet.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
list=/etc/apt/sources.list.d/ukmon-realworld-src.sources
updated=""
if ! grep -rqsE "^(deb-src|Types:.*deb-src)" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "realworld-deps: adding a deb-src entry ($list)"
    as_root sh -c "cat >$list" <<EOF
# Added by ukmon's scripts/realworld-deps.sh: Debian's source packages for make check-realworld.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $codename-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    as_root apt-get update -q
    updated=1
fi

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "realworld-deps: installing:$missing"
    [ -n "$updated" ] || as_root apt-get update -q
    # shellcheck disable=SC2086
    as_root apt-get install -y -q --no-install-recommends $missing
fi

mkdir -p "$SRC"
# fetch NAME: apt-get source of the newest version whose files the mirror has (a
# security update's files can be missing from a mirror that lists it: then the one
# before); prints the folder it unpacked to.
fetch() {
    for v in $(apt-cache showsrc "$1" | sed -n 's/^Version: //p' | sort -V -r | uniq); do
        if (cd "$SRC" && apt-get source -q "$1=$v") >"$SRC/$1.log" 2>&1; then
            sed -n 's/^dpkg-source: info: extracting .* in //p' "$SRC/$1.log" | tail -1
            return 0
        fi
        echo "realworld-deps: apt-get source $1=$v failed: $(grep '^E:' "$SRC/$1.log" | head -1)" >&2
    done
    return 1
}
for s in $SOURCES; do
    if [ -f "$SRC/$s.done" ] && [ -d "$SRC/$(cat "$SRC/$s.done")" ]; then
        continue
    fi
    echo "realworld-deps: apt-get source $s"
    if ! dir=$(fetch "$s") || [ -z "$dir" ] || [ ! -d "$SRC/$dir" ]; then
        echo "realworld-deps: apt-get source $s: nothing unpacked (see $SRC/$s.log)" >&2
        exit 1
    fi
    echo "$dir" >"$SRC/$s.done"
done
echo "realworld-deps: sources in $SRC: $(cd "$SRC" && cat ./*.done | paste -sd' ' -)"
