#!/usr/bin/env bash
# with-kvm.sh: runs a shell command line where KVM is: here when /dev/kvm is usable,
# else inside the emulated machine (saying so: it is slow), else fails with one line.
# Usage: tests/nested/with-kvm.sh BUILD_DIR 'COMMAND LINE'   (run from the checkout)
# Exit status: the command's (pipefail: a pipeline fails when any of it fails).
set -euo pipefail
B=${1:?usage: with-kvm.sh BUILD_DIR 'COMMAND LINE'}
cmd=${2:?usage: with-kvm.sh BUILD_DIR 'COMMAND LINE'}
here=$(cd "$(dirname "$0")" && pwd -P)

if why=$("$here/kvm-usable.sh" "$B"); then
    exec bash -o pipefail -c "$cmd"
fi
if ! emu_why=$("$here/machine.sh" --check 2>&1); then
    echo "no usable /dev/kvm ($why), and no emulated machine to run it in (${emu_why#nested: }): cannot run unikernels here" >&2
    exit 1
fi
echo "no usable /dev/kvm ($why): running it inside an emulated machine (QEMU/TCG with"
echo "nested SVM). It boots in ~10 s and runs slowly: its speed says nothing about ukmon's."
state=$(cd "$here/../.." && pwd -P)/build/nested/with-kvm
rm -rf "$state"
mkdir -p "$state"
printf 'set -o pipefail\n%s\n' "$cmd" >"$state/job"
"$here/machine.sh" "$state" || exit 1
exit "$(cat "$state/status")"
