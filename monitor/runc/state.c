/*
 * state.c: a container's state under --root/ID: state.json (written whole, then
 * renamed into place), the config.json it was created from (hooks and annotations
 * as they were: later edits of the bundle must not change the container), the
 * exec FIFO that holds the process until `start`, and the folders of its tmpfs mounts.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runc/runc.h"

/* runc's rule: letters, digits, '_', '+', '-', '.'; not "." or "..". */
bool runc_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > RUNC_ID_MAX || !strcmp(id, ".") || !strcmp(id, ".."))
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '+' || *p == '-' || *p == '.'))
            return false;
    return true;
}

int runc_state_dir(const struct runc_opts *o, const char *id, char *out, size_t outlen)
{
    if (!runc_id_ok(id)) {
        runc_error("invalid container id '%.80s': letters, digits, '_', '+', '-', '.' only", id);
        return -1;
    }
    if ((size_t)snprintf(out, outlen, "%s/%s", o->root, id) >= outlen) {
        runc_error("--root %s: path too long", o->root);
        return -1;
    }
    return 0;
}

/*
 * /proc/PID/stat from its third field on (the state), in buf; NULL if there is no
 * such process. The name before it may hold spaces and parentheses: the last ')'
 * ends it.
 */
const char *runc_proc_stat(pid_t pid, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return NULL;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] ? p + 2 : NULL;
}

/*
 * Field 22 of /proc/PID/stat, the start time in clock ticks since boot: with the pid
 * it names one process for good. 0 if there is none (or it is a zombie: ended).
 */
uint64_t runc_proc_start_time(pid_t pid)
{
    char buf[1024];
    const char *p = runc_proc_stat(pid, buf, sizeof(buf));
    if (!p || *p == 'Z' || *p == 'X')
        return 0;
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p ? strtoull(p, NULL, 10) : 0;
}

enum runc_status runc_status(const struct runc_state *st)
{
    if (st->pid <= 0 || runc_proc_start_time(st->pid) != st->start_time || !st->start_time)
        return ST_STOPPED;
    char fifo[4200];
    snprintf(fifo, sizeof(fifo), "%s/exec.fifo", st->dir);
    return access(fifo, F_OK) == 0 ? ST_CREATED : ST_RUNNING;
}

const char *runc_status_name(enum runc_status s)
{
    return s == ST_CREATED ? "created" : s == ST_RUNNING ? "running" : "stopped";
}

/* The state as the OCI spec's `state` prints it (and as hooks read it on stdin). */
void runc_state_print(FILE *f, const struct runc_state *st, const struct spec *sp)
{
    enum runc_status s = runc_status(st);
    fprintf(f, "{\"ociVersion\":\"%s\",\"id\":", RUNC_OCI_VERSION);
    json_put_string(f, st->id);
    fprintf(f, ",\"status\":\"%s\",\"pid\":%d,\"bundle\":", runc_status_name(s),
            s == ST_STOPPED ? 0 : (int)st->pid);
    json_put_string(f, st->bundle);
    fputs(",\"rootfs\":", f);
    json_put_string(f, st->rootfs);
    fputs(",\"created\":", f);
    json_put_string(f, st->created);
    fputs(",\"owner\":\"\",\"annotations\":{", f);
    for (size_t i = 0; sp && i < sp->nann; i++) {
        fputs(i ? "," : "", f);
        json_put_string(f, sp->ann_keys[i]);
        fputc(':', f);
        json_put_string(f, sp->ann_values[i]);
    }
    fputs("}}", f);
}

/* state.json, written whole under another name and renamed: never half there. */
int runc_state_write(const struct runc_state *st, const struct spec *sp)
{
    char tmp[4200], path[4200];
    snprintf(tmp, sizeof(tmp), "%s/state.json.tmp", st->dir);
    snprintf(path, sizeof(path), "%s/state.json", st->dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        runc_error("%s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    (void)sp;
    fprintf(f, "{\"id\":");
    json_put_string(f, st->id);
    fprintf(f, ",\"pid\":%d,\"startTime\":%llu,\"bundle\":", (int)st->pid,
            (unsigned long long)st->start_time);
    json_put_string(f, st->bundle);
    fputs(",\"rootfs\":", f);
    json_put_string(f, st->rootfs);
    fputs(",\"created\":", f);
    json_put_string(f, st->created);
    fputs("}\n", f);
    if (fflush(f) != 0 || fsync(fileno(f)) < 0 || fclose(f) != 0) {
        runc_error("%s: %s", tmp, strerror(errno));
        return -1;
    }
    if (rename(tmp, path) < 0) {
        runc_error("%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int copy_str(char *out, size_t outlen, const struct json *j)
{
    if (!j || j->type != JSON_STRING || j->n >= outlen)
        return -1;
    memcpy(out, j->s, j->n + 1);
    return 0;
}

/*
 * The state of container `id`, and (sp not NULL) the config it was made from. Our
 * own files, but read as strictly as anything: a state file someone edited is an
 * error, not a crash.
 */
int runc_state_read(const struct runc_opts *o, const char *id, struct runc_state *st,
                    struct spec *sp)
{
    memset(st, 0, sizeof(*st));
    if (sp)
        memset(sp, 0, sizeof(*sp));
    if (runc_state_dir(o, id, st->dir, sizeof(st->dir)) < 0)
        return -1;
    char path[4200];
    snprintf(path, sizeof(path), "%s/state.json", st->dir);
    size_t len;
    char *text = spec_read_file(path, 1 << 20, &len);
    if (!text) {
        if (errno == ENOENT)
            runc_error("container \"%s\" does not exist", id);
        else
            runc_error("%s: %s", path, strerror(errno));
        return -1;
    }
    struct json_doc doc;
    char err[200];
    const struct json *j = json_parse(&doc, text, len, err, sizeof(err));
    free(text);
    const struct json *pid = json_get(j, "pid"), *t = json_get(j, "startTime");
    int r = -1;
    if (!j)
        runc_error("%s: %s", path, err);
    else if (copy_str(st->id, sizeof(st->id), json_get(j, "id")) < 0 || strcmp(st->id, id) ||
             copy_str(st->bundle, sizeof(st->bundle), json_get(j, "bundle")) < 0 ||
             copy_str(st->rootfs, sizeof(st->rootfs), json_get(j, "rootfs")) < 0 ||
             copy_str(st->created, sizeof(st->created), json_get(j, "created")) < 0 ||
             !pid || pid->type != JSON_NUMBER || !pid->is_int || pid->neg || pid->u > INT32_MAX ||
             !t || t->type != JSON_NUMBER || !t->is_int || t->neg)
        runc_error("%s: not a state file of ukmon-runc", path);
    else
        r = 0;
    if (r == 0) {
        st->pid = (pid_t)pid->u;
        st->start_time = t->u;
    }
    json_free(&doc);
    if (r == 0 && sp) {
        snprintf(path, sizeof(path), "%s/config.json", st->dir);
        text = spec_read_file(path, JSON_TEXT_MAX, &len);
        if (!text) {
            runc_error("%s: %s", path, strerror(errno));
            return -1;
        }
        r = spec_parse(sp, text, len, err, sizeof(err));
        free(text);
        if (r < 0)
            runc_error("%s: %s", path, err);
    }
    return r;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
        runc_warn("removing %s: %s", path, strerror(errno));
    return 0;
}

/* rm -rf, never following a link out of it, never crossing into another mount. */
int runc_rm_rf(const char *path)
{
    if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT)
        return -1;
    return 0;
}
