#!/bin/sh
# check-guest-access.sh: the monitor reaches guest memory only through the fault-safe
# layer of monitor/kvm/guest_mem.c. Prints each place that breaks the rule, exits 1.
#  - vm->mem, the host mapping itself, is used only by the layer, by the address space
#    (mmap/mprotect/mremap of it), by KVM's memory slot and by the ELF loader (which
#    fills fresh memory before the VM exists);
#  - gmem_io_ptr() hands a buffer to the host kernel, which answers EFAULT where a
#    dereference by the monitor would fault: only in the files that do I/O (and the
#    host's futex calls on guest words);
#  - gmem_low() is for the monitor's own low area: its address is a GL_ constant (or
#    an LXSYS_ one: the Linux layer's pages there).
cd "$(dirname "$0")/../monitor" || exit 2
bad=0
report() {
    echo "check-guest-access: $1"
    bad=1
}
out=$(grep -n 'vm->mem\b' $(find . -name '*.c' -o -name '*.h') |
      grep -v '^\./kvm/guest_mem\.c:\|^\./kvm/addrspace\.c:\|^\./kvm/kvm\.c:\|^\./kvm/program\.c:')
[ -n "$out" ] && report "vm->mem outside the layer:
$out"
out=$(grep -n 'gmem_io_ptr(' $(find . -name '*.c') |
      grep -v '^\./kvm/guest_mem\.c:\|^\./kernel/io\.c:\|^\./kernel/net_ops\.c:\|^\./kernel/fs_ops\.c:\|^\./linux/lx_proc\.c:\|^\./kernel/futex\.c:')
[ -n "$out" ] && report "gmem_io_ptr() outside the files that hand buffers to the kernel:
$out"
out=$(grep -n 'gmem_low(' $(find . -name '*.c') | grep -v '^\./kvm/guest_mem\.c:' |
      grep -v 'gmem_low(vm, \(GL_[A-Z0-9_]*\|LXSYS_[A-Z_]*_ADDR\|pt_gpa\)')
[ -n "$out" ] && report "gmem_low() of an address that is not the low area's:
$out"
# Raw copies and scans whose source or destination came from the layer's pointers.
out=$(grep -n '\(memcpy\|memmove\|memchr\|memset\|strlen\|strnlen\|memcmp\)(.*\(gmem_io_ptr\|vm->mem\b\)' \
      $(find . -name '*.c') | grep -v '^\./kvm/guest_mem\.c:')
[ -n "$out" ] && report "a raw copy of guest memory:
$out"
exit $bad
