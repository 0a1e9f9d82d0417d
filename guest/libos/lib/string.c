/* string.c: memory and string functions of the ukmon guest library. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * gcc recognises copy and fill loops and replaces them with calls to memcpy,
 * memset or memmove; inside those very functions that would recurse for ever.
 * The build flags are not ours to change, so the transformation is switched off
 * per function. clang does not do this in -ffreestanding builds.
 */
#ifndef __clang__
#define NO_LIBCALL_LOOPS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define NO_LIBCALL_LOOPS
#endif

/* Unaligned, alias-anything views for word-at-a-time code (x86 allows unaligned access). */
typedef uint64_t __attribute__((may_alias, aligned(1))) u64_any;
typedef uint32_t __attribute__((may_alias, aligned(1))) u32_any;
typedef uint16_t __attribute__((may_alias, aligned(1))) u16_any;
/* The aligned variant lets strlen read whole words without crossing a page. */
typedef uint64_t __attribute__((may_alias)) u64_aligned;

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static inline int has_zero_byte(uint64_t v)
{
    return ((v - ONES) & ~v & HIGHS) != 0;
}

/*
 * Short copies dominate in practice and `rep movsb` has a start-up cost of a few
 * dozen cycles, so up to 16 bytes are moved with (possibly overlapping) loads and
 * stores. All loads happen before any store, which also makes this safe for memmove.
 */
static inline void copy_small(unsigned char *d, const unsigned char *s, size_t n)
{
    if (n >= 8) {
        uint64_t a = *(const u64_any *)s;
        uint64_t b = *(const u64_any *)(s + n - 8);
        *(u64_any *)d = a;
        *(u64_any *)(d + n - 8) = b;
    } else if (n >= 4) {
        uint32_t a = *(const u32_any *)s;
        uint32_t b = *(const u32_any *)(s + n - 4);
        *(u32_any *)d = a;
        *(u32_any *)(d + n - 4) = b;
    } else if (n >= 2) {
        uint16_t a = *(const u16_any *)s;
        uint16_t b = *(const u16_any *)(s + n - 2);
        *(u16_any *)d = a;
        *(u16_any *)(d + n - 2) = b;
    } else if (n == 1) {
        *d = *s;
    }
}

NO_LIBCALL_LOOPS
void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    if (n <= 16) {
        copy_small(dst, src, n);
        return dst;
    }
    void *d = dst;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

NO_LIBCALL_LOOPS
void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (n <= 16) {
        copy_small(d, s, n);
        return dst;
    }
    /* A forward `rep movsb` is defined byte by byte, so it is right whenever d <= s. */
    if ((uintptr_t)d - (uintptr_t)s >= n) {
        __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
        return dst;
    }
    /*
     * Destination overlaps the tail of the source: copy from the end. A backward
     * `rep movsb` is slow on most CPUs, hence the word loop; each load is from below
     * the previous store, so overlapping words never read already-written bytes.
     */
    while (n >= 8) {
        n -= 8;
        *(u64_any *)(d + n) = *(const u64_any *)(s + n);
    }
    while (n > 0) {
        n--;
        d[n] = s[n];
    }
    return dst;
}

NO_LIBCALL_LOOPS
void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    if (n <= 16) {
        uint64_t v = (unsigned char)c * ONES;
        if (n >= 8) {
            *(u64_any *)d = v;
            *(u64_any *)(d + n - 8) = v;
        } else if (n >= 4) {
            *(u32_any *)d = (uint32_t)v;
            *(u32_any *)(d + n - 4) = (uint32_t)v;
        } else {
            for (size_t i = 0; i < n; i++)
                d[i] = (unsigned char)c;
        }
        return dst;
    }
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

NO_LIBCALL_LOOPS
int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a;
    const unsigned char *q = b;

    while (n >= 8) {
        uint64_t x = *(const u64_any *)p;
        uint64_t y = *(const u64_any *)q;
        if (x != y) {
            /* Byte-swapped, the first differing byte becomes the most significant. */
            x = __builtin_bswap64(x);
            y = __builtin_bswap64(y);
            return x < y ? -1 : 1;
        }
        p += 8;
        q += 8;
        n -= 8;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] != q[i])
            return p[i] < q[i] ? -1 : 1;
    }
    return 0;
}

NO_LIBCALL_LOOPS
void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    unsigned char ch = (unsigned char)c;

    for (size_t i = 0; i < n; i++) {
        if (p[i] == ch)
            return (void *)(p + i);
    }
    return NULL;
}

NO_LIBCALL_LOOPS
size_t strlen(const char *s)
{
    const char *p = s;

    while ((uintptr_t)p & 7) {
        if (*p == '\0')
            return (size_t)(p - s);
        p++;
    }
    /* Aligned 8-byte reads never straddle a page, so reading past the NUL is harmless. */
    const u64_aligned *w = (const u64_aligned *)p;
    while (!has_zero_byte(*w))
        w++;
    p = (const char *)w;
    while (*p != '\0')
        p++;
    return (size_t)(p - s);
}

NO_LIBCALL_LOOPS
size_t strnlen(const char *s, size_t maxlen)
{
    size_t i = 0;
    while (i < maxlen && s[i] != '\0')
        i++;
    return i;
}

int strcmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a;
    const unsigned char *q = (const unsigned char *)b;

    while (*p != '\0' && *p == *q) {
        p++;
        q++;
    }
    return (int)*p - (int)*q;
}

int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *p = (const unsigned char *)a;
    const unsigned char *q = (const unsigned char *)b;

    for (size_t i = 0; i < n; i++) {
        if (p[i] != q[i] || p[i] == '\0')
            return (int)p[i] - (int)q[i];
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    char ch = (char)c;
    for (;; s++) {
        if (*s == ch)
            return (char *)s;
        if (*s == '\0')
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    char ch = (char)c;
    const char *last = NULL;
    for (;; s++) {
        if (*s == ch)
            last = s;
        if (*s == '\0')
            return (char *)last;
    }
}

char *strcpy(char *restrict dst, const char *restrict src)
{
    memcpy(dst, src, strlen(src) + 1);
    return dst;
}

char *strncpy(char *restrict dst, const char *restrict src, size_t n)
{
    size_t len = strnlen(src, n);
    memcpy(dst, src, len);
    /* strncpy pads the whole remainder, not just one terminator. */
    memset(dst + len, 0, n - len);
    return dst;
}

char *strcat(char *restrict dst, const char *restrict src)
{
    strcpy(dst + strlen(dst), src);
    return dst;
}

char *strncat(char *restrict dst, const char *restrict src, size_t n)
{
    char *end = dst + strlen(dst);
    size_t len = strnlen(src, n);
    memcpy(end, src, len);
    end[len] = '\0';
    return dst;
}

char *strdup(const char *s)
{
    size_t size = strlen(s) + 1;
    char *copy = malloc(size);
    if (copy != NULL)
        memcpy(copy, s, size);
    return copy;
}

char *strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *copy = malloc(len + 1);
    if (copy != NULL) {
        memcpy(copy, s, len);
        copy[len] = '\0';
    }
    return copy;
}

/* A 256-bit set of byte values: makes the span functions linear in both strings. */
struct byte_set {
    uint64_t bits[4];
};

static void byte_set_init(struct byte_set *set, const char *chars)
{
    set->bits[0] = set->bits[1] = set->bits[2] = set->bits[3] = 0;
    for (const unsigned char *p = (const unsigned char *)chars; *p != '\0'; p++)
        set->bits[*p >> 6] |= 1ULL << (*p & 63);
}

static inline int byte_set_has(const struct byte_set *set, unsigned char c)
{
    return (set->bits[c >> 6] >> (c & 63)) & 1;
}

size_t strspn(const char *s, const char *accept)
{
    struct byte_set set;
    byte_set_init(&set, accept);
    size_t i = 0;
    /* NUL is never in the set, so the loop stops at the end of s. */
    while (byte_set_has(&set, (unsigned char)s[i]))
        i++;
    return i;
}

size_t strcspn(const char *s, const char *reject)
{
    struct byte_set set;
    byte_set_init(&set, reject);
    set.bits[0] |= 1; /* stop at the terminating NUL too */
    size_t i = 0;
    while (!byte_set_has(&set, (unsigned char)s[i]))
        i++;
    return i;
}

char *strpbrk(const char *s, const char *accept)
{
    s += strcspn(s, accept);
    return *s != '\0' ? (char *)s : NULL;
}

char *strstr(const char *haystack, const char *needle)
{
    size_t nlen = strlen(needle);
    if (nlen == 0)
        return (char *)haystack;

    /* Naive search, but memchr on the first byte skips most positions quickly. */
    size_t hlen = strlen(haystack);
    const char *p = haystack;
    const char *last = haystack + hlen;
    while ((size_t)(last - p) >= nlen) {
        p = memchr(p, needle[0], (size_t)(last - p) - nlen + 1);
        if (p == NULL)
            return NULL;
        if (memcmp(p + 1, needle + 1, nlen - 1) == 0)
            return (char *)p;
        p++;
    }
    return NULL;
}

char *strtok_r(char *restrict s, const char *restrict delim, char **restrict saveptr)
{
    if (s == NULL)
        s = *saveptr;
    s += strspn(s, delim);
    if (*s == '\0') {
        *saveptr = s;
        return NULL;
    }
    char *end = s + strcspn(s, delim);
    if (*end != '\0')
        *end++ = '\0';
    *saveptr = end;
    return s;
}

char *strtok(char *restrict s, const char *restrict delim)
{
    static char *state;
    return strtok_r(s, delim, &state);
}

static const char *const error_messages[] = {
    [0] = "Success",
    [EPERM] = "Operation not permitted",
    [ENOENT] = "No such file or directory",
    [ESRCH] = "No such process",
    [EINTR] = "Interrupted system call",
    [EIO] = "Input/output error",
    [ENXIO] = "No such device or address",
    [E2BIG] = "Argument list too long",
    [ENOEXEC] = "Exec format error",
    [EBADF] = "Bad file descriptor",
    [ECHILD] = "No child processes",
    [EAGAIN] = "Resource temporarily unavailable",
    [ENOMEM] = "Cannot allocate memory",
    [EACCES] = "Permission denied",
    [EFAULT] = "Bad address",
    [EBUSY] = "Device or resource busy",
    [EEXIST] = "File exists",
    [ENODEV] = "No such device",
    [ENOTDIR] = "Not a directory",
    [EISDIR] = "Is a directory",
    [EINVAL] = "Invalid argument",
    [ENFILE] = "Too many open files in system",
    [EMFILE] = "Too many open files",
    [ENOTTY] = "Inappropriate ioctl for device",
    [EFBIG] = "File too large",
    [ENOSPC] = "No space left on device",
    [ESPIPE] = "Illegal seek",
    [EROFS] = "Read-only file system",
    [EMLINK] = "Too many links",
    [EPIPE] = "Broken pipe",
    [EDOM] = "Numerical argument out of domain",
    [ERANGE] = "Numerical result out of range",
    [EDEADLK] = "Resource deadlock avoided",
    [ENAMETOOLONG] = "File name too long",
    [ENOSYS] = "Function not implemented",
    [ENOTEMPTY] = "Directory not empty",
    [EOVERFLOW] = "Value too large for defined data type",
    [ENOTSUP] = "Operation not supported",
    [ENOTSOCK] = "Socket operation on non-socket",
    [EDESTADDRREQ] = "Destination address required",
    [EMSGSIZE] = "Message too long",
    [ENOPROTOOPT] = "Protocol not available",
    [EPROTONOSUPPORT] = "Protocol not supported",
    [EAFNOSUPPORT] = "Address family not supported by protocol",
    [EADDRINUSE] = "Address already in use",
    [EADDRNOTAVAIL] = "Cannot assign requested address",
    [ENETUNREACH] = "Network is unreachable",
    [ECONNABORTED] = "Software caused connection abort",
    [ECONNRESET] = "Connection reset by peer",
    [EISCONN] = "Transport endpoint is already connected",
    [ENOTCONN] = "Transport endpoint is not connected",
    [ETIMEDOUT] = "Connection timed out",
    [ECONNREFUSED] = "Connection refused",
    [EINPROGRESS] = "Operation now in progress",
};

char *strerror(int errnum)
{
    static char unknown[32];

    if (errnum >= 0 && (size_t)errnum < sizeof(error_messages) / sizeof(error_messages[0]) &&
        error_messages[errnum] != NULL)
        return (char *)error_messages[errnum];

    /* Built by hand so that string.c does not pull in the printf machinery. */
    static const char prefix[] = "Unknown error ";
    char digits[16];
    int ndigits = 0;
    unsigned int mag = errnum < 0 ? 0u - (unsigned int)errnum : (unsigned int)errnum;
    do {
        digits[ndigits++] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag != 0);

    char *out = unknown;
    memcpy(out, prefix, sizeof(prefix) - 1);
    out += sizeof(prefix) - 1;
    if (errnum < 0)
        *out++ = '-';
    while (ndigits > 0)
        *out++ = digits[--ndigits];
    *out = '\0';
    return unknown;
}
