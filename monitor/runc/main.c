/*
 * main.c: ukmon-runc's command line, runc's as podman's conmon and containerd's runc
 * shim call it: global options, then a command and its options, then the id.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runc/runc.h"
#include "ukmon.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: ukmon-runc [global options] COMMAND [options] [ID]\n"
        "An OCI runtime: each container is a tree of ukmon VMs (one per process).\n"
        "\n"
        "commands:\n"
        "  create ID   make the container from --bundle's config.json; its process waits\n"
        "  start ID    let it run its program\n"
        "  run ID      create and start it (--detach: and return; else wait for its end)\n"
        "  state ID    its state as JSON\n"
        "  kill ID [SIGNAL]   send it a signal (default TERM; KILL ends its whole tree)\n"
        "  delete ID   remove it (--force: ends it first); no process is left behind\n"
        "  list        the containers (--format table|json, -q: ids only)\n"
        "  features    what this runtime supports, as JSON\n"
        "\n"
        "global options: --root DIR (state, default %s), --log FILE,\n"
        "  --log-format text|json, --debug; --systemd-cgroup, --criu, --rootless: accepted\n"
        "create/run options: --bundle, -b DIR; --pid-file FILE; --console-socket SOCKET;\n"
        "  --detach, -d (run); --no-pivot, --no-new-keyring: accepted\n",
        RUNC_STATE_ROOT);
}

static void features(void)
{
    printf("{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"%s\","
           "\"hooks\":[\"prestart\",\"createRuntime\",\"createContainer\",\"startContainer\","
           "\"poststart\",\"poststop\"],"
           "\"mountOptions\":[\"bind\",\"rbind\",\"ro\",\"rw\"],"
           "\"linux\":{\"namespaces\":[\"network\",\"uts\",\"mount\",\"pid\",\"ipc\"],"
           "\"capabilities\":[],\"cgroup\":{\"v1\":false,\"v2\":false,\"systemd\":false},"
           "\"seccomp\":{\"enabled\":false},\"apparmor\":{\"enabled\":false},"
           "\"selinux\":{\"enabled\":false}},"
           "\"annotations\":{\"io.ukmon.version\":\"%s\"}}\n",
           RUNC_OCI_VERSION, UKMON_VERSION);
}

static int list(const struct runc_opts *o)
{
    DIR *d = opendir(o->root);
    if (!d && errno != ENOENT) {
        runc_error("--root %s: %s", o->root, strerror(errno));
        return RUNC_FAIL;
    }
    if (o->json)
        fputs("[", stdout);
    else if (!o->quiet)
        printf("%-24s %-8s %-8s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
               "OWNER");
    bool first = true;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.' || !runc_id_ok(e->d_name))
            continue;
        struct runc_state st;
        struct spec sp;
        if (runc_state_read(o, e->d_name, &st, &sp) < 0)
            continue;
        enum runc_status s = runc_status(&st);
        if (o->json) {
            fputs(first ? "" : ",", stdout);
            runc_state_print(stdout, &st, &sp);
        } else if (o->quiet) {
            printf("%s\n", st.id);
        } else {
            printf("%-24s %-8d %-8s %-40s %-32s %s\n", st.id, s == ST_STOPPED ? 0 : (int)st.pid,
                   runc_status_name(s), st.bundle, st.created, "root");
        }
        first = false;
        spec_free(&sp);
    }
    if (d)
        closedir(d);
    if (o->json)
        fputs("]\n", stdout);
    return 0;
}

/* A flag of `name` at argv[*i] ("--name", "--name=value", or its short form). */
static bool flag(int argc, char **argv, int *i, const char *name, const char *shortname,
                 bool takes_value, const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    bool eq = !strncmp(a, name, n) && a[n] == '=';
    bool exact = !strcmp(a, name) || (shortname && !strcmp(a, shortname));
    if (!exact && !eq)
        return false;
    if (!takes_value) {
        if (eq) {
            const char *v = strchr(a, '=') + 1;
            return !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "false") ||
                   !strcmp(v, "0") ? (*value = v, true) : false;
        }
        *value = "true";
        return true;
    }
    if (eq) {
        *value = strchr(a, '=') + 1;
        return true;
    }
    if (*i + 1 >= argc) {
        *value = NULL;
        return true;
    }
    *value = argv[++*i];
    return true;
}

static bool truthy(const char *v)
{
    return v && (!strcmp(v, "true") || !strcmp(v, "1"));
}

int main(int argc, char **argv)
{
    struct runc_opts o = {.root = RUNC_STATE_ROOT};
    const char *log_path = NULL, *log_format = "text", *v;
    int i = 1;
    /* Global options, before the command. */
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (flag(argc, argv, &i, "--root", NULL, true, &v)) {
            o.root = v;
        } else if (flag(argc, argv, &i, "--log", NULL, true, &v)) {
            log_path = v;
        } else if (flag(argc, argv, &i, "--log-format", NULL, true, &v)) {
            log_format = v;
        } else if (flag(argc, argv, &i, "--debug", NULL, false, &v)) {
            runc_debug_on = truthy(v);
        } else if (flag(argc, argv, &i, "--systemd-cgroup", NULL, false, &v) ||
                   flag(argc, argv, &i, "--criu", NULL, true, &v) ||
                   flag(argc, argv, &i, "--rootless", NULL, true, &v)) {
            /* accepted: the tree's cgroup is ukmon's own (--tree-mem) */
        } else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
            printf("ukmon-runc version %s\nspec: %s\nukmon: %s (hypercall ABI %d)\n",
                   RUNC_VERSION, RUNC_OCI_VERSION, UKMON_VERSION, UKMON_ABI_VERSION);
            return 0;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "ukmon-runc: unknown global option %s\n", argv[i]);
            usage(stderr);
            return RUNC_FAIL;
        }
        if (!v) {
            fprintf(stderr, "ukmon-runc: %s needs a value\n", argv[i]);
            return RUNC_FAIL;
        }
    }
    if (!o.root || !o.root[0] || !log_format ||
        (strcmp(log_format, "text") && strcmp(log_format, "json"))) {
        fprintf(stderr, "ukmon-runc: --root needs a folder, --log-format text or json\n");
        return RUNC_FAIL;
    }
    runc_log_open(log_path, !strcmp(log_format, "json"));
    if (i >= argc) {
        usage(stderr);
        return RUNC_FAIL;
    }
    const char *cmd = argv[i++];
    if (!strcmp(cmd, "features"))
        return features(), 0;
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("ukmon-runc version %s\nspec: %s\n", RUNC_VERSION, RUNC_OCI_VERSION);
        return 0;
    }
    /* The command's options, then its arguments (options may follow them too). */
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0;
    for (; i < argc; i++) {
        if (argv[i][0] != '-' || !strcmp(argv[i], "-")) {
            if (npos == 3) {
                runc_error("%s: too many arguments", cmd);
                return RUNC_FAIL;
            }
            pos[npos++] = argv[i];
            continue;
        }
        if (!strcmp(argv[i], "--")) {
            while (++i < argc && npos < 3)
                pos[npos++] = argv[i];
            break;
        }
        v = "";
        if (flag(argc, argv, &i, "--bundle", "-b", true, &v))
            o.bundle = v;
        else if (flag(argc, argv, &i, "--pid-file", NULL, true, &v))
            o.pid_file = v;
        else if (flag(argc, argv, &i, "--console-socket", NULL, true, &v))
            o.console_socket = v;
        else if (flag(argc, argv, &i, "--detach", "-d", false, &v))
            o.detach = truthy(v);
        else if (flag(argc, argv, &i, "--force", "-f", false, &v) && strcmp(cmd, "list"))
            o.force = truthy(v);
        else if (flag(argc, argv, &i, "--all", "-a", false, &v))
            o.all = truthy(v);
        else if (flag(argc, argv, &i, "--format", "-f", true, &v))
            o.json = v && !strcmp(v, "json");
        else if (flag(argc, argv, &i, "--quiet", "-q", false, &v))
            o.quiet = truthy(v);
        else if (flag(argc, argv, &i, "--no-pivot", NULL, false, &v) ||
                 flag(argc, argv, &i, "--no-new-keyring", NULL, false, &v) ||
                 flag(argc, argv, &i, "--preserve-fds", NULL, true, &v) ||
                 flag(argc, argv, &i, "--no-subreaper", NULL, false, &v) ||
                 flag(argc, argv, &i, "--keep", NULL, false, &v))
            ; /* accepted: nothing of ukmon's differs by them */
        else {
            runc_error("%s: unknown option %s", cmd, argv[i]);
            return RUNC_FAIL;
        }
        if (!v) {
            runc_error("%s: %s needs a value", cmd, argv[i]);
            return RUNC_FAIL;
        }
    }
    if (!strcmp(cmd, "list"))
        return list(&o) < 0 ? RUNC_FAIL : 0;
    bool known = !strcmp(cmd, "create") || !strcmp(cmd, "start") || !strcmp(cmd, "run") ||
                 !strcmp(cmd, "state") || !strcmp(cmd, "kill") || !strcmp(cmd, "delete");
    if (!known) {
        runc_error("unknown command %s (create, start, run, state, kill, delete, list, "
                   "features)", cmd);
        return RUNC_FAIL;
    }
    if (npos < 1 || (npos > 1 && strcmp(cmd, "kill")) || npos > 2) {
        runc_error("%s: expected a container id%s", cmd, !strcmp(cmd, "kill") ?
                   " and an optional signal" : "");
        return RUNC_FAIL;
    }
    const char *id = pos[0];
    if (!runc_id_ok(id)) {
        runc_error("invalid container id '%.80s'", id);
        return RUNC_FAIL;
    }
    if (!strcmp(cmd, "create"))
        return runc_create(&o, id, NULL) < 0 ? RUNC_FAIL : 0;
    if (!strcmp(cmd, "start"))
        return runc_start(&o, id) < 0 ? RUNC_FAIL : 0;
    if (!strcmp(cmd, "run"))
        return runc_run(&o, id);
    if (!strcmp(cmd, "kill"))
        return runc_kill(&o, id, pos[1]) < 0 ? RUNC_FAIL : 0;
    if (!strcmp(cmd, "delete"))
        return runc_delete(&o, id) < 0 ? RUNC_FAIL : 0;
    struct runc_state st;
    struct spec sp;
    if (runc_state_read(&o, id, &st, &sp) < 0)
        return RUNC_FAIL;
    runc_state_print(stdout, &st, &sp);
    fputc('\n', stdout);
    spec_free(&sp);
    return 0;
}
