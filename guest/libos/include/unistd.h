/* unistd.h: processes, file descriptors and sleeping in the ukmon guest library. */
#ifndef _UNISTD_H
#define _UNISTD_H
#include <sys/types.h>

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

ssize_t write(int fd, const void *buf, size_t count);
ssize_t read(int fd, void *buf, size_t count);
int close(int fd);
int pipe(int fds[2]);
int dup(int fd);
int dup2(int oldfd, int newfd);
_Noreturn void _exit(int status);
pid_t fork(void);
pid_t getpid(void);
pid_t getppid(void);
unsigned int sleep(unsigned int seconds);
int usleep(unsigned long usec);
int sched_yield(void);
unsigned alarm(unsigned seconds);
int pause(void);

/* Files: only in the folders the monitor grants (ukmon --dir). */
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
off_t lseek(int fd, off_t offset, int whence);
int unlink(const char *path);
int rmdir(const char *path);
int chdir(const char *path);

#endif
