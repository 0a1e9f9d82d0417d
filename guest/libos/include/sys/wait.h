/* sys/wait.h: waiting for child VMs; statuses use the Linux encoding. */
#ifndef _SYS_WAIT_H
#define _SYS_WAIT_H
#include <sys/types.h>

#define WNOHANG 1

#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WTERMSIG(s) ((s) & 0x7f)
#define WIFEXITED(s) (WTERMSIG(s) == 0)
#define WIFSIGNALED(s) (((signed char)(((s) & 0x7f) + 1) >> 1) > 0)
#define WCOREDUMP(s) ((s) & 0x80)
#define WIFSTOPPED(s) (((s) & 0xff) == 0x7f)

pid_t waitpid(pid_t pid, int *status, int options);
pid_t wait(int *status);

#endif
