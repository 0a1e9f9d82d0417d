# suite-net.sh: TCP on published ports, allowed peers, socketpairs, epoll, servers
# reached from the host with curl (sourced by run.sh).
SUITES="${SUITES:-} net"

# A port for this run: different between runs so that a leftover socket (TIME_WAIT)
# of an earlier one does not matter, and below Linux's ephemeral ports (32768 and up
# by default), where a client's connection of some other test could hold it.
NET_PORT=$((20000 + RANDOM % 12000))

# wait_port PORT: up to 10 s for something to accept on 127.0.0.1:PORT.
wait_port() {
    for _ in $(seq 100); do
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" && return 0
        sleep 0.1
    done
    return 1
}

# busybox httpd, a VM per connection, serving a granted folder to curl.
httpd_test() {
    local name="busybox httpd under --publish: curl fetches a page, each connection its own VM"
    local www=$TMP/www port=$((NET_PORT + 1)) i body=""
    mkdir -p "$www"
    echo "served by a VM" >"$www/index.html"
    (exec "$U" --stats -p 8 --publish "127.0.0.1:$port:80" --dir "$www:/www" \
        "$BUSYBOX" httpd -f -p 80 -h /www >"$TMP/httpd.out" 2>"$TMP/httpd.err" </dev/null) &
    local pid=$!
    if ! wait_port "$port"; then
        fail "$name" "nothing listens on $port: $(head -3 "$TMP/httpd.err")"
        kill -KILL "$pid"
        return
    fi
    # More connections than --max-procs: httpd never waits for its children, so this
    # works only if ignoring SIGCHLD reaps them and frees their slots.
    for i in $(seq 1 24); do
        body=$(curl -s --max-time 5 "http://127.0.0.1:$port/index.html")
        [ "$body" = "served by a VM" ] || break
    done
    local v6
    v6=$(curl -s -g --max-time 5 "http://[::1]:$port/index.html" 2>/dev/null)
    kill -TERM "$pid"
    local rc=0
    wait "$pid" || rc=$?
    local vms
    vms=$(sed -n 's/^ukmon stats pid \([0-9]*\): syscalls.*/\1/p' "$TMP/httpd.err" | sort -u | wc -l)
    cp "$TMP/httpd.err" "$TMP/err"
    if [ "$body" = "served by a VM" ] && [ "$i" = 24 ] && [ "$vms" -ge 25 ] && [ "$rc" = 143 ]; then
        pass "$name"
    else
        fail "$name" "request $i got '$body', $vms VMs in --stats, exit $rc"
    fi
    # 127.0.0.1 was published: IPv6 clients were never let in.
    if [ -z "$v6" ]; then pass "a port published on 127.0.0.1 is not reachable over IPv6"
    else fail "a port published on 127.0.0.1 is not reachable over IPv6" "got '$v6'"; fi
}

# The pre-forking example: N worker VMs accept on one socket; SIGTERM stops them.
prefork_test() {
    local name="prefork example: 4 worker VMs accept on one published socket, SIGTERM stops all"
    local port=$((NET_PORT + 2)) ok=0 i
    (exec "$U" --publish "$port:8080" "$E/prefork.elf" 8080 4 >"$TMP/pf.out" 2>"$TMP/pf.err" </dev/null) &
    local pid=$!
    if ! wait_port "$port"; then
        fail "$name" "nothing listens on $port: $(head -3 "$TMP/pf.err")"
        kill -KILL "$pid"
        return
    fi
    for i in $(seq 1 20); do
        [ "$(curl -s --max-time 5 "http://127.0.0.1:$port/")" = "hello from a prefork worker" ] && ok=$((ok + 1))
    done
    local kids
    kids=$(pgrep -P "$pid" | wc -l)
    kill -TERM "$pid"
    local rc=0
    wait "$pid" || rc=$?
    cp "$TMP/pf.out" "$TMP/out"
    cp "$TMP/pf.err" "$TMP/err"
    if [ "$ok" = 20 ] && [ "$kids" = 4 ] && [ "$rc" = 0 ] && grep -q '^prefork: stopped$' "$TMP/pf.out"; then
        pass "$name"
    else
        fail "$name" "$ok/20 answers, $kids workers, exit $rc"
    fi
}

# A static Go program's net/http: the runtime's threads, its netpoller (epoll), accept.
go_http_test() {
    local name="Go net/http under --publish: 20 fetches, SIGTERM ends it" port=$((NET_PORT + 6)) ok=0 i
    if [ ! -x "$B/tests/go/gotest" ]; then
        skip "$name" "golang-go is not installed (scripts/install-deps.sh installs it)"
        return
    fi
    (exec "$U" --publish "127.0.0.1:$port:8080" "$B/tests/go/gotest" serve :8080 \
        >"$TMP/go.out" 2>"$TMP/go.err" </dev/null) &
    local pid=$!
    if ! wait_port "$port"; then
        fail "$name" "nothing listens on $port: $(head -3 "$TMP/go.err")"
        kill -KILL "$pid"
        return
    fi
    for i in $(seq 1 20); do
        [ "$(curl -s --max-time 5 "http://127.0.0.1:$port/")" = "hello from Go" ] && ok=$((ok + 1))
    done
    kill -TERM "$pid"
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"
        fail "$name" "$ok/20 answers; still running 5 s after SIGTERM"
    elif [ "$ok" = 20 ]; then
        pass "$name"
    else
        fail "$name" "$ok/20 answers"
    fi
    wait "$pid" 2>/dev/null
}

# An echo server of real software: busybox nc forks a VM per connection and execs cat
# (an applet link of a granted folder) on it; the host's busybox nc is the client.
echo_test() {
    local name="echo server: busybox nc -ll -e cat, each connection a VM that execs cat"
    local bin=$TMP/ncbin port=$((NET_PORT + 4)) got1 got2
    mkdir -p "$bin"
    cp "$BUSYBOX" "$bin/busybox" && ln -sf busybox "$bin/cat"
    (exec "$U" --stats --dir "$bin:/bin" -e PATH=/bin --publish "127.0.0.1:$port:7" \
        /bin/busybox nc -ll -p 7 -e cat >"$TMP/nc.out" 2>"$TMP/nc.err" </dev/null) &
    local pid=$! i
    for i in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
    got1=$(echo "hello, echo" | timeout 10 "$BUSYBOX" nc 127.0.0.1 "$port")
    got2=$(seq 1 1000 | timeout 10 "$BUSYBOX" nc 127.0.0.1 "$port" | tail -n 1)
    sleep 0.3 # the last cat ends as its client's data ends
    kill -TERM "$pid"
    local rc=0
    wait "$pid" || rc=$?
    local execs
    execs=$(grep -c 'syscalls.* execve=1 ' "$TMP/nc.err")
    cp "$TMP/nc.err" "$TMP/err"
    if [ "$got1" = "hello, echo" ] && [ "$got2" = 1000 ] && [ "$execs" -ge 2 ] && [ "$rc" = 143 ]; then
        pass "$name"
    else
        fail "$name" "got '$got1' and '$got2', $execs VMs exec'd cat, exit $rc"
    fi
}

suite_net() {
    local libc port=$NET_PORT
    for libc in musl glibc; do
        expect_exact "$libc: sockets: published port, allowed peer, epoll, socketpair, hostile arguments" \
            0 tests/linux/net.expected -- "$U" --publish "127.0.0.1:$port:8080" \
            --connect "127.0.0.1:$port" "$B/tests/linux/$libc/net" "$port"
    done
    expect_error "--publish with a bad port" 125 '--publish 80:0: expected' -- \
        "$U" --publish 80:0 "$G/exit_status.elf" 0
    expect_error "--publish with an address that is not one" 125 'HOSTADDR must be an IP address' -- \
        "$U" --publish 1.2.3:80 "$G/exit_status.elf" 0
    expect_error "--connect without a port" 125 '--connect 10.0.0.0/8: expected' -- \
        "$U" --connect 10.0.0.0/8 "$G/exit_status.elf" 0
    "$BUSYBOX" nc -l -p "$((port + 3))" </dev/null >/dev/null 2>&1 &
    local nc=$!
    sleep 0.2
    expect_error "--publish of a port the host uses already" 125 "cannot bind the host's port $((port + 3)): Address already in use" -- \
        "$U" --publish "127.0.0.1:$((port + 3)):80" "$G/exit_status.elf" 0
    kill "$nc" 2>/dev/null
    wait "$nc" 2>/dev/null
    expect_error "--connect with --jail is refused" 125 '--connect cannot be used with --jail' -- \
        "$U" --jail --connect "127.0.0.1:80" "$G/exit_status.elf" 0
    if ! command -v curl >/dev/null; then
        fail "net: curl" "curl is missing (scripts/install-deps.sh installs it)"
        return
    fi
    httpd_test
    echo_test
    prefork_test
    go_http_test
}
