/* stdlib.c: number parsing, integer helpers, sorting, environment, rand and assert for the guest. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digit.h"

/* ---- string to integer ---- */

/*
 * The part every strto* variant shares: whitespace, sign, base prefix and digits,
 * accumulated as an unsigned magnitude. The callers apply their own range.
 */
static unsigned long long parse_magnitude(const char *nptr, char **endptr, int base,
                                          int *negative, int *overflow)
{
    const char *s = nptr;
    unsigned long long value = 0;
    int any = 0;

    *negative = 0;
    *overflow = 0;
    if (base < 0 || base == 1 || base > 36) {
        errno = EINVAL;
        if (endptr != NULL)
            *endptr = (char *)nptr;
        return 0;
    }

    while (isspace((unsigned char)*s))
        s++;
    if (*s == '+' || *s == '-') {
        *negative = *s == '-';
        s++;
    }
    /* "0x" only counts as a prefix when a hex digit follows; otherwise "0" is the number. */
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] | 32) == 'x' &&
        isxdigit((unsigned char)s[2])) {
        s += 2;
        base = 16;
    } else if (base == 0) {
        base = s[0] == '0' ? 8 : 10;
    }

    for (;; s++) {
        int d = digit_value(*s);
        if (d >= base)
            break;
        any = 1;
        if (__builtin_mul_overflow(value, (unsigned long long)base, &value) ||
            __builtin_add_overflow(value, (unsigned long long)d, &value))
            *overflow = 1;
    }

    if (endptr != NULL)
        *endptr = (char *)(any ? s : nptr);
    return *overflow ? ULLONG_MAX : value;
}

static long long clamp_signed(unsigned long long mag, int negative, int overflow,
                              long long min, long long max)
{
    if (!overflow) {
        if (!negative && mag <= (unsigned long long)max)
            return (long long)mag;
        /* -min does not fit in the signed type, so compare against it unsigned. */
        if (negative && mag <= (unsigned long long)max + 1)
            return mag == (unsigned long long)max + 1 ? min : -(long long)mag;
    }
    errno = ERANGE;
    return negative ? min : max;
}

static unsigned long long clamp_unsigned(unsigned long long mag, int negative, int overflow,
                                         unsigned long long max)
{
    if (overflow || mag > max) {
        errno = ERANGE;
        return max;
    }
    /* C defines "-1" for an unsigned conversion as the negation in the unsigned type. */
    return negative ? (0 - mag) & max : mag;
}

long strtol(const char *restrict nptr, char **restrict endptr, int base)
{
    int neg, ovf;
    unsigned long long mag = parse_magnitude(nptr, endptr, base, &neg, &ovf);
    return (long)clamp_signed(mag, neg, ovf, LONG_MIN, LONG_MAX);
}

long long strtoll(const char *restrict nptr, char **restrict endptr, int base)
{
    int neg, ovf;
    unsigned long long mag = parse_magnitude(nptr, endptr, base, &neg, &ovf);
    return clamp_signed(mag, neg, ovf, LLONG_MIN, LLONG_MAX);
}

unsigned long strtoul(const char *restrict nptr, char **restrict endptr, int base)
{
    int neg, ovf;
    unsigned long long mag = parse_magnitude(nptr, endptr, base, &neg, &ovf);
    return (unsigned long)clamp_unsigned(mag, neg, ovf, ULONG_MAX);
}

unsigned long long strtoull(const char *restrict nptr, char **restrict endptr, int base)
{
    int neg, ovf;
    unsigned long long mag = parse_magnitude(nptr, endptr, base, &neg, &ovf);
    return clamp_unsigned(mag, neg, ovf, ULLONG_MAX);
}

intmax_t strtoimax(const char *restrict nptr, char **restrict endptr, int base)
{
    return strtoll(nptr, endptr, base);
}

uintmax_t strtoumax(const char *restrict nptr, char **restrict endptr, int base)
{
    return strtoull(nptr, endptr, base);
}

int atoi(const char *nptr)
{
    return (int)strtol(nptr, NULL, 10);
}

long atol(const char *nptr)
{
    return strtol(nptr, NULL, 10);
}

long long atoll(const char *nptr)
{
    return strtoll(nptr, NULL, 10);
}

/* ---- integer arithmetic ---- */

int abs(int j)
{
    return j < 0 ? -j : j;
}

long labs(long j)
{
    return j < 0 ? -j : j;
}

long long llabs(long long j)
{
    return j < 0 ? -j : j;
}

intmax_t imaxabs(intmax_t j)
{
    return j < 0 ? -j : j;
}

div_t div(int numer, int denom)
{
    div_t r = { numer / denom, numer % denom };
    return r;
}

ldiv_t ldiv(long numer, long denom)
{
    ldiv_t r = { numer / denom, numer % denom };
    return r;
}

lldiv_t lldiv(long long numer, long long denom)
{
    lldiv_t r = { numer / denom, numer % denom };
    return r;
}

imaxdiv_t imaxdiv(intmax_t numer, intmax_t denom)
{
    imaxdiv_t r = { numer / denom, numer % denom };
    return r;
}

/* ---- sorting and searching ---- */

typedef int (*compare_fn)(const void *, const void *);
typedef uint64_t __attribute__((may_alias, aligned(1))) u64_any;

/* Below this many elements insertion sort beats partitioning. */
#define INSERTION_THRESHOLD 16

static void swap_elems(char *a, char *b, size_t size)
{
    while (size >= 8) {
        uint64_t t = *(u64_any *)a;
        *(u64_any *)a = *(u64_any *)b;
        *(u64_any *)b = t;
        a += 8;
        b += 8;
        size -= 8;
    }
    while (size-- > 0) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

static void insertion_sort(char *base, size_t n, size_t size, compare_fn cmp)
{
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0; j--) {
            char *cur = base + j * size;
            if (cmp(cur - size, cur) <= 0)
                break;
            swap_elems(cur - size, cur, size);
        }
    }
}

static void sift_down(char *base, size_t root, size_t n, size_t size, compare_fn cmp)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && cmp(base + child * size, base + (child + 1) * size) < 0)
            child++;
        if (cmp(base + root * size, base + child * size) >= 0)
            return;
        swap_elems(base + root * size, base + child * size, size);
        root = child;
    }
}

static void heap_sort(char *base, size_t n, size_t size, compare_fn cmp)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(base, i, n, size, cmp);
    for (size_t end = n; end-- > 1;) {
        swap_elems(base, base + end * size, size);
        sift_down(base, 0, end, size, cmp);
    }
}

static size_t median_of_three(char *base, size_t size, size_t a, size_t b, size_t c,
                              compare_fn cmp)
{
    const char *pa = base + a * size;
    const char *pb = base + b * size;
    const char *pc = base + c * size;
    if (cmp(pa, pb) < 0) {
        if (cmp(pb, pc) < 0)
            return b;
        return cmp(pa, pc) < 0 ? c : a;
    }
    if (cmp(pa, pc) < 0)
        return a;
    return cmp(pb, pc) < 0 ? c : b;
}

/*
 * Introsort: quicksort with a median pivot, falling back to heapsort once the
 * recursion is deeper than 2*log2(n), which bounds the worst case at O(n log n).
 * Recursing only into the smaller side bounds the stack at O(log n).
 */
static void intro_sort(char *base, size_t n, size_t size, compare_fn cmp, unsigned int depth)
{
    while (n > INSERTION_THRESHOLD) {
        if (depth == 0) {
            heap_sort(base, n, size, cmp);
            return;
        }
        depth--;

        size_t pivot;
        if (n >= 128) {
            /* Tukey's ninther resists the usual median-of-three killer inputs. */
            size_t step = n / 8;
            size_t m1 = median_of_three(base, size, 0, step, 2 * step, cmp);
            size_t m2 = median_of_three(base, size, n / 2 - step, n / 2, n / 2 + step, cmp);
            size_t m3 = median_of_three(base, size, n - 1 - 2 * step, n - 1 - step, n - 1, cmp);
            pivot = median_of_three(base, size, m1, m2, m3, cmp);
        } else {
            pivot = median_of_three(base, size, 0, n / 2, n - 1, cmp);
        }
        swap_elems(base, base + pivot * size, size);

        /*
         * Hoare-style: both scans stop on elements equal to the pivot, so runs of
         * equal keys are split evenly instead of degrading to quadratic time.
         */
        size_t i = 1;
        size_t j = n - 1;
        for (;;) {
            while (i <= j && cmp(base + i * size, base) < 0)
                i++;
            while (j >= i && cmp(base + j * size, base) > 0)
                j--;
            if (i >= j)
                break;
            swap_elems(base + i * size, base + j * size, size);
            i++;
            j--;
        }
        swap_elems(base, base + j * size, size);

        size_t left = j;
        size_t right = n - j - 1;
        if (left < right) {
            intro_sort(base, left, size, cmp, depth);
            base += (j + 1) * size;
            n = right;
        } else {
            intro_sort(base + (j + 1) * size, right, size, cmp, depth);
            n = left;
        }
    }
    insertion_sort(base, n, size, cmp);
}

void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void *))
{
    if (nmemb < 2 || size == 0)
        return;
    unsigned int depth = 2 * (63u - (unsigned int)__builtin_clzll(nmemb));
    intro_sort(base, nmemb, size, compar, depth);
}

void *bsearch(const void *key, const void *base, size_t nmemb, size_t size,
              int (*compar)(const void *, const void *))
{
    const char *lo = base;
    while (nmemb > 0) {
        const char *mid = lo + (nmemb / 2) * size;
        int c = compar(key, mid);
        if (c == 0)
            return (void *)mid;
        if (c > 0) {
            lo = mid + size;
            nmemb -= nmemb / 2 + 1;
        } else {
            nmemb /= 2;
        }
    }
    return NULL;
}

/* ---- environment ---- */

char *getenv(const char *name)
{
    if (environ == NULL || name == NULL)
        return NULL;
    size_t len = strlen(name);
    if (len == 0 || strchr(name, '=') != NULL)
        return NULL;
    for (char **e = environ; *e != NULL; e++) {
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
            return *e + len + 1;
    }
    return NULL;
}

/* ---- pseudo-random numbers (PCG32: 64-bit LCG state, permuted 32-bit output) ---- */

#define PCG_MULTIPLIER 6364136223846793005ULL
#define PCG_INCREMENT 1442695040888963407ULL

static uint64_t rand_state;
static int rand_seeded;

static uint32_t pcg_next(void)
{
    uint64_t old = rand_state;
    rand_state = old * PCG_MULTIPLIER + PCG_INCREMENT;
    uint32_t mixed = (uint32_t)(((old >> 18) ^ old) >> 27);
    unsigned int rot = (unsigned int)(old >> 59);
    return (mixed >> rot) | (mixed << ((32 - rot) & 31));
}

void srand(unsigned int seed)
{
    rand_state = 0;
    pcg_next();
    rand_state += seed;
    pcg_next();
    rand_seeded = 1;
}

int rand(void)
{
    if (!rand_seeded)
        srand(1);
    return (int)(pcg_next() >> 1);
}

/* ---- assert ---- */

_Noreturn void __assert_fail(const char *expr, const char *file, int line, const char *func)
{
    fprintf(stderr, "assertion failed: %s (%s:%d: %s)\n", expr, file, line, func);
    abort();
}
