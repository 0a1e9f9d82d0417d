#!/usr/bin/env bash
# kvm-usable.sh: is this machine's /dev/kvm one ukmon can run on? Exit 0 if so; else
# exit 1 and print the reason in one line. Asks the monitor itself (a /dev/kvm can
# exist and still not be KVM, or refuse us), telling its KVM errors from guest ones.
# Usage: tests/nested/kvm-usable.sh [BUILD_DIR]   (needs BUILD_DIR/ukmon and hello.elf)
set -euo pipefail
B=${1:-build}
if [ ! -e /dev/kvm ]; then
    echo "/dev/kvm does not exist"
    exit 1
fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "/dev/kvm is not readable and writable by $(id -un)"
    exit 1
fi
if [ ! -x "$B/ukmon" ] || [ ! -f "$B/examples/hello.elf" ]; then
    # Nothing built to ask: the device is there and open to us, which is all we know.
    exit 0
fi
rc=0
err=$(timeout 60 "$B/ukmon" "$B/examples/hello.elf" 2>&1 >/dev/null </dev/null) || rc=$?
# Exit 125 with a line about /dev/kvm is ukmon saying KVM is not there; anything else
# (a guest fault included) means KVM ran the guest, or tried: the tests should say.
if [ "$rc" = 125 ] && [[ $err == *"ukmon: /dev/kvm:"* ]]; then
    echo "${err#ukmon: }" | head -1
    exit 1
fi
exit 0
