/*
 * runc.h: ukmon-runc, an OCI runtime with runc's command line (as podman's conmon and
 * containerd's runc shim call it), a second thin front end of libukmon: each container
 * is a tree of VMs whose root monitor is the container's process.
 */
#ifndef UKMON_RUNC_H
#define UKMON_RUNC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "runc/spec.h"

#define RUNC_VERSION "0.1.0"
#define RUNC_OCI_VERSION "1.0.2"
#define RUNC_STATE_ROOT "/run/ukmon-runc"
#define RUNC_ID_MAX 200

/* Exit code of a failed command, as runc's. */
#define RUNC_FAIL 1

struct runc_opts {
    const char *root;            /* --root: where containers' state lives */
    const char *bundle;          /* --bundle, -b (default: the working directory) */
    const char *pid_file;        /* --pid-file */
    const char *console_socket;  /* --console-socket: a UNIX socket for the pty master */
    bool detach;                 /* run --detach */
    bool force;                  /* delete --force */
    bool all;                    /* kill --all */
    bool json;                   /* list --format json */
    bool quiet;                  /* list -q */
};

/* log.c: --log FILE (--log-format text|json); errors also on stderr. */
void runc_log_open(const char *path, bool json);
int runc_log_fd(void);
void runc_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void runc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void runc_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool runc_debug_on;

/* state.c: the state of one container, under --root/ID. */
enum runc_status { ST_CREATED, ST_RUNNING, ST_STOPPED };
struct runc_state {
    char id[RUNC_ID_MAX + 1];
    pid_t pid;
    uint64_t start_time;         /* the process's start time (/proc/PID/stat): pids recycle */
    char bundle[4096];
    char rootfs[4096];
    char created[64];            /* RFC 3339, UTC */
    char dir[4096];              /* the state directory */
};
bool runc_id_ok(const char *id);
int runc_state_dir(const struct runc_opts *o, const char *id, char *out, size_t outlen);
int runc_state_write(const struct runc_state *st, const struct spec *sp);
int runc_state_read(const struct runc_opts *o, const char *id, struct runc_state *st,
                    struct spec *sp);
enum runc_status runc_status(const struct runc_state *st);
const char *runc_status_name(enum runc_status s);
const char *runc_proc_stat(pid_t pid, char *buf, size_t size);
uint64_t runc_proc_start_time(pid_t pid);
void runc_state_print(FILE *f, const struct runc_state *st, const struct spec *sp);
int runc_rm_rf(const char *path);

/* hooks.c: hooks run as runc runs them, the state on their stdin. */
int runc_hooks(const struct spec *sp, enum spec_hook_kind kind, const struct runc_state *st,
               bool fatal);

/* console.c: the pty of a container with process.terminal. */
int runc_console_send(const char *socket_path, int master);
int runc_console_open(unsigned rows, unsigned cols, int *master, char *slave, size_t slavelen);

/* container.c: the commands that make, start and end containers. */
int runc_create(const struct runc_opts *o, const char *id, pid_t *pid);
int runc_start(const struct runc_opts *o, const char *id);
int runc_run(const struct runc_opts *o, const char *id);
int runc_delete(const struct runc_opts *o, const char *id);
int runc_kill(const struct runc_opts *o, const char *id, const char *signal);

#endif
