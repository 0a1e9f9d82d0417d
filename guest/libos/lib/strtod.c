/* strtod.c: text to floating point (strtod, strtof, strtold, atof), correctly rounded. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "limbs.h"

/*
 * The text is first parsed into an exact description of its value: D * 10^E
 * with an integer D of at most MAX_SIG decimal digits, or m * 2^E for hex
 * input. Small decimal cases are then computed in double arithmetic, which is
 * exact there (Clinger's fast path); all others by dividing big integers,
 * D * 5^E by 5^-E, which yields 64 exact quotient bits and whether a remainder
 * was left. From those, rounding to nearest (ties to even) is exact for any
 * precision up to 64 bits, subnormals included, so float and double results
 * are both correctly rounded.
 *
 * Digits after the first MAX_SIG significant ones are not simply dropped: if
 * any of them is nonzero they are replaced by one nonzero digit. Every double,
 * every halfway point between two doubles and the underflow threshold has at
 * most 769 significant digits, so none of them lies between the truncated
 * text and that stand-in, which therefore rounds exactly like the full text.
 * Every input is converted correctly, however long.
 */
#define MAX_SIG 800

/*
 * Big integers, 32-bit limbs, least significant first. The largest value is
 * a MAX_SIG + 1 digit D (below 2^2661) shifted left by one bit during the
 * division: 2662 bits, 84 limbs. 5^-E is at most 5^1130 (2624 bits) and
 * D * 5^E stays below 10^311, both within that, given the range convert()
 * lets through. Two limbs spare.
 */
#define BIG_LIMBS 86

struct big {
    uint32_t limb[BIG_LIMBS];
    int len; /* limbs in use, the top one nonzero; 0 means the value 0 */
};

static void big_mul_add(struct big *b, uint32_t mul, uint32_t add)
{
    limbs_mul_add(b->limb, &b->len, mul, add);
}

static void big_mul_pow5(struct big *b, long k)
{
    limbs_mul_pow5(b->limb, &b->len, k);
}

static long big_bits(const struct big *b)
{
    if (b->len == 0)
        return 0;
    return (long)b->len * 32 - __builtin_clz(b->limb[b->len - 1]);
}

static void big_shl(struct big *b, long n)
{
    if (b->len == 0 || n == 0)
        return;
    int words = (int)(n / 32);
    int shift = (int)(n % 32);
    int len = b->len + words;
    if (shift == 0) {
        for (int i = b->len; i-- > 0;)
            b->limb[i + words] = b->limb[i];
    } else {
        uint32_t over = b->limb[b->len - 1] >> (32 - shift);
        /* Downwards, so every source limb is read before it is overwritten. */
        for (int i = b->len - 1; i > 0; i--)
            b->limb[i + words] = (b->limb[i] << shift) | (b->limb[i - 1] >> (32 - shift));
        b->limb[words] = b->limb[0] << shift;
        if (over != 0)
            b->limb[len++] = over;
    }
    for (int i = 0; i < words; i++)
        b->limb[i] = 0;
    b->len = len;
}

static int big_cmp(const struct big *a, const struct big *b)
{
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    for (int i = a->len; i-- > 0;) {
        if (a->limb[i] != b->limb[i])
            return a->limb[i] < b->limb[i] ? -1 : 1;
    }
    return 0;
}

/* a -= b, where a >= b */
static void big_sub(struct big *a, const struct big *b)
{
    uint32_t borrow = 0;
    for (int i = 0; i < a->len; i++) {
        uint64_t sub = (uint64_t)(i < b->len ? b->limb[i] : 0) + borrow;
        borrow = a->limb[i] < sub;
        a->limb[i] = (uint32_t)(a->limb[i] - sub);
    }
    while (a->len > 0 && a->limb[a->len - 1] == 0)
        a->len--;
}

/* ---- parsing ---- */

enum kind { K_ZERO, K_DECIMAL, K_BINARY, K_INF, K_NAN };

struct number {
    enum kind kind;
    int negative;
    /* K_DECIMAL: the value is D * 10^dexp, D being digits[0..ndigits) (values 0-9). */
    int ndigits;
    long dexp;
    /* K_BINARY: the value is (mant + a fraction, nonzero if sticky) * 2^bexp. */
    uint64_t mant;
    long bexp;
    int sticky;
    unsigned char digits[MAX_SIG + 1];
};

/* Exponents are saturated here: far beyond any overflow or underflow, and no risk of wrapping. */
#define EXP_LIMIT 100000000L

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (((unsigned)c | 32) - 'a' < 6)
        return (int)(((unsigned)c | 32) - 'a') + 10;
    return -1;
}

/* An optional exponent: marker ('e' or 'p'), sign, digits. Only consumed if complete. */
static const char *parse_exponent(const char *p, char marker, long *exp)
{
    *exp = 0;
    if ((*p | 32) != marker)
        return p;
    const char *q = p + 1;
    int negative = 0;
    if (*q == '+' || *q == '-') {
        negative = *q == '-';
        q++;
    }
    if (!isdigit((unsigned char)*q))
        return p;
    long v = 0;
    for (; isdigit((unsigned char)*q); q++) {
        if (v < EXP_LIMIT)
            v = v * 10 + (*q - '0');
    }
    *exp = negative ? -v : v;
    return q;
}

/* Decimal digits with an optional point, then an optional exponent; NULL if there is no digit. */
static const char *parse_decimal(const char *p, struct number *n)
{
    /* Position of the point counted in significant digits (negative for 0.00ddd). */
    long point = 0;
    int seen_point = 0, any = 0, started = 0, sticky = 0;

    n->ndigits = 0;
    for (;; p++) {
        if (*p == '.' && !seen_point) {
            seen_point = 1;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            break;
        any = 1;
        int d = *p - '0';
        if (!started) {
            /* Leading zeros only move the point. */
            if (d == 0) {
                if (seen_point)
                    point--;
                continue;
            }
            started = 1;
        }
        if (!seen_point)
            point++;
        if (n->ndigits < MAX_SIG)
            n->digits[n->ndigits++] = (unsigned char)d;
        else if (d != 0)
            sticky = 1;
    }
    if (!any)
        return NULL;

    long exp;
    p = parse_exponent(p, 'e', &exp);
    if (n->ndigits == 0) {
        n->kind = K_ZERO;
        return p;
    }
    if (sticky) {
        /* The stand-in for the dropped digits (see the top of the file). */
        n->digits[n->ndigits++] = 1;
    } else {
        while (n->digits[n->ndigits - 1] == 0)
            n->ndigits--;
    }
    n->kind = K_DECIMAL;
    n->dexp = point + exp - n->ndigits;
    return p;
}

/* Hex digits (after "0x") with an optional point, then an optional 'p' exponent. */
static const char *parse_hex(const char *p, struct number *n)
{
    uint64_t mant = 0;
    long bexp = 0;
    int seen_point = 0, any = 0, kept = 0, sticky = 0;

    for (;; p++) {
        if (*p == '.' && !seen_point) {
            seen_point = 1;
            continue;
        }
        int d = hex_value((unsigned char)*p);
        if (d < 0)
            break;
        any = 1;
        if (kept == 0 && d == 0) {
            if (seen_point)
                bexp -= 4;
            continue;
        }
        /* 16 digits fill 64 bits; later ones can only matter as "something nonzero below". */
        if (kept < 16) {
            mant = mant << 4 | (unsigned)d;
            kept++;
            if (seen_point)
                bexp -= 4;
        } else {
            sticky |= d != 0;
            if (!seen_point)
                bexp += 4;
        }
    }
    if (!any)
        return NULL;

    long exp;
    p = parse_exponent(p, 'p', &exp);
    n->kind = mant == 0 ? K_ZERO : K_BINARY;
    n->mant = mant;
    n->bexp = bexp + exp;
    n->sticky = sticky;
    return p;
}

/* Case-insensitive prefix match against a lowercase word. */
static int match_word(const char *p, const char *word)
{
    for (; *word != '\0'; p++, word++) {
        if (tolower((unsigned char)*p) != *word)
            return 0;
    }
    return 1;
}

/* Parses the longest valid prefix; returns where it ends, or s itself if there is none. */
static const char *parse_number(const char *s, struct number *n)
{
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    n->negative = 0;
    if (*p == '+' || *p == '-') {
        n->negative = *p == '-';
        p++;
    }

    if (match_word(p, "inf")) {
        n->kind = K_INF;
        return match_word(p + 3, "inity") ? p + 8 : p + 3;
    }
    if (match_word(p, "nan")) {
        n->kind = K_NAN;
        p += 3;
        if (*p == '(') {
            /* The n-char-sequence is accepted but its payload ignored. */
            const char *q = p + 1;
            while (isalnum((unsigned char)*q) || *q == '_')
                q++;
            if (*q == ')')
                p = q + 1;
        }
        return p;
    }

    const char *end = NULL;
    if (p[0] == '0' && (p[1] | 32) == 'x')
        end = parse_hex(p + 2, n);
    /* Not hex after all ("0x" without digits): the "0" alone is the number. */
    if (end == NULL)
        end = parse_decimal(p, n);
    return end != NULL ? end : s;
}

/* ---- conversion ---- */

struct fp_format {
    int width;    /* bits in all, the sign bit being the top one */
    int mant_dig; /* significand bits, the leading one included */
    int emin;     /* exponent of the smallest normal number */
    int emax;     /* exponent of the largest finite number */
};

static const struct fp_format double_format = { 64, 53, -1022, 1023 };
static const struct fp_format float_format = { 32, 24, -126, 127 };

static uint64_t inf_bits(const struct fp_format *f)
{
    return (uint64_t)(2 * f->emax + 1) << (f->mant_dig - 1);
}

static uint64_t overflow(const struct fp_format *f)
{
    errno = ERANGE;
    return inf_bits(f);
}

/* q >> drop rounded to nearest, ties to even; *inexact tells whether any bit was lost. */
static uint64_t round_shift(uint64_t q, int sticky, long drop, int *inexact)
{
    uint64_t mant = drop == 64 ? 0 : q >> drop;
    int half = (int)(q >> (drop - 1)) & 1;
    int rest = sticky || (q & ((1ULL << (drop - 1)) - 1)) != 0;
    *inexact = half || rest;
    if (half && (rest || (mant & 1)))
        mant++;
    return mant;
}

/*
 * Rounds (q + a fraction that is nonzero if sticky) * 2^e, with q's top bit set,
 * to the format; returns the bits without the sign. ERANGE is set on overflow,
 * and on underflow the way glibc (and IEEE 754 on x86) defines it: the result
 * is inexact and tiny, tiny meaning below the smallest normal number even when
 * rounded with an unbounded exponent.
 */
static uint64_t round_binary(uint64_t q, int sticky, long e, const struct fp_format *f)
{
    long lead = e + 63; /* the value lies in [2^lead, 2^(lead+1)) */
    if (lead > f->emax)
        return overflow(f);

    /* Exponent of the last bit kept: mant_dig bits, but none below the smallest subnormal. */
    long low = lead - (f->mant_dig - 1);
    long min_low = (long)f->emin - (f->mant_dig - 1);
    if (low < min_low)
        low = min_low;
    long drop = low - e; /* at least 64 - mant_dig */
    if (drop > 64) {
        /* Below half the smallest subnormal. */
        errno = ERANGE;
        return 0;
    }

    int inexact;
    uint64_t mant = round_shift(q, sticky, drop, &inexact);
    if (mant >> f->mant_dig) {
        mant >>= 1;
        low++;
    }

    int tiny = lead < f->emin;
    if (lead == f->emin - 1) {
        /* Just below the smallest normal: it only counts as tiny if rounding does not reach it. */
        int ignored;
        if (round_shift(q, sticky, 64 - f->mant_dig, &ignored) >> f->mant_dig)
            tiny = 0;
    }
    if (tiny && inexact)
        errno = ERANGE;

    uint64_t biased = 0;
    if (mant >> (f->mant_dig - 1)) {
        long top = low + f->mant_dig - 1;
        if (top > f->emax)
            return overflow(f);
        biased = (uint64_t)(top + f->emax);
    }
    return biased << (f->mant_dig - 1) | (mant & ((1ULL << (f->mant_dig - 1)) - 1));
}

/* D * 10^dexp as q * 2^e (q's top bit set) plus whether bits below q remain. */
static void decimal_to_binary(const struct number *n, uint64_t *q_out, int *sticky, long *e)
{
    struct big num, den;

    num.len = 0;
    for (int i = 0; i < n->ndigits;) {
        uint32_t chunk = 0, scale = 1;
        for (int k = 0; k < 9 && i < n->ndigits; k++, i++) {
            chunk = chunk * 10 + n->digits[i];
            scale *= 10;
        }
        big_mul_add(&num, scale, chunk);
    }
    den.len = 1;
    den.limb[0] = 1;

    /* 10^dexp = 5^dexp * 2^dexp: the fives go into the integers, the twos into e2. */
    long e2 = n->dexp;
    if (n->dexp > 0)
        big_mul_pow5(&num, n->dexp);
    else
        big_mul_pow5(&den, -n->dexp);

    /* Scale so that den <= num < 2 * den: the quotient's first bit is then 1. */
    long nb = big_bits(&num), db = big_bits(&den);
    if (nb > db) {
        big_shl(&den, nb - db);
        e2 += nb - db;
    } else if (db > nb) {
        big_shl(&num, db - nb);
        e2 -= db - nb;
    }
    if (big_cmp(&num, &den) < 0) {
        big_shl(&num, 1);
        e2--;
    }

    /* Long division, one quotient bit at a time. */
    uint64_t q = 0;
    for (int i = 0; i < 64; i++) {
        q <<= 1;
        if (big_cmp(&num, &den) >= 0) {
            big_sub(&num, &den);
            q |= 1;
        }
        big_shl(&num, 1);
    }
    *q_out = q;
    *sticky = num.len != 0;
    *e = e2 - 63;
}

/* The value's bits in the format, sign included. */
static uint64_t convert(const struct number *n, const struct fp_format *f)
{
    uint64_t sign = (uint64_t)n->negative << (f->width - 1);
    uint64_t q;
    int sticky;
    long e;

    switch (n->kind) {
    case K_ZERO:
        return sign;
    case K_INF:
        return sign | inf_bits(f);
    case K_NAN:
        return sign | inf_bits(f) | 1ULL << (f->mant_dig - 2);
    case K_BINARY: {
        int shift = __builtin_clzll(n->mant);
        q = n->mant << shift;
        sticky = n->sticky;
        e = n->bexp - shift;
        break;
    }
    case K_DECIMAL:
    default: {
        /* The value lies in [10^lead, 10^(lead+1)). Far outside the range, skip the arithmetic. */
        long lead = n->dexp + n->ndigits - 1;
        if (lead > 310)
            return sign | overflow(f);
        if (lead < -330) {
            errno = ERANGE;
            return sign;
        }
        decimal_to_binary(n, &q, &sticky, &e);
        break;
    }
    }
    return sign | round_binary(q, sticky, e, f);
}

/*
 * Clinger's fast path: a D below 2^53 and a power of ten up to 10^22 are both
 * exact doubles, so one IEEE multiplication or division rounds correctly. It
 * needs arithmetic done in double precision, not in x87 extended registers.
 */
static int fast_path(const struct number *n, double *out)
{
#if defined(__FLT_EVAL_METHOD__) && __FLT_EVAL_METHOD__ == 0
    static const double powers[] = {
        1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    };
    if (n->kind != K_DECIMAL || n->ndigits > 15 || n->dexp < -22 ||
        n->dexp > 22 + (15 - n->ndigits))
        return 0;
    uint64_t d = 0;
    for (int i = 0; i < n->ndigits; i++)
        d = d * 10 + n->digits[i];
    long x = n->dexp;
    /* 12e30 is 12000000000e22: still exact, as it has at most 15 digits. */
    for (; x > 22; x--)
        d *= 10;
    double v = (double)d;
    v = x < 0 ? v / powers[-x] : v * powers[x];
    *out = n->negative ? -v : v;
    return 1;
#else
    (void)n;
    (void)out;
    return 0;
#endif
}

/* Union punning rather than memcpy: in a freestanding build memcpy is a real call. */
static double double_from_bits(uint64_t bits)
{
    union {
        uint64_t u;
        double d;
    } pun = { .u = bits };
    return pun.d;
}

static float float_from_bits(uint32_t bits)
{
    union {
        uint32_t u;
        float f;
    } pun = { .u = bits };
    return pun.f;
}

/* errno is set only for ERANGE; without a number, *end = s and the result is 0. */
double strtod(const char *restrict s, char **restrict end)
{
    struct number n;
    const char *stop = parse_number(s, &n);
    if (end != NULL)
        *end = (char *)stop;
    if (stop == s)
        return 0.0;
    double v;
    if (fast_path(&n, &v))
        return v;
    return double_from_bits(convert(&n, &double_format));
}

/* Rounded straight to float: going through double could round twice. */
float strtof(const char *restrict s, char **restrict end)
{
    struct number n;
    const char *stop = parse_number(s, &n);
    if (end != NULL)
        *end = (char *)stop;
    if (stop == s)
        return 0.0f;
    return float_from_bits((uint32_t)convert(&n, &float_format));
}

/* Double precision only, like the rest of the library's long double support. */
long double strtold(const char *restrict s, char **restrict end)
{
    return strtod(s, end);
}

double atof(const char *s)
{
    return strtod(s, NULL);
}
