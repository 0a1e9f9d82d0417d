/* upper: a filter for host shell pipelines: stdin to stdout in upper case. */
#include <ctype.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    static char buf[65536];
    for (;;) {
        ssize_t n = read(0, buf, sizeof(buf));
        if (n < 0) {
            perror("upper: read");
            return 1;
        }
        if (n == 0)
            return 0;
        for (ssize_t i = 0; i < n; i++)
            buf[i] = (char)toupper((unsigned char)buf[i]);
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(1, buf + off, (size_t)(n - off));
            if (w < 0) {
                perror("upper: write");
                return 1;
            }
            off += w;
        }
    }
}
