#!/usr/bin/env bash
# machine.sh: boots the emulated machine (QEMU/TCG, AMD SVM emulated, so the Debian
# kernel inside has a working /dev/kvm), runs one job in it and watches it.
# Usage: tests/nested/machine.sh --check      can the emulated machine be had here?
#        tests/nested/machine.sh STATE_DIR    STATE_DIR/job: a bash script, run as root
#                                             inside, in the checkout
# STATE_DIR must be in the checkout (the one read-write share). The job's stdout and
# stderr go to STATE_DIR/output (a file: streaming them over a virtio-serial port
# stalled the machine), which this script prints as it grows.
# Exit status: 0 the job ran to its end (its own status is in STATE_DIR/status);
# 2 the machine did not come up; 3 the job stopped making progress: no new output for
# NESTED_STALL_SECONDS, or the machine died; the emulator has been killed. Both print
# one line "nested: ..." saying why.
# Environment: NESTED_STALL_SECONDS (300), NESTED_BOOT_SECONDS (180), NESTED_MEM (4G),
# NESTED_QUIET=1 (do not print the output as it grows).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
checkout=$(cd "$here/../.." && pwd -P)
STALL=${NESTED_STALL_SECONDS:-300}
BOOT=${NESTED_BOOT_SECONDS:-180}
MEM=${NESTED_MEM:-4G}

say() { echo "nested: $*" >&2; }
# verdict WHY: says why the job did not run to its end, and keeps it for the caller.
verdict() {
    say "$*"
    echo "$*" >"$state/verdict"
}

if [ "${1:-}" = --check ]; then
    command -v qemu-system-x86_64 >/dev/null || { say "qemu-system-x86_64 is not installed"; exit 2; }
    kernel=$("$here/initramfs.sh" --kernel) || exit 2
    # The initramfs build checks busybox-static, cpio and the modules.
    probe=$(mktemp /tmp/ukmon-initramfs-probe.XXXXXX)
    trap 'rm -f "$probe"' EXIT
    "$here/initramfs.sh" "$probe" || exit 2
    exit 0
fi

state=$(cd "${1:?usage: machine.sh STATE_DIR}" && pwd -P)
[ -f "$state/job" ] || { say "$state/job is missing"; exit 2; }
case $state in
    "$checkout"/*) ;;
    *) say "$state is not inside the checkout $checkout"; exit 2 ;;
esac
# Physical paths (pwd -P): the init mounts the checkout at this path in the host's
# root, where a symbolic link would resolve against the initramfs instead.
# Both paths travel on the kernel command line (split at spaces) and in QEMU options
# (where a comma separates options): refuse what would not survive either.
rm -f "$state"/{up,fail,output,status,verdict,heartbeat,console.log,qemu.log}
: >"$state/output"
if [[ ! $state =~ ^[A-Za-z0-9._/+-]+$ ]]; then
    verdict "the checkout's path '$checkout' has characters the emulated machine cannot take (spaces, commas...)"
    exit 2
fi

command -v qemu-system-x86_64 >/dev/null || { verdict "qemu-system-x86_64 is not installed"; exit 2; }
kernel=$("$here/initramfs.sh" --kernel) || { verdict "no kernel to boot (see above)"; exit 2; }
mkdir -p "$checkout/build/nested"
initrd=$checkout/build/nested/initramfs.cpio
"$here/initramfs.sh" "$initrd" || { verdict "the initramfs could not be built (see above)"; exit 2; }

# -cpu max: SVM with nested paging, which TCG emulates. One vCPU: with two, the
# machine froze after ~20 ukmon runs in earlier trials. No NIC (-nodefaults): the
# tests need only loopback.
qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m "$MEM" -nodefaults -display none \
    -no-reboot -monitor none -serial "file:$state/console.log" \
    -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 panic=-1 loglevel=4 ukmon_checkout=$checkout ukmon_state=$state" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$checkout,mount_tag=checkout,security_model=none,multidevs=remap" \
    </dev/null >"$state/qemu.log" 2>&1 &
qpid=$!
stop_qemu() {
    kill "$qpid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$qpid" 2>/dev/null || true
    wait "$qpid" 2>/dev/null || true
}
# Whatever ends this script (^C included) ends the emulator with it.
trap stop_qemu EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# console_reason: the init's own failure line, else the console's last line.
console_reason() {
    local line
    line=$(grep -a -m1 'nested-init: FAIL: ' "$state/console.log" 2>/dev/null | sed 's/.*nested-init: FAIL: //') ||
        true
    [ -n "$line" ] || line=$(grep -a -v '^\s*$' "$state/console.log" "$state/qemu.log" 2>/dev/null | tail -1) || true
    echo "${line:-no output on the console}"
}

# heartbeat: whether the machine itself still ran when its job made no progress: the
# init writes the time into STATE_DIR/heartbeat every 10 s, apart from the job.
heartbeat() {
    local age
    if [ -f "$state/heartbeat" ]; then
        age=$(($(date +%s) - $(stat -c %Y "$state/heartbeat")))
        if [ "$age" -le 30 ]; then
            echo "the machine still ran, its heartbeat ${age} s old: a test hung"
        else
            echo "the machine froze: its heartbeat stopped ${age} s ago"
        fi
    else
        echo "no heartbeat seen"
    fi
}

start=$SECONDS
up=""
printed=0   # bytes of output already printed
last_size=0
last_progress=$SECONDS
while kill -0 "$qpid" 2>/dev/null; do
    sleep 1
    if [ -z "$up" ]; then
        if [ -s "$state/up" ]; then
            up=$((SECONDS - start))
            last_progress=$SECONDS
            say "machine up in ${up} s ($(grep -m1 -i 'nested virtualization' "$state/up" || echo 'kvm loaded'))"
        elif [ $((SECONDS - start)) -ge "$BOOT" ]; then
            verdict "the emulated machine did not come up within $BOOT s: $(console_reason)"
            exit 2
        fi
        continue
    fi
    size=$(stat -c %s "$state/output")
    if [ "$size" != "$last_size" ]; then
        last_size=$size
        last_progress=$SECONDS
    elif [ $((SECONDS - last_progress)) -ge "$STALL" ]; then
        verdict "stall: no new output for $STALL s ($(heartbeat)); the emulator is killed"
        exit 3
    fi
    if [ -z "${NESTED_QUIET:-}" ] && [ "$size" -gt "$printed" ]; then
        tail -c +$((printed + 1)) "$state/output" | head -c $((size - printed))
        printed=$size
    fi
done
qrc=0
wait "$qpid" 2>/dev/null || qrc=$?
if [ -z "${NESTED_QUIET:-}" ]; then
    tail -c +$((printed + 1)) "$state/output"
fi
if [ -f "$state/status" ]; then
    exit 0
elif [ -s "$state/fail" ]; then
    verdict "the emulated machine did not come up: $(cat "$state/fail")"
    exit 2
elif [ -z "$up" ]; then
    verdict "the emulated machine did not come up (QEMU exit status $qrc): $(console_reason)"
    exit 2
fi
verdict "the emulated machine died during the job (QEMU exit status $qrc): $(console_reason)"
exit 3
