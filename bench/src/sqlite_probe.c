/*
 * sqlite_probe: a pread-heavy SQLite workload for bench/profile.sh's exit counts.
 * Built there only when libsqlite3.a is installed (libsqlite3-dev): gcc -static ...
 * -lsqlite3 -lm. Host only.
 *   sqlite_probe DB create          20,000 rows of 200 random bytes
 *   sqlite_probe URI query K        K point queries by random key, a 4-page cache
 * URI: file:DB?nolock=1 (ukmon's fcntl has no record locks).
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: sqlite_probe DB create | sqlite_probe URI query K\n");
        return 2;
    }
    bool create = !strcmp(argv[2], "create");
    int k = argc > 3 ? atoi(argv[3]) : 1000;
    sqlite3 *db;
    int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                       : SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
    if (sqlite3_open_v2(argv[1], &db, flags, NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlite_probe: %s: %s\n", argv[1], sqlite3_errmsg(db));
        return 1;
    }
    sqlite3_stmt *s;
    if (create) {
        sqlite3_exec(db, "PRAGMA journal_mode=OFF; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);"
                         " BEGIN;", NULL, NULL, NULL);
        sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?, randomblob(200))", -1, &s, NULL);
        for (int i = 0; i < 20000; i++) {
            sqlite3_bind_int(s, 1, i);
            sqlite3_step(s);
            sqlite3_reset(s);
        }
        sqlite3_finalize(s);
        return sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL) == SQLITE_OK ? 0 : 1;
    }
    sqlite3_exec(db, "PRAGMA cache_size=4;", NULL, NULL, NULL);
    if (sqlite3_prepare_v2(db, "SELECT length(v) FROM t WHERE id=?", -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlite_probe: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    long sum = 0;
    unsigned x = 12345;
    for (int i = 0; i < k; i++) {
        x = x * 1103515245 + 12345;
        sqlite3_bind_int(s, 1, (int)((x >> 8) % 20000));
        if (sqlite3_step(s) == SQLITE_ROW)
            sum += sqlite3_column_int(s, 0);
        sqlite3_reset(s);
    }
    printf("%ld\n", sum);
    return sum == 200L * k ? 0 : 1;
}
