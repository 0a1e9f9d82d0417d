#!/usr/bin/env bash
# initramfs.sh: builds the emulated machine's initramfs: busybox-static, the init script
# and the kernel modules it needs (KVM for AMD, virtio PCI, 9p over virtio), taken from
# Debian's linux-image-amd64 kernel, never the running kernel's (which may be another
# build altogether, or none: the point is machines without KVM).
# Usage: tests/nested/initramfs.sh OUT.cpio
#        tests/nested/initramfs.sh --kernel   (prints the kernel image's path)
# Missing pieces end it with status 2 and one line naming the package to install.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# Modules the init loads; their dependencies come from the kernel's modules.dep.
WANT="virtio_pci 9pnet_virtio 9p kvm_amd"

missing() { echo "nested: $1 (scripts/install-deps.sh --nested installs it)" >&2; exit 2; }

# The kernel of the linux-image-amd64 meta-package: the first package it depends on.
# NESTED_KERNEL_VERSION=6.1.0-N-amd64 chooses another installed one.
kernel_version() {
    local dep
    dep=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null | sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
    [ -n "$dep" ] || missing "linux-image-amd64 is not installed"
    echo "$dep"
}

KV=${NESTED_KERNEL_VERSION:-$(kernel_version)}
[ -r "/boot/vmlinuz-$KV" ] || missing "/boot/vmlinuz-$KV is missing or unreadable"
[ -r "/lib/modules/$KV/modules.dep" ] || missing "/lib/modules/$KV/modules.dep is missing"
if [ "${1:-}" = --kernel ]; then
    echo "/boot/vmlinuz-$KV"
    exit 0
fi
out=${1:?usage: initramfs.sh OUT.cpio}
MODDIR=/lib/modules/$KV

# The initramfs has no C library: busybox must be the static one of busybox-static.
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || missing "busybox-static is not installed"
if readelf -l "$BUSYBOX" 2>/dev/null | grep -q 'INTERP'; then
    missing "$BUSYBOX is dynamically linked (the busybox package, not busybox-static)"
fi
command -v cpio >/dev/null || missing "cpio is not installed"

# add_module PATH: appends its dependencies (from modules.dep), then PATH, to the load order.
declare -A seen=()
order=()
add_module() {
    local path=$1 line dep
    [ -n "${seen[$path]:-}" ] && return 0
    seen[$path]=1
    line=$(grep -m1 "^$path:" "$MODDIR/modules.dep") || { echo "nested: $path not in $MODDIR/modules.dep" >&2; exit 2; }
    for dep in ${line#*:}; do
        add_module "$dep"
    done
    order+=("$path")
}
for m in $WANT; do
    # modinfo -k reads the named kernel's modules, whatever the running kernel is.
    f=$(modinfo -k "$KV" -F filename "$m" 2>/dev/null) || missing "module $m not found for kernel $KV"
    add_module "${f#"$MODDIR"/}"
done

root=$(mktemp -d /tmp/ukmon-initramfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$BUSYBOX" "$root/bin/busybox"
cp "$here/init" "$root/init"
chmod 755 "$root/init"
for path in "${order[@]}"; do
    case $path in
        *.ko) ;;
        *) echo "nested: $path: compressed modules are not supported by busybox insmod here" >&2; exit 2 ;;
    esac
    cp "$MODDIR/$path" "$root/lib/modules/"
    echo "/lib/modules/$(basename "$path")" >>"$root/modules"
done
echo "$KV" >"$root/kernel-version"
# No device nodes needed (the init mounts devtmpfs first), so no root is needed either.
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --quiet -o -0 -H newc -R 0:0) >"$out.tmp"
mv "$out.tmp" "$out"
