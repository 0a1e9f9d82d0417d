/* stdio.c: the standard streams of the ukmon guest: buffering, character and block I/O. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define F_READ 1
#define F_WRITE 2
#define F_EOF 4
#define F_ERR 8

struct __ukmon_file {
    struct __ukmon_file *next;  /* fopen()'ed files, for __stdio_flush_all() */
    int fd;
    int flags;
    int mode;
    unsigned char *buf;
    size_t size;
    /* Output: bytes waiting in buf. Input: bytes of buf that hold data. */
    size_t len;
    /* Input only: next byte of buf to hand out. */
    size_t pos;
    /* What setvbuf(stream, NULL, ...) falls back to. */
    unsigned char *own_buf;
    /* Unbuffered input still needs one byte of room (and one for ungetc). */
    unsigned char one_byte[1];
};

static unsigned char stdin_buf[BUFSIZ];
static unsigned char stdout_buf[BUFSIZ];
/* Only used if a program asks for stderr to be buffered; untouched pages cost nothing. */
static unsigned char stderr_buf[BUFSIZ];

static FILE stdin_file = {
    .fd = 0, .flags = F_READ, .mode = _IOFBF,
    .buf = stdin_buf, .size = BUFSIZ, .own_buf = stdin_buf,
};
static FILE stdout_file = {
    .fd = 1, .flags = F_WRITE, .mode = _IOFBF,
    .buf = stdout_buf, .size = BUFSIZ, .own_buf = stdout_buf,
};
static FILE stderr_file = {
    .fd = 2, .flags = F_WRITE, .mode = _IONBF,
    .buf = stderr_file.one_byte, .size = 1, .own_buf = stderr_buf,
};

FILE *stdin = &stdin_file;
FILE *stdout = &stdout_file;
FILE *stderr = &stderr_file;

/* Also used by printf.c for dprintf(). */
int __stdio_write_all(int fd, const void *data, size_t n);
size_t __stdio_write(FILE *f, const void *data, size_t n);

int __stdio_write_all(int fd, const void *data, size_t n)
{
    const unsigned char *p = data;
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0) {
            /* No progress and no error would otherwise loop for ever. */
            errno = EIO;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int flush_output(FILE *f)
{
    if (!(f->flags & F_WRITE) || f->len == 0)
        return 0;
    size_t n = f->len;
    /* Emptied even on failure: retrying the same bytes forever helps nobody. */
    f->len = 0;
    if (__stdio_write_all(f->fd, f->buf, n) < 0) {
        f->flags |= F_ERR;
        return EOF;
    }
    return 0;
}

/* Buffers or writes `n` bytes; returns how many were accepted (n unless an error occurred). */
size_t __stdio_write(FILE *f, const void *data, size_t n)
{
    const unsigned char *p = data;

    if (!(f->flags & F_WRITE)) {
        f->flags |= F_ERR;
        errno = EBADF;
        return 0;
    }
    if (n == 0)
        return 0;

    if (f->mode == _IONBF) {
        if (flush_output(f) < 0 || __stdio_write_all(f->fd, p, n) < 0) {
            f->flags |= F_ERR;
            return 0;
        }
        return n;
    }

    size_t room = f->size - f->len;
    if (n <= room) {
        memcpy(f->buf + f->len, p, n);
        f->len += n;
    } else {
        /* Top up the buffer first so the write that follows is a full one. */
        memcpy(f->buf + f->len, p, room);
        f->len = f->size;
        if (flush_output(f) < 0)
            return 0;
        size_t rest = n - room;
        if (rest >= f->size) {
            if (__stdio_write_all(f->fd, p + room, rest) < 0) {
                f->flags |= F_ERR;
                return 0;
            }
        } else {
            memcpy(f->buf, p + room, rest);
            f->len = rest;
        }
    }

    if (f->mode == _IOLBF && memchr(p, '\n', n) != NULL) {
        if (flush_output(f) < 0)
            return 0;
    }
    return n;
}

int fflush(FILE *stream)
{
    if (stream == NULL) {
        int r1 = flush_output(stdout);
        int r2 = flush_output(stderr);
        return (r1 < 0 || r2 < 0) ? EOF : 0;
    }
    return flush_output(stream);
}

static FILE *opened; /* files fopen() made, newest first */

void __stdio_flush_all(void)
{
    flush_output(stdout);
    flush_output(stderr);
    for (FILE *f = opened; f; f = f->next)
        flush_output(f);
}

/* "r", "w", "a", each with an optional "+" (and "b", "e", "x" as glibc reads them). */
FILE *fopen(const char *restrict path, const char *restrict mode)
{
    int flags, rw;
    switch (mode[0]) {
    case 'r': flags = 0; rw = F_READ; break;
    case 'w': flags = O_CREAT | O_TRUNC; rw = F_WRITE; break;
    case 'a': flags = O_CREAT | O_APPEND; rw = F_WRITE; break;
    default:
        errno = EINVAL;
        return NULL;
    }
    for (const char *m = mode + 1; *m; m++) {
        if (*m == '+')
            rw = F_READ | F_WRITE;
        else if (*m == 'e')
            flags |= O_CLOEXEC;
        else if (*m == 'x')
            flags |= O_EXCL;
    }
    flags |= rw == (F_READ | F_WRITE) ? O_RDWR : rw == F_WRITE ? O_WRONLY : O_RDONLY;
    FILE *f = calloc(1, sizeof(*f) + BUFSIZ);
    if (!f) {
        errno = ENOMEM;
        return NULL;
    }
    f->fd = open(path, flags, 0666);
    if (f->fd < 0) {
        free(f);
        return NULL;
    }
    f->flags = rw;
    f->mode = _IOFBF;
    f->buf = f->own_buf = (unsigned char *)(f + 1);
    f->size = BUFSIZ;
    f->next = opened;
    opened = f;
    return f;
}

int fclose(FILE *f)
{
    int r = flush_output(f);
    if (f == stdin || f == stdout || f == stderr)
        return close(f->fd) < 0 || r < 0 ? EOF : 0;
    for (FILE **p = &opened; *p; p = &(*p)->next) {
        if (*p == f) {
            *p = f->next;
            break;
        }
    }
    int c = close(f->fd);
    free(f);
    return c < 0 || r < 0 ? EOF : 0;
}

int setvbuf(FILE *restrict stream, char *restrict buf, int mode, size_t size)
{
    if (mode != _IOFBF && mode != _IOLBF && mode != _IONBF)
        return EOF;
    if (flush_output(stream) < 0)
        return EOF;
    /* Input already buffered would be lost with the buffer; refuse rather than drop it. */
    if ((stream->flags & F_READ) && stream->pos < stream->len)
        return EOF;

    stream->mode = mode;
    stream->len = 0;
    stream->pos = 0;
    if (mode == _IONBF) {
        stream->buf = stream->one_byte;
        stream->size = 1;
    } else if (buf != NULL && size > 0) {
        stream->buf = (unsigned char *)buf;
        stream->size = size;
    } else {
        stream->buf = stream->own_buf;
        stream->size = BUFSIZ;
    }
    return 0;
}

void setbuf(FILE *restrict stream, char *restrict buf)
{
    setvbuf(stream, buf, buf != NULL ? _IOFBF : _IONBF, BUFSIZ);
}

int fileno(FILE *stream)
{
    return stream->fd;
}

int feof(FILE *stream)
{
    return (stream->flags & F_EOF) != 0;
}

int ferror(FILE *stream)
{
    return (stream->flags & F_ERR) != 0;
}

void clearerr(FILE *stream)
{
    stream->flags &= ~(F_EOF | F_ERR);
}

/* ---- output ---- */

int fputc(int c, FILE *stream)
{
    unsigned char ch = (unsigned char)c;

    /* Fast path: room in a buffer and no line flush needed. */
    if (stream->mode == _IOFBF && (stream->flags & F_WRITE) && stream->len < stream->size) {
        stream->buf[stream->len++] = ch;
        return ch;
    }
    return __stdio_write(stream, &ch, 1) == 1 ? ch : EOF;
}

int putc(int c, FILE *stream)
{
    return fputc(c, stream);
}

int putchar(int c)
{
    return fputc(c, stdout);
}

int fputs(const char *restrict s, FILE *restrict stream)
{
    size_t n = strlen(s);
    return __stdio_write(stream, s, n) == n ? 0 : EOF;
}

int puts(const char *s)
{
    if (fputs(s, stdout) == EOF || fputc('\n', stdout) == EOF)
        return EOF;
    return 0;
}

size_t fwrite(const void *restrict ptr, size_t size, size_t nmemb, FILE *restrict stream)
{
    size_t total;
    if (size == 0 || nmemb == 0)
        return 0;
    if (__builtin_mul_overflow(size, nmemb, &total)) {
        stream->flags |= F_ERR;
        errno = EOVERFLOW;
        return 0;
    }
    return __stdio_write(stream, ptr, total) / size;
}

void perror(const char *s)
{
    const char *msg = strerror(errno);
    if (s != NULL && *s != '\0')
        fprintf(stderr, "%s: %s\n", s, msg);
    else
        fprintf(stderr, "%s\n", msg);
}

/* ---- input ---- */

/* Refills an input buffer that has been used up; returns EOF at end of input or on error. */
static int refill(FILE *f)
{
    if (!(f->flags & F_READ)) {
        f->flags |= F_ERR;
        errno = EBADF;
        return EOF;
    }
    /* End of file is sticky until clearerr(), as C requires. */
    if (f->flags & F_EOF)
        return EOF;
    /* A prompt printed without a newline must be visible before we block for input. */
    flush_output(stdout);
    for (;;) {
        ssize_t r = read(f->fd, f->buf, f->size);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            f->flags |= F_ERR;
            return EOF;
        }
        if (r == 0) {
            f->flags |= F_EOF;
            return EOF;
        }
        f->pos = 0;
        f->len = (size_t)r;
        return 0;
    }
}

int fgetc(FILE *stream)
{
    if (stream->pos >= stream->len && refill(stream) == EOF)
        return EOF;
    return stream->buf[stream->pos++];
}

int getc(FILE *stream)
{
    return fgetc(stream);
}

int getchar(void)
{
    return fgetc(stdin);
}

int ungetc(int c, FILE *stream)
{
    if (c == EOF || !(stream->flags & F_READ))
        return EOF;
    if (stream->pos == 0) {
        /* Nothing consumed yet: shift the data up to make room in front, if there is any. */
        if (stream->len >= stream->size)
            return EOF;
        memmove(stream->buf + 1, stream->buf, stream->len);
        stream->len++;
        stream->pos = 1;
    }
    stream->buf[--stream->pos] = (unsigned char)c;
    stream->flags &= ~F_EOF;
    return (unsigned char)c;
}

char *fgets(char *restrict s, int size, FILE *restrict stream)
{
    if (size <= 0)
        return NULL;
    size_t want = (size_t)size - 1;
    size_t got = 0;
    int failed = 0;

    while (got < want) {
        if (stream->pos >= stream->len && refill(stream) == EOF) {
            failed = 1;
            break;
        }
        size_t avail = stream->len - stream->pos;
        size_t n = want - got < avail ? want - got : avail;
        const unsigned char *start = stream->buf + stream->pos;
        const unsigned char *nl = memchr(start, '\n', n);
        if (nl != NULL)
            n = (size_t)(nl - start) + 1;
        memcpy(s + got, start, n);
        stream->pos += n;
        got += n;
        if (nl != NULL)
            break;
    }
    /* A read error makes the result indeterminate; end of file only matters if nothing came. */
    if (failed && (got == 0 || (stream->flags & F_ERR)))
        return NULL;
    s[got] = '\0';
    return s;
}

size_t fread(void *restrict ptr, size_t size, size_t nmemb, FILE *restrict stream)
{
    size_t total;
    if (size == 0 || nmemb == 0)
        return 0;
    if (__builtin_mul_overflow(size, nmemb, &total)) {
        stream->flags |= F_ERR;
        errno = EOVERFLOW;
        return 0;
    }

    unsigned char *out = ptr;
    size_t got = 0;
    while (got < total) {
        size_t avail = stream->len - stream->pos;
        if (avail > 0) {
            size_t n = total - got < avail ? total - got : avail;
            memcpy(out + got, stream->buf + stream->pos, n);
            stream->pos += n;
            got += n;
            continue;
        }
        size_t rest = total - got;
        if (rest >= stream->size && (stream->flags & F_READ) && !(stream->flags & F_EOF)) {
            /* Large reads go straight into the caller's memory. */
            flush_output(stdout);
            ssize_t r = read(stream->fd, out + got, rest);
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                stream->flags |= F_ERR;
                break;
            }
            if (r == 0) {
                stream->flags |= F_EOF;
                break;
            }
            got += (size_t)r;
            continue;
        }
        if (refill(stream) == EOF)
            break;
    }
    return got / size;
}
