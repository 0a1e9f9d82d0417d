/*
 * sqlite_locks: SQLite's default VFS (unix: fcntl locks, a journal, temporary files)
 * in a folder, with two processes (VMs) on one database. Built only where Debian's
 * libsqlite3-dev is installed (a static glibc program).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        printf("open %s: %s\n", path, sqlite3_errmsg(db));
        exit(1);
    }
    return db;
}

/* Runs sql; prints "ok" or the error as sqlite words it. */
static const char *run(sqlite3 *db, const char *sql)
{
    static char msg[256];
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
        return "ok";
    snprintf(msg, sizeof(msg), "%s", err ? err : "?");
    sqlite3_free(err);
    return msg;
}

static long one(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void say(const char *fmt, const char *a)
{
    printf(fmt, a);
    fflush(stdout);
}

static int two_processes(const char *path, const char *mode)
{
    char sql[128];
    sqlite3 *db = open_db(path);
    snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s", mode);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sqlite3_step(st);
    printf("journal_mode %s\n", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    say("create: %s\n", run(db, "DROP TABLE IF EXISTS t; CREATE TABLE t(x INTEGER, y TEXT)"));
    say("insert 1000 rows: %s\n", run(db, "BEGIN; WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
                                          "SELECT i + 1 FROM c WHERE i < 1000) INSERT INTO t "
                                          "SELECT i, hex(randomblob(100)) FROM c; COMMIT"));
    int p2c[2], c2p[2];
    pipe(p2c);
    pipe(c2p);
    char c;
    pid_t pid = fork();
    if (pid == 0) {
        sqlite3 *d2 = open_db(path);
        read(p2c[0], &c, 1); /* the parent holds an exclusive transaction */
        say("child: insert while the parent writes: %s\n", run(d2, "INSERT INTO t VALUES (0, 'c')"));
        write(c2p[1], "x", 1);
        read(p2c[0], &c, 1); /* committed */
        say("child: insert after the parent's commit: %s\n", run(d2, "INSERT INTO t VALUES (0, 'c')"));
        sqlite3_close(d2);
        _exit(0);
    }
    say("parent: BEGIN EXCLUSIVE: %s\n", run(db, "BEGIN EXCLUSIVE; INSERT INTO t VALUES (-1, 'p')"));
    write(p2c[1], "x", 1);
    read(c2p[0], &c, 1);
    say("parent: COMMIT: %s\n", run(db, "COMMIT"));
    write(p2c[1], "x", 1);
    int status;
    waitpid(pid, &status, 0);
    printf("rows: %ld\n", one(db, "SELECT count(*) FROM t"));
    sqlite3_close(db);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    char path[512];
    snprintf(path, sizeof(path), "%s/sqlite-test.db", dir);
    unlink(path);
    two_processes(path, "delete");
    two_processes(path, "wal");
    /* a sort larger than the cache: SQLite's temporary files, in /tmp */
    sqlite3 *db = open_db(path);
    run(db, "PRAGMA journal_mode=delete; PRAGMA temp_store=FILE; PRAGMA cache_size=10");
    printf("sorted: %ld\n", one(db, "SELECT count(*) FROM (SELECT y FROM t ORDER BY y DESC)"));
    printf("integrity: %s\n", run(db, "PRAGMA integrity_check"));
    sqlite3_close(db);
    char side[600];
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    return 0;
}
