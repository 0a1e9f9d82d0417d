/* close_stdio: closes fds 0-2, then reads and writes them: EBADF, no crash. */
#include <errno.h>
#include <unistd.h>

int main(void)
{
    char c;
    close(0);
    close(1);
    close(2);
    int bad = 0;
    if (read(0, &c, 1) != -1 || errno != EBADF)
        bad |= 1;
    if (write(1, "x", 1) != -1 || errno != EBADF)
        bad |= 2;
    if (write(2, "x", 1) != -1 || errno != EBADF)
        bad |= 4;
    return bad ? 10 + bad : 42;
}
