/* fork_many: 200 sequential fork+wait, then 32 children alive at once. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int sequential = argc > 1 ? atoi(argv[1]) : 200;
    int concurrent = argc > 2 ? atoi(argv[2]) : 32;
    int bad = 0;
    for (int i = 0; i < sequential; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0)
            _exit(i & 0xff);
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != (i & 0xff))
            bad++;
    }
    printf("%d sequential fork+wait: %s\n", sequential, bad ? "FAILED" : "ok");
    int fds[2];
    if (pipe(fds) < 0)
        return 1;
    static pid_t pids[1024];
    for (int i = 0; i < concurrent; i++) {
        pids[i] = fork();
        if (pids[i] < 0) {
            perror("fork");
            return 1;
        }
        if (pids[i] == 0) {
            char c;
            close(fds[1]);
            /* All alive at once: each waits for the parent to close the pipe. */
            if (read(fds[0], &c, 1) != 0)
                _exit(200);
            _exit(100 + i % 100);
        }
    }
    close(fds[0]);
    close(fds[1]);
    int seen = 0;
    for (int i = 0; i < concurrent; i++) {
        int st;
        pid_t p = wait(&st);
        for (int k = 0; k < concurrent; k++)
            if (pids[k] == p && WIFEXITED(st) && WEXITSTATUS(st) == 100 + k % 100)
                seen++;
    }
    printf("%d concurrent children reaped with their statuses: %s\n", concurrent,
           seen == concurrent ? "ok" : "FAILED");
    int st;
    printf("then wait() has no child: %s\n", wait(&st) < 0 ? "ECHILD" : "wrong");
    return bad || seen != concurrent;
}
