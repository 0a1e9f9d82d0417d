# profile_marks.awk: the phase marks of a UKMON_PROFILE file (monitor/profile.c) as
# "KEY<TAB>MICROSECONDS" lines for bench/profile.sh: each mark's time since the
# previous mark of its process, keyed by the kind of process (root, or forked child)
# and, after an execve, "exec:"; plus what only two processes' marks tell together:
# a fork(2) until the child runs, and a child's _exit until its parent's waitpid
# returns (teardown), from the marks' TSC times, which are the same in every process.
#   prof PID mark REL DELTA ABS ARG NAME...
$1 == "prof" && $3 == "begin" {
    split($4, kv, "=")
    ppid[$2] = kv[2]
}
$1 == "prof" && $3 == "mark" {
    pid = $2
    name = $8
    for (i = 9; i <= NF; i++)
        name = name " " $i
    if (name == "fork: child runs")
        kind[pid] = "child"
    if (name == "execve: begin")
        execd[pid] = 1
    k = (pid in kind) ? kind[pid] : "root"
    print k ": " (execd[pid] && name != "execve: begin" ? "exec: " : "") name "\t" $5
    if (name == "fork: child runs")
        child_start[pid] = $6
    if (name ~ /^exit: _exit/)
        child_exit[pid] = $6
    if (name == "fork: signals blocked, checked")
        forks[pid, ++nforks[pid]] = $6
    if (name == "wait: child reaped") {
        reaps[++nreaps] = $7
        reap_at[nreaps] = $6
    }
}
END {
    for (c in child_start) {
        p = ppid[c]
        best = -1
        for (i = 1; i <= nforks[p]; i++)
            if (forks[p, i] < child_start[c] && forks[p, i] > best)
                best = forks[p, i]
        if (best >= 0)
            print "both: fork(2) called in the parent -> child runs\t" child_start[c] - best
    }
    for (i = 1; i <= nreaps; i++)
        if (reaps[i] in child_exit)
            print "both: child's _exit -> parent's waitpid returns (teardown)\t" reap_at[i] - child_exit[reaps[i]]
}
