/* pipe_chain: N MiB through a chain of 4 VMs (producer, 2 relays, consumer), checksummed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static unsigned char buf[CHUNK];

/* Copies in to out (or only checksums, out < 0) until EOF; returns the checksum. */
static uint64_t relay(int in, int out, uint64_t *bytes)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf)); /* short reads happen: pipes give what they have */
        if (n < 0) {
            perror("relay read");
            exit(1);
        }
        if (n == 0)
            return h;
        h = fnv(h, buf, (size_t)n);
        *bytes += (uint64_t)n;
        if (out >= 0 && write_all(out, buf, (size_t)n) < 0) {
            perror("relay write");
            exit(1);
        }
    }
}

int main(int argc, char **argv)
{
    uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 256;
    int p[3][2];
    for (int i = 0; i < 3; i++)
        if (pipe(p[i]) < 0)
            return 1;
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            int in = p[i][0], out = i < 2 ? p[i + 1][1] : -1;
            for (int k = 0; k < 3; k++) {
                if (p[k][0] != in)
                    close(p[k][0]);
                if (p[k][1] != out)
                    close(p[k][1]);
            }
            uint64_t bytes = 0, h = relay(in, out, &bytes);
            if (out < 0)
                printf("consumer: %llu bytes, checksum %016llx\n", (unsigned long long)bytes,
                       (unsigned long long)h);
            return 0;
        }
    }
    for (int k = 0; k < 3; k++) {
        close(p[k][0]);
        if (k)
            close(p[k][1]);
    }
    uint64_t h = 0xcbf29ce484222325ULL, x = 0x2545f4914f6cdd1dULL;
    for (uint64_t done = 0; done < (mib << 20); done += CHUNK) {
        for (size_t i = 0; i < CHUNK; i += 8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for (int b = 0; b < 8; b++)
                buf[i + (size_t)b] = (unsigned char)(x >> (8 * b));
        }
        h = fnv(h, buf, CHUNK);
        if (write_all(p[0][1], buf, CHUNK) < 0) {
            perror("producer write");
            return 1;
        }
    }
    close(p[0][1]);
    printf("producer: %llu bytes, checksum %016llx\n", (unsigned long long)(mib << 20),
           (unsigned long long)h);
    fflush(stdout);
    int bad = 0;
    for (int i = 0; i < 3; i++) {
        int st;
        waitpid(kids[i], &st, 0);
        bad |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    }
    return bad;
}
