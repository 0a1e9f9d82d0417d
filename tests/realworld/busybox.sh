#!/usr/bin/env bash
# busybox.sh: busybox's own testsuite (testsuite/runtest of Debian's source package) run
# by Debian's busybox-static, on the host and inside ukmon, compared test by test.
# Both sides get the same tree: /bin (busybox, sh, the applet links, the .config of
# Debian's static build), /testsuite, /tmp, /etc (ukmon's made-up passwd and group). On
# the host it is a chroot (in mount and pid namespaces, with /dev and a /proc of its
# own); under ukmon, folders granted with --dir, so the shell running runtest and every
# applet it starts is a VM. One runtest per applet, each with a time limit.
# Usage: tests/realworld/busybox.sh BUILD_DIR   (RW_FAST=1: the applets of busybox-fast.list)
. "$(dirname "$0")/lib.sh"
begin busybox
BUSYBOX=${BUSYBOX:-/bin/busybox}
HOST_LIMIT=120
UKMON_LIMIT=${RW_BUSYBOX_LIMIT:-240}

S=$(srcdir busybox)
if [ -z "$S" ]; then
    row "-" "-" "no source: scripts/realworld-deps.sh fetches it (make check-realworld)"
    count skip busybox "no source in $SRC (make check-realworld fetches it)"
    exit 0
fi
if [ -z "$RW_PIDNS" ]; then
    row "-" "-" "needs root (the host side is a chroot in its own namespaces)"
    count skip busybox "needs root for the host side's chroot"
    exit 0
fi

# The applets runtest would test by default: those busybox has, with tests.
"$BUSYBOX" --list >"$LOG/implemented"
if [ -n "${RW_FAST:-}" ]; then
    APPLETS=$(grep -v '^#' "$HERE/busybox-fast.list" | awk '{print $1}')
else
    APPLETS=$(for a in busybox $(cat "$LOG/implemented"); do
        [ -d "$S/testsuite/$a" ] || [ -f "$S/testsuite/$a.tests" ] && echo "$a"
    done | sort -u)
fi

# mkroot SIDE: the tree one side runs in, made anew.
mkroot() {
    local r=$RUN/busybox/$1
    rm -rf "$r"
    mkdir -p "$r/bin/runtest-tempdir-links" "$r/tmp" "$r/etc" "$r/dev" "$r/proc"
    chmod 1777 "$r/tmp"
    cp "$BUSYBOX" "$r/bin/busybox"
    ln -s busybox "$r/bin/sh"
    cp "$S/debian/config/pkg/static" "$r/bin/.config"
    local a
    while read -r a; do ln -s /bin/busybox "$r/bin/runtest-tempdir-links/$a"; done <"$LOG/implemented"
    printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
    cp -a "$S/testsuite" "$r/testsuite"
    # runtest remakes the links folder at every call (400 ln processes, 400 VMs under
    # ukmon); here it is made once, above, and runtest keeps it.
    sed -i -e '/^rm -rf "\$LINKSDIR" 2>\/dev\/null$/d' \
        -e 's/^mkdir "\$LINKSDIR" 2>\/dev\/null$/mkdir "$LINKSDIR" 2>\/dev\/null || links_made=1/' \
        -e 's/^for i in \$implemented; do$/[ -n "${links_made:-}" ] || for i in $implemented; do/' \
        "$r/testsuite/runtest"
    [ "$(grep -c 'links_made' "$r/testsuite/runtest")" = 2 ] || {
        echo "busybox.sh: runtest is not as expected: cannot keep its links folder" >&2; exit 1; }
}
mkroot host
mkroot ukmon
RH=$RUN/busybox/host
RU=$RUN/busybox/ukmon
ENVS=(PATH=/bin HOME=/ bindir=/bin)
run_host() {
    timed "$HOST_LIMIT" "$LOG/host/$1.out" "$LOG/host/$1.err" unshare -m sh -c \
        'mount --rbind /dev "$1/dev" && mount -t proc proc "$1/proc" && exec chroot "$1" /bin/busybox env -i '"${ENVS[*]}"' /bin/sh -c "cd /testsuite && exec ./runtest $2"' \
        sh "$RH" "$1"
}
ukmon_args() {
    echo --mem 256M --dir "$RU/bin:/bin:rw" --dir "$RU/testsuite:/testsuite:rw" \
        --dir "$RU/tmp:/tmp:rw" --dir "$RU/etc:/etc:ro" -e "${ENVS[0]}" -e "${ENVS[1]}" -e "${ENVS[2]}"
}
run_ukmon() {
    # shellcheck disable=SC2046
    timed "$UKMON_LIMIT" "$LOG/ukmon/$1.out" "$LOG/ukmon/$1.err" \
        "$U" ${2:-} $(ukmon_args) "$RU/bin/busybox" sh -c "cd /testsuite && exec ./runtest $1"
}

# results SIDE APPLET RC: runtest's lines as "applet: test<TAB>RESULT", duplicates numbered.
results() {
    awk -v a="$2" -v rc="$3" '
        /^(PASS|FAIL|SKIPPED|UNTESTED): / {
            r = $1; sub(/:$/, "", r); n = $0; sub(/^[A-Z]+: /, "", n)
            k = a ": " n; if (seen[k]++) k = k " #" seen[k]
            print k "\t" r }
        END { if (rc == 124) print a ": (runtest)\tTIMEOUT" }' "$LOG/$1/$2.out"
}

mkdir -p "$LOG/host" "$LOG/ukmon" "$LOG/trace"
: >"$LOG/host.tsv"
: >"$LOG/ukmon.tsv"
T0=$(date +%s)
printf 'applet\thost s\tukmon s\n' >"$LOG/times.tsv"
for a in $APPLETS; do
    t0=$(date +%s%N)
    run_host "$a"
    results host "$a" "$RC" >>"$LOG/host.tsv"
    t1=$(date +%s%N)
    run_ukmon "$a"
    t2=$(date +%s%N)
    echo "$a $RC" >>"$LOG/ukmon.rc"
    results ukmon "$a" "$RC" >>"$LOG/ukmon.tsv"
    printf '%s\t%.1f\t%.1f\n' "$a" "$(((t1 - t0) / 1000000))e-3" "$(((t2 - t1) / 1000000))e-3" >>"$LOG/times.tsv"
done
T1=$(date +%s)

# One line per test: name, host result, ukmon result (MISSING: runtest under ukmon
# ended before it, TIMEOUT: the applet's time limit ran out first).
awk -F'\t' 'NR == FNR { h[$1] = $2; order[++n] = $1; next }
    { u[$1] = $2; if (!($1 in h)) { order[++n] = $1; h[$1] = "MISSING" } }
    END { for (i = 1; i <= n; i++) { k = order[i]; a = k; sub(/: .*/, "", a)
            r = (k in u) ? u[k] : (((a ": (runtest)") in u) ? "TIMEOUT" : "MISSING")
            print k "\t" h[k] "\t" r } }' "$LOG/host.tsv" "$LOG/ukmon.tsv" >"$LOG/compare.tsv"
grep -v '(runtest)' "$LOG/compare.tsv" >"$LOG/compare.tmp" && mv "$LOG/compare.tmp" "$LOG/compare.tsv"
awk -F'\t' '$2 == "PASS" && $3 != "PASS"' "$LOG/compare.tsv" >"$LOG/only-ukmon-fails.tsv"
awk -F'\t' '$2 != "PASS" && $3 == "PASS"' "$LOG/compare.tsv" >"$LOG/only-host-fails.tsv"

# tally COLUMN: "P passed, F failed, S skipped" of one side.
tally() {
    awk -F'\t' -v c="$1" '$c == "PASS" { p++ } $c == "FAIL" || $c == "TIMEOUT" || $c == "MISSING" { f++ }
        $c == "SKIPPED" || $c == "UNTESTED" { s++ }
        END { printf "%d passed / %d failed / %d skipped", p, f, s }' "$LOG/compare.tsv"
}

# Why they fail: each applet with tests failing only under ukmon runs again under
# --trace (not in the fast part), and the trace's errors are sorted into causes.
nfail=$(wc -l <"$LOG/only-ukmon-fails.tsv")
timeouts=$(awk '$2 == 124 {print $1}' "$LOG/ukmon.rc" | paste -sd' ' -)
notes="$nfail fail only in ukmon"
[ -n "$timeouts" ] && notes="$notes; time limit ($(limit "$UKMON_LIMIT") s) ran out in: $timeouts"
if [ -z "${RW_FAST:-}" ] && [ "$nfail" -gt 0 ]; then
    : >"$LOG/causes.tsv"
    for a in $(cut -f1 "$LOG/only-ukmon-fails.tsv" | sed 's/: .*//' | sort -u); do
        mkroot ukmon
        # (an applet that ran out of time once is given 90 s here: enough to see where)
        lim=$UKMON_LIMIT
        grep -qx "$a 124" "$LOG/ukmon.rc" && lim=90
        # shellcheck disable=SC2046
        timed "$lim" "$LOG/trace/$a.out" "$LOG/trace/$a.trace" \
            "$U" --trace $(ukmon_args) "$RU/bin/busybox" sh -c "cd /testsuite && exec ./runtest $a"
        causes "$LOG/trace/$a.trace" | awk -F'\t' -v a="$a" '{print a "\t" $1}' >>"$LOG/causes.tsv"
    done
    # Per cause: the applets (with tests failing only under ukmon) whose trace shows it.
    awk -F'\t' '{ n[$2]++; l[$2] = l[$2] (l[$2] == "" ? "" : " ") $1 }
        END { for (c in n) printf "%d\t%s\t%s\n", n[c], c, l[c] }' "$LOG/causes.tsv" |
        sort -t"$(printf '\t')" -k1,1nr >"$LOG/causes-by-applet.tsv"
    top=$(head -6 "$LOG/causes-by-applet.tsv" | awk -F'\t' '{printf "%s%s (%d applets)", (NR > 1 ? "; " : ""), $2, $1}')
    [ -n "$top" ] && notes="$notes; causes in their traces: $top"
fi
row "$(tally 2)" "$(tally 3), $nfail fail only in ukmon" "$notes; $(echo "$APPLETS" | wc -w) applets in $((T1 - T0)) s"

# For make check: a test passes when ukmon gives the host's result (known.txt excuses
# the known failures).
while IFS=$'\t' read -r name h u; do
    if [ "$h" = "$u" ]; then
        case $h in PASS) count pass "busybox: $name" ;; *) count skip "busybox: $name" "$h on both" ;; esac
    elif [ "$h" != PASS ]; then
        count skip "busybox: $name" "$h on the host ($u in ukmon)"
    else
        count fail "busybox: $name" "$u in ukmon, PASS on the host"
    fi
done <"$LOG/compare.tsv"
