# stats_sum.awk: sums the `ukmon --stats` blocks of a VM tree (bench/profile.sh):
# VMs, exits by kind, and the calls by name, most frequent first.
/ exits io=/ {
    vms++
    for (i = 1; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == "io") io += kv[2]
        else if (kv[1] == "other") other += kv[2]
        else if (kv[1] == "interrupted") intr += kv[2]
    }
}
# The counts of calls that exited ("syscalls NAME=N ..."), and apart those answered
# in the guest; not the lines of times ("syscalls time in monitor (ms): ...").
function add(into_answered,    i, f, kv) {
    for (i = 5; i <= NF; i++) {
        f = $i
        sub(/;$/, "", f)
        if (f ~ /^[a-z_0-9]+=[0-9]+$/ && f !~ /^ENOSYS/) {
            split(f, kv, "=")
            if (into_answered) answered[kv[1]] += kv[2]
            else calls[kv[1]] += kv[2]
        }
    }
}
/: (syscalls|hypercalls) [a-z_0-9]+=[0-9]/ { add(0) }
/: syscalls answered in the guest/ { add(1) }
END {
    printf "VMs %d; exits to the monitor: io=%d other=%d interrupted=%d\n", vms, io, other, intr
    line = ""
    while (1) {
        best = ""
        for (k in calls) if (best == "" || calls[k] > calls[best]) best = k
        if (best == "") break
        line = line sprintf("%s=%d ", best, calls[best])
        delete calls[best]
    }
    print line
    line = ""
    n = 0
    while (1) {
        best = ""
        for (k in answered) if (best == "" || answered[k] > answered[best]) best = k
        if (best == "") break
        line = line sprintf("%s=%d ", best, answered[best])
        n += answered[best]
        delete answered[best]
    }
    if (n) print "answered in the guest, no exit: " n ": " line
}
