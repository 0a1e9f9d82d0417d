# suite-linux.sh: unmodified static Linux programs: C test programs built with musl and
# with glibc, Debian's busybox-static and bash-static (sourced by run.sh).
SUITES="${SUITES:-} linux"
BUSYBOX=${BUSYBOX:-/bin/busybox}
BASH_STATIC=${BASH_STATIC:-/bin/bash-static}

# bb NAME RC WANT-FILE SCRIPT: busybox sh -c SCRIPT, stdout exactly WANT-FILE, no stderr.
bb() {
    local name=$1 rc=$2 want=$3
    expect_exact "busybox: $name" "$rc" "$want" -- "$U" "$BUSYBOX" sh -c "$4"
    if [ -s "$TMP/err" ] && [ "$RC" = "$rc" ]; then
        fail "busybox: $name" "unexpected stderr"
    fi
}

# pane_wait SESSION LINE: waits up to 10 s for a line that is exactly LINE on the tmux
# pane (whose capture drops trailing spaces); 1 if it never came.
pane_wait() {
    local i
    for i in $(seq 1 100); do
        tmux -L ukmon-test capture-pane -t "$1" -p 2>/dev/null | grep -qxF -- "$2" && return 0
        sleep 0.1
    done
    return 1
}

# The first thing a user tries: busybox's shell at a terminal, driven through tmux.
interactive_shell() {
    local name="busybox sh at a terminal: prompt, pipeline, line editing, Ctrl-D"
    if ! command -v tmux >/dev/null; then
        fail "$name" "tmux is missing (scripts/install-deps.sh installs it)"
        return
    fi
    rm -f "$TMP/tty-exit"
    tmux -L ukmon-test kill-server 2>/dev/null
    # No leak check here: the terminal's hangup at the end could kill LeakSanitizer's
    # helper process and leave the ASan monitor waiting for it.
    tmux -L ukmon-test new-session -d -s sh -x 100 -y 20 \
        "ASAN_OPTIONS=detect_leaks=0 $U $BUSYBOX sh 2>$TMP/tty-err; echo \$? >$TMP/tty-exit; sleep 60"
    local sid why=""
    sid=$(tmux -L ukmon-test display-message -p -t sh '#{pane_pid}')
    pane_wait sh '~ #' || why="no prompt" # HOME is / in the made-up /etc/passwd
    if [ -z "$why" ]; then
        tmux -L ukmon-test send-keys -t sh 'echo hello | wc -c' Enter
        pane_wait sh 6 || why="the pipeline did not print 6"
    fi
    if [ -z "$why" ]; then
        tmux -L ukmon-test send-keys -t sh 'ech' 'o lin' Left Left Left 'X' End 'e-edit' Enter
        pane_wait sh 'Xline-edit' || why="line editing did not give Xline-edit"
    fi
    if [ -z "$why" ]; then
        tmux -L ukmon-test send-keys -t sh C-d
        local i
        for i in $(seq 1 50); do [ -s "$TMP/tty-exit" ] && break; sleep 0.1; done
        [ "$(cat "$TMP/tty-exit" 2>/dev/null)" = 0 ] || why="Ctrl-D: exit status '$(cat "$TMP/tty-exit" 2>/dev/null)'"
    fi
    tmux -L ukmon-test capture-pane -t sh -p >"$TMP/out" 2>/dev/null
    cp "$TMP/tty-err" "$TMP/err" 2>/dev/null
    tmux -L ukmon-test kill-server 2>/dev/null
    [ -n "$sid" ] && pkill -KILL -s "$sid" 2>/dev/null # whatever a failure left behind
    if [ -n "$why" ]; then fail "$name" "$why"; else pass "$name"; fi
}

# Granted folders: every call on them, every way out of them (issue: files and exec).
files_tests() {
    local T=$TMP/granted libc LX=$B/tests/linux
    rm -rf "$T"
    mkdir -p "$T/ro/dir" "$T/rw" "$T/bin" "$T/data" "$T/work"
    echo "top secret" >"$T/secret"
    echo "hello there" >"$T/ro/hello"
    ln -s hello "$T/ro/inlink"
    ln -s "$T/secret" "$T/ro/abslink"
    ln -s ../secret "$T/ro/rellink"
    ln -s loop "$T/ro/loop"
    for libc in musl glibc; do
        rm -rf "${T:?}/rw/"*
        expect_exact "$libc: files of granted folders, and every way out of them" 0 \
            tests/linux/files.expected -- "$U" --dir "$T/ro:/ro" --dir "$T/rw:/rw:rw" \
            "$LX/$libc/files" "$T/secret"
        if [ "$(cat "$T/rw/sub/out" 2>/dev/null)" = "from the guest" ] && [ "$(cat "$T/secret")" = "top secret" ]; then
            pass "$libc: a file written in a :rw folder is on the host, the secret untouched"
        else
            fail "$libc: a file written in a :rw folder is on the host, the secret untouched" "$(ls -R "$T/rw")"
        fi
    done
    # Read-only for metadata too, on every path and fd form; mount points pinned.
    local R=$TMP/rofs snap
    for libc in musl glibc; do
        rm -rf "$R"
        mkdir -p "$R/ro/dir" "$R/x/d/sub" "$R/x/f"
        echo hi >"$R/ro/file"
        ln -s file "$R/ro/link"
        chmod 755 "$R/ro" "$R/ro/dir" "$R/x/d/sub"
        snap=$(stat -c '%n %a %s %Y' "$R/ro" "$R/ro/file" "$R/ro/dir" "$R/x/d/sub" "$R/x/d")
        expect_exact "$libc: read-only folders refuse chmod, chown, utimensat, truncate, mkfifo on every form; mount points are pinned" \
            0 tests/linux/rofs.expected -- "$U" --dir "$R/ro:/ro" --dir "$R/x:/x:rw" \
            --dir "$R/x/d/sub:/x/d/sub" "$LX/$libc/rofs"
        if [ "$snap" = "$(stat -c '%n %a %s %Y' "$R/ro" "$R/ro/file" "$R/ro/dir" "$R/x/d/sub" "$R/x/d" 2>&1)" ]; then
            pass "$libc: nothing read-only changed on the host, the pinned folders are where they were"
        else
            fail "$libc: nothing read-only changed on the host" "$(stat -c '%n %a' "$R/ro" "$R/ro/file" "$R/x/d/sub" 2>&1)"
        fi
    done

    # Buffers that fault, a file cut by a sibling among them: the host's answers, no crash.
    for libc in musl glibc; do
        mkdir -p "$T/host-rw"
        "$LX/$libc/badptr" "$T/host-rw" >"$TMP/badptr.want" 2>&1
        expect_exact "$libc: buffers in PROT_NONE pages, holes and a file a sibling truncated: as on the host" \
            0 "$TMP/badptr.want" -- "$U" --dir "$T/rw:/rw:rw" "$LX/$libc/badptr" /rw
    done
    # The mode of what is created: masks and the umask, as on the host.
    for libc in musl glibc; do
        rm -rf "$T/host-modes" "${T:?}/rw/"*
        mkdir -p "$T/host-modes"
        "$LX/$libc/modes" "$T/host-modes" >"$TMP/modes.want" 2>&1
        expect_exact "$libc: open, creat, mkdir mask the mode with 07777 and the umask, as on the host" \
            0 "$TMP/modes.want" -- "$U" --dir "$T/rw:/rw:rw" "$LX/$libc/modes" /rw
    done
    for libc in musl glibc; do
        expect_exact "$libc: read(2) of /dev/zero, /dev/urandom and files is whole unless at the end" \
            0 tests/linux/fullread.expected -- "$U" --dir "$T/rw:/rw:rw" "$LX/$libc/fullread" /rw/fr
    done
    # A root guest's chown succeeds and changes nothing on the host; no set-id bits.
    rm -rf "${T:?}/rw/"*
    printf 'ok\n' >"$TMP/want"
    expect_exact "busybox chown 1234:1234 and chmod 4755 in a :rw folder: the calls succeed" 0 \
        "$TMP/want" -- "$U" --dir "$T/rw:/rw:rw" "$BUSYBOX" sh -c \
        'echo x > /rw/owned && chown 1234:1234 /rw/owned && chmod 4755 /rw/owned && echo ok'
    if [ "$(stat -c '%u:%g %a' "$T/rw/owned" 2>&1)" = "$(id -u):$(id -g) 755" ]; then
        pass "... the host file keeps its owner and gets no set-user-id bit"
    else
        fail "... the host file keeps its owner and gets no set-user-id bit" "$(stat -c '%u:%g %a' "$T/rw/owned" 2>&1)"
    fi
    chmod 640 "$T/ro/hello"
    printf '640 hello there\n' >"$TMP/want"
    expect_exact "busybox cp into a :rw folder (open with the source's mode, 0100640)" 0 "$TMP/want" -- \
        "$U" --dir "$T/ro:/ro" --dir "$T/rw:/rw:rw" "$BUSYBOX" sh -c \
        'cp /ro/hello /rw/copy && stat -c "%a $(cat /rw/copy)" /rw/copy'
    chmod 644 "$T/ro/hello"
    rm -rf "${T:?}/rw/"*
    expect_exact "ukmon unikernel: fopen, fgets, stat, readdir, mkdir, unlink in granted folders" 0 \
        tests/guests/files.expected -- "$U" --dir "$T/ro:/ro" --dir "$T/rw:/rw:rw" "$G/files.elf"

    # bash-static from a read-only folder that also holds busybox and its applet links
    if [ ! -x "$BASH_STATIC" ]; then
        fail "files: bash-static" "$BASH_STATIC is missing"
        return
    fi
    cp "$BASH_STATIC" "$T/bin/bash"
    cp "$BUSYBOX" "$T/bin/busybox"
    local a
    for a in sh ls cat grep sort find wc head; do ln -s busybox "$T/bin/$a"; done
    printf '#!/bin/bash\ncd /data\nls | sort\ncat a.txt b.txt | grep -c line\nfind . -name "*.txt" | sort | wc -l\nprintf "%%s\\n" z y x | sort | head -n 1\n' >"$T/bin/job.sh"
    chmod +x "$T/bin/job.sh"
    printf 'line 1\nline 2\n' >"$T/data/a.txt"
    printf 'line 3\nnot this\n' >"$T/data/b.txt"
    printf 'a.txt\nb.txt\n3\n2\nx\n' >"$TMP/want"
    expect_exact "bash-static runs a script of a :ro folder, busybox applets through links, pipes" 0 \
        "$TMP/want" -- "$U" --dir "$T/bin:/bin" --dir "$T/data:/data" -e PATH=/bin \
        "$T/bin/bash" /bin/job.sh
    expect_exact "busybox sh execs a #! script whose interpreter is in the folder" 0 \
        "$TMP/want" -- "$U" --dir "$T/bin:/bin" --dir "$T/data:/data" -e PATH=/bin \
        "$T/bin/busybox" sh -c /bin/job.sh
    # The program's own path: its guest path in a folder, else as named, never a host
    # path the user did not name (here: the target of a link).
    printf '/bin/busybox\n' >"$TMP/want"
    expect_exact "a program in a granted folder: /proc/self/exe is its guest path" 0 "$TMP/want" -- \
        "$U" --dir "$T/bin:/bin" "$T/bin/busybox" readlink /proc/self/exe
    printf '/bin/bash\n' >"$TMP/want"
    expect_exact "... and argv[0]: bash's \$BASH is /bin/bash" 0 "$TMP/want" -- \
        "$U" --dir "$T/bin:/bin" "$T/bin/bash" -c 'echo "$BASH"'
    printf '/bin/sh /bin/busybox\n' >"$TMP/want"
    expect_exact "... a link in the folder: argv[0] names the link, /proc/self/exe its target" 0 \
        "$TMP/want" -- "$U" --dir "$T/bin:/bin" "$T/bin/sh" -c 'echo "$0 $(readlink /proc/self/exe)"'
    mkdir -p "$TMP/linked"
    ln -sf "$T/bin/busybox" "$TMP/linked/busybox"
    printf '%s\n' "$TMP/linked/busybox" >"$TMP/want"
    expect_exact "outside the folders: the path as named, not the link's target" 0 "$TMP/want" -- \
        "$U" "$TMP/linked/busybox" readlink /proc/self/exe
    printf '3\n' >"$TMP/want"
    expect_exact "bash: cd /work && echo hi > f && cat f | wc -c, /work granted :rw" 0 "$TMP/want" -- \
        "$U" --dir "$T/bin:/bin" --dir "$T/work:/work:rw" -e PATH=/bin "$T/bin/bash" -c \
        'cd /work && echo hi > f && cat f | wc -c'
    run 60 "$U" --stats --dir "$T/bin:/bin" --dir "$T/work:/work:rw" -e PATH=/bin "$T/bin/bash" -c \
        'cd /work && echo hi > f && cat f | wc -c'
    local vms
    vms=$(grep -c 'syscalls .*execve=1\([^.0-9]\|$\)' "$TMP/err")
    if [ "$RC" = 0 ] && [ "$vms" = 2 ] && [ "$(cat "$T/work/f")" = hi ]; then
        pass "... cat and wc each exec'd in a VM of its own, f on the host"
    else
        fail "... cat and wc each exec'd in a VM of its own, f on the host" "rc $RC, $vms exec'd VMs"
    fi
    expect_error "a file granted with --dir is refused" 125 'not a directory' -- \
        "$U" --dir "$T/secret:/s" "$G/exit_status.elf" 0
    expect_error "--dir needs an absolute guest path" 125 'expected HOST\[:GUEST\]' -- \
        "$U" --dir "$T/ro:rel" "$G/exit_status.elf" 0
}

# The private /tmp: empty, writable, shared by the tree, private to it, gone at the end.
tmp_tests() {
    local td=$TMP/tmpdir i left
    rm -rf "$td"
    mkdir -p "$td"
    printf 'drwxrwxrwt\n(empty)\nfrom a child VM\n' >"$TMP/want"
    expect_exact "private /tmp: empty, mode 1777, one for the tree (a child's file is seen)" 0 \
        "$TMP/want" -- env TMPDIR="$td" "$U" "$BUSYBOX" sh -c \
        'ls -ld /tmp | cut -c1-10; [ -z "$(ls -A /tmp)" ] && echo "(empty)"
         sh -c "echo from a child VM > /tmp/f"; cat /tmp/f'
    left=$(ls -A "$td")
    if [ -z "$left" ]; then pass "private /tmp: removed when the tree ends"
    else fail "private /tmp: removed when the tree ends" "left in \$TMPDIR: $left"; fi
    printf '70000\n' >"$TMP/want"
    expect_exact "bash: a here-document larger than a pipe (a temporary file), no --dir" 0 "$TMP/want" -- \
        env TMPDIR="$td" "$U" "$BASH_STATIC" -c \
        's=$(printf "%070000d" 0); while read -r l; do echo ${#l}; done <<EOF
$s
EOF'
    printf 'one\n' >"$TMP/want"
    expect_exact "busybox sh: a here-document, no --dir" 0 "$TMP/want" -- \
        env TMPDIR="$td" "$U" "$BUSYBOX" sh -c "$(printf 'cat <<EOF\none\nEOF')"
    printf 'prw-r--r--\nthrough a fifo\n' >"$TMP/want"
    expect_exact "busybox: mkfifo in /tmp, a writer VM and a reader VM" 0 "$TMP/want" -- \
        env TMPDIR="$td" "$U" "$BUSYBOX" sh -c \
        'mkfifo /tmp/f && ls -l /tmp/f | cut -c1-10 && (echo through a fifo > /tmp/f &) && cat /tmp/f'
    # Two trees at once: each its own.
    (TMPDIR="$td" "$U" "$BUSYBOX" sh -c 'echo a > /tmp/mine; sleep 1; cat /tmp/mine' \
        >"$TMP/tree-a" 2>&1 </dev/null &
     TMPDIR="$td" "$U" "$BUSYBOX" sh -c 'echo b > /tmp/mine; sleep 1; cat /tmp/mine' \
        >"$TMP/tree-b" 2>&1 </dev/null; wait)
    if [ "$(cat "$TMP/tree-a")" = a ] && [ "$(cat "$TMP/tree-b")" = b ] && [ -z "$(ls -A "$td")" ]; then
        pass "two trees at once: each its own /tmp, both removed"
    else
        fail "two trees at once: each its own /tmp, both removed" "got '$(cat "$TMP/tree-a")' '$(cat "$TMP/tree-b")', left: $(ls -A "$td")"
    fi
    # Ended by a signal, and by SIGKILL of ukmon: the folder goes with the tree.
    local sig pid
    for sig in TERM KILL; do
        TMPDIR="$td" "$U" "$BUSYBOX" sh -c 'echo x > /tmp/f; mkdir -p /tmp/d/e; sleep 100 & sleep 100' \
            >/dev/null 2>&1 </dev/null &
        pid=$!
        for i in $(seq 50); do ls "$td"/*/tmp/f >/dev/null 2>&1 && break; sleep 0.1; done
        kill -"$sig" "$pid"
        wait "$pid" 2>/dev/null
        for i in $(seq 100); do [ -z "$(ls -A "$td")" ] && break; sleep 0.1; done
        left=$(ls -A "$td")
        if [ -z "$left" ]; then pass "private /tmp: removed when ukmon gets SIG$sig"
        else fail "private /tmp: removed when ukmon gets SIG$sig" "left in \$TMPDIR: $left"; rm -rf "${td:?}"/*; fi
    done
    expect "--no-tmp: no /tmp" 1 'No such file or directory' -- \
        env TMPDIR="$td" "$U" --no-tmp "$BUSYBOX" ls /tmp
    mkdir -p "$TMP/own-tmp"
    printf 'mine\n' >"$TMP/want"
    expect_exact "--dir HOST:/tmp:rw is the guest's /tmp, no private one" 0 "$TMP/want" -- \
        env TMPDIR="$td" "$U" --dir "$TMP/own-tmp:/tmp:rw" "$BUSYBOX" sh -c 'echo mine > /tmp/m; cat /tmp/m'
    if [ "$(cat "$TMP/own-tmp/m" 2>/dev/null)" = mine ] && [ -z "$(ls -A "$td")" ]; then
        pass "... the file is in that folder, nothing made in \$TMPDIR"
    else
        fail "... the file is in that folder, nothing made in \$TMPDIR" "$(ls -A "$td")"
    fi
    # SQLite's default VFS: fcntl locks between two VMs, a journal, WAL's shared
    # memory, temporary files of a sort; in the private /tmp and in a :rw folder.
    if [ ! -x "$B/tests/sqlite/sqlite_locks" ]; then
        skip "sqlite" "libsqlite3-dev is not installed (scripts/install-deps.sh installs it)"
    else
        expect_exact "sqlite: two VMs on one database in /tmp, 'database is locked' only while the other writes" \
            0 tests/sqlite/sqlite_locks.expected -- env TMPDIR="$td" "$U" "$B/tests/sqlite/sqlite_locks"
        mkdir -p "$TMP/sqlite-rw"
        expect_exact "sqlite: the same in a :rw folder" 0 tests/sqlite/sqlite_locks.expected -- \
            env TMPDIR="$td" "$U" --dir "$TMP/sqlite-rw:/data:rw" "$B/tests/sqlite/sqlite_locks" /data
    fi
    expect_error "a \$TMPDIR that cannot hold the private /tmp: one line naming --no-tmp" 125 \
        'private /tmp: cannot make a folder in /nonexistent.*--no-tmp' -- \
        env TMPDIR=/nonexistent "$U" "$BUSYBOX" true
}

suite_linux() {
    local libc t want LX=$B/tests/linux
    for libc in musl glibc; do
        for t in $(ls tests/linux/*.c | sed 's|.*/||; s|\.c$||'); do
            [ "$t" = files ] && continue # needs folders: files_tests
            [ "$t" = badptr ] && continue # needs a writable folder: files_tests
            [ "$t" = rofs ] && continue   # needs its folders: files_tests
            [ "$t" = modes ] && continue  # compared with the host: files_tests
            [ "$t" = fullread ] && continue # needs a writable folder: files_tests
            [ "$t" = net ] && continue   # needs published ports: suite-net.sh
            [ "$t" = pipeflood ] && continue # watched from the host: suite-limits.sh
            [ "$t" = memflood ] && continue
            [ "$t" = shm ] && continue   # needs a /dev/shm: below
            [ "$t" = waitearly ] && continue # below, with --max-procs 2
            want=tests/linux/$t.$libc.expected
            [ -f "$want" ] || want=tests/linux/$t.expected
            expect_exact "$libc: $t" 0 "$want" -- "$U" "$LX/$libc/$t"
        done
        # Shared memory across fork, SysV segments between siblings, shm_open in a
        # granted /dev/shm (the host's answers: tests/linux/shm.expected).
        rm -rf "$TMP/devshm"
        mkdir -p "$TMP/devshm"
        expect_exact "$libc: shm: MAP_SHARED memory, futexes and SysV segments between VMs, shm_open" \
            0 tests/linux/shm.expected -- "$U" --dir "$TMP/devshm:/dev/shm:rw" "$LX/$libc/shm"
        # A parent's wait returns before its child's VM is torn down: as POSIX says,
        # and 200 fork-exit-waits in a row fit in two slots.
        expect_exact "$libc: waitearly (--max-procs 2)" 0 tests/linux/waitearly.expected -- \
            "$U" --max-procs 2 "$LX/$libc/waitearly"
    done
    # A static Go program: its runtime's threads, goroutines, timers, os/exec.
    if [ -x "$B/tests/go/gotest" ]; then
        expect_exact "go: goroutines on threads, channels, timers, os/exec (CGO_ENABLED=0)" 0 \
            tests/go/gotest.expected -- "$U" "$B/tests/go/gotest"
    else
        skip "go" "golang-go is not installed (scripts/install-deps.sh installs it)"
    fi
    printf 'generation 1: the site before its first call: syscall; after: syscall; the call right\na child'"'"'s site, in the parent that never ran it: syscall (child right)\ngeneration 2: the site before its first call: syscall; after: syscall; the call right\ngeneration 3: the site before its first call: syscall; after: syscall; the call right\n' >"$TMP/want"
    expect_exact "--syscall-exits: no syscall site is rewritten, the tree remembers none" 0 \
        "$TMP/want" -- "$U" --syscall-exits "$LX/musl/sitecache"
    # pwindow's answers are the host's (above); here, that most came with no exit, and
    # that --syscall-exits keeps every one in the monitor.
    local name="pread64 and pwrite64 on a file read again and again: answered in the guest"
    run 60 "$U" --stats "$LX/musl/pwindow"
    local nwin
    nwin=$(sed -n 's/.*answered in the guest, no exit:.* pread64=\([0-9]*\).*/\1/p' "$TMP/err" |
        sort -n | tail -1)
    if [ "$RC" = 0 ] && [ "${nwin:-0}" -ge 40 ]; then
        pass "$name ($nwin of them)"
    else
        fail "$name" "rc $RC, ${nwin:-no} pread64 answered in the guest"
    fi
    expect_exact "--syscall-exits: pwindow without windows, the same answers" 0 \
        tests/linux/pwindow.expected -- "$U" --syscall-exits "$LX/glibc/pwindow"
    expect "--trace decodes calls as strace does" 0 'pipe2([3, 4], O_CLOEXEC) = 0' \
        'fcntl(99, F_GETFD) = -1 EBADF (Bad file descriptor)' 'exit_group(0) = ?' -- \
        "$U" --trace "$LX/glibc/fd"
    expect "--trace names calls ukmon does not serve, and numbers that are none" 0 \
        'inotify_init1(0x80000, ' 'inotify_add_watch(0x3, ' 'fanotify_init(0, 0, ' \
        '= -1 ENOSYS (Function not implemented)' 'syscall_0x3e8(0x1, 0x2, 0x3, ' -- \
        "$U" --trace "$LX/glibc/enosys"
    expect "--stats counts them by name" 0 'inotify_init1=1' 'fanotify_init=1' 'syscall_512+=1' -- \
        "$U" --stats "$LX/glibc/enosys"
    expect_error "a dynamically linked program names its interpreter when the guest lacks it" 125 \
        '/bin/true: cannot execute: required file not found (its interpreter /lib.*ld-linux.* is not in the guest.s files)' -- \
        "$U" /bin/true

    if [ ! -x "$BUSYBOX" ]; then
        fail "busybox" "$BUSYBOX is missing (scripts/install-deps.sh installs busybox-static)"
        return
    fi
    printf '19\n' >"$TMP/want"
    bb "seq 1 100 | grep 7 | wc -l" 0 "$TMP/want" 'seq 1 100 | grep 7 | wc -l'
    run 60 "$U" --stats "$BUSYBOX" sh -c 'seq 1 100 | grep 7 | wc -l'
    local pids
    pids=$(sed -n 's/^ukmon stats pid \([0-9]*\): syscalls.*/\1/p' "$TMP/err" | sort -u | wc -l)
    if [ "$RC" = 0 ] && [ "$pids" = 4 ] && grep -q 'execve=1' "$TMP/err"; then
        pass "busybox: the pipeline is 4 VMs in --stats, exec keeps the process"
    else
        fail "busybox: the pipeline is 4 VMs in --stats, exec keeps the process" "rc $RC, $pids pids"
    fi
    printf '      2 a\n      3 b\n      1 c\n' >"$TMP/want"
    bb "sort | uniq -c" 0 "$TMP/want" 'printf "b\na\nb\nc\na\nb\n" | sort | uniq -c'
    printf 'y\n' >"$TMP/want"
    bb "yes | head -n 1 ends (SIGPIPE)" 0 "$TMP/want" 'yes | head -n 1'
    printf 'world 5\n' >"$TMP/want"
    bb "awk" 0 "$TMP/want" 'echo hello world | awk "{print \$2, length(\$1)}"'
    printf 'heLLo\n' >"$TMP/want"
    bb "sed" 0 "$TMP/want" 'echo hello | sed s/l/L/g'
    printf 'here 3\nand tabs\n' >"$TMP/want"
    bb "here-document" 0 "$TMP/want" "$(printf 'cat <<EOF\nhere $((1+2))\nEOF\ncat <<-X\n\tand tabs\nX')"
    printf '[sub two] 2\n' >"$TMP/want"
    bb "command substitution" 0 "$TMP/want" 'x=$(echo sub; echo two); echo "[$(echo $x)] $(echo "$x" | wc -l)"'
    printf '7\n1\n3\n' >"$TMP/want"
    bb "exit statuses through sh -c" 5 "$TMP/want" 'sh -c "exit 7"; echo $?; false; echo $?; (exit 3); echo $?; exit 5'
    : >"$TMP/want"
    expect_exact "busybox: a shell killed by SIGKILL: 137" 137 "$TMP/want" -- \
        "$U" "$BUSYBOX" sh -c 'kill -9 $$; echo not reached'
    printf '1\n2\n3\n' >"$TMP/want"
    bb "a loop feeding a pipeline" 0 "$TMP/want" 'for i in 3 1 2; do echo $i; done | sort -n'

    # Priorities and CPUs within the tree; pid 1 is not the tree's (ESRCH, as outside a
    # pid namespace); a child's affinity and nice value changed by its parent.
    expect "busybox: taskset -p 1: pid 1 is outside the tree" 1 \
        "taskset: can't get pid 1's affinity: No such process" -- "$U" "$BUSYBOX" taskset -p 1
    printf 'renice 0\nnew 1\ncurrent 1\n' >"$TMP/want"
    bb "renice and taskset of a background job" 0 "$TMP/want" \
        'sleep 2 & p=$!; renice -n 7 -p $p; echo renice $?; taskset -p 1 $p | sed -n "s/.*new.*: /new /p"; taskset -p $p | sed "s/.*current.*: /current /"; kill $p'

    # /proc for the tree: ps, pidof and top see its processes, and only them (the shell,
    # its background sleep, and the subshell running the tool).
    printf 'ps: 3 processes\nthe sleep among them: 1\npidof sleep: its pid\ntop: 3 processes\nLoad average: 1\nrenice seen in stat: 9\n' >"$TMP/want"
    bb "ps, pidof and top -n 1 show the tree's processes only" 0 "$TMP/want" \
        'sleep 5 & s=$!; sleep 0.3; renice -n 9 -p $s >/dev/null
        p=$(ps); t=$(top -n 1 -b); i=$(pidof sleep)
        echo "ps: $(echo "$p" | sed 1d | wc -l) processes"
        echo "the sleep among them: $(echo "$p" | grep -c " sleep 5$")"
        [ "$i" = "$s" ] && echo "pidof sleep: its pid"
        echo "top: $(echo "$t" | grep -cE "^ *[0-9]+ +[0-9]+ ") processes"
        echo "Load average: $(echo "$t" | grep -c "^Load average:")"
        echo "renice seen in stat: $(cut -d" " -f19 /proc/$s/stat)"
        kill $s'

    interactive_shell
    files_tests
    tmp_tests

    if [ ! -x "$BASH_STATIC" ]; then
        fail "bash-static" "$BASH_STATIC is missing (scripts/install-deps.sh installs bash-static)"
        return
    fi
    printf '123\n1024\nmatch\n3\nz-5\nhere string\nsub\n' >"$TMP/want"
    expect_exact "bash-static: builtins, arithmetic, arrays, here-strings" 4 "$TMP/want" -- \
        "$U" "$BASH_STATIC" -c 'for i in 1 2 3; do echo -n $i; done; echo; x=$((2**10)); echo $x
            [[ abc == a* ]] && echo match; arr=(a b c); echo ${#arr[@]}; printf "%s-%d\n" z 5
            read -r line <<< "here string"; echo "$line"; echo $(echo sub); exit 4'
}
