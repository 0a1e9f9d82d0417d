/* guestcfg.h: a container's spec made libukmon's configuration (guestcfg.c). */
#ifndef UKMON_RUNC_GUESTCFG_H
#define UKMON_RUNC_GUESTCFG_H

#include "runc/runc.h"
#include "ukmon.h"

/*
 * Sanitizer runtimes need calls the seccomp filter refuses and read /proc at exit:
 * such builds run their guests without the filter and Landlock, as the CLI's do.
 */
#if defined(__SANITIZE_ADDRESS__)
#define RUNC_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RUNC_SANITIZED 1
#endif
#endif
#ifndef RUNC_SANITIZED
#define RUNC_SANITIZED 0
#endif

struct guest_cfg {
    struct ukmon_config cfg;
    struct ukmon_dir dirs[UKMON_DIRS_MAX];
    char dir_host[UKMON_DIRS_MAX][4200];
    char dir_guest[UKMON_DIRS_MAX][4096];
    struct ukmon_publish pub[UKMON_PUBLISH_MAX];
    struct ukmon_connect conn[UKMON_CONNECT_MAX];
    char rootfs[4096];
    bool mem_from_annotation;
};

int guest_cfg_make(const struct spec *sp, const char *bundle, const char *state_dir,
                   struct guest_cfg *g);

#endif
