#!/usr/bin/env bash
# bench/profile.sh: where the time goes, for bench/README.md's "Where the time goes".
#
#   bench/profile.sh [PART...]      parts: floor calls birth counts (default: all)
#   N=2000 R=15 bench/profile.sh    calls per probe (N), repetitions per VM birth (R)
#
# floor   build/bench/host/kvm_probe: /dev/kvm with a VM of its own, no libukmon: one
#         exit and its legs, SYSCALL, ioeventfd, capabilities, VM birth step by step,
#         first touches of guest pages.
# calls   one call N times (bench/src/syscall_probe.c) on the host, and under a
#         UKMON_PROFILE monitor (build-profile/, see monitor/profile.h), which splits
#         each exit: guest -> KVM_RUN's return, dispatch, handler (io_uring submit and
#         wait, signal masks), the rest, KVM_RUN's call -> guest.
# birth   R runs each of: hello as a unikernel and as a Linux program, busybox exec'ing
#         busybox, fork+exit+waitpid with 16 MiB touched (unikernel); median time of
#         each phase mark between the previous one and it.
# counts  ukmon --stats of real workloads: exits and system calls, summed over VMs.
#
# Output: on stdout and in bench/results/profile/ (not committed): raw files and
# report.txt. Read the numbers beside each other, from one run: this machine's
# backend (kvm-pvm) moves by the hour with the host's load.
set -u
cd "$(dirname "$0")/.."
N=${N:-2000}
R=${R:-15}
B=build
P=build-profile
OUT=bench/results/profile
PARTS=${*:-floor calls birth counts}
mkdir -p "$OUT"
REPORT=$OUT/report.txt
: >"$REPORT"

say() { echo "$*" | tee -a "$REPORT"; }
want() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

make -s -j2 all bench-build >/dev/null || exit 1
make -s -j2 B=$P CFLAGS="-O2 -g -DUKMON_PROFILE" monitor >/dev/null || exit 1
H=$B/bench/host
G=$B/bench/guest
say "# bench/profile.sh on $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

# Medians of "KEY<TAB>VALUE" lines, keys in order of first appearance: KEY n=... median.
medians() {
    awk -F'\t' '{ if (!($1 in seen)) { seen[$1] = ++k; key[k] = $1 } print seen[$1] "\t" $2 }' |
        sort -t$'\t' -k1,1n -k2,2g |
        awk -F'\t' -v keys="$1" '
            BEGIN { while ((getline line < keys) > 0) { split(line, a, "\t"); name[a[1]] = a[2] } }
            { v[$1, ++n[$1]] = $2; if ($1 > max) max = $1 }
            END { for (i = 1; i <= max; i++) if (n[i]) printf "  %-58s n=%-4d %10.1f\n", name[i], n[i], v[i, int((n[i] + 1) / 2)] }'
}

# medians with the key table it needs, from KEY<TAB>VALUE on stdin.
median_table() {
    local tmp keys
    tmp=$(mktemp) keys=$(mktemp)
    cat >"$tmp"
    awk -F'\t' '!($1 in s) { s[$1] = ++k; print k "\t" $1 }' "$tmp" >"$keys"
    medians "$keys" <"$tmp"
    rm -f "$tmp" "$keys"
}

if want floor; then
    say ""
    say "## floor: kvm_probe (one VM on /dev/kvm, no monitor)"
    $H/kvm_probe -n "$N" | tee "$OUT/floor.txt" >>"$REPORT"
    cat "$OUT/floor.txt"
fi

# The line of call NAME of the first VM of the run (the root: its parent is no VM).
prof_call() {
    awk -v c="$2" '$3 == "begin" { split($4, kv, "="); parent[$2] = kv[2] }
                   $3 == "call" && $4 == c { line[$2] = $0 }
                   END { for (p in line) if (!(parent[p] in parent)) print line[p] }' "$1"
}
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

if want calls; then
    say ""
    say "## calls: one call N=$N times; guest-seen median, and the monitor's split (medians, us)"
    data=$(mktemp -d)
    head -c 4096 /dev/urandom >"$data/4k"
    printf '  %-12s %8s %8s | %9s %8s %8s %8s %8s %8s %8s %9s\n' call host ukmon exit_leg dispatch \
        handler submit wait sigmask post entry_leg | tee -a "$REPORT"
    for mode in getppid write_null pread4k pingpong null; do
        case $mode in
        pread4k) args=("$data/4k") dir=(--dir "$data") ;;
        *) args=() dir=() ;;
        esac
        if [ $mode = null ]; then
            host=$($H/null_call "$N" | awk '{print $4}')
            prog=("$G/syscall_probe.elf")
        else
            host=$($H/syscall_probe $mode "$N" "${args[@]}" | awk '{print $4}')
            prog=("$H/syscall_probe")
        fi
        f=$OUT/calls-$mode.prof
        rm -f "$f"
        vm=$(UKMON_PROFILE=$f $P/ukmon "${dir[@]}" "${prog[@]}" $mode "$N" "${args[@]}" | awk '{print $4}')
        case $mode in
        getppid) calls=getppid ;;
        write_null) calls=write ;;
        pread4k) calls=pread64 ;;
        pingpong) calls="write read" ;;
        null) calls=null ;;
        esac
        for c in $calls; do
            line=$(prof_call "$f" $c)
            printf '  %-12s %8s %8s | %9s %8s %8s %8s %8s %8s %8s %9s\n' "$mode:$c" "$host" "$vm" \
                "$(field "$line" exit_leg)" "$(field "$line" dispatch)" "$(field "$line" handler)" \
                "$(field "$line" uring_submit)" "$(field "$line" uring_wait)" \
                "$(field "$line" sigmask)" "$(field "$line" post)" "$(field "$line" entry_leg)" |
                tee -a "$REPORT"
            host="" vm=""
        done
    done
    say "  (pingpong: host and ukmon are the round trip; the rows are the parent's write and read."
    say "   Its child's rows, and every other call of each run, are in $OUT/calls-*.prof.)"
    say "  pingpong with both VMs on one CPU (taskset -c 0): $(taskset -c 0 $B/ukmon $H/syscall_probe pingpong "$N" | awk '{print $4}') us"
    rm -rf "$data"
fi

# Phase marks of every process in a profile file, as KEY<TAB>VALUE (bench/profile_marks.awk).
marks() { awk -f bench/profile_marks.awk "$1"; }

if want birth; then
    say ""
    say "## birth: phase marks, median us since the previous mark, R=$R runs each"
    rt=$(mktemp -d)
    cp /bin/busybox "$rt/busybox"
    run_birth() { # NAME COMMAND...
        local name=$1 f=$OUT/birth-$1.prof
        shift
        rm -f "$f"
        for _ in $(seq "$R"); do UKMON_PROFILE=$f "$@" >/dev/null 2>&1; done
        say ""
        say "### $name: $*"
        marks "$f" | median_table | tee -a "$REPORT"
    }
    run_birth hello_unikernel $P/ukmon $G/hello.elf
    run_birth hello_linux $P/ukmon $H/hello
    run_birth exec_busybox $P/ukmon --dir "$rt" "$rt/busybox" sh -c "exec $rt/busybox true"
    run_birth fork_16MiB $P/ukmon --mem 96M $G/fork_bench.elf 16 3
    say ""
    say "### wall time, normal build (runner: spawn to exit; fork_bench: its own clock)"
    { $H/runner ukmon_version_process_floor "$R" 3 $B/ukmon --version
      $H/runner boot_hello_unikernel "$R" 3 $B/ukmon $G/hello.elf
      $H/runner boot_hello_linux "$R" 3 $B/ukmon $H/hello
      $H/runner boot_hello_host "$R" 3 $H/hello
      $H/runner exec_busybox "$R" 3 $B/ukmon --dir "$rt" "$rt/busybox" sh -c "exec $rt/busybox true"
      $H/runner exec_busybox_host "$R" 3 "$rt/busybox" sh -c "exec $rt/busybox true"
      $B/ukmon --mem 96M $G/fork_bench.elf 16 "$R"
      $H/fork_bench 16 "$R"; } 2>&1 | sed 's/^/  /' | tee -a "$REPORT"
    if perf stat -e kvm:kvm_userspace_exit true >/dev/null 2>&1; then
        say ""
        say "### KVM events of one run (perf stat): exits to user space, MMU work, emulated instructions"
        for cmd in "$G/hello.elf" "$H/hello" "--mem 96M $G/fork_bench.elf 16 1"; do
            ev=$(perf stat -x, -e kvm:kvm_userspace_exit -e kvm:kvm_emulate_insn \
                -e kvmmmu:kvm_mmu_set_spte -e kvmmmu:kvm_mmu_pagetable_walk \
                -e kvmmmu:kvm_mmu_get_page -e kvm:kvm_page_fault $B/ukmon $cmd 2>&1 >/dev/null |
                awk -F, '$3 ~ /kvm/ { printf "%s=%s ", $3, $1 }')
            say "  ukmon $cmd: $ev"
        done
    fi
    rm -rf "$rt"
fi

if want counts; then
    say ""
    say "## counts: exits and system calls summed over every VM (ukmon --stats)"
    rt=$(mktemp -d)
    mkdir -p "$rt/bin" "$rt/db"
    cp /bin/busybox "$rt/bin/" && cp /bin/bash-static "$rt/bin/bash" 2>/dev/null
    for a in cat wc grep tr seq true; do ln -sf busybox "$rt/bin/$a"; done
    cat >"$rt/bin/p20.sh" <<'EOF'
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  echo "line $i" | tr a-z A-Z | wc -c > /dev/null
done
EOF
    count() { # NAME COMMAND...: wall time and the summed --stats
        local name=$1 f=$OUT/counts-$1.txt t0 t1
        shift
        t0=$(date +%s%N)
        "$@" >/dev/null 2>"$f"
        t1=$(date +%s%N)
        say ""
        say "### $name ($(( (t1 - t0) / 1000000 )) ms): ${*#$B/ukmon --stats }"
        awk -f bench/stats_sum.awk "$f" | sed 's/^/  /' | tee -a "$REPORT"
    }
    count busybox_pipeline $B/ukmon --stats /bin/busybox sh -c 'seq 1 100 | grep 7 | wc -l'
    [ -x "$rt/bin/bash" ] &&
        count bash_20_pipelines $B/ukmon --stats --dir "$rt/bin:/bin" -e PATH=/bin "$rt/bin/bash" /bin/p20.sh
    if [ -f /usr/lib/x86_64-linux-gnu/libsqlite3.a ] &&
        gcc -O2 -static -o "$rt/db/sqlite_probe" bench/src/sqlite_probe.c -lsqlite3 -lm 2>/dev/null &&
        "$rt/db/sqlite_probe" "$rt/db/t.db" create; then
        count sqlite_1000_queries $B/ukmon --stats --dir "$rt/db" "$rt/db/sqlite_probe" \
            "file:$rt/db/t.db?nolock=1" query 1000
        t0=$(date +%s%N)
        "$rt/db/sqlite_probe" "file:$rt/db/t.db?nolock=1" query 1000 >/dev/null
        t1=$(date +%s%N)
        say "  (the same on the host: $(( (t1 - t0) / 1000 )) us)"
    else
        say "  sqlite: skipped (no libsqlite3.a: apt-get install libsqlite3-dev)"
    fi
    rm -rf "$rt"
fi
say ""
say "report: $REPORT"
