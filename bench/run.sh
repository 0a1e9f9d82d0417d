#!/usr/bin/env bash
# run.sh: ukmon's benchmarks, each side by side with host processes in the same run.
# Usage: bench/run.sh BUILD_DIR quick|full   (make bench [QUICK=1] calls it)
#        BENCH_ONLY="net files" bench/run.sh ...   some of them only
#        BENCH_ONLY=realworld BENCH_OUT=bench/results/realworld bench/run.sh build full
# Writes bench/results/ (quick mode: bench/results/quick/): one CSV per benchmark,
# summary.md, PNG plots (gnuplot).
set -u
B=${1:-build}
MODE=${2:-full}
U=$B/ukmon
H=$B/bench/host
G=$B/bench/guest
OUT=bench/results
[ "$MODE" = quick ] && OUT=bench/results/quick # the committed full results stay as they are
# BENCH_OUT=DIR: the results go there (a full run of some benchmarks only, beside the
# committed full results).
OUT=${BENCH_OUT:-$OUT}
# Inside an emulated machine (QEMU/TCG: tests/nested/ sets UKMON_EMULATED, and TCG
# names its CPU so) every figure is software emulation's, not KVM's: they land apart,
# labelled, and never replace the results measured on KVM.
EMULATED=""
if [ -n "${UKMON_EMULATED:-}" ] || grep -q '^model name.*QEMU TCG' /proc/cpuinfo; then
    EMULATED="emulated: not comparable"
    OUT=bench/results/emulated
    echo "bench: $EMULATED: this machine is emulated by QEMU/TCG, so these figures say nothing" \
        "about ukmon on KVM. They go to $OUT/, labelled." >&2
fi
mkdir -p "$OUT"
RAW=$(mktemp /tmp/ukmon-bench.XXXXXX)
trap 'rm -f "$RAW" "$RAW".*' EXIT

if [ "$MODE" = quick ]; then
    ROUNDS=1 BOOT_N=30 FORK_IT=20 MEMS="16 64" SPAWNS="1 8 32" PIPE_BIG=$((64 << 20))
    PIPE_SMALL=$((2 << 20)) PING=2000 NULLS=10000 COMPUTE=2 WRK_SECS=2 WRK_CONNS=8
else
    ROUNDS=3 BOOT_N=200 FORK_IT=100 MEMS="16 64 256 1024" SPAWNS="1 8 32 128"
    PIPE_BIG=$((512 << 20)) PIPE_SMALL=$((16 << 20)) PING=20000 NULLS=100000 COMPUTE=5 WRK_SECS=10 WRK_CONNS=8
fi
# BENCH_ROUNDS=N: that many interleaved rounds instead of the mode's.
ROUNDS=${BENCH_ROUNDS:-$ROUNDS}

progress() { echo "bench: $*" >&2; }

[ -c /dev/kvm ] || { echo "bench: /dev/kvm is missing: nothing to measure" >&2; exit 1; }

# record SYSTEM CMD...: runs CMD, appends its RESULT lines tagged with SYSTEM to $RAW.
record() {
    local sys=$1
    shift
    if ! "$@" >"$RAW.out" 2>"$RAW.err"; then
        echo "bench: failed: $*" >&2
        sed 's/^/  /' "$RAW.err" | head -5 >&2
        return 1
    fi
    awk -v s="$sys" '$1 == "RESULT" {print $2 "," s "," $3 "," $4 "," $5 "," $6}' "$RAW.out" >>"$RAW"
}

# Interleaved rounds: host, then ukmon, so both see the same machine noise.
progress "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

bench_boot() {
    progress "boot: hello to exit, ukmon vs exec of a static host binary ($BOOT_N runs x $ROUNDS)"
    for _ in $(seq "$ROUNDS"); do
        record host "$H/runner" boot_hello "$BOOT_N" 5 "$H/hello"
        record ukmon "$H/runner" boot_hello "$BOOT_N" 5 "$U" "$G/hello.elf"
        record host "$H/runner" boot_hello_1GiB "$BOOT_N" 5 "$H/hello"
        record ukmon "$H/runner" boot_hello_1GiB "$BOOT_N" 5 "$U" --mem 1G "$G/hello.elf"
    done
    if [ -n "${SOLO5_HVT:-}" ] && [ -x "${SOLO5_HVT}" ] && [ -n "${SOLO5_HELLO:-}" ]; then
        record solo5-hvt "$H/runner" boot_hello "$BOOT_N" 5 "$SOLO5_HVT" "$SOLO5_HELLO"
    else
        progress "boot: peer solo5-hvt skipped (set SOLO5_HVT=/path/solo5-hvt SOLO5_HELLO=/path/hello.hvt)"
        echo "boot_hello,solo5-hvt,skipped,,," >>"$RAW"
    fi
    if [ -n "${CRUN_BUNDLE:-}" ] && command -v crun >/dev/null; then
        record crun "$H/runner" boot_hello "$BOOT_N" 5 "$(command -v crun)" run --bundle "$CRUN_BUNDLE" ukmon-bench
    else
        progress "boot: peer crun skipped (set CRUN_BUNDLE=/path/to/oci-bundle with crun installed)"
        echo "boot_hello,crun,skipped,,," >>"$RAW"
    fi
}

bench_fork() {
    for m in $MEMS; do
        local gm=$(( (2 * m + 64) ))
        [ "$gm" -gt 4096 ] && gm=4096
        progress "fork: ${m} MiB touched (guest memory ${gm} MiB), $FORK_IT forks x $ROUNDS"
        for _ in $(seq "$ROUNDS"); do
            record host "$H/fork_bench" "$m" "$FORK_IT"
            record host-thp "$H/fork_bench" "$m" "$FORK_IT" thp
            record ukmon "$U" --mem "${gm}M" "$G/fork_bench.elf" "$m" "$FORK_IT"
            record ukmon-4k "$U" --no-hugepages --mem "${gm}M" "$G/fork_bench.elf" "$m" "$FORK_IT"
        done
    done
}

# private host memory (kB) of the processes whose pids are given
private_kb() {
    local total=0 p v
    for p in "$@"; do
        v=$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s + 0}' "/proc/$p/smaps_rollup" 2>/dev/null)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

spawn_one() {
    local sys=$1 k=$2
    shift 2
    rm -f "$RAW.in" "$RAW.sp"
    mkfifo "$RAW.in"
    "$@" <"$RAW.in" >"$RAW.sp" 2>/dev/null &
    local job=$!
    exec 9>"$RAW.in" # hold the writer open: the program waits for our line
    for _ in $(seq 600); do
        grep -q READY "$RAW.sp" 2>/dev/null && break
        sleep 0.05
    done
    local kb
    # shellcheck disable=SC2046
    kb=$(private_kb $(awk '/^PID/ {print $2}' "$RAW.sp"))
    echo "private_per_process_$k,$sys,$((kb / k)),$((kb / k)),$((kb / k)),KiB" >>"$RAW"
    echo go >&9
    exec 9>&-
    wait "$job"
    awk -v s="$sys" '$1 == "RESULT" {print $2 "," s "," $3 "," $4 "," $5 "," $6}' "$RAW.sp" >>"$RAW"
}

bench_spawn() {
    for k in $SPAWNS; do
        progress "spawn: $k idle children at once, time and private host memory per child"
        spawn_one host "$k" "$H/spawn_scale" "$k"
        spawn_one ukmon "$k" "$U" --max-procs $((k + 8)) "$G/spawn_scale.elf" "$k"
    done
}

bench_pipe() {
    local sz total
    for sz in 64 4096 65536 1048576; do
        total=$PIPE_BIG
        [ "$sz" -lt 4096 ] && total=$PIPE_SMALL
        progress "pipe: throughput at $sz-byte writes ($((total >> 20)) MiB x $ROUNDS)"
        for _ in $(seq "$ROUNDS"); do
            record host "$H/pipe_bench" throughput "$sz" "$total"
            record ukmon "$U" --mem 128M "$G/pipe_bench.elf" throughput "$sz" "$total"
        done
        # Exits per MiB, from --stats of the same benchmark (both VMs' hypercalls).
        "$U" --stats --mem 128M "$G/pipe_bench.elf" throughput "$sz" "$total" >/dev/null 2>"$RAW.stats"
        awk -v sz="$sz" -v mib="$((total >> 20))" '
            /exits io=/ { for (i = 1; i <= NF; i++) if ($i ~ /^io=/) { split($i, a, "="); io += a[2] }
                          for (i = 1; i <= NF; i++) if ($i ~ /^in_kvm_run=/) { split($i, a, "="); run += a[2] }
                          for (i = 1; i <= NF; i++) if ($i ~ /^in_monitor=/) { split($i, a, "="); mon += a[2] } }
            END { printf "pipe_exits_per_MiB_%s,ukmon,%.1f,%.1f,%.1f,exits\n", sz, io / mib, io / mib, io / mib
                  printf "pipe_ms_in_kvm_run_%s,ukmon,%.1f,%.1f,%.1f,ms\n", sz, run, run, run
                  printf "pipe_ms_in_monitor_%s,ukmon,%.1f,%.1f,%.1f,ms\n", sz, mon, mon, mon }' \
            "$RAW.stats" >>"$RAW"
    done
    progress "pipe: 1-byte ping-pong, $PING round trips x $ROUNDS"
    for _ in $(seq "$ROUNDS"); do
        record host "$H/pipe_bench" pingpong "$PING"
        record ukmon "$U" "$G/pipe_bench.elf" pingpong "$PING"
    done
}

bench_signal() {
    progress "signal: kill, then the handler's reply through a pipe, $PING round trips x $ROUNDS"
    for _ in $(seq "$ROUNDS"); do
        record host "$H/signal_bench" "$PING"
        record ukmon "$U" "$G/signal_bench.elf" "$PING"
    done
}

bench_null() {
    progress "null call: a VM exit round trip vs a host system call (getppid)"
    for _ in $(seq "$ROUNDS"); do
        record host "$H/null_call" "$NULLS"
        record ukmon "$U" "$G/null_call.elf" "$NULLS"
    done
}

bench_compute() {
    progress "compute: the same integer and floating-point kernels, native and in a VM"
    for _ in $(seq "$ROUNDS"); do
        record host "$H/compute_bench" "$COMPUTE"
        record ukmon "$U" "$G/compute_bench.elf" "$COMPUTE"
    done
}

BUSYBOX=${BUSYBOX:-/bin/busybox}
PIPELINE='seq 1 100 | grep 7 | wc -l'

# Why crun cannot run here, or nothing: it needs a cgroup v2 hierarchy at /sys/fs/cgroup,
# which a private mount namespace provides where the host's is hybrid.
CRUN_BUNDLE_DIR=$(mktemp -d /tmp/ukmon-crun.XXXXXX)
trap 'rm -f "$RAW" "$RAW".*; rm -rf "$CRUN_BUNDLE_DIR"' EXIT
crun_problem() {
    command -v crun >/dev/null || { echo "not installed"; return; }
    rm -f "$CRUN_BUNDLE_DIR/config.json" # crun spec writes no file over one
    mkdir -p "$CRUN_BUNDLE_DIR/rootfs/bin" && cp "$BUSYBOX" "$CRUN_BUNDLE_DIR/rootfs/bin/busybox" &&
        (cd "$CRUN_BUNDLE_DIR" && crun spec >/dev/null 2>&1) || { echo "crun spec failed"; return; }
    sed -i -e 's#"terminal": true#"terminal": false#' \
        -e "s#\"sh\"\$#\"/bin/busybox\", \"sh\", \"-c\", \"$PIPELINE\"#" "$CRUN_BUNDLE_DIR/config.json"
    local out
    out=$(unshare -m sh -c "mount -t cgroup2 none /sys/fs/cgroup && crun --cgroup-manager=disabled run --bundle $CRUN_BUNDLE_DIR ukmon-bench" 2>&1)
    [ "$out" = 19 ] || echo "$(echo "$out" | head -1)"
}

# gVisor's runsc (Debian's package runsc), the same bundle: its default platform
# (ptrace in Debian's 2022 release). Its KVM platform is not measured: here (nested
# KVM) the pipeline printed its answer but the sandbox never exited (30 s timeout).
runsc_problem() {
    command -v runsc >/dev/null || { echo "not installed (apt-get install runsc)"; return; }
    [ -f "$CRUN_BUNDLE_DIR/config.json" ] || { echo "no bundle (crun spec failed)"; return; }
    local out
    out=$(timeout 60 runsc --network=none run --bundle "$CRUN_BUNDLE_DIR" ukmon-bench-runsc 2>&1)
    runsc delete -force ukmon-bench-runsc >/dev/null 2>&1
    [ "$out" = 19 ] || echo "$(echo "$out" | head -1)"
}

bench_linux() {
    progress "linux: a system call of a static Linux program (getppid; a 1-byte write to /dev/null), host vs ukmon (answered in the guest, and with --syscall-exits)"
    for _ in $(seq "$ROUNDS"); do
        record host "$H/null_call" "$NULLS" linux_syscall
        record ukmon "$U" "$H/null_call" "$NULLS" linux_syscall
        record host "$H/null_call" "$NULLS" linux_syscall_exits
        record ukmon "$U" --syscall-exits "$H/null_call" "$NULLS" linux_syscall_exits
        record host "$H/null_call" "$NULLS" linux_devnull_write write
        record ukmon "$U" "$H/null_call" "$NULLS" linux_devnull_write write
    done
    progress "linux: pipes between Linux programs (rings in shared memory), host vs ukmon"
    for _ in $(seq "$ROUNDS"); do
        record host "$H/pipe_bench" pingpong "$PING" linux_pipe
        record ukmon "$U" "$H/pipe_bench" pingpong "$PING" linux_pipe
        for sz in 64 65536; do
            record host "$H/pipe_bench" throughput "$sz" "$PIPE_SMALL" linux_pipe
            record ukmon "$U" "$H/pipe_bench" throughput "$sz" "$PIPE_SMALL" linux_pipe
        done
    done
    # Line streaming through pipes, as `bc | bc`: 200,000 lines through four busybox
    # applets, each a VM, the pipes rings (the births are a small part of it).
    local bc="echo 'for(i=0;i<$((NULLS * 2));i++) i' | bc | sed 's/\$/*3/' | bc | tail -n1"
    progress "linux: bc | bc line streaming, $((NULLS * 2)) lines, x $ROUNDS"
    for _ in $(seq "$ROUNDS"); do
        record host "$H/runner" linux_bc_stream 3 1 "$BUSYBOX" sh -c "$bc"
        record ukmon "$H/runner" linux_bc_stream 3 1 "$U" "$BUSYBOX" sh -c "$bc"
    done
    local n=$((BOOT_N / 4 + 5)) why
    progress "linux: busybox sh -c '$PIPELINE' (4 processes), $n runs x $ROUNDS"
    why=$(crun_problem)
    [ -n "$why" ] && progress "linux: crun: unusable ($why)"
    local why_runsc
    why_runsc=$(runsc_problem)
    [ -n "$why_runsc" ] && progress "linux: runsc: unusable ($why_runsc)"
    for _ in $(seq "$ROUNDS"); do
        record host "$H/runner" busybox_pipeline "$n" 3 "$BUSYBOX" sh -c "$PIPELINE"
        record ukmon "$H/runner" busybox_pipeline "$n" 3 "$U" "$BUSYBOX" sh -c "$PIPELINE"
        [ -z "$why" ] && record crun unshare -m sh -c "mount -t cgroup2 none /sys/fs/cgroup &&
            exec $H/runner busybox_pipeline $n 3 $(command -v crun) --cgroup-manager=disabled run --bundle $CRUN_BUNDLE_DIR ukmon-bench"
        # runsc: fewer runs (~0.2 s each); run deletes its container at the end
        [ -z "$why_runsc" ] && record runsc "$H/runner" busybox_pipeline $((n / 3 + 2)) 1 \
            "$(command -v runsc)" --network=none run --bundle "$CRUN_BUNDLE_DIR" ukmon-bench-runsc
    done
    [ -n "$why" ] && echo "busybox_pipeline,crun,skipped,,," >>"$RAW"
    [ -n "$why_runsc" ] && echo "busybox_pipeline,runsc,skipped,,," >>"$RAW"
    busybox_private forked '(read x)'
    busybox_private execd 'grep x'
}

# Private host memory per busybox process of a shell that starts K of them in the
# background (subshells: forked; grep: exec'd), each waiting on stdin, on the host
# and under ukmon (each one a VM).
busybox_private() {
    local what=$1 cmd=$2 k=8 sys
    progress "linux: private memory per $what busybox process ($k at once)"
    for sys in host ukmon; do
        # The shell then blocks reading the same fifo: EOF (exec 9>&- below) ends them all.
        # (fd 3: a background job's stdin would be /dev/null.)
        local script="exec 3<&0; for i in $(seq -s ' ' $k); do $cmd <&3 & done; echo READY; read y"
        local pre=()
        [ "$sys" = ukmon ] && pre=("$U")
        rm -f "$RAW.in" "$RAW.sp"
        mkfifo "$RAW.in"
        "${pre[@]}" "$BUSYBOX" sh -c "$script" <"$RAW.in" >"$RAW.sp" 2>/dev/null &
        local job=$!
        exec 9>"$RAW.in"
        for _ in $(seq 200); do grep -q READY "$RAW.sp" 2>/dev/null && break; sleep 0.05; done
        sleep 0.5 # the last ones are still starting
        local kids kb
        kids=$(pgrep -P "$job" | paste -sd' ')
        # shellcheck disable=SC2086
        kb=$(private_kb $kids)
        local nk
        nk=$(echo "$kids" | wc -w)
        [ "$nk" -gt 0 ] && echo "busybox_private_$what,$sys,$((kb / nk)),$((kb / nk)),$((kb / nk)),KiB" >>"$RAW"
        exec 9>&-
        wait "$job" 2>/dev/null
    done
}

bench_files() {
    local d n=$((NULLS / 20))
    d=$(mktemp -d /tmp/ukmon-files.XXXXXX)
    head -c 4096 /dev/urandom >"$d/f"
    progress "files: open+read+close of a 4 KiB file, stat(): host vs a Linux program and a unikernel under --dir"
    for _ in $(seq "$ROUNDS"); do
        record host "$H/file_bench" "$d/f" "$n"
        record ukmon "$U" --dir "$d:/data" "$H/file_bench" /data/f "$n"
        record ukmon-unikernel "$U" --dir "$d:/data" "$G/file_bench.elf" /data/f "$n"
    done
    rm -rf "$d"
}

# wrk_result NAME URL: wrk's requests/s and latency percentiles as RESULT lines.
wrk_result() {
    local name=$1 url=$2 out
    out=$(wrk -t2 -c"$WRK_CONNS" -d"${WRK_SECS}s" --latency "$url") || return 1
    echo "$out" | awk -v n="$name" '
        function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1e6; return v }
        $1 == "50%" { p50 = us($2) } $1 == "99%" { p99 = us($2) }
        $1 == "Requests/sec:" { rps = $2 }
        $2 == "requests" && $3 == "in" { reqs = $1 }
        $1 == "Non-2xx" || $1 == "Socket" { bad = bad " " $0 }
        END {
            if (rps == "") exit 1
            printf "RESULT http_%s_rps %s %s %s req/s\n", n, rps, rps, rps
            printf "RESULT http_%s_latency_p50 %s %s %s us\n", n, p50, p50, p50
            printf "RESULT http_%s_latency_p99 %s %s %s us\n", n, p99, p99, p99
            printf "RESULT http_%s_requests %s %s %s count\n", n, reqs, reqs, reqs
            if (bad != "") print "wrk:" bad > "/dev/stderr"
        }'
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (5 s at most).
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# serve SYSTEM NAME PORT CMD...: starts the server CMD, measures it with wrk, stops it.
serve() {
    local sys=$1 name=$2 port=$3
    shift 3
    "$@" >/dev/null 2>"$RAW.srv" &
    local pid=$!
    if wait_port "$port"; then
        record "$sys" wrk_result "$name" "http://127.0.0.1:$port/index.html"
    else
        progress "net: $sys $name: nothing listens on $port: $(head -1 "$RAW.srv")"
    fi
    # crun: the server is pid 1 of its pid namespace, where SIGTERM is ignored
    if [ "$sys" = crun ]; then
        crun kill ukmon-httpd KILL 2>/dev/null
    else
        kill -TERM "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
}

# A container running busybox httpd in the host's network namespace, or why not.
crun_httpd_bundle() {
    local b=$CRUN_BUNDLE_DIR/httpd port=$1
    mkdir -p "$b/rootfs/bin" "$b/rootfs/www" && cp "$BUSYBOX" "$b/rootfs/bin/busybox" &&
        cp "$WWW/index.html" "$b/rootfs/www/" && (cd "$b" && crun spec >/dev/null 2>&1) || return 1
    sed -i -e 's#"terminal": true#"terminal": false#' \
        -e "s#\"sh\"\$#\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"127.0.0.1:$port\", \"-h\", \"/www\"#" "$b/config.json"
    sed -z -i 's#{[[:space:]]*"type": "network"[[:space:]]*},##' "$b/config.json" # the host's network
}

bench_net() {
    command -v wrk >/dev/null || { progress "net: wrk is not installed (scripts/install-deps.sh --bench)"; return; }
    local port=$((20000 + RANDOM % 20000)) why
    WWW=$(mktemp -d /tmp/ukmon-www.XXXXXX)
    head -c 512 /dev/zero | tr '\0' x >"$WWW/index.html"
    progress "net: wrk -c$WRK_CONNS -d${WRK_SECS}s on a 512-byte page: busybox httpd (a VM per connection) and the prefork example"
    why=$(crun_problem)
    [ -z "$why" ] && { crun_httpd_bundle "$((port + 2))" || why="crun spec failed"; }
    for _ in $(seq "$ROUNDS"); do
        serve host httpd "$port" "$BUSYBOX" httpd -f -p "127.0.0.1:$port" -h "$WWW"
        serve ukmon httpd "$((port + 1))" "$U" -p 1024 --dir "$WWW:/www" \
            --publish "127.0.0.1:$((port + 1)):80" "$BUSYBOX" httpd -f -p 80 -h /www
        if [ -z "$why" ]; then
            serve crun httpd "$((port + 2))" unshare -m sh -c "mount -t cgroup2 none /sys/fs/cgroup &&
                exec $(command -v crun) --cgroup-manager=disabled run --bundle $CRUN_BUNDLE_DIR/httpd ukmon-httpd"
            crun delete -f ukmon-httpd >/dev/null 2>&1
        fi
        serve host prefork "$((port + 3))" "$H/prefork" "$((port + 3))" 4
        serve ukmon prefork "$((port + 4))" "$U" --publish "127.0.0.1:$((port + 4)):8080" \
            "$B/examples/prefork.elf" 8080 4
        # A static Go net/http server (tests/go/, built by make tests where Go is): its
        # goroutines on the runtime's threads, which are vCPUs of one VM under ukmon.
        if [ -x "$B/tests/go/gotest" ]; then
            serve host go "$((port + 6))" "$B/tests/go/gotest" serve "127.0.0.1:$((port + 6))"
            serve ukmon go "$((port + 7))" "$U" --publish "127.0.0.1:$((port + 7)):8080" \
                "$B/tests/go/gotest" serve :8080
        fi
    done
    [ -n "$why" ] && { progress "net: crun: unusable ($why)"; echo "http_httpd_rps,crun,skipped,,," >>"$RAW"; }
    conn_breakdown "$((port + 5))"
    rm -rf "$WWW"
}

# Where one connection's time goes under ukmon: the --stats block of each connection's
# VM (its life from fork to exit, its exits, its time in KVM_RUN) over sequential
# fetches with curl; fork and teardown themselves are in the fork and spawn rows.
conn_breakdown() {
    local port=$1 n=$((WRK_SECS * 20))
    command -v curl >/dev/null || return
    "$U" -s --dir "$WWW:/www" --publish "127.0.0.1:$port:80" "$BUSYBOX" httpd -f -p 80 -h /www \
        >/dev/null 2>"$RAW.stats" &
    local pid=$!
    wait_port "$port" || { kill -KILL "$pid"; return; }
    local t0 t1
    t0=$(date +%s%N)
    for _ in $(seq "$n"); do curl -s -o /dev/null "http://127.0.0.1:$port/index.html"; done
    t1=$(date +%s%N)
    sleep 0.5
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null
    awk -v root="$pid" -v n="$n" -v wall="$(((t1 - t0) / 1000 / n))" '
        $3 == "pid" && $5 == "exits" && $4 != root ":" {
            split($6, a, "="); split($7, o, "="); split($10, t, "="); split($12, r, "=")
            k++; exits += a[2] + o[2]; total += t[2]; inrun += r[2]
        }
        END {
            if (!k) exit
            printf "http_conn_curl_wall,ukmon,%d,%d,%d,us\n", wall, wall, wall
            printf "http_conn_vm_life,ukmon,%d,%d,%d,us\n", total * 1000 / k, total * 1000 / k, total * 1000 / k
            printf "http_conn_vm_exits,ukmon,%d,%d,%d,count\n", exits / k, exits / k, exits / k
            printf "http_conn_vm_in_kvm_run,ukmon,%d,%d,%d,us\n", inrun * 1000 / k, inrun * 1000 / k, inrun * 1000 / k
        }' "$RAW.stats" >>"$RAW"
}

# Containers as people start them (seed 003's frame): podman runs the same three
# workloads with crun, gVisor's runsc and ukmon-runc as its OCI runtime, on the trees
# of scripts/containers-root.sh (--rootfs: no image). The baseline ("host") is the
# same command chrooted on the host, without podman. All with --network none and the
# same low rlimits (a runtime here may not raise podman's defaults: no
# CAP_SYS_RESOURCE). crun needs --cgroups=disabled in a mount namespace with a cgroup2
# hierarchy (the host's is hybrid); podman refuses --cgroups=disabled for runsc and
# ukmon-runc, which get podman's cgroupfs cgroup.
CT_BASH='n=0; for f in /etc/*; do n=$((n + 1)); done; echo "$n" | tr 0-9 a-j; seq 1 50 | grep 5 | sort -r | head -2 | wc -l'
bench_containers() {
    local RB D rt n=$((ROUNDS > 1 ? 8 : 3)) w
    command -v podman >/dev/null || { progress "containers: podman is not installed (scripts/install-deps.sh)"; echo "container_true,ukmon,skipped,,," >>"$RAW"; return; }
    scripts/containers-root.sh "$B" >&2
    RB=$(cd "$B/containers/busybox" 2>/dev/null && pwd -P)
    D=$(cd "$B/containers/debian" 2>/dev/null && pwd -P)
    [ -n "$RB" ] && [ -x "$D/bin/bash" ] || { progress "containers: no roots (scripts/containers-root.sh $B, as root)"; echo "container_true,ukmon,skipped,,," >>"$RAW"; return; }
    rt=$(cd "$B" && pwd -P)/ukmon-runc
    local -a names=(container_true container_busybox_pipeline container_bash_dynamic)
    local -a roots=("$RB" "$RB" "$D")
    local why_crun="" why_runsc=""
    command -v crun >/dev/null || why_crun="not installed"
    [ -z "$why_crun" ] && { unshare -m sh -c "mount -t cgroup2 none /sys/fs/cgroup && exec podman --runtime crun run --rm --network none \
        --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --cgroups=disabled --rootfs '$RB' /bin/true" \
        >/dev/null 2>"$RAW.ct" || why_crun=$(tail -1 "$RAW.ct"); }
    command -v runsc >/dev/null || why_runsc="not installed"
    [ -z "$why_runsc" ] && { podman --runtime "$(command -v runsc)" --runtime-flag network=none run --rm --network none \
        --rootfs "$RB" /bin/true >/dev/null 2>"$RAW.ct" || why_runsc=$(tail -1 "$RAW.ct"); }
    [ -n "$why_crun" ] && progress "containers: podman with crun: unusable ($why_crun)"
    [ -n "$why_runsc" ] && progress "containers: podman with runsc: unusable ($why_runsc)"
    progress "containers: podman run --rm of true, the busybox pipeline and a dynamic bash script: crun, runsc, ukmon-runc, $n runs x $ROUNDS"
    for _ in $(seq "$ROUNDS"); do
        for w in 0 1 2; do
            local c=()
            case $w in
                0) c=(/bin/true) ;;
                1) c=(/bin/sh -c "$PIPELINE") ;;
                2) c=(/bin/bash -c "$CT_BASH") ;;
            esac
            record host "$H/runner" "${names[$w]}" "$n" 1 /usr/sbin/chroot "${roots[$w]}" "${c[@]}"
            record ukmon "$H/runner" "${names[$w]}" "$n" 1 "$(command -v podman)" --runtime "$rt" run --rm --network none \
                --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --rootfs "${roots[$w]}" "${c[@]}"
            [ -z "$why_crun" ] && record crun unshare -m sh -c "mount -t cgroup2 none /sys/fs/cgroup && exec \"\$@\"" sh \
                "$H/runner" "${names[$w]}" "$n" 1 "$(command -v podman)" --runtime "$(command -v crun)" run --rm --network none \
                --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --cgroups=disabled --rootfs "${roots[$w]}" "${c[@]}"
            [ -z "$why_runsc" ] && record runsc "$H/runner" "${names[$w]}" "$n" 1 "$(command -v podman)" \
                --runtime "$(command -v runsc)" --runtime-flag network=none run --rm --network none \
                --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --rootfs "${roots[$w]}" "${c[@]}"
        done
    done
    for w in 0 1 2; do
        [ -n "$why_crun" ] && echo "${names[$w]},crun,skipped,,," >>"$RAW"
        [ -n "$why_runsc" ] && echo "${names[$w]},runsc,skipped,,," >>"$RAW"
    done
}

# Real-world programs (tests/realworld/: Debian's sources, built static by make
# realworld-build into $B/realworld/bin/), each run on the host and under ukmon in the
# same round. A workload ukmon cannot run today is tried once, with a time limit, and
# listed as not measured, with why.
RWB=$B/realworld/bin
RWT=tests/realworld
rw_fail() { echo "$1,ukmon,skipped,,," >>"$RAW"; echo "$1: $2" >>"$RAW.rwfailed"; progress "realworld: $1: ukmon: $2"; }

# rw_try LIMIT CMD...: CMD once, with a time limit, in a pid namespace (as root), so
# that a hang ends with the whole tree; true when it exits 0. RW_WHY: why not.
rw_try() {
    local t=$1 pre=()
    shift
    [ "$(id -u)" = 0 ] && pre=(unshare -p -f --kill-child=SIGKILL)
    timeout -k 5 "$t" "${pre[@]}" "$@" >/dev/null 2>"$RAW.rwerr"
    local rc=$?
    RW_WHY=""
    [ "$rc" = 0 ] && return 0
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then RW_WHY="hangs (killed after $t s)"
    else RW_WHY="exit $rc: $(grep -m1 . "$RAW.rwerr" | cut -c1-100)"; fi
    return 1
}

# rw_ms NAME N W CMD...: runner, its figures in milliseconds (these workloads take seconds).
rw_ms() {
    (set -o pipefail
     "$H/runner" "$@" | awk '$1 == "RESULT" { printf "RESULT %s %.1f %.1f %.1f ms\n", $2, $3 / 1000, $4 / 1000, $5 / 1000; next } { print }')
}

# rw_pair NAME N LIMIT HOSTCMD -- UKMONARGS: N timed runs (after one warm-up) of the
# workload on the host, then under ukmon (ukmon UKMONARGS), each round; ukmon is first
# tried once with a time limit.
rw_pair() {
    local name=$1 n=$2 t=$3 host=() guest=() ok=1
    shift 3
    while [ "$1" != -- ]; do host+=("$1"); shift; done
    shift
    guest=("$@")
    rw_try "$t" "$U" "${guest[@]}" || { rw_fail "$name" "$RW_WHY"; ok=""; }
    for _ in $(seq "$ROUNDS"); do
        record host rw_ms "$name" "$n" 1 "${host[@]}"
        [ -n "$ok" ] && record ukmon rw_ms "$name" "$n" 1 "$U" "${guest[@]}"
    done
}

# rw_free_ports: a port P such that P and P+1 are not in use (below the ephemeral
# range, where a client's connection can hold one).
rw_free_ports() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000))
        ss -Htan "( sport = :$p or sport = :$((p + 1)) )" | grep -q . || { echo "$p"; return; }
    done
}

# rw_serve NAME PORT CMD...: the server CMD (on the host, or "$U ..." for ukmon) under
# wrk, as bench_net does; a server that does not listen is listed as not measured.
rw_serve() {
    local sys=$1 name=$2 port=$3 pre=()
    shift 3
    [ "$(id -u)" = 0 ] && pre=(unshare -p -f --kill-child=SIGKILL)
    "${pre[@]}" "$@" </dev/null >/dev/null 2>"$RAW.srv" &
    local pid=$!
    if wait_port "$port"; then
        record "$sys" wrk_result "$name" "http://127.0.0.1:$port/index.html" ||
            [ "$sys" != ukmon ] || rw_fail "http_${name}_rps" "wrk measured nothing"
    elif [ "$sys" = ukmon ]; then
        rw_fail "http_${name}_rps" "does not listen: $(grep -m1 -E 'emerg|alert|error|ukmon:' "$RAW.srv" | cut -c1-100)"
    else
        progress "realworld: host $name: nothing listens on $port: $(head -1 "$RAW.srv")"
    fi
    local kid
    kid=$(pgrep -P "$pid" | head -1)
    [ -n "$kid" ] && [ -n "${pre[*]}" ] && kill -TERM "$kid" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

bench_realworld() {
    local p need="sqlite3 make make-fork nginx lighttpd"
    for p in $need; do
        [ -x "$RWB/$p" ] || { progress "realworld: $RWB/$p is not built (make realworld-build): skipped"; echo "realworld,ukmon,skipped,,," >>"$RAW"; return; }
    done
    local d n
    d=$(mktemp -d /tmp/ukmon-realworld.XXXXXX)
    # The programs, busybox and its applets, bash-static: one folder granted read-only at
    # its own path, and PATH on both sides.
    mkdir -p "$d/bin" "$d/w"
    cp "$BUSYBOX" "$d/bin/busybox"
    for p in $("$BUSYBOX" --list); do [ "$p" = busybox ] || ln -s busybox "$d/bin/$p"; done
    cp /bin/bash-static "$d/bin/bash"
    for p in $need; do cp "$RWB/$p" "$d/bin/"; done
    cp bench/realworld/pipelines.bash "$RWT/make-tree.sh" "$d/bin/"
    sed 's/__ROWS__/100000/g' "$RWT/sqlite3-workload.sql" >"$d/bin/workload.sql"
    mkdir -p "$d/w/tmp"
    local g=(--mem 512M --dir "$d/bin" --dir "$d/w:rw" --dir "$d/w/tmp:/tmp:rw" -e PATH="$d/bin" -e TMPDIR=/tmp)
    n=$((ROUNDS > 1 ? 5 : 3))

    progress "realworld: bash-static, 100 small pipelines of busybox applets (a VM per process), $n runs x $ROUNDS"
    rw_pair realworld_pipelines "$n" 120 /usr/bin/env -i PATH="$d/bin" "$d/bin/bash" "$d/bin/pipelines.bash" -- \
        "${g[@]}" "$d/bin/bash" "$d/bin/pipelines.bash"

    progress "realworld: sqlite3, 100k rows, two indexes, queries: a file database and :memory:, $n runs x $ROUNDS"
    # (busybox sh by name: ukmon gives a program started through a link in a granted
    # folder the argv[0] of the link's target, so the sh link would run "busybox -c")
    local sq="rm -f $d/w/db $d/w/db-journal && exec sqlite3 -bail"
    rw_pair realworld_sqlite3_file "$n" 120 /usr/bin/env -i PATH="$d/bin" "$d/bin/busybox" sh -c "$sq $d/w/db '.read $d/bin/workload.sql'" -- \
        "${g[@]}" "$d/bin/busybox" sh -c "$sq $d/w/db '.read $d/bin/workload.sql'"
    rw_pair realworld_sqlite3_memory "$n" 120 /usr/bin/env -i PATH="$d/bin" "$d/bin/sqlite3" -bail :memory: ".read $d/bin/workload.sql" -- \
        "${g[@]}" "$d/bin/sqlite3" -bail :memory: ".read $d/bin/workload.sql"

    progress "realworld: GNU make of a 40-file tree: Debian's make -j2, make-fork (fork+exec) -j2 and -j1, $n runs x $ROUNDS"
    env -i PATH="$d/bin" "$d/bin/sh" "$d/bin/make-tree.sh" "$d/w/tree" 40
    local mk
    for mk in "make -j2" "make-fork -j2" "make-fork -j1"; do
        local name=realworld_${mk// -/_}
        name=${name//-/_}
        local cmd="${mk%% *} -s -C $d/w/tree SHELL=$d/bin/sh clean >/dev/null && ${mk%% *} -s ${mk#* } -C $d/w/tree SHELL=$d/bin/sh"
        rw_pair "$name" "$n" 60 /usr/bin/env -i PATH="$d/bin" "$d/bin/busybox" sh -c "$cmd" -- "${g[@]}" "$d/bin/busybox" sh -c "$cmd"
    done

    command -v wrk >/dev/null || { progress "realworld: wrk is not installed"; rm -rf "$d"; return; }
    local port sys w
    progress "realworld: wrk -t2 -c$WRK_CONNS -d${WRK_SECS}s: nginx (master + 2 workers) and lighttpd, host vs ukmon, x $ROUNDS"
    for sys in host ukmon; do
        w=$d/w/$sys
        mkdir -p "$w/www" "$w/tmp" "$w/logs"
        head -c 512 /dev/zero | tr '\0' x >"$w/www/index.html"
    done
    for _ in $(seq "$ROUNDS"); do
        for sys in host ukmon; do
            w=$d/w/$sys
            port=$(rw_free_ports)
            sed -e "s|@W@|$w|g" -e "s|@P@|$port|g" -e 's|@MASTER@|on|' "$RWT/nginx.conf.in" >"$w/nginx.conf"
            sed -e "s|@W@|$w|g" -e "s|@P@|$((port + 1))|g" "$RWT/lighttpd.conf.in" >"$w/lighttpd.conf"
            if [ "$sys" = host ]; then
                rw_serve host nginx "$port" "$d/bin/nginx" -p "$w" -c "$w/nginx.conf"
                rw_serve host lighttpd "$((port + 1))" "$d/bin/lighttpd" -D -f "$w/lighttpd.conf"
            else
                rw_serve ukmon nginx "$port" "$U" "${g[@]}" --dir "$w:rw" --publish "127.0.0.1:$port:$port" \
                    "$d/bin/nginx" -p "$w" -c "$w/nginx.conf"
                rw_serve ukmon lighttpd "$((port + 1))" "$U" "${g[@]}" --dir "$w:rw" \
                    --publish "127.0.0.1:$((port + 1)):$((port + 1))" "$d/bin/lighttpd" -D -f "$w/lighttpd.conf"
            fi
        done
    done
    rm -rf "$d"
}

# Issue 21's goals, measured together: each round runs every pair (host first, then
# ukmon, then the container runtimes) so that all see the same noise. Figures land in
# the usual CSVs; goals.md compares the medians with the goals.
bench_birth() {
    local n=$((BOOT_N / 4 + 5)) why why_runsc d port=$((20000 + RANDOM % 12000))
    why=$(crun_problem)
    [ -n "$why" ] && progress "birth: crun: unusable ($why)"
    why_runsc=$(runsc_problem)
    [ -n "$why_runsc" ] && progress "birth: runsc: unusable ($why_runsc)"
    d=$(mktemp -d /tmp/ukmon-birth.XXXXXX)
    mkdir -p "$d/bin"
    cp "$BUSYBOX" "$d/bin/busybox"
    for p in $("$BUSYBOX" --list); do [ "$p" = busybox ] || ln -s busybox "$d/bin/$p"; done
    cp /bin/bash-static "$d/bin/bash" 2>/dev/null
    cp bench/realworld/pipelines.bash "$d/bin/"
    WWW=$d/www
    mkdir -p "$WWW"
    head -c 512 /dev/zero | tr '\0' x >"$WWW/index.html"
    [ -z "$why" ] && { crun_httpd_bundle "$((port + 2))" || why="crun spec failed"; }
    progress "birth: hello (unikernel, Linux), fork 16 MiB, busybox pipeline, bash's 100 pipelines, httpd: x $ROUNDS"
    for _ in $(seq "$ROUNDS"); do
        record host "$H/runner" boot_hello "$BOOT_N" 5 "$H/hello"
        record ukmon "$H/runner" boot_hello "$BOOT_N" 5 "$U" "$G/hello.elf"
        record ukmon-linux "$H/runner" boot_hello "$BOOT_N" 5 "$U" "$H/hello"
        record host "$H/fork_bench" 16 "$FORK_IT"
        record ukmon "$U" --mem 96M "$G/fork_bench.elf" 16 "$FORK_IT"
        record host "$H/runner" busybox_pipeline "$n" 3 "$BUSYBOX" sh -c "$PIPELINE"
        record ukmon "$H/runner" busybox_pipeline "$n" 3 "$U" "$BUSYBOX" sh -c "$PIPELINE"
        [ -z "$why" ] && record crun sh -c "unshare -m sh -c 'mount -t cgroup2 none /sys/fs/cgroup &&
            exec $H/runner busybox_pipeline $n 3 $(command -v crun) --cgroup-manager=disabled run --bundle $CRUN_BUNDLE_DIR ukmon-bench'"
        [ -z "$why_runsc" ] && record runsc "$H/runner" busybox_pipeline $((n / 3 + 2)) 1 \
            "$(command -v runsc)" --network=none run --bundle "$CRUN_BUNDLE_DIR" ukmon-bench-runsc
        if [ -x "$d/bin/bash" ]; then
            record host rw_ms realworld_pipelines 5 1 /usr/bin/env -i PATH="$d/bin" "$d/bin/bash" "$d/bin/pipelines.bash"
            record ukmon rw_ms realworld_pipelines 5 1 "$U" --mem 512M --dir "$d/bin" -e PATH="$d/bin" \
                "$d/bin/bash" "$d/bin/pipelines.bash"
        fi
        serve host httpd "$port" "$BUSYBOX" httpd -f -p "127.0.0.1:$port" -h "$WWW"
        serve ukmon httpd "$((port + 1))" "$U" -p 1024 --dir "$WWW:/www" \
            --publish "127.0.0.1:$((port + 1)):80" "$BUSYBOX" httpd -f -p 80 -h /www
        if [ -z "$why" ]; then
            serve crun httpd "$((port + 2))" unshare -m sh -c "mount -t cgroup2 none /sys/fs/cgroup &&
                exec $(command -v crun) --cgroup-manager=disabled run --bundle $CRUN_BUNDLE_DIR/httpd ukmon-httpd"
            crun delete -f ukmon-httpd >/dev/null 2>&1
        fi
    done
    busybox_private forked '(read x)'
    busybox_private execd 'grep x'
    rm -rf "$d"
    BIRTH_GOALS=1
}

# goals.md: issue 21's goals against the medians of this run's all.csv.
birth_goals() {
    awk -F, '
        { m[$1 "," $2] = $4; lo[$1 "," $2] = $3 }
        function row(goal, what, a, b, limit, higher,    r, ok) {
            if (m[a] == "" || m[b] == "") { printf "| %s | %s | not measured | |\n", goal, what; return }
            r = m[a] / m[b]
            ok = higher ? r >= limit : r <= limit
            printf "| %s | %s: %s vs %s (min %s vs %s) | %.2fx | %s |\n", goal, what, m[a], m[b], lo[a], lo[b], r,
                ok ? "met" : "not met"
        }
        END {
            print "| goal | median (min), ukmon vs peer | ratio | |"
            print "| --- | --- | ---: | --- |"
            row("unikernel hello <= 3x host", "µs", "boot_hello,ukmon", "boot_hello,host", 3, 0)
            row("Linux static hello <= 4x host", "µs", "boot_hello,ukmon-linux", "boot_hello,host", 4, 0)
            row("fork+exit+waitpid, 16 MiB <= 1.5x host", "µs", "fork_roundtrip_16MiB,ukmon", "fork_roundtrip_16MiB,host", 1.5, 0)
            row("busybox pipeline <= crun", "µs", "busybox_pipeline,ukmon", "busybox_pipeline,crun", 1, 0)
            row("(busybox pipeline vs runsc)", "µs", "busybox_pipeline,ukmon", "busybox_pipeline,runsc", 1, 0)
            row("(busybox pipeline vs host)", "µs", "busybox_pipeline,ukmon", "busybox_pipeline,host", 1, 0)
            row("bash, 100 pipelines <= 5x host", "ms", "realworld_pipelines,ukmon", "realworld_pipelines,host", 5, 0)
            row("httpd, VM per connection >= 0.5x crun req/s", "req/s", "http_httpd_rps,ukmon", "http_httpd_rps,crun", 0.5, 1)
            row("(httpd vs host processes)", "req/s", "http_httpd_rps,ukmon", "http_httpd_rps,host", 0.5, 1)
            printf "\nPrivate memory per busybox process (KiB, ukmon vs host): forked %s vs %s, exec'"'"'d %s vs %s (each waiting in read)\n",
                m["busybox_private_forked,ukmon"], m["busybox_private_forked,host"],
                m["busybox_private_execd,ukmon"], m["busybox_private_execd,host"]
        }' "$OUT/all.csv" >"$OUT/goals.md"
}

bench_threads() {
    local n=$((PING / 10 + 100))
    progress "threads: pthread_create+join, and a futex ping-pong between two threads, host vs ukmon (a thread is a vCPU)"
    for _ in $(seq "$ROUNDS"); do
        record host "$H/thread_bench" create "$n"
        record ukmon "$U" "$H/thread_bench" create "$n"
        record host "$H/thread_bench" pingpong "$PING"
        record ukmon "$U" "$H/thread_bench" pingpong "$PING"
    done
}

# BENCH_ONLY="files net" (environment) runs only those; results of a partial run
# replace the files they write, so keep it to quick mode.
for b in ${BENCH_ONLY:-boot fork spawn pipe signal null compute linux threads files net realworld containers}; do
    [ "$(type -t "bench_$b")" = function ] || { echo "bench: no benchmark '$b'" >&2; exit 2; }
    "bench_$b"
done

# Per benchmark and system: the median over rounds of min, median and p90.
grep -v ',skipped,' "$RAW" | sort -t, -k1,1 -k2,2 | awk -F, '
    function median_of(c,    i, j, t, n2) {  # insertion sort of column c (plain awk)
        n2 = 0
        for (i = 1; i <= n; i++) { split(v[i], f, " "); col[++n2] = f[c] + 0 }
        for (i = 2; i <= n2; i++) { t = col[i]; for (j = i - 1; j >= 1 && col[j] > t; j--) col[j + 1] = col[j]; col[j + 1] = t }
        return col[int((n2 + 1) / 2)]
    }
    function flush() {
        if (key == "") return
        n = split(vals, v, ";")
        print key "," median_of(1) "," median_of(2) "," median_of(3) "," unit
    }
    { k = $1 "," $2
      if (k != key) { flush(); key = k; vals = ""; unit = $6 }
      vals = vals (vals == "" ? "" : ";") $3 " " $4 " " $5 }
    END { flush() }' >"$RAW.agg"

{
    echo "benchmark,system,min,median,p90,unit"
    cat "$RAW.agg"
} >"$OUT/all.csv"
for b in boot fork spawn teardown private pipe signal null compute linux thread busybox file http realworld container; do
    { echo "benchmark,system,min,median,p90,unit"; grep "^$b" "$RAW.agg"; } >"$OUT/$b.csv"
done
[ -n "${BIRTH_GOALS:-}" ] && birth_goals && cat "$OUT/goals.md"

virt="bare metal"
grep -qw hypervisor /proc/cpuinfo && virt="inside a VM (nested KVM: VM exits and VM creation cost more than on bare metal)"
[ -n "$EMULATED" ] && virt="$EMULATED (QEMU/TCG software emulation with nested SVM, not KVM hardware)"
{
    echo "# ukmon benchmark results${EMULATED:+ ($EMULATED)}"
    echo
    echo "Mode: $MODE; $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); kernel $(uname -r); $virt."
    echo "Every ukmon figure has a host-process baseline measured in the same run (interleaved)."
    echo "Times in microseconds unless the unit says otherwise; ratio = ukmon median / host median."
    echo
    echo "| benchmark | host median | ukmon median | ratio | ukmon min | ukmon p90 | unit |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    awk -F, '
        { v[$1 "," $2] = $0; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
        END {
            for (i = 1; i <= n; i++) {
                b = order[i]
                split(v[b ",host"], h, ","); split(v[b ",ukmon"], u, ",")
                if (u[4] == "" && h[4] != "") {   # ukmon could not run it (realworld)
                    printf "| %s | %s | not measured | - | - | - | %s |\n", b, h[4], h[6]
                    continue
                }
                if (u[4] == "") continue
                ratio = (h[4] != "" && h[4] > 0) ? sprintf("%.2f", u[4] / h[4]) : "-"
                printf "| %s | %s | %s | %s | %s | %s | %s |\n", b, (h[4] == "" ? "-" : h[4]), u[4], ratio, u[3], u[5], u[6]
                if (v[b ",crun"] != "") {
                    split(v[b ",crun"], t, ",")
                    ratio = (h[4] > 0) ? sprintf("%.2f", t[4] / h[4]) : "-"
                    printf "| %s (crun) | %s | %s | %s | %s | %s | %s |\n", b, h[4], t[4], ratio, t[3], t[5], t[6]
                }
                if (v[b ",runsc"] != "" && v[b ",runsc"] !~ /skipped/) {
                    split(v[b ",runsc"], t, ",")
                    ratio = (h[4] > 0) ? sprintf("%.2f", t[4] / h[4]) : "-"
                    printf "| %s (runsc) | %s | %s | %s | %s | %s | %s |\n", b, h[4], t[4], ratio, t[3], t[5], t[6]
                }
                if (v[b ",host-thp"] != "") {
                    split(v[b ",host-thp"], t, ",")
                    printf "| %s (host with THP, as ukmon) | %s | %s | %s | %s | %s | %s |\n", b, t[4], u[4], (t[4] > 0) ? sprintf("%.2f", u[4] / t[4]) : "-", u[3], u[5], u[6]
                }
                if (v[b ",ukmon-unikernel"] != "") {
                    split(v[b ",ukmon-unikernel"], t, ",")
                    ratio = (h[4] > 0) ? sprintf("%.2f", t[4] / h[4]) : "-"
                    printf "| %s (unikernel on guest/) | %s | %s | %s | %s | %s | %s |\n", b, h[4], t[4], ratio, t[3], t[5], t[6]
                }
                if (v[b ",ukmon-4k"] != "") {
                    split(v[b ",ukmon-4k"], t, ",")
                    ratio = (h[4] > 0) ? sprintf("%.2f", t[4] / h[4]) : "-"
                    printf "| %s (--no-hugepages) | %s | %s | %s | %s | %s | %s |\n", b, h[4], t[4], ratio, t[3], t[5], t[6]
                }
            }
        }' "$RAW.agg"
    echo
    awk -F, '$1 == "linux_syscall" && $2 == "ukmon" { l = $4 } $1 == "null_call" && $2 == "ukmon" { h = $4 }
        END { if (l && h) printf "A Linux system call costs %.2fx a native hypercall (%s us against %s us).\n\n", l / h, l, h }' "$RAW.agg"
    [ -s "$RAW.rwfailed" ] && { echo "Not measured under ukmon (it cannot run them yet):"; sed 's/^/- /' "$RAW.rwfailed" | sort -u; echo; }
    echo "Peers skipped (not named, or not usable here): $(grep -h ',skipped' "$RAW" | grep -v ',ukmon,' | awk -F, '{print $2 " for " $1}' | sort -u | paste -sd';' -)"
} >"$OUT/summary.md"

if command -v gnuplot >/dev/null; then
    for sys in host ukmon ukmon-4k; do
        grep -E "^fork_(roundtrip|child_first)_[0-9]+MiB,$sys," "$RAW.agg" |
            sed -E 's/^fork_([a-z_]+)_([0-9]+)MiB,[^,]*,([^,]*),([^,]*),.*/\1 \2 \4/' | sort -k1,1 -k2,2n >"$RAW.fork.$sys"
        grep -E "^pipe_throughput_[0-9]+,$sys," "$RAW.agg" |
            sed -E 's/^pipe_throughput_([0-9]+),[^,]*,([^,]*),([^,]*),.*/\1 \3/' | sort -n >"$RAW.pipe.$sys"
    done
    gnuplot <<GP 2>/dev/null
set terminal png size 900,520
set output "$OUT/fork.png"
set title "fork latency against touched memory (median)${EMULATED:+ - $EMULATED}"
set xlabel "MiB touched before fork"
set ylabel "microseconds (log scale)"
set logscale x 2
set logscale y 10
set key left top
plot "< grep roundtrip $RAW.fork.host" using 2:3 with linespoints title "host fork+exit+wait", \
     "< grep roundtrip $RAW.fork.ukmon" using 2:3 with linespoints title "ukmon fork+exit+wait", \
     "< grep roundtrip $RAW.fork.ukmon-4k" using 2:3 with linespoints title "ukmon --no-hugepages fork+exit+wait", \
     "< grep child_first $RAW.fork.host" using 2:3 with linespoints title "host: child running", \
     "< grep child_first $RAW.fork.ukmon" using 2:3 with linespoints title "ukmon: child's first instruction"
set output "$OUT/pipe.png"
set title "pipe throughput between two processes / two VMs${EMULATED:+ - $EMULATED}"
set xlabel "bytes per write"
set ylabel "MiB/s"
set logscale x 2
plot "$RAW.pipe.host" using 1:2 with linespoints title "host processes", \
     "$RAW.pipe.ukmon" using 1:2 with linespoints title "ukmon VMs"
GP
fi
# HTTP: requests/s and latency per server and system (from all.csv: any run with net).
http_plot() {
    local csv=$1 png=$2 label=$3 data
    data=$(mktemp /tmp/ukmon-http.XXXXXX)
    awk -F, '$1 ~ /^http_(httpd|prefork)_(rps|latency_p50|latency_p99)$/ {
            split($1, n, "_"); srv = n[2]; what = $1; sub(/^http_[a-z]+_/, "", what)
            v[srv "/" $2, what] = $4; if (!((srv "/" $2) in seen)) { seen[srv "/" $2] = 1; order[++k] = srv "/" $2 } }
        END { for (i = 1; i <= k; i++) { o = order[i]; printf "%s %s %s %s\n", o, v[o, "rps"], v[o, "latency_p50"] / 1000, v[o, "latency_p99"] / 1000 } }' \
        "$csv" | sort >"$data"
    [ -s "$data" ] || { rm -f "$data"; return; }
    gnuplot <<GP 2>/dev/null
set terminal png size 1000,460
set output "$png"
set multiplot layout 1,2 title "wrk -t2 -c8 on a 512-byte page: busybox httpd (ukmon: a VM per connection) and examples/prefork${label:+ - $label}"
set style data histograms
set style fill solid 0.7
set boxwidth 0.8
set logscale y
set xtics rotate by -30
set grid ytics
set ylabel "requests/s (log scale)"
plot "$data" using 2:xtic(1) notitle
set ylabel "latency, ms (log scale)"
plot "$data" using 3:xtic(1) title "p50", "" using 4 title "p99"
unset multiplot
GP
    rm -f "$data"
}
command -v gnuplot >/dev/null && http_plot "$OUT/all.csv" "$OUT/http.png" "$EMULATED"

progress "done: $OUT/summary.md"
cat "$OUT/summary.md"
