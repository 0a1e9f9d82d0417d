#!/usr/bin/env bash
# build.sh: static builds of the real-world programs from Debian's source packages
# (scripts/realworld-deps.sh unpacks them under build/realworld/src/), into
# build/realworld/bin/. A program is built again only when its source or this script
# changed. Each build works on a copy (build/realworld/work/NAME), so the unpacked
# sources stay as Debian ships them, patches applied.
# Usage: tests/realworld/build.sh BUILD_DIR [NAME...]
#        (names: dash lua sqlite3 make make-fork nginx lighttpd; default: all)
set -u
B=${1:-build}
shift || true
B=$(cd "$B" && pwd)
RW=$B/realworld
SRC=$RW/src
BIN=$RW/bin
WORK=$RW/work
LOGS=$RW/logs
mkdir -p "$BIN" "$WORK" "$LOGS"
J=-j2   # the machine's two cores, shared

# prepare NAME PKG: a fresh copy of source package PKG in $W; false when it is built
# already (the stamp names the source and the build function's text).
prepare() {
    local name=$1 pkg=$2 dir
    dir=$(cat "$SRC/$pkg.done" 2>/dev/null) || { echo "build: $name: no source ($pkg): run scripts/realworld-deps.sh" >&2; return 2; }
    STAMP="$dir $(declare -f "build_$name" | sha1sum | cut -c1-12)"
    if [ -x "$BIN/$name" ] && [ "$(cat "$BIN/$name.stamp" 2>/dev/null)" = "$STAMP" ]; then
        return 1
    fi
    echo "build: $name from $dir (log: $LOGS/$name.log)"
    W=$WORK/$name
    rm -rf "$W"
    cp -a "$SRC/$dir" "$W"
}

# install_bin NAME FILE: FILE, which must be a static executable, as $BIN/NAME.
install_bin() {
    if ! file -L "$2" | grep -q 'statically linked'; then
        echo "build: $1: $2 is not statically linked" >&2
        return 1
    fi
    cp "$2" "$BIN/$1"
    echo "$STAMP" >"$BIN/$1.stamp"
    echo "build: $1: ok"
}

# dash: its configure has --enable-static.
build_dash() {
    (cd "$W" && ./configure --enable-static CC=gcc CFLAGS=-O2 && make $J) &&
        install_bin dash "$W/src/dash"
}

# lua5.4: Debian's makefile builds through libtool; the interpreter is lua.c and the
# library's sources, built directly (LUA_USE_POSIX: no dlopen in a static program).
build_lua() {
    (cd "$W/src" && echo '#define DEB_HOST_MULTIARCH "x86_64-linux-gnu"' >lua5.4-deb-multiarch.h &&
        gcc -std=gnu99 -O2 -DLUA_COMPAT_5_3 -DLUA_USE_POSIX -static -o lua \
            $(printf '%s\n' ./*.c | grep -v luac.c) -lm) &&
        install_bin lua "$W/src/lua"
}

# sqlite3: configure makes the amalgamation (with tclsh); libtool links the shell
# dynamically whatever LDFLAGS says, so the shell is linked here, with the same options
# as Debian's minus readline.
build_sqlite3() {
    (cd "$W" && ./configure --disable-tcl --disable-readline --disable-editline --disable-shared \
            --enable-static --disable-load-extension CC=gcc CFLAGS=-O2 &&
        make $J sqlite3 && rm -f sqlite3 &&
        gcc -O2 -DSQLITE_OS_UNIX=1 -I. -DNDEBUG -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION=1 \
            -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_HAVE_ZLIB=1 -DHAVE_READLINE=0 -DHAVE_EDITLINE=0 \
            -DSQLITE_ENABLE_FTS4 -DSQLITE_ENABLE_RTREE -DSQLITE_ENABLE_EXPLAIN_COMMENTS \
            -DSQLITE_ENABLE_DBSTAT_VTAB -static -o sqlite3 shell.c .libs/libsqlite3.a -lm -lz) &&
        install_bin sqlite3 "$W/sqlite3"
}

# make: the Debian source has no configure (Debian runs autoreconf); no Guile.
build_make() {
    (cd "$W" && autoreconf -fi && ./configure --without-guile --disable-nls CC=gcc CFLAGS=-O2 LDFLAGS=-static &&
        make $J) &&
        install_bin make "$W/make"
}

# make-fork: the same make with --disable-posix-spawn: its jobs start with fork and
# exec, as make did before 4.3 (and does where posix_spawn is missing).
build_make-fork() {
    (cd "$W" && autoreconf -fi && ./configure --without-guile --disable-nls --disable-posix-spawn \
            CC=gcc CFLAGS=-O2 LDFLAGS=-static &&
        make $J) &&
        install_bin make-fork "$W/make"
}

# nginx: no PCRE, zlib or crypt, so that it links statically with glibc alone.
build_nginx() {
    (cd "$W" && ./configure --with-cc=gcc --with-cc-opt=-O2 --with-ld-opt=-static --prefix=/nginx \
            --without-http_rewrite_module --without-http_gzip_module --without-http_auth_basic_module \
            --without-pcre --without-http_upstream_zone_module &&
        make $J) &&
        install_bin nginx "$W/objs/nginx"
}

# lighttpd: its static build (LIGHTTPD_STATIC, every module linked in) needs the list
# of modules in plugin-static.h, which the build leaves to the builder; libtool links
# statically with -all-static.
build_lighttpd() {
    local mods="mod_access mod_accesslog mod_ajp13 mod_alias mod_auth mod_authn_file mod_cgi
        mod_deflate mod_dirlisting mod_evhost mod_expire mod_extforward mod_fastcgi mod_indexfile
        mod_proxy mod_redirect mod_rewrite mod_rrdtool mod_scgi mod_setenv mod_simple_vhost
        mod_sockproxy mod_ssi mod_staticfile mod_status mod_userdir mod_vhostdb mod_webdav"
    (cd "$W" && LIGHTTPD_STATIC=yes ./configure CC=gcc CFLAGS=-O2 --disable-shared --enable-static \
            --without-pcre2 --without-zlib --without-bzip2 --without-zstd --without-brotli \
            --without-libdeflate --without-xxhash &&
        for m in $mods; do echo "PLUGIN_INIT($m)"; done >src/plugin-static.h &&
        make $J LDFLAGS=-all-static) &&
        install_bin lighttpd "$W/src/lighttpd"
}

declare -A PKG=([dash]=dash [lua]=lua5.4 [sqlite3]=sqlite3 [make]=make-dfsg [make-fork]=make-dfsg [nginx]=nginx
    [lighttpd]=lighttpd)
rc=0
[ $# -gt 0 ] || set -- dash lua sqlite3 make make-fork nginx lighttpd
for name in "$@"; do
    [ -n "${PKG[$name]:-}" ] || { echo "build: no program '$name'" >&2; rc=2; continue; }
    prepare "$name" "${PKG[$name]}"
    case $? in
        1) continue ;;
        2) rc=1; continue ;;
    esac
    if ! "build_$name" >"$LOGS/$name.log" 2>&1; then
        echo "build: $name: FAILED; the end of $LOGS/$name.log:" >&2
        tail -15 "$LOGS/$name.log" >&2
        rm -f "$BIN/$name" "$BIN/$name.stamp"
        rc=1
    fi
done
exit $rc
