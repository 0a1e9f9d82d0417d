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
/: (syscalls|hypercalls) / {
    for (i = 5; i <= NF; i++) {
        f = $i
        sub(/;$/, "", f)
        if (f ~ /=/ && f !~ /^ENOSYS/) {
            split(f, kv, "=")
            calls[kv[1]] += kv[2]
        }
    }
}
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
}
