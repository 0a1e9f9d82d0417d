/* malloc.c: the guest heap allocator (boundary tags, segregated free lists, a wilderness). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The heap is one fixed region handed over by the start code. Every chunk starts
 * at a 16-byte aligned address c:
 *
 *   c + 0   prev_foot: size of the previous chunk when that one is free (its
 *           footer); otherwise the last 8 bytes of the previous chunk's payload
 *   c + 8   head: size | flags | magic
 *   c + 16  payload, 16-byte aligned; it runs up to c + size + 8, i.e. through the
 *           next chunk's prev_foot, so the per-chunk overhead is 8 bytes
 *
 * Everything from `heap_top` to the end of the region is the wilderness: never
 * written, so the host does not back it with memory until a chunk is carved from
 * it. Free neighbours are always merged, and a free chunk that touches the
 * wilderness is given back to it; hence the chunk below `heap_top` is in use and
 * two free chunks are never adjacent.
 */
struct chunk {
    size_t prev_foot;
    size_t head;
    /* Free-list links: only meaningful while the chunk is free. */
    struct chunk *next;
    struct chunk *prev;
};

#define CINUSE ((size_t)1)
#define PINUSE ((size_t)2)
#define SIZE_MASK ((((size_t)1 << 48) - 1) & ~(size_t)15)
/* A tag in the top bits makes stray or stale pointers very unlikely to pass as chunks. */
#define MAGIC_MASK (~(((size_t)1 << 48) - 1))
#define MAGIC_USED ((size_t)0xa110 << 48)
#define MAGIC_FREE ((size_t)0xf4ee << 48)

#define ALIGN 16
#define OVERHEAD 8
#define MIN_CHUNK 32
/* Far beyond any guest memory; keeps all size arithmetic clear of overflow. */
#define MAX_REQUEST ((size_t)1 << 46)

/*
 * Sizes below 1 KiB get one exact-size list per 16 bytes; above that every power
 * of two is cut into four lists, so a list's sizes differ by at most 25%.
 */
#define NSMALL 64
#define NBINS (NSMALL + 38 * 4)
#define NMAPWORDS ((NBINS + 63) / 64)
/* How many too-small chunks to skip in a mixed-size list before trying larger lists. */
#define SCAN_BUDGET 32

static char *heap_base;
static char *heap_top;
/* Highest chunk address the wilderness may reach while keeping room for a next prev_foot. */
static char *heap_limit;
static struct chunk *bins[NBINS];
static uint64_t bin_map[NMAPWORDS];

static inline size_t chunk_size(const struct chunk *c)
{
    return c->head & SIZE_MASK;
}

static inline struct chunk *chunk_at(void *addr)
{
    return (struct chunk *)addr;
}

static inline struct chunk *chunk_after(struct chunk *c, size_t size)
{
    return chunk_at((char *)c + size);
}

static inline void *payload(struct chunk *c)
{
    return (char *)c + 2 * sizeof(size_t);
}

static _Noreturn void heap_corrupted(void)
{
    static const char msg[] = "malloc: heap corruption or invalid/double free detected\n";
    write(2, msg, sizeof(msg) - 1);
    abort();
}

void __malloc_init(void *heap_start, void *heap_end)
{
    uintptr_t start = ((uintptr_t)heap_start + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
    uintptr_t end = (uintptr_t)heap_end;

    heap_base = (char *)start;
    heap_top = heap_base;
    if (end > start + 2 * MIN_CHUNK)
        heap_limit = (char *)((end - OVERHEAD) & ~(uintptr_t)(ALIGN - 1));
    else
        heap_limit = heap_base; /* too small to hold anything: every request fails */
}

static unsigned int bin_index(size_t size)
{
    if (size < NSMALL * ALIGN)
        return (unsigned int)(size / ALIGN);
    unsigned int lg = 63u - (unsigned int)__builtin_clzll(size);
    return NSMALL + (lg - 10) * 4 + (unsigned int)((size >> (lg - 2)) & 3);
}

static void bin_insert(struct chunk *c, size_t size)
{
    unsigned int i = bin_index(size);
    c->prev = NULL;
    c->next = bins[i];
    if (c->next != NULL)
        c->next->prev = c;
    bins[i] = c;
    bin_map[i / 64] |= 1ULL << (i % 64);
}

static void bin_remove(struct chunk *c)
{
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        unsigned int i = bin_index(chunk_size(c));
        if (bins[i] != c)
            heap_corrupted();
        bins[i] = c->next;
        if (bins[i] == NULL)
            bin_map[i / 64] &= ~(1ULL << (i % 64));
    }
    if (c->next != NULL)
        c->next->prev = c->prev;
}

/* First non-empty list at or above `from`, or -1. */
static int bin_find(unsigned int from)
{
    unsigned int w = from / 64;
    if (w >= NMAPWORDS)
        return -1;
    uint64_t bits = bin_map[w] & (~0ULL << (from % 64));
    while (bits == 0) {
        if (++w >= NMAPWORDS)
            return -1;
        bits = bin_map[w];
    }
    return (int)(w * 64 + (unsigned int)__builtin_ctzll(bits));
}

/* Turns `c` into a free chunk of `size` bytes and files it; its neighbours must be in use. */
static void make_free(struct chunk *c, size_t size)
{
    struct chunk *next = chunk_after(c, size);
    c->head = size | PINUSE | MAGIC_FREE;
    next->prev_foot = size;
    next->head &= ~PINUSE;
    bin_insert(c, size);
}

/* Returns an in-use chunk to the heap, merging it with free neighbours or the wilderness. */
static void release(struct chunk *c)
{
    size_t size = chunk_size(c);

    /* Marked first, so freeing this address again is caught even after a merge. */
    c->head = (c->head & ~(MAGIC_MASK | CINUSE)) | MAGIC_FREE;

    if (!(c->head & PINUSE)) {
        struct chunk *prev = chunk_at((char *)c - c->prev_foot);
        if ((char *)prev < heap_base || (prev->head & MAGIC_MASK) != MAGIC_FREE ||
            chunk_size(prev) != c->prev_foot)
            heap_corrupted();
        bin_remove(prev);
        size += chunk_size(prev);
        c = prev;
    }

    struct chunk *next = chunk_after(c, size);
    if ((char *)next == heap_top) {
        heap_top = (char *)c;
        return;
    }
    if (!(next->head & CINUSE)) {
        if ((next->head & MAGIC_MASK) != MAGIC_FREE)
            heap_corrupted();
        bin_remove(next);
        size += chunk_size(next);
    }
    make_free(c, size);
}

/* Marks `c` (currently free, not in any list) as in use with its whole size. */
static void mark_used(struct chunk *c, size_t size)
{
    c->head = size | CINUSE | (c->head & PINUSE) | MAGIC_USED;
    struct chunk *next = chunk_after(c, size);
    if ((char *)next != heap_top)
        next->head |= PINUSE;
}

/* Shrinks in-use chunk `c` to `need` bytes when the rest is big enough to be a chunk. */
static void trim_tail(struct chunk *c, size_t need)
{
    size_t size = chunk_size(c);
    if (size - need < MIN_CHUNK)
        return;
    c->head = need | CINUSE | (c->head & PINUSE) | MAGIC_USED;
    struct chunk *rest = chunk_after(c, need);
    rest->head = (size - need) | CINUSE | PINUSE | MAGIC_USED;
    release(rest);
}

/* Chunk size for a request of `n` bytes, or 0 if it can never be satisfied. */
static size_t request_size(size_t n)
{
    if (n > MAX_REQUEST)
        return 0;
    size_t size = (n + OVERHEAD + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    return size < MIN_CHUNK ? MIN_CHUNK : size;
}

static struct chunk *take_free(size_t need)
{
    unsigned int i = bin_index(need);

    /* Exact-size lists always fit; a mixed list may hold chunks smaller than `need`. */
    if (i >= NSMALL) {
        int budget = SCAN_BUDGET;
        for (struct chunk *c = bins[i]; c != NULL && budget-- > 0; c = c->next) {
            if (chunk_size(c) >= need) {
                bin_remove(c);
                return c;
            }
        }
        i++;
    }
    int j = bin_find(i);
    if (j < 0)
        return NULL;
    struct chunk *c = bins[j];
    bin_remove(c);
    return c;
}

static struct chunk *carve(size_t need)
{
    if (need > (size_t)(heap_limit - heap_top))
        return NULL;
    struct chunk *c = chunk_at(heap_top);
    heap_top += need;
    c->head = need | CINUSE | PINUSE | MAGIC_USED;
    return c;
}

static void *allocate(size_t need)
{
    struct chunk *c = take_free(need);
    if (c != NULL) {
        mark_used(c, chunk_size(c));
        trim_tail(c, need);
        return payload(c);
    }
    /* Reusing freed memory first keeps the touched part of the region small. */
    c = carve(need);
    if (c == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    return payload(c);
}

/* The chunk behind a pointer from malloc, after checks that catch common misuse. */
static struct chunk *checked_chunk(void *ptr)
{
    if (((uintptr_t)ptr & (ALIGN - 1)) != 0)
        heap_corrupted();
    struct chunk *c = chunk_at((char *)ptr - 2 * sizeof(size_t));
    if ((char *)c < heap_base || (char *)c >= heap_top)
        heap_corrupted();
    size_t head = c->head;
    if ((head & MAGIC_MASK) != MAGIC_USED || !(head & CINUSE))
        heap_corrupted();
    size_t size = chunk_size(c);
    if (size < MIN_CHUNK || size > (size_t)(heap_top - (char *)c))
        heap_corrupted();
    struct chunk *next = chunk_after(c, size);
    if ((char *)next != heap_top) {
        size_t magic = next->head & MAGIC_MASK;
        if (!(next->head & PINUSE) || (magic != MAGIC_USED && magic != MAGIC_FREE))
            heap_corrupted();
    }
    return c;
}

void *malloc(size_t size)
{
    size_t need = request_size(size);
    if (need == 0) {
        errno = ENOMEM;
        return NULL;
    }
    return allocate(need);
}

void free(void *ptr)
{
    if (ptr == NULL)
        return;
    release(checked_chunk(ptr));
}

void *calloc(size_t nmemb, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(nmemb, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = malloc(total);
    /*
     * Cleared even when carved from the wilderness: nothing here guarantees the
     * region starts out zeroed, and freed chunks are returned to the wilderness.
     */
    if (p != NULL)
        memset(p, 0, total);
    return p;
}

void *realloc(void *ptr, size_t size)
{
    if (ptr == NULL)
        return malloc(size);

    struct chunk *c = checked_chunk(ptr);
    size_t need = request_size(size);
    if (need == 0) {
        errno = ENOMEM;
        return NULL;
    }

    size_t old = chunk_size(c);
    if (need <= old) {
        trim_tail(c, need);
        return ptr;
    }

    struct chunk *next = chunk_after(c, old);
    if ((char *)next == heap_top) {
        if (need - old <= (size_t)(heap_limit - heap_top)) {
            heap_top = (char *)c + need;
            c->head = need | CINUSE | (c->head & PINUSE) | MAGIC_USED;
            return ptr;
        }
    } else if (!(next->head & CINUSE)) {
        size_t merged = old + chunk_size(next);
        if (merged >= need) {
            bin_remove(next);
            mark_used(c, merged);
            trim_tail(c, need);
            return ptr;
        }
    }

    void *fresh = allocate(need);
    if (fresh == NULL)
        return NULL;
    memcpy(fresh, ptr, old - OVERHEAD);
    release(c);
    return fresh;
}

void *aligned_alloc(size_t alignment, size_t size)
{
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    if (alignment <= ALIGN)
        return malloc(size);
    if (alignment > MAX_REQUEST || size > MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }

    /* Slack for the alignment plus room to split off the misaligned front as a chunk. */
    char *p = malloc(size + alignment + MIN_CHUNK);
    if (p == NULL)
        return NULL;
    struct chunk *c = checked_chunk(p);

    uintptr_t want = ((uintptr_t)p + alignment - 1) & ~(uintptr_t)(alignment - 1);
    if (want != (uintptr_t)p) {
        if (want - (uintptr_t)p < MIN_CHUNK)
            want += alignment;
        size_t lead = want - (uintptr_t)p;
        struct chunk *aligned = chunk_after(c, lead);
        aligned->head = (chunk_size(c) - lead) | CINUSE | PINUSE | MAGIC_USED;
        c->head = lead | CINUSE | (c->head & PINUSE) | MAGIC_USED;
        release(c);
        c = aligned;
    }
    trim_tail(c, request_size(size));
    return payload(c);
}

int posix_memalign(void **memptr, size_t alignment, size_t size)
{
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0)
        return EINVAL;
    /* posix_memalign reports through its result and leaves errno alone. */
    int saved = errno;
    void *p = aligned_alloc(alignment, size);
    int err = errno;
    errno = saved;
    if (p == NULL)
        return err;
    *memptr = p;
    return 0;
}
