/*
 * log.c: ukmon-runc's messages. Errors go to stderr (conmon and the runc shim show
 * them) and to --log; warnings and debug lines only to --log: during create the
 * runtime's stderr is the container's own, and what is written there is the
 * container's log.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runc/json.h"
#include "runc/runc.h"

static FILE *log_file;
static bool log_json;
bool runc_debug_on;

void runc_log_open(const char *path, bool json)
{
    log_json = json;
    if (path && path[0])
        log_file = fopen(path, "ae");
    if (log_file)
        setvbuf(log_file, NULL, _IOLBF, 0);
}

/* The log's fd, which the container's process keeps (-1: none). */
int runc_log_fd(void)
{
    return log_file ? fileno(log_file) : -1;
}

static void log_line(const char *level, const char *fmt, va_list ap)
{
    if (!log_file)
        return;
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[64];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    if (log_json) {
        /* The runc shim reads these back: {"level":..,"msg":..,"time":..}. */
        fprintf(log_file, "{\"level\":\"%s\",\"msg\":", level);
        json_put_string(log_file, msg);
        fprintf(log_file, ",\"time\":\"%s.%09ldZ\"}\n", when, ts.tv_nsec);
    } else {
        fprintf(log_file, "time=\"%s.%09ldZ\" level=%s msg=\"%s\"\n", when, ts.tv_nsec, level,
                msg);
    }
}

void runc_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "ukmon-runc: %s\n", msg);
    va_start(ap, fmt);
    log_line("error", fmt, ap);
    va_end(ap);
}

void runc_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("warning", fmt, ap);
    va_end(ap);
}

void runc_debug(const char *fmt, ...)
{
    if (!runc_debug_on)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_line("debug", fmt, ap);
    va_end(ap);
}
