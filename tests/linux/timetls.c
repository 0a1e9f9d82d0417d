/* timetls.c: clocks, sleeps, TLS and SIMD under the Linux personality, also in a child. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#include "lxtest.h"

static __thread int tls_counter = 5;
static __thread char tls_buf[64];

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Large string and memory operations: glibc picks its AVX2 versions where the CPU
 * and XCR0 allow, and they must give the right answers. */
static int simd_check(void)
{
    static char a[1 << 16], b[1 << 16];
    for (size_t i = 0; i < sizeof(a); i++)
        a[i] = (char)('a' + i % 26);
    a[sizeof(a) - 1] = 0;
    memcpy(b, a, sizeof(a));
    int ok = memcmp(a, b, sizeof(a)) == 0 && strlen(b) == sizeof(b) - 1 &&
             strchr(b, '#') == NULL && memchr(b, 'z', sizeof(b)) == b + 25;
    b[40000] = '#';
    ok = ok && strchr(b, '#') == b + 40000 && memcmp(a, b, sizeof(a)) != 0;
    double v[8] = {1, 2, 3, 4, 5, 6, 7, 8}, s = 0;
    for (int i = 0; i < 8; i++)
        s += v[i] * v[i];
    return ok && s == 204.0;
}

int main(void)
{
    int64_t t0 = mono_ns();
    struct timespec d = {0, 50 * 1000000};
    nanosleep(&d, NULL);
    int64_t slept = mono_ns() - t0;
    say("nanosleep(50 ms) took at least 50 ms: %s\n", slept >= 50000000 ? "yes" : "no");
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_nsec += 20 * 1000000;
    if (now.tv_nsec >= 1000000000) {
        now.tv_sec++;
        now.tv_nsec -= 1000000000;
    }
    say("clock_nanosleep(TIMER_ABSTIME): %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL));
    struct timeval tv;
    gettimeofday(&tv, NULL);
    time_t t = time(NULL);
    say("gettimeofday and time agree: %s\n", t - tv.tv_sec <= 1 && t >= tv.tv_sec ? "yes" : "no");
    struct timespec res;
    say("clock_getres(CLOCK_MONOTONIC): %s\n", RES(clock_getres(CLOCK_MONOTONIC, &res)));
    say("clock_gettime of a bad clock: %s\n", RES(clock_gettime((clockid_t)77, &res)));

    tls_counter++;
    snprintf(tls_buf, sizeof(tls_buf), "tls of the parent");
    say("TLS: %d, %s\n", tls_counter, tls_buf);
    say("SIMD string functions: %s\n", simd_check() ? "right" : "WRONG");
    int p[2];
    pipe(p);
    int64_t before = mono_ns();
    pid_t c = fork();
    if (c == 0) {
        char line[128];
        int ok = tls_counter == 6 && !strcmp(tls_buf, "tls of the parent") && simd_check() &&
                 mono_ns() >= before;
        snprintf(line, sizeof(line), "child: TLS kept, SIMD right, clock not back: %s\n",
                 ok ? "yes" : "no");
        write(p[1], line, strlen(line));
        _exit(0);
    }
    close(p[1]);
    char line[128] = "";
    read(p[0], line, sizeof(line) - 1);
    say("%s", line);
    int st;
    waitpid(c, &st, 0);
    return 0;
}
