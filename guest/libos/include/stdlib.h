/* stdlib.h: memory allocation, number conversion, sorting and process exit for the ukmon guest. */
#ifndef _STDLIB_H
#define _STDLIB_H
#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#define RAND_MAX 0x7fffffff
/* Only the "C" locale exists: one byte per character. */
#define MB_CUR_MAX 1

typedef struct {
    int quot;
    int rem;
} div_t;

typedef struct {
    long quot;
    long rem;
} ldiv_t;

typedef struct {
    long long quot;
    long long rem;
} lldiv_t;

/*
 * Allocation: results are 16-byte aligned; failure returns NULL with errno = ENOMEM.
 * malloc(0) and realloc(p, 0) return a unique minimum-size block (never NULL on
 * success). free() and realloc() abort() on a pointer that is not a live block.
 */
void *malloc(size_t size) __attribute__((malloc, alloc_size(1)));
void *calloc(size_t nmemb, size_t size) __attribute__((malloc, alloc_size(1, 2)));
void *realloc(void *ptr, size_t size) __attribute__((alloc_size(2)));
void free(void *ptr);
void *aligned_alloc(size_t alignment, size_t size) __attribute__((malloc, alloc_size(2)));
int posix_memalign(void **memptr, size_t alignment, size_t size);

/* Implemented by the library's exit path; exit() runs atexit handlers and flushes stdio. */
_Noreturn void exit(int status);
_Noreturn void _Exit(int status);
_Noreturn void abort(void);
int atexit(void (*func)(void));

long strtol(const char *restrict nptr, char **restrict endptr, int base);
unsigned long strtoul(const char *restrict nptr, char **restrict endptr, int base);
long long strtoll(const char *restrict nptr, char **restrict endptr, int base);
unsigned long long strtoull(const char *restrict nptr, char **restrict endptr, int base);
/*
 * Decimal, hex ("0x1.8p3"), "inf", "infinity", "nan" and "nan(chars)" (payload
 * ignored), in any case. Correctly rounded (to nearest, ties to even) for every
 * input, however many digits it has. errno = ERANGE on overflow (the result is
 * +-HUGE_VAL) and on underflow (a result that is inexact and below the smallest
 * normal number). long double is double precision: strtold() is strtod(), so its
 * range is double's too.
 */
double strtod(const char *restrict nptr, char **restrict endptr);
float strtof(const char *restrict nptr, char **restrict endptr);
long double strtold(const char *restrict nptr, char **restrict endptr);
double atof(const char *nptr);
int atoi(const char *nptr);
long atol(const char *nptr);
long long atoll(const char *nptr);

int abs(int j);
long labs(long j);
long long llabs(long long j);
div_t div(int numer, int denom);
ldiv_t ldiv(long numer, long denom);
lldiv_t lldiv(long long numer, long long denom);

/* Introsort: O(n log n) worst case, not stable. */
void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void *));
void *bsearch(const void *key, const void *base, size_t nmemb, size_t size,
              int (*compar)(const void *, const void *));

/* NULL-terminated "NAME=value" strings, set up by the start code. */
extern char **environ;
char *getenv(const char *name);

/* Not cryptographic: a PCG32 generator, seeded with 1 until srand() is called. */
int rand(void);
void srand(unsigned int seed);

/* For the library's start code: the heap is [heap_start, heap_end), called once before main. */
void __malloc_init(void *heap_start, void *heap_end);

#endif
