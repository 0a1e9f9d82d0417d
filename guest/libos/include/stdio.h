/* stdio.h: buffered standard streams and the printf family for the ukmon guest. */
#ifndef _STDIO_H
#define _STDIO_H
#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#define EOF (-1)
#define BUFSIZ 4096

/* Buffering modes for setvbuf(). */
#define _IOFBF 0
#define _IOLBF 1
#define _IONBF 2

/*
 * The three standard streams, and files of the folders the monitor grants (fopen
 * with "r", "w", "a", and "+"). Buffering: a guest cannot tell whether fd 1 is a terminal, so stdout is fully
 * buffered (BUFSIZ bytes) by default and stderr is unbuffered; setvbuf() changes
 * that. Buffered output is written when the buffer fills, on fflush(), before
 * stdin has to wait for input, and by exit() (which calls __stdio_flush_all()).
 * _exit() and _Exit() discard it. fork() flushes it first, so output printed
 * before fork() appears once, not once per process. Interrupted writes (EINTR) and short writes are
 * retried; any other write error sets the stream's error flag and drops the
 * pending output.
 */
typedef struct __ukmon_file FILE;

extern FILE *stdin;
extern FILE *stdout;
extern FILE *stderr;

FILE *fopen(const char *restrict path, const char *restrict mode);
int fclose(FILE *stream);
#define stdin stdin
#define stdout stdout
#define stderr stderr

/*
 * Formats: flags "-+ #0", width and precision (also "*"), length modifiers
 * hh h l ll z j t L, conversions d i u o x X c s p % and f F e E g G. %n is not
 * supported: it consumes its argument and prints nothing. Floating-point output
 * is exact (correctly rounded, ties to even); long double arguments are printed
 * at double precision.
 */
int printf(const char *restrict format, ...) __attribute__((format(printf, 1, 2)));
int fprintf(FILE *restrict stream, const char *restrict format, ...)
    __attribute__((format(printf, 2, 3)));
int dprintf(int fd, const char *restrict format, ...) __attribute__((format(printf, 2, 3)));
int sprintf(char *restrict str, const char *restrict format, ...)
    __attribute__((format(printf, 2, 3)));
/* Always NUL-terminates when size > 0; returns the length the full output would have. */
int snprintf(char *restrict str, size_t size, const char *restrict format, ...)
    __attribute__((format(printf, 3, 4)));
int vprintf(const char *restrict format, va_list ap) __attribute__((format(printf, 1, 0)));
int vfprintf(FILE *restrict stream, const char *restrict format, va_list ap)
    __attribute__((format(printf, 2, 0)));
int vdprintf(int fd, const char *restrict format, va_list ap)
    __attribute__((format(printf, 2, 0)));
int vsprintf(char *restrict str, const char *restrict format, va_list ap)
    __attribute__((format(printf, 2, 0)));
int vsnprintf(char *restrict str, size_t size, const char *restrict format, va_list ap)
    __attribute__((format(printf, 3, 0)));

int fputc(int c, FILE *stream);
int putc(int c, FILE *stream);
int putchar(int c);
int fputs(const char *restrict s, FILE *restrict stream);
int puts(const char *s);
size_t fwrite(const void *restrict ptr, size_t size, size_t nmemb, FILE *restrict stream);

/* Input: only stdin is readable; it is read through read(0, ...). */
int fgetc(FILE *stream);
int getc(FILE *stream);
int getchar(void);
int ungetc(int c, FILE *stream);
char *fgets(char *restrict s, int size, FILE *restrict stream);
size_t fread(void *restrict ptr, size_t size, size_t nmemb, FILE *restrict stream);

/*
 * Input formats: conversions d i u o x X p n c s [ (with ^, ranges and a leading ])
 * and f F e E g G a A, with "*", a maximum field width and the length modifiers
 * hh h l ll z j t L (lc, ls and l[ store wchar_t). Integers convert as strtol()
 * and strtoul() would, floats as strtod(). A field that is only the beginning of
 * a valid one ("1e", "0x", "-") is a matching failure, as C specifies (glibc
 * instead converts "100" of "100ergs" and loses the 'e'), and so is %5c meeting
 * the end of input after fewer than 5 characters. The result is the number of
 * assignments, or EOF if the input ended (or failed) before any. scanf and
 * vscanf read stdin, the only stream fscanf and vfscanf can read.
 */
int scanf(const char *restrict format, ...) __attribute__((format(scanf, 1, 2)));
int fscanf(FILE *restrict stream, const char *restrict format, ...)
    __attribute__((format(scanf, 2, 3)));
int sscanf(const char *restrict str, const char *restrict format, ...)
    __attribute__((format(scanf, 2, 3)));
int vscanf(const char *restrict format, va_list ap) __attribute__((format(scanf, 1, 0)));
int vfscanf(FILE *restrict stream, const char *restrict format, va_list ap)
    __attribute__((format(scanf, 2, 0)));
int vsscanf(const char *restrict str, const char *restrict format, va_list ap)
    __attribute__((format(scanf, 2, 0)));

/* fflush(NULL) flushes every output stream. */
int fflush(FILE *stream);
/* A NULL buf selects the stream's own BUFSIZ buffer; size is then ignored. */
int setvbuf(FILE *restrict stream, char *restrict buf, int mode, size_t size);
void setbuf(FILE *restrict stream, char *restrict buf);
int fileno(FILE *stream);
int feof(FILE *stream);
int ferror(FILE *stream);
void clearerr(FILE *stream);
void perror(const char *s);

/* For the library's exit path: writes out whatever stdout and stderr still hold. */
void __stdio_flush_all(void);

#endif
