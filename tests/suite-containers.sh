# suite-containers.sh: dynamically linked programs, a root file system (--root), and
# the OCI runtime ukmon-runc under podman (sourced by run.sh). The file trees come from
# scripts/containers-root.sh, run by make check on the host: $B/containers/debian (a
# debootstrap minbase root with python3) and $B/containers/busybox.
SUITES="${SUITES:-} containers"
CT_HOSTPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# ct_same NAME ROOT CMD...: CMD's stdout and exit code under `ukmon --root ROOT` are
# those of the host running it chrooted into ROOT, with the same environment (PATH).
ct_same() {
    local name=$1 root=$2
    shift 2
    begin "$name" 0 || return 0
    # (in a subshell that is not the command, so that a crash is no message of ours)
    (env -i PATH=$CT_HOSTPATH chroot "$root" "$@"; exit $?) >"$TMP/host-out" 2>"$TMP/host-err" </dev/null
    local hrc=$?
    run 120 "$U" --root "$root" "$@"
    if [ "$RC" != "$hrc" ]; then fail "$name" "exit code $RC, the host's $hrc"; return; fi
    if ! cmp -s "$TMP/out" "$TMP/host-out"; then
        fail "$name" "stdout differs from the host's: $(diff "$TMP/host-out" "$TMP/out" | head -6 | tr '\n' ' ')"
        return
    fi
    if grep -q "ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer" "$TMP/err"; then
        fail "$name" "sanitizer report"; return
    fi
    pass "$name"
}

# The C test programs of suite-linux.sh again, linked dynamically (PIE, ld.so), in the
# host's own root: the same expected output.
ct_dynamic_tests() {
    local libc t want LX=$B/tests/linux
    for libc in musl glibc; do
        for t in $(ls tests/linux/*.c | sed 's|.*/||; s|\.c$||'); do
            case $t in
                # as in suite-linux.sh: they need folders, ports or watching
                files|badptr|rofs|modes|fullread|net|pipeflood|memflood) continue ;;
                # moves the break under malloc's own heap: crashes on Linux too when dynamic
                mem) continue ;;
                # needs a /dev/shm: below
                shm) continue ;;
            esac
            want=tests/linux/$t.$libc.expected
            [ -f "$want" ] || want=tests/linux/$t.expected
            # (their folder granted too: a checkout under /tmp is under the private /tmp)
            expect_exact "$libc dynamic: $t" 0 "$want" -- "$U" --root / \
                --dir "$(pwd -P)/$LX/$libc-dyn" "$(pwd -P)/$LX/$libc-dyn/$t"
        done
        rm -rf "$TMP/devshm"
        mkdir -p "$TMP/devshm"
        expect_exact "$libc dynamic: shm (a granted /dev/shm)" 0 tests/linux/shm.expected -- \
            "$U" --root / --dir "$TMP/devshm:/dev/shm:rw" --dir "$(pwd -P)/$LX/$libc-dyn" \
            "$(pwd -P)/$LX/$libc-dyn/shm"
    done
}

# The host's own dynamically linked programs, its / as the guest's root (read-only).
ct_host_programs() {
    local name
    ls /usr/share >"$TMP/want"
    expect_exact "the host's ls (dynamic glibc, ld.so from the guest's /)" 0 "$TMP/want" -- \
        "$U" --root / ls /usr/share
    env -i PATH=$CT_HOSTPATH bash -c 'seq 1 200 | grep 7 | sed s/7/seven/ | sort | uniq -c | wc -l; echo "${BASH_VERSINFO[0]}"' >"$TMP/want"
    expect_exact "the host's bash: a pipeline of dynamic programs, each a VM" 0 "$TMP/want" -- \
        "$U" --root / bash -c 'seq 1 200 | grep 7 | sed s/7/seven/ | sort | uniq -c | wc -l; echo "${BASH_VERSINFO[0]}"'
    # The pages of libc come from the host's page cache: the monitor's mapping of it is
    # shared with every process that maps libc.so.6 (not copied into guest memory).
    name="libc's pages are the host page cache's, shared, not copied"
    begin "$name" 0 && {
        local pid i shared=""
        "$U" --root / sleep 3 >/dev/null 2>&1 </dev/null &
        pid=$!
        for i in $(seq 1 30); do
            shared=$(awk '/libc\.so\.6/ {m=1; next} /^[0-9a-f]+-/ {m=0} m && /^Shared_Clean:/ {s+=$2} END {print s+0}' \
                /proc/$pid/smaps 2>/dev/null)
            [ "${shared:-0}" -gt 0 ] && break
            sleep 0.1
        done
        kill $pid 2>/dev/null; wait $pid 2>/dev/null
        if [ "${shared:-0}" -gt 0 ]; then pass "$name"; else fail "$name" "no shared libc.so.6 pages in the monitor's smaps"; fi
    }
    # execve of dynamic programs: from a static shell, and a #! script whose
    # interpreter is dynamic, from a dynamic one.
    printf '#!/bin/bash\necho "script says $1 from bash ${BASH_VERSINFO[0]}"\n' >"$TMP/dyn.sh"
    chmod +x "$TMP/dyn.sh"
    printf 'script says hi from bash %s\n' "$(bash -c 'echo ${BASH_VERSINFO[0]}')" >"$TMP/want"
    # (--no-tmp: the private /tmp on top of the root would hide the host's $TMP; $TMP
    # granted: where /tmp is a file system of its own, it is not part of the root)
    expect_exact "a #! script with a dynamic interpreter, run by name" 0 "$TMP/want" -- \
        "$U" --root / --no-tmp --dir "$TMP" "$TMP/dyn.sh" hi
    printf 'script says x from bash %s\n3\n' "$(bash -c 'echo ${BASH_VERSINFO[0]}')" >"$TMP/want"
    expect_exact "static busybox sh execs a dynamic script and a dynamic wc" 0 "$TMP/want" -- \
        "$U" --root / --no-tmp --dir "$TMP" /bin/busybox sh -c "$TMP/dyn.sh x; printf 'a\nb\nc\n' | /usr/bin/wc -l"
}

# Errors a user meets, each one line, as a shell would say them.
ct_errors() {
    local R=$TMP/tiny
    rm -rf "$R"
    mkdir -p "$R/lib64" "$R/bin"
    cp /lib64/ld-linux-x86-64.so.2 "$R/lib64/"
    cp /bin/true "$R/bin/true"
    expect_error "no interpreter in the guest's files" 125 \
        'true: cannot execute: required file not found (its interpreter /lib64/ld-linux-x86-64.so.2 is not in the guest.s files)' -- \
        "$U" /bin/true
    expect "a missing library: ld.so's own message, 127" 127 \
        'error while loading shared libraries: libc.so.6: cannot open shared object file' -- \
        "$U" --root "$R" /bin/true
    printf 'not an ELF\n' >"$R/lib64/ld-bad.so"
    chmod +x "$R/lib64/ld-bad.so"
    cp "$B/tests/linux/glibc-dyn/proc" "$R/bin/badinterp"
    # The same file with another interpreter name of the same length.
    sed -i 's|/lib64/ld-linux-x86-64.so.2|/lib64/ld-bad.so\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00|' "$R/bin/badinterp"
    expect_error "an interpreter that is no ELF" 125 'interpreter /lib64/ld-bad.so: not an ELF file' -- \
        "$U" --root "$R" /bin/badinterp
    expect "execve of a program whose interpreter is missing: ENOENT, as the shell says" 127 \
        'cannot execute: required file not found' -- \
        "$U" --root / --dir "$R:/tiny" bash -c '/tiny/bin/badinterp; exit $?'
    expect_error "a program not in the guest's \$PATH" 125 'nosuchprog: not found in the guest.s \$PATH' -- \
        "$U" --root "$R" nosuchprog
    expect_error "--root of a missing folder" 125 '--root /nonexistent: No such file or directory' -- \
        "$U" --root /nonexistent true
    expect_error "--root and a --dir at /" 125 'two folders granted at /' -- \
        "$U" --root "$R" --dir "$R:/" true
    expect_error "--cwd that does not exist" 125 'working directory /nope: No such file or directory' -- \
        "$U" --root "$R" --cwd /nope /bin/true
}

# --root: the guest's /, folders on top, $PATH, #! scripts, read-only unless :rw.
ct_root_options() {
    local R=$TMP/rwroot
    rm -rf "$R"
    mkdir -p "$R/bin" "$R/work" "$R/etc"
    cp "$BUSYBOX" "$R/bin/busybox"
    ln -s busybox "$R/bin/sh"
    ln -s busybox "$R/bin/cat"
    printf '#!/bin/sh\necho "in $0: $*"; pwd\n' >"$R/bin/hello"
    chmod +x "$R/bin/hello"
    printf 'in /bin/hello: a b\n/work\n' >"$TMP/want"
    expect_exact "--root: a #! script found in \$PATH, run at --cwd" 0 "$TMP/want" -- \
        "$U" --root "$R" --cwd /work hello a b
    expect "--root is read-only unless :rw" 1 'Read-only file system' -- \
        "$U" --root "$R" sh -c 'echo x >/work/f'
    expect_exact "--root DIR:rw: writes reach the host" 0 /dev/null -- \
        "$U" --root "$R:rw" sh -c 'echo written >/work/f'
    if [ "$(cat "$R/work/f" 2>/dev/null)" = written ]; then pass "--root :rw: the file is on the host"
    else fail "--root :rw: the file is on the host" "$R/work/f: $(cat "$R/work/f" 2>&1)"; fi
    mkdir -p "$TMP/over"
    echo "from the folder on top" >"$TMP/over/note"
    printf 'from the folder on top\n' >"$TMP/want"
    expect_exact "--dir folders sit on top of the root" 0 "$TMP/want" -- \
        "$U" --root "$R" --dir "$TMP/over:/work" cat /work/note
    printf 'null t\n' >"$TMP/want"
    expect_exact "the made-up /dev and the private /tmp sit on top of the root" 0 "$TMP/want" -- \
        "$U" --root "$R" sh -c 'echo x >/dev/null && echo t >/tmp/t && cd /dev && ls null | tr "\n" " " && ls /tmp'
    printf 'jailed 1\n' >"$TMP/want"
    # (LeakSanitizer reads /proc at exit, and a jail has none: as in suite-security.sh)
    expect_exact "--root with --jail" 0 "$TMP/want" -- \
        env ASAN_OPTIONS=detect_leaks=0 "$U" --jail --root "$R" sh -c 'echo jailed $$'
}

# The headline: a minimal Debian (debootstrap minbase + python3): its dynamic bash,
# coreutils, grep, sed and python3 print what they print on the host (chroot).
ct_debian_root() {
    local R=$B/containers/debian
    if [ ! -x "$R/usr/bin/python3" ]; then
        skip "a Debian root (debootstrap minbase)" "$R is missing: scripts/containers-root.sh $B makes it (make check runs it)"
        return
    fi
    if [ "$(id -u)" != 0 ]; then
        skip "a Debian root (debootstrap minbase)" "comparing with the host needs chroot, as root"
        return
    fi
    ct_same "debian: bash, a pipeline of coreutils, grep, sed" "$R" bash -c \
        'echo "$BASH_VERSION"; seq 1 300 | grep -E "^[12]?3" | sed -e "s/3/three/" | sort -r | head -5; ls /usr/bin | grep -c .; wc -l </etc/passwd'
    ct_same "debian: coreutils on files" "$R" bash -c \
        'cd /etc && ls -l os-release debian_version | cut -c1-10,30-; md5sum os-release; stat -c "%s %F %U" passwd; tr a-z A-Z <debian_version; du -s apt | cut -f1; date -d @86400 -u +%F'
    ct_same "debian: bash builtins, arrays, here-documents, functions, subshells" "$R" bash -c \
        'f() { local -a a=("$@"); echo "${#a[@]} ${a[*]^^}"; }; f x y z; declare -A m=([k]=v); echo ${m[k]}; cat <<EOF
$(( 6 * 7 )) $(echo sub)
EOF
( exit 3 ); echo $?; x=$(printf "%s," a b c); echo ${x%,}'
    ct_same "debian: python3" "$R" python3 -c '
import sys, os, json, re, hashlib, subprocess, math, collections
print(sys.version_info[:2], sys.executable)
print(json.dumps({"k": [1, 2.5, None]}, sort_keys=True))
print(re.sub(r"(\w+)@(\w+)", r"\2 at \1", "user@host"))
print(hashlib.sha256(b"ukmon").hexdigest())
print(sorted(os.listdir("/etc"))[:4], os.getcwd(), os.path.exists("/usr/bin/bash"))
print(subprocess.run(["ls", "/usr/lib/python3.11/json"], capture_output=True, text=True).stdout.split())
print(collections.Counter("containers").most_common(2), math.factorial(20))
'
    ct_same "debian: python3 runs a script from a file, with its modules" "$R" \
        python3 -c 'import sqlite3, zlib, datetime; c = sqlite3.connect(":memory:"); c.execute("create table t(x)"); c.executemany("insert into t values (?)", [(i,) for i in range(100)]); print(c.execute("select sum(x) from t").fetchone(), len(zlib.compress(b"a" * 1000)), datetime.date(2024, 2, 29).isoformat())'
    ct_same "debian: grep, sed over a real file" "$R" bash -c \
        'grep -h -E "^(Package|Version): " /var/lib/dpkg/status | sed -n "1,20p" | sed -E "s/: /=/"'
}

# ukmon-runc by itself, as containerd's shim drives it: create, state, start, kill,
# delete; and config.json or a command line from someone hostile: one line naming
# the cause, exit 1, no state left.
ct_runc() {
    local RT=${U%/ukmon}/ukmon-runc RB=$B/containers/busybox S=$TMP/runc-state BD=$TMP/bundle name st pid
    if [ ! -x "$RB/bin/busybox" ]; then
        skip "ukmon-runc" "$RB is missing: scripts/containers-root.sh $B makes it"; return
    fi
    if [ "$(id -u)" != 0 ]; then
        skip "ukmon-runc" "a container's network namespace needs root here"; return
    fi
    RB=$(cd "$RB" && pwd -P)
    rm -rf "$S" "$BD"
    mkdir -p "$S" "$BD"
    name="ukmon-runc: create, state, start, kill, delete; nothing left"
    begin "$name" 0 && {
        printf '{"ociVersion":"1.0.2","root":{"path":"%s"},"process":{"args":["sleep","100"],"cwd":"/","env":["PATH=/bin"]},"linux":{"namespaces":[{"type":"network"}]}}' \
            "$RB" >"$BD/config.json"
        st=""
        timeout 30 "$RT" --root "$S" create --bundle "$BD" --pid-file "$TMP/pidfile" ct1 >"$TMP/out" 2>"$TMP/err" </dev/null
        pid=$(cat "$TMP/pidfile" 2>/dev/null)
        st="$st $("$RT" --root "$S" state ct1 2>>"$TMP/err" | grep -o '"status": *"[a-z]*"' | grep -o '[a-z]*"$' | tr -d '"')"
        timeout 30 "$RT" --root "$S" start ct1 2>>"$TMP/err"
        st="$st $("$RT" --root "$S" state ct1 2>>"$TMP/err" | grep -o '"status": *"[a-z]*"' | grep -o '[a-z]*"$' | tr -d '"')"
        timeout 30 "$RT" --root "$S" kill ct1 KILL 2>>"$TMP/err"
        for _ in $(seq 1 50); do
            "$RT" --root "$S" state ct1 2>/dev/null | grep -q '"stopped"' && break
            sleep 0.1
        done
        st="$st $("$RT" --root "$S" state ct1 2>>"$TMP/err" | grep -o '"status": *"[a-z]*"' | grep -o '[a-z]*"$' | tr -d '"')"
        timeout 30 "$RT" --root "$S" delete ct1 2>>"$TMP/err"
        "$RT" --root "$S" delete --force ct1 >/dev/null 2>&1
        if [ "$st" != " created running stopped" ]; then fail "$name" "states:$st; $(head -2 "$TMP/err" | tr '\n' ' ')"
        elif [ -n "$(ls -A "$S")" ]; then fail "$name" "state left: $(ls -A "$S")"
        elif [ -n "$pid" ] && [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
            fail "$name" "the container's process $pid is still there"
        else pass "$name"; fi
    }
    # ct_runc_bad NAME CONFIG LINE: create with config.json CONFIG fails with LINE.
    ct_runc_bad() {
        local name="ukmon-runc refuses $1"
        begin "$name" 1 || return 0
        printf '%s' "$2" >"$BD/config.json"
        run 30 "$RT" --root "$S" create --bundle "$BD" bad
        "$RT" --root "$S" delete --force bad >/dev/null 2>&1
        if [ "$RC" != 1 ]; then fail "$name" "exit code $RC, expected 1"
        elif ! grep -qF -- "$3" "$TMP/err"; then fail "$name" "stderr lacks: $3: $(head -2 "$TMP/err" | tr '\n' ' ')"
        elif [ "$(wc -l <"$TMP/err")" != 1 ]; then fail "$name" "not one line: $(tr '\n' '|' <"$TMP/err")"
        elif [ -n "$(ls -A "$S")" ]; then fail "$name" "state left: $(ls -A "$S")"
        else pass "$name"; fi
    }
    local P='{"ociVersion":"1.0.2","root":{"path":"'$RB'"},"process":'
    ct_runc_bad "an empty config.json" '' 'line 1, column 1: unexpected end of the text'
    ct_runc_bad "a config.json cut short" '{"ociVersion":' 'unexpected end of the text'
    ct_runc_bad "JSON nested 100000 deep" "$(printf '%*s' 100000 '' | tr ' ' '[')" 'nested deeper than 64'
    ct_runc_bad "a duplicate key" "$P"'{"args":["/bin/true"],"cwd":"/","cwd":"/"}}' 'duplicate key "cwd"'
    ct_runc_bad "a NUL in a string" "$P"'{"args":["/bin/true\u0000x"],"cwd":"/"}}' 'NUL (\u0000) in a string'
    ct_runc_bad "a property of the wrong type" "$P"'{"args":["/bin/true"],"cwd":5}}' 'process.cwd: expected a string, not a number'
    ct_runc_bad "no root" '{"ociVersion":"1.0.2"}' 'root is missing'
    ct_runc_bad "a root that is not there" '{"ociVersion":"1.0.2","root":{"path":"/nonexistent"},"process":{"args":["/bin/true"],"cwd":"/"}}' \
        'root.path /nonexistent: No such file or directory'
    ct_runc_bad "empty process.args" "$P"'{"args":[],"cwd":"/"}}' 'process.args: must name the program'
    ct_runc_bad "a program not in the root" "$P"'{"args":["/bin/nope"],"cwd":"/"}}' '/bin/nope: No such file or directory'
    ct_runc_bad "an unknown io.ukmon annotation" "$P"'{"args":["/bin/true"],"cwd":"/"},"annotations":{"io.ukmon.nope":"1"}}' \
        'annotation io.ukmon.nope: unknown to ukmon'
    ct_runc_bad "a bad size in io.ukmon.mem" "$P"'{"args":["/bin/true"],"cwd":"/"},"annotations":{"io.ukmon.mem":"lots"}}' \
        'annotation io.ukmon.mem=lots: not a size'
    # ct_runc_err NAME LINE ARGS...: ukmon-runc ARGS fails (1) with the one line LINE.
    ct_runc_err() {
        local name=$1 want=$2
        shift 2
        begin "$name" 1 || return 0
        run 30 "$RT" "$@"
        if [ "$RC" != 1 ]; then fail "$name" "exit code $RC, expected 1"
        elif [ "$(wc -l <"$TMP/err")" != 1 ] || ! grep -qF -- "ukmon-runc: $want" "$TMP/err"; then
            fail "$name" "stderr is not the one line 'ukmon-runc: $want': $(tr '\n' '|' <"$TMP/err")"
        else pass "$name"; fi
    }
    ct_runc_err "ukmon-runc refuses a container id that is a path" "invalid container id '../../etc'" \
        --root "$S" create --bundle "$BD" ../../etc
    ct_runc_err "ukmon-runc: state of a container that does not exist" 'container "nope" does not exist' \
        --root "$S" state nope
    ct_runc_err "ukmon-runc: a bundle that does not exist" 'bundle /nonexistent: No such file or directory' \
        --root "$S" create --bundle /nonexistent c2
    ct_runc_err "ukmon-runc: an unknown command" 'unknown command bogus' bogus
    rm -rf "$S" "$BD"
}

# Whether podman itself works here: its storage, its configuration (not in the
# emulated machine of tests/nested/, whose / is a read-only share: no storage, no CNI
# bridge). Its last error line is then in $TMP/err.
podman_runs() {
    timeout 60 podman info >"$TMP/out" 2>"$TMP/err" </dev/null
}

# containerd's ctr with --runc-binary: its runc shim (io.containerd.runc.v2) drives
# ukmon-runc as containerd does for Kubernetes. A containerd of our own (its root,
# state and socket in $TMP, the CRI plugin off), an image made here from the busybox
# root (podman import and save: no registry), the native snapshotter (no mounts left
# if a test fails).
ct_ctr() {
    local name="containerd's ctr with --runc-binary ukmon-runc" C=$TMP/ctrd pid i rt RB
    local img=localhost/ukmon-ct-$$:test
    rt=$(cd "${U%/ukmon}" && pwd -P)/ukmon-runc
    RB=$B/containers/busybox
    if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
        skip "$name" "containerd is not installed (scripts/install-deps.sh installs it)"; return
    fi
    if [ "$(id -u)" != 0 ] || ! command -v podman >/dev/null || [ ! -x "$RB/bin/busybox" ]; then
        skip "$name" "needs root, podman (to make the image) and $RB (scripts/containers-root.sh)"; return
    fi
    skipping && return 0
    if ! podman_runs; then
        skip "$name" "podman (which makes the image) does not run here: $(tail -1 "$TMP/err")"; return
    fi
    rm -rf "$C"
    mkdir -p "$C"
    printf 'version = 2\nroot = "%s/root"\nstate = "%s/state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "%s/sock"\n' \
        "$C" "$C" "$C" >"$C/config.toml"
    containerd --config "$C/config.toml" >"$C/log" 2>&1 </dev/null &
    pid=$!
    for i in $(seq 1 50); do
        ctr -a "$C/sock" version >/dev/null 2>&1 && break
        sleep 0.1
    done
    local A=(ctr -a "$C/sock")
    if ! "${A[@]}" version >/dev/null 2>&1; then
        skip "$name" "containerd does not start here: $(tail -1 "$C/log")"
    elif ! { tar -C "$RB" -c . | podman import - "$img" >/dev/null 2>"$TMP/err" &&
             podman save --format oci-archive -o "$C/img.tar" "$img" >/dev/null 2>>"$TMP/err" &&
             "${A[@]}" images import "$C/img.tar" >/dev/null 2>>"$TMP/err"; }; then
        fail "$name: an image of the busybox root" "$(tail -1 "$TMP/err")"
    else
        printf '19\n42\n' >"$TMP/want"
        expect_exact "ctr run --rm --runc-binary ukmon-runc: a busybox pipeline" 0 "$TMP/want" -- \
            timeout 60 "${A[@]}" run --rm --snapshotter native --runc-binary "$rt" "$img" ukmon-ct1 \
            /bin/sh -c 'seq 1 100 | grep 7 | wc -l; echo $((6 * 7))'
        expect_exact "ctr run: the exit status of the container's process" 3 /dev/null -- \
            timeout 60 "${A[@]}" run --rm --snapshotter native --runc-binary "$rt" "$img" ukmon-ct2 /bin/sh -c 'exit 3'
        name="ctr run -d, task kill -s SIGKILL, task rm, container rm"
        begin "$name" 0 && {
            local st="" 
            timeout 60 "${A[@]}" run -d --snapshotter native --runc-binary "$rt" "$img" ukmon-ct3 /bin/sleep 100 \
                >/dev/null 2>"$TMP/err" </dev/null
            st="$st $("${A[@]}" task ls 2>>"$TMP/err" | awk '$1 == "ukmon-ct3" {print $3}')"
            timeout 30 "${A[@]}" task kill -s SIGKILL ukmon-ct3 2>>"$TMP/err"
            for i in $(seq 1 50); do
                "${A[@]}" task ls 2>/dev/null | grep -q 'ukmon-ct3.*STOPPED' && break
                sleep 0.1
            done
            st="$st $("${A[@]}" task ls 2>>"$TMP/err" | awk '$1 == "ukmon-ct3" {print $3}')"
            timeout 30 "${A[@]}" task rm ukmon-ct3 >/dev/null 2>&1
            timeout 30 "${A[@]}" container rm ukmon-ct3 >/dev/null 2>>"$TMP/err"
            if [ "$st" != " RUNNING STOPPED" ]; then fail "$name" "task states:$st; $(tail -1 "$TMP/err")"
            elif [ -n "$("${A[@]}" container ls -q 2>&1)" ]; then fail "$name" "left: $("${A[@]}" container ls -q 2>&1)"
            else pass "$name"; fi
        }
    fi
    podman rmi "$img" >/dev/null 2>&1
    # What is ours only: this containerd and the shims it started for our socket.
    local shims
    shims=$(pgrep -f -- "-address $C/sock" 2>/dev/null)
    kill "$pid" $shims 2>/dev/null
    wait "$pid" 2>/dev/null
    rm -rf "$C"
}

# podman with ukmon-runc as its OCI runtime, on the file trees of containers-root.sh
# (--rootfs: no image, no registry). Each container is named ukmon-ct-$$-N so that
# what a failed test leaves behind is removed at the end.
CT_PODMAN_N=0
ct_pod_name() { CT_PODMAN_N=$((CT_PODMAN_N + 1)); CT_NAME=ukmon-ct-$$-$CT_PODMAN_N; }

# ct_pod_same NAME ROOT CMD...: `podman run --rm` of CMD in ROOT prints, and exits
# with, what CMD chrooted into ROOT does on the host.
ct_pod_same() {
    local name=$1 root=$2
    shift 2
    begin "$name" 0 || return 0
    # (in a subshell that is not the command, so that a crash is no message of ours)
    (env -i PATH=$CT_HOSTPATH chroot "$root" "$@"; exit $?) >"$TMP/host-out" 2>"$TMP/host-err" </dev/null
    local hrc=$?
    ct_pod_name
    run 120 podman --runtime "$CT_RT" run --rm --name "$CT_NAME" --rootfs "$root" "$@"
    if [ "$RC" != "$hrc" ]; then fail "$name" "exit code $RC, the host's $hrc: $(tail -2 "$TMP/err" | tr '\n' ' ')"; return; fi
    if ! cmp -s "$TMP/out" "$TMP/host-out"; then
        fail "$name" "stdout differs from the host's: $(diff "$TMP/host-out" "$TMP/out" | head -6 | tr '\n' ' ')"
        return
    fi
    pass "$name"
}

ct_podman() {
    local name RB D id port i rc
    # the ukmon-runc of the monitor build under test (build-asan: with ASan, too)
    CT_RT=$(cd "${U%/ukmon}" && pwd -P)/ukmon-runc
    RB=$(pwd -P)/$B/containers/busybox
    D=$(pwd -P)/$B/containers/debian
    name="podman with ukmon-runc"
    if ! command -v podman >/dev/null; then
        skip "$name" "podman is not installed (scripts/install-deps.sh installs it)"; return
    fi
    if [ "$(id -u)" != 0 ]; then
        skip "$name" "podman's --rootfs containers with a network namespace need root here"; return
    fi
    if [ ! -x "$RB/bin/busybox" ]; then
        skip "$name" "$RB is missing: scripts/containers-root.sh $B makes it (make check runs it)"; return
    fi
    # Not whether crun runs containers: crun fails where the runtime may not raise
    # podman's rlimits (no CAP_SYS_RESOURCE), ukmon-runc lowers them to what it has.
    if ! skipping && ! podman_runs; then
        skip "$name" "podman itself does not run here: $(tail -1 "$TMP/err")"; return
    fi
    ct_pod_same "podman: a busybox pipeline" "$RB" /bin/sh -c \
        'seq 1 300 | grep 7 | sed s/7/seven/ | sort -r | uniq | head -3; echo "$((6 * 7))"'
    ct_pod_same "podman: the exit status of the container's process" "$RB" /bin/sh -c 'exit 7'
    ct_pod_same "podman: a container whose process dies of SIGSEGV" "$RB" /bin/sh -c 'echo before; kill -SEGV $$'
    if [ -x "$D/usr/bin/python3" ]; then
        ct_pod_same "podman: the Debian root's dynamic bash" "$D" /bin/bash -c \
            'echo "$BASH_VERSION"; seq 1 300 | grep -E "^[12]?3" | sed -e "s/3/three/" | sort -r | head -3; ls /usr/bin | wc -l'
        ct_pod_same "podman: python3 from the Debian root" "$D" python3 -c \
            'import json, hashlib; print(json.dumps({"a": [1, 2]}), hashlib.sha1(b"ukmon").hexdigest())'
        ct_pod_same "podman: python3 whose read of an unmapped address crashes it (SIGSEGV)" "$D" \
            python3 -c 'import ctypes; print("before", flush=True); ctypes.string_at(1 << 40)'
    else
        skip "podman: the Debian root's programs" "$D is missing: scripts/containers-root.sh $B makes it"
    fi

    # -d, then logs and stop: sh dies of stop's SIGTERM (143), in well under stop's 10 s.
    name="podman: -d, logs, stop (SIGTERM reaches the guest)"
    begin "$name" 0 && {
        ct_pod_name
        id=$(timeout 60 podman --runtime "$CT_RT" run -d --name "$CT_NAME" --rootfs "$RB" /bin/sh -c \
            'i=0; while true; do echo tick $i; i=$((i + 1)); sleep 0.1; done' 2>"$TMP/err" </dev/null)
        for i in $(seq 1 50); do
            podman logs "$CT_NAME" 2>/dev/null | grep -q "tick 3" && break
            sleep 0.1
        done
        podman logs "$CT_NAME" >"$TMP/out" 2>&1
        local t0=$SECONDS
        timeout 60 podman stop -t 10 "$CT_NAME" >/dev/null 2>>"$TMP/err"
        rc=$(podman inspect -f '{{.State.ExitCode}}' "$CT_NAME" 2>>"$TMP/err")
        podman rm -f "$CT_NAME" >/dev/null 2>&1
        if [ -z "$id" ]; then fail "$name" "run -d: $(tail -1 "$TMP/err")"
        elif ! grep -q "^tick 3$" "$TMP/out"; then fail "$name" "logs: $(head -3 "$TMP/out" | tr '\n' ' ')"
        elif [ "$rc" != 143 ]; then fail "$name" "exit code $rc after stop, expected 143"
        elif [ $((SECONDS - t0)) -ge 9 ]; then fail "$name" "stop took $((SECONDS - t0)) s: SIGTERM did not end it"
        else pass "$name"; fi
    }
    name="podman: -d, kill -s KILL"
    begin "$name" 0 && {
        ct_pod_name
        id=$(timeout 60 podman --runtime "$CT_RT" run -d --name "$CT_NAME" --rootfs "$RB" /bin/sleep 100 2>"$TMP/err" </dev/null)
        timeout 60 podman kill -s KILL "$CT_NAME" >/dev/null 2>>"$TMP/err"
        rc=$(timeout 60 podman wait "$CT_NAME" 2>>"$TMP/err")
        podman rm -f "$CT_NAME" >/dev/null 2>&1
        if [ -z "$id" ]; then fail "$name" "run -d: $(tail -1 "$TMP/err")"
        elif [ "$rc" != 137 ]; then fail "$name" "exit code $rc after kill, expected 137"
        else pass "$name"; fi
    }
    # -p: podman forwards a host port into the container's network namespace, where
    # the guest's bind() to a port nothing published is made (bind_any).
    name="podman: -p HOSTPORT:8080 to busybox httpd, answered to curl"
    begin "$name" 0 && {
        ct_pod_name
        port=$((20000 + $$ % 10000))
        id=$(timeout 60 podman --runtime "$CT_RT" run -d --name "$CT_NAME" -p "127.0.0.1:$port:8080" \
            --rootfs "$RB" /bin/httpd -f -p 8080 -h /www 2>"$TMP/err" </dev/null)
        : >"$TMP/out"
        for i in $(seq 1 50); do
            curl -sS --max-time 5 "http://127.0.0.1:$port/" >"$TMP/out" 2>>"$TMP/err" && break
            sleep 0.1
        done
        timeout 60 podman stop -t 5 "$CT_NAME" >/dev/null 2>&1
        podman rm -f "$CT_NAME" >/dev/null 2>&1
        if [ -z "$id" ]; then fail "$name" "run -d: $(tail -1 "$TMP/err")"
        elif ! grep -q "hello from busybox httpd in ukmon" "$TMP/out"; then fail "$name" "curl: $(tail -1 "$TMP/err")"
        else pass "$name"; fi
    }
    # -it: podman hands ukmon-runc a console socket, the pty's master goes back to it,
    # and a shell at a terminal of tmux's size answers typed lines.
    name="podman: -it, a shell at tmux's terminal"
    begin "$name" 0 && {
        local sock=ukmon-ct-$$
        ct_pod_name
        tmux -L "$sock" new-session -d -x 100 -y 30 \
            "podman --runtime '$CT_RT' run --rm -it --name $CT_NAME --rootfs '$RB' /bin/sh; echo podman-exit=\$?; sleep 60"
        for i in $(seq 1 50); do
            tmux -L "$sock" capture-pane -p 2>/dev/null | grep -q '^/ # ' && break
            sleep 0.2
        done
        tmux -L "$sock" send-keys 'echo in-$((40 + 2)); stty size' Enter
        sleep 1
        tmux -L "$sock" send-keys 'exit 5' Enter
        for i in $(seq 1 50); do
            tmux -L "$sock" capture-pane -p 2>/dev/null | grep -q 'podman-exit=' && break
            sleep 0.2
        done
        tmux -L "$sock" capture-pane -p >"$TMP/out" 2>&1
        tmux -L "$sock" kill-server 2>/dev/null
        podman rm -f "$CT_NAME" >/dev/null 2>&1
        if ! grep -q '^in-42$' "$TMP/out" || ! grep -q '^30 100$' "$TMP/out"; then
            fail "$name" "the screen: $(grep -v '^$' "$TMP/out" | tail -4 | tr '\n' ' ')"
        elif ! grep -q '^podman-exit=5$' "$TMP/out"; then
            fail "$name" "no exit status 5: $(grep -v '^$' "$TMP/out" | tail -2 | tr '\n' ' ')"
        else pass "$name"; fi
    }
    # Nothing left behind: no container of ours, no ukmon-runc state.
    name="podman: no container left behind"
    begin "$name" 0 && {
        local left
        left=$(podman ps -a --format '{{.Names}}' 2>/dev/null | grep "^ukmon-ct-$$-")
        for c in $left; do podman rm -f "$c" >/dev/null 2>&1; done
        if [ -n "$left" ]; then fail "$name" "left: $(echo $left)"; else pass "$name"; fi
    }
}

suite_containers() {
    ct_dynamic_tests
    ct_host_programs
    ct_errors
    ct_root_options
    ct_debian_root
    ct_runc
    ct_podman
    ct_ctr
}
