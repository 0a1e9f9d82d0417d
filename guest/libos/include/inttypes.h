/* inttypes.h: printf/scanf format macros for the stdint.h types (x86-64, LP64). */
#ifndef _INTTYPES_H
#define _INTTYPES_H
#include <stdint.h>

/*
 * gcc and clang disagree on the "fast" types (gcc: long, clang: the exact-width
 * type), so their length modifiers follow the compiler's own limits.
 */
#if __INT_FAST16_MAX__ == 0x7fff
#define __PRI_FAST16 "h"
#elif __INT_FAST16_MAX__ == 0x7fffffff
#define __PRI_FAST16 ""
#else
#define __PRI_FAST16 "l"
#endif
#if __INT_FAST32_MAX__ == 0x7fffffff
#define __PRI_FAST32 ""
#else
#define __PRI_FAST32 "l"
#endif

#define PRId8 "d"
#define PRId16 "d"
#define PRId32 "d"
#define PRId64 "ld"
#define PRIi8 "i"
#define PRIi16 "i"
#define PRIi32 "i"
#define PRIi64 "li"
#define PRIu8 "u"
#define PRIu16 "u"
#define PRIu32 "u"
#define PRIu64 "lu"
#define PRIo8 "o"
#define PRIo16 "o"
#define PRIo32 "o"
#define PRIo64 "lo"
#define PRIx8 "x"
#define PRIx16 "x"
#define PRIx32 "x"
#define PRIx64 "lx"
#define PRIX8 "X"
#define PRIX16 "X"
#define PRIX32 "X"
#define PRIX64 "lX"

#define PRIdLEAST8 PRId8
#define PRIdLEAST16 PRId16
#define PRIdLEAST32 PRId32
#define PRIdLEAST64 PRId64
#define PRIuLEAST8 PRIu8
#define PRIuLEAST16 PRIu16
#define PRIuLEAST32 PRIu32
#define PRIuLEAST64 PRIu64
#define PRIxLEAST8 PRIx8
#define PRIxLEAST16 PRIx16
#define PRIxLEAST32 PRIx32
#define PRIxLEAST64 PRIx64

#define PRIdFAST8 "d"
#define PRIdFAST16 __PRI_FAST16 "d"
#define PRIdFAST32 __PRI_FAST32 "d"
#define PRIdFAST64 "ld"
#define PRIiFAST8 "i"
#define PRIiFAST16 __PRI_FAST16 "i"
#define PRIiFAST32 __PRI_FAST32 "i"
#define PRIiFAST64 "li"
#define PRIuFAST8 "u"
#define PRIuFAST16 __PRI_FAST16 "u"
#define PRIuFAST32 __PRI_FAST32 "u"
#define PRIuFAST64 "lu"
#define PRIxFAST8 "x"
#define PRIxFAST16 __PRI_FAST16 "x"
#define PRIxFAST32 __PRI_FAST32 "x"
#define PRIxFAST64 "lx"
#define PRIXFAST8 "X"
#define PRIXFAST16 __PRI_FAST16 "X"
#define PRIXFAST32 __PRI_FAST32 "X"
#define PRIXFAST64 "lX"

#define PRIdMAX "ld"
#define PRIiMAX "li"
#define PRIuMAX "lu"
#define PRIoMAX "lo"
#define PRIxMAX "lx"
#define PRIXMAX "lX"
#define PRIdPTR "ld"
#define PRIiPTR "li"
#define PRIuPTR "lu"
#define PRIoPTR "lo"
#define PRIxPTR "lx"
#define PRIXPTR "lX"

/* The library has no scanf family yet; these exist for portable code that names them. */
#define SCNd8 "hhd"
#define SCNd16 "hd"
#define SCNd32 "d"
#define SCNd64 "ld"
#define SCNi8 "hhi"
#define SCNi16 "hi"
#define SCNi32 "i"
#define SCNi64 "li"
#define SCNu8 "hhu"
#define SCNu16 "hu"
#define SCNu32 "u"
#define SCNu64 "lu"
#define SCNo8 "hho"
#define SCNo16 "ho"
#define SCNo32 "o"
#define SCNo64 "lo"
#define SCNx8 "hhx"
#define SCNx16 "hx"
#define SCNx32 "x"
#define SCNx64 "lx"
#define SCNdMAX "ld"
#define SCNiMAX "li"
#define SCNuMAX "lu"
#define SCNxMAX "lx"
#define SCNdPTR "ld"
#define SCNuPTR "lu"
#define SCNxPTR "lx"

typedef struct {
    intmax_t quot;
    intmax_t rem;
} imaxdiv_t;

intmax_t imaxabs(intmax_t j);
imaxdiv_t imaxdiv(intmax_t numer, intmax_t denom);
intmax_t strtoimax(const char *restrict nptr, char **restrict endptr, int base);
uintmax_t strtoumax(const char *restrict nptr, char **restrict endptr, int base);

#endif
