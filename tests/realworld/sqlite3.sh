#!/usr/bin/env bash
# sqlite3.sh: Debian's sqlite3 shell, built static, on a workload (sqlite3-workload.sql,
# 20,000 rows, 2,000 in the fast part) in three databases: in memory, a file with the
# rollback journal, a file in WAL mode. Host against ukmon: exit code and output.
# Usage: tests/realworld/sqlite3.sh BUILD_DIR   (RW_FAST=1: the fast part)
. "$(dirname "$0")/lib.sh"
begin sqlite3
if [ ! -x "$BIN/sqlite3" ]; then
    row "-" "-" "not built (tests/realworld/build.sh)"
    count skip "sqlite3" "not built (make check-realworld builds it)"
    exit 0
fi
ROWS=20000
[ -n "${RW_FAST:-}" ] && ROWS=2000
sed "s/__ROWS__/$ROWS/g" "$HERE/sqlite3-workload.sql" >"$LOG/workload.sql"
STDIN=$LOG/workload.sql
ok=0 n=0 why=""
for c in memory journal wal; do
    case $c in
        memory) db=":memory:" ;;
        journal) db="@W@/db" ;;
        wal) db="@W@/db"; printf 'PRAGMA journal_mode=WAL;\n' | cat - "$LOG/workload.sql" >"$LOG/workload-wal.sql"; STDIN=$LOG/workload-wal.sql ;;
    esac
    n=$((n + 1))
    if pair "$c" 120 sqlite3 -bail "$db"; then ok=$((ok + 1)); else why="$why${why:+; }$c: $CASE_WHY"; fi
done
row "$n/$n cases ($ROWS rows)" "$ok/$n cases" "${why:-same output}"
