/* math.c: double-precision math functions for the ukmon guest (no FPU state beyond SSE2). */
#include <errno.h>
#include <math.h>
#include <stdint.h>

#define FRAC_MASK ((1ULL << 52) - 1)
#define EXP_MASK 0x7ffULL
#define EXP_MAX 0x7ff

/* Union punning rather than memcpy: in a freestanding build memcpy is a real call. */
static inline uint64_t to_bits(double x)
{
    union {
        double d;
        uint64_t u;
    } v = { .d = x };
    return v.u;
}

static inline double from_bits(uint64_t u)
{
    union {
        uint64_t u;
        double d;
    } v = { .u = u };
    return v.d;
}

/* 2^n for a normal exponent, -1022 <= n <= 1023. */
static inline double pow2i(int n)
{
    return from_bits((uint64_t)(0x3ff + n) << 52);
}

double fabs(double x)
{
    return from_bits(to_bits(x) & ~(1ULL << 63));
}

double copysign(double x, double y)
{
    return from_bits((to_bits(x) & ~(1ULL << 63)) | (to_bits(y) & (1ULL << 63)));
}

double sqrt(double x)
{
    /* The instruction, not __builtin_sqrt: gcc may turn that back into a call to sqrt. */
    double r;
    __asm__("sqrtsd %1, %0" : "=x"(r) : "x"(x));
    if (x < 0)
        errno = EDOM;
    return r;
}

double trunc(double x)
{
    /* From 2^52 up every double is an integer (and NaN/inf fail the test too). */
    if (!(fabs(x) < 0x1p52))
        return x;
    return copysign((double)(long long)x, x);
}

double floor(double x)
{
    double t = trunc(x);
    return t > x ? t - 1.0 : t;
}

double ceil(double x)
{
    double t = trunc(x);
    return t < x ? t + 1.0 : t;
}

double round(double x)
{
    double t = trunc(x);
    /* x - t is exact here, unlike the x + 0.5 shortcut that misrounds 0.49999999999999994. */
    if (fabs(x - t) >= 0.5)
        t += copysign(1.0, x);
    return t;
}

double fmod(double x, double y)
{
    uint64_t ux = to_bits(x);
    uint64_t uy = to_bits(y);
    uint64_t sign = ux & (1ULL << 63);
    int ex = (int)((ux >> 52) & EXP_MASK);
    int ey = (int)((uy >> 52) & EXP_MASK);

    if (ex == EXP_MAX || isnan(y) || (uy << 1) == 0) {
        if (!isnan(x) && !isnan(y))
            errno = EDOM;
        return (x * y) / (x * y);
    }
    if ((ux << 1) <= (uy << 1))
        return (ux << 1) == (uy << 1) ? copysign(0.0, x) : x;

    /* Integer significands; subnormals are normalised so both have the hidden bit. */
    uint64_t mx = ux & FRAC_MASK;
    uint64_t my = uy & FRAC_MASK;
    if (ex == 0) {
        ex = 1;
        while (mx < (1ULL << 52)) {
            mx <<= 1;
            ex--;
        }
    } else {
        mx |= 1ULL << 52;
    }
    if (ey == 0) {
        ey = 1;
        while (my < (1ULL << 52)) {
            my <<= 1;
            ey--;
        }
    } else {
        my |= 1ULL << 52;
    }

    /* Binary long division, keeping only the remainder: exact at every step. */
    for (; ex > ey; ex--) {
        if (mx >= my)
            mx -= my;
        mx <<= 1;
    }
    if (mx >= my)
        mx -= my;
    if (mx == 0)
        return copysign(0.0, x);

    while (mx < (1ULL << 52)) {
        mx <<= 1;
        ey--;
    }
    uint64_t bits;
    if (ey >= 1)
        bits = ((uint64_t)ey << 52) | (mx & FRAC_MASK);
    else
        bits = mx >> (1 - ey); /* a subnormal result; the shifted-out bits are zero */
    return from_bits(bits | sign);
}

double scalbn(double x, int n)
{
    /* Scaled in steps so neither the factor nor an intermediate leaves the double range. */
    if (n > 1023) {
        x *= 0x1p1023;
        n -= 1023;
        if (n > 1023) {
            x *= 0x1p1023;
            n -= 1023;
            if (n > 1023)
                n = 1023;
        }
    } else if (n < -1022) {
        /* 2^-969 rather than 2^-1022 per step avoids double rounding into subnormals. */
        x *= 0x1p-1022 * 0x1p53;
        n += 1022 - 53;
        if (n < -1022) {
            x *= 0x1p-1022 * 0x1p53;
            n += 1022 - 53;
            if (n < -1022)
                n = -1022;
        }
    }
    return x * pow2i(n);
}

double ldexp(double x, int exp)
{
    return scalbn(x, exp);
}

double frexp(double x, int *exp)
{
    uint64_t u = to_bits(x);
    int e = (int)((u >> 52) & EXP_MASK);
    if (e == 0) {
        if ((u << 1) == 0) {
            *exp = 0;
            return x;
        }
        x *= 0x1p64;
        u = to_bits(x);
        e = (int)((u >> 52) & EXP_MASK) - 64;
    } else if (e == EXP_MAX) {
        *exp = 0;
        return x;
    }
    *exp = e - 1022;
    return from_bits((u & ~(EXP_MASK << 52)) | (0x3feULL << 52));
}

/* ln 2 split so that k * LN2_HI is exact for |k| < 2^21. */
static const double LN2_HI = 0x1.62e42fee00000p-1;
static const double LN2_LO = 0x1.a39ef35793c76p-33;
static const double INV_LN2 = 0x1.71547652b82fep+0;

double exp(double x)
{
    if (isnan(x))
        return x;
    if (x > 709.782712893383973) {
        errno = ERANGE;
        return HUGE_VAL;
    }
    if (x < -745.1332191019412) {
        errno = ERANGE;
        return 0.0;
    }
    if (fabs(x) < 0x1p-54)
        return 1.0 + x;

    /* x = k ln2 + r with |r| <= ln2 / 2, so exp(x) = 2^k exp(r). */
    double kd = trunc(x * INV_LN2 + copysign(0.5, x));
    int k = (int)kd;
    double r = (x - kd * LN2_HI) - kd * LN2_LO;

    /* Taylor series to r^13/13!: the next term is below 2^-56 for |r| <= 0.35. */
    double p = 1.0 / 6227020800.0;
    p = 1.0 / 479001600.0 + r * p;
    p = 1.0 / 39916800.0 + r * p;
    p = 1.0 / 3628800.0 + r * p;
    p = 1.0 / 362880.0 + r * p;
    p = 1.0 / 40320.0 + r * p;
    p = 1.0 / 5040.0 + r * p;
    p = 1.0 / 720.0 + r * p;
    p = 1.0 / 120.0 + r * p;
    p = 1.0 / 24.0 + r * p;
    p = 1.0 / 6.0 + r * p;
    p = 0.5 + r * p;
    double em1 = r + r * r * p; /* exp(r) - 1, kept separate for accuracy */
    return scalbn(1.0 + em1, k);
}

/*
 * Splits a positive finite x into 2^k * m with sqrt(1/2) <= m < sqrt(2), so that
 * log(m) is small and its series converges fast.
 */
static double split_log_arg(double x, int *k)
{
    uint64_t u = to_bits(x);
    int e = (int)((u >> 52) & EXP_MASK);
    int adj = 0;
    if (e == 0) {
        x *= 0x1p54;
        u = to_bits(x);
        e = (int)((u >> 52) & EXP_MASK);
        adj = -54;
    }
    double m = from_bits((u & FRAC_MASK) | (0x3ffULL << 52));
    *k = e - 1023 + adj;
    if (m > 0x1.6a09e667f3bcdp+0) {
        m *= 0.5;
        (*k)++;
    }
    return m;
}

/* log(m) for m in [sqrt(1/2), sqrt(2)]: 2 atanh(s) with s = (m-1)/(m+1), |s| < 0.172. */
static double log_reduced(double m)
{
    double f = m - 1.0; /* exact (Sterbenz) */
    double s = f / (2.0 + f);
    double s2 = s * s;
    double p = 1.0 / 21.0;
    p = 1.0 / 19.0 + s2 * p;
    p = 1.0 / 17.0 + s2 * p;
    p = 1.0 / 15.0 + s2 * p;
    p = 1.0 / 13.0 + s2 * p;
    p = 1.0 / 11.0 + s2 * p;
    p = 1.0 / 9.0 + s2 * p;
    p = 1.0 / 7.0 + s2 * p;
    p = 1.0 / 5.0 + s2 * p;
    p = 1.0 / 3.0 + s2 * p;
    /* f - s*f equals 2s exactly in real arithmetic and keeps more bits for small f. */
    return (f - s * f) + 2.0 * s * s2 * p;
}

/* Handles the special arguments shared by the log family; returns 1 if *result is set. */
static int log_special(double x, double *result)
{
    if (isnan(x)) {
        *result = x;
        return 1;
    }
    if (x < 0) {
        errno = EDOM;
        *result = NAN;
        return 1;
    }
    if (x == 0) {
        errno = ERANGE;
        *result = -HUGE_VAL;
        return 1;
    }
    if (isinf(x)) {
        *result = x;
        return 1;
    }
    return 0;
}

double log(double x)
{
    double special;
    if (log_special(x, &special))
        return special;
    int k;
    double m = split_log_arg(x, &k);
    double kd = k;
    return kd * LN2_HI + (log_reduced(m) + kd * LN2_LO);
}

double log2(double x)
{
    double special;
    if (log_special(x, &special))
        return special;
    int k;
    double m = split_log_arg(x, &k);
    /* Powers of two give exactly k. */
    return (double)k + log_reduced(m) * INV_LN2;
}

double log10(double x)
{
    static const double powers[] = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    };
    double r = log(x) * 0x1.bcb7b1526e50ep-2;
    /* Exact powers of ten (up to 1e22, the exactly representable ones) give exact answers. */
    if (r >= -0.5 && r < 22.5) {
        int n = (int)(r + 0.5);
        if (x == powers[n])
            return n;
    }
    return r;
}

/*
 * Double-double helpers (Dekker/Knuth): a value is carried as hi + lo with lo
 * below half an ulp of hi, giving about 106 bits where pow needs them.
 */
static inline void two_sum(double a, double b, double *sum, double *err)
{
    double s = a + b;
    double bb = s - a;
    *err = (a - (s - bb)) + (b - bb);
    *sum = s;
}

static inline void split26(double a, double *hi, double *lo)
{
    double c = 134217729.0 * a; /* 2^27 + 1 */
    double h = c - (c - a);
    *hi = h;
    *lo = a - h;
}

/* a * b == *prod + *err exactly, barring overflow and underflow. */
static inline void two_prod(double a, double b, double *prod, double *err)
{
    double p = a * b;
    double ah, al, bh, bl;
    split26(a, &ah, &al);
    split26(b, &bh, &bl);
    *err = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    *prod = p;
}

/* log(x) for positive finite x as hi + lo, good to roughly 2^-60 relative. */
static void log_dd(double x, double *hi, double *lo)
{
    int k;
    double m = split_log_arg(x, &k);
    double f = m - 1.0;

    /* s = f / (2 + f), with the division's rounding error recovered into s_lo. */
    double u, u_err;
    two_sum(2.0, f, &u, &u_err);
    double s = f / u;
    double p, p_err;
    two_prod(s, u, &p, &p_err);
    double s_lo = (((f - p) - p_err) - s * u_err) / u;

    double s2 = s * s;
    double q = 1.0 / 25.0;
    q = 1.0 / 23.0 + s2 * q;
    q = 1.0 / 21.0 + s2 * q;
    q = 1.0 / 19.0 + s2 * q;
    q = 1.0 / 17.0 + s2 * q;
    q = 1.0 / 15.0 + s2 * q;
    q = 1.0 / 13.0 + s2 * q;
    q = 1.0 / 11.0 + s2 * q;
    q = 1.0 / 9.0 + s2 * q;
    q = 1.0 / 7.0 + s2 * q;
    q = 1.0 / 5.0 + s2 * q;
    q = 1.0 / 3.0 + s2 * q;
    double tail = 2.0 * s * s2 * q; /* at most 1% of 2s, so double precision suffices */

    double kd = k;
    double h, e;
    two_sum(kd * LN2_HI, 2.0 * s, &h, &e);
    e += 2.0 * s_lo + tail + kd * LN2_LO;
    two_sum(h, e, hi, lo);
}

static int is_integer(double y)
{
    return trunc(y) == y;
}

/* Only meaningful for integral y: exponents of 2^53 and up are all even. */
static int is_odd_integer(double y)
{
    if (fabs(y) >= 0x1p53)
        return 0;
    return ((long long)y & 1) != 0;
}

/*
 * x^n by binary powering, but only if every product is exact (checked with
 * two_prod); returns 0 otherwise. This makes pow(10, 15), pow(3, 20) and the
 * like exact, which the exp/log route cannot promise.
 */
static int pow_uint_exact(double x, unsigned int n, double *result)
{
    double r = 1.0;
    for (;;) {
        double p, err;
        if (n & 1) {
            two_prod(r, x, &p, &err);
            if (err != 0 || !(fabs(p) >= 0x1p-969) || isinf(p))
                return 0;
            r = p;
        }
        n >>= 1;
        if (n == 0)
            break;
        two_prod(x, x, &p, &err);
        if (err != 0 || !(fabs(p) >= 0x1p-969) || isinf(p))
            return 0;
        x = p;
    }
    *result = r;
    return 1;
}

double pow(double x, double y)
{
    if (y == 0 || x == 1.0)
        return 1.0;
    if (isnan(x) || isnan(y))
        return x + y;

    int y_int = is_integer(y);
    int y_odd = y_int && is_odd_integer(y);
    double ax = fabs(x);

    if (isinf(y)) {
        if (ax == 1.0)
            return 1.0;
        return (ax > 1.0) == (y > 0) ? HUGE_VAL : 0.0;
    }
    if (x == 0) {
        if (y > 0)
            return y_odd ? x : 0.0;
        errno = ERANGE;
        return y_odd ? copysign(HUGE_VAL, x) : HUGE_VAL;
    }
    if (isinf(x)) {
        double mag = y > 0 ? HUGE_VAL : 0.0;
        return (x < 0 && y_odd) ? -mag : mag;
    }
    if (x < 0 && !y_int) {
        errno = EDOM;
        return NAN;
    }

    double r;
    if (y_int && fabs(y) <= 1024 && pow_uint_exact(ax, (unsigned int)fabs(y), &r)) {
        /* r is exact, so its reciprocal is correctly rounded. */
        if (y < 0)
            r = 1.0 / r;
    } else {
        /* |x|^y = exp(y log|x|), with y log|x| carried in double-double. */
        double l_hi, l_lo;
        log_dd(ax, &l_hi, &l_lo);
        double t = y * l_hi;
        if (l_hi == 0) {
            r = 1.0; /* x == -1 */
        } else if (!(fabs(t) < 1000.0)) {
            r = exp(t); /* certain overflow or underflow; exp sets errno */
        } else {
            double t_hi, t_err;
            two_prod(y, l_hi, &t_hi, &t_err);
            t_err += y * l_lo;
            double e = exp(t_hi);
            /* exp(t_hi + t_err) to first order (t_err is tiny); inf * t_err would be NaN. */
            r = isinf(e) ? e : e + e * t_err;
        }
    }
    if (r == 0 || isinf(r))
        errno = ERANGE;
    return (x < 0 && y_odd) ? -r : r;
}

/* ---- sin, cos, tan ---- */

/* sin(r) for |r| <= pi/4: Taylor series to r^19/19!, next term below 2^-60 relative. */
static double kernel_sin(double r)
{
    double r2 = r * r;
    double p = -1.0 / 121645100408832000.0;
    p = 1.0 / 355687428096000.0 + r2 * p;
    p = -1.0 / 1307674368000.0 + r2 * p;
    p = 1.0 / 6227020800.0 + r2 * p;
    p = -1.0 / 39916800.0 + r2 * p;
    p = 1.0 / 362880.0 + r2 * p;
    p = -1.0 / 5040.0 + r2 * p;
    p = 1.0 / 120.0 + r2 * p;
    p = -1.0 / 6.0 + r2 * p;
    return r + r * r2 * p;
}

/* cos(r) for |r| <= pi/4: Taylor series to r^20/20!. */
static double kernel_cos(double r)
{
    double r2 = r * r;
    double p = 1.0 / 2432902008176640000.0;
    p = -1.0 / 6402373705728000.0 + r2 * p;
    p = 1.0 / 20922789888000.0 + r2 * p;
    p = -1.0 / 87178291200.0 + r2 * p;
    p = 1.0 / 479001600.0 + r2 * p;
    p = -1.0 / 3628800.0 + r2 * p;
    p = 1.0 / 40320.0 + r2 * p;
    p = -1.0 / 720.0 + r2 * p;
    p = 1.0 / 24.0 + r2 * p;
    double hr2 = 0.5 * r2;
    /* 1 - r^2/2 is at least 0.69 here, so the subtraction loses nothing. */
    return (1.0 - hr2) + r2 * r2 * p;
}

/* 2/pi in binary: bit i of the expansion (weight 2^-i) is bit 64-((i-1)%64) of word (i-1)/64. */
static const uint64_t two_over_pi[20] = {
    0xa2f9836e4e441529ULL, 0xfc2757d1f534ddc0ULL,
    0xdb6295993c439041ULL, 0xfe5163abdebbc561ULL,
    0xb7246e3a424dd2e0ULL, 0x06492eea09d1921cULL,
    0xfe1deb1cb129a73eULL, 0xe88235f52ebb4484ULL,
    0xe99c7026b45f7e41ULL, 0x3991d639835339f4ULL,
    0x9c845f8bbdf9283bULL, 0x1ff897ffde05980fULL,
    0xef2f118b5a0a6d1fULL, 0x6d367ecf27cb09b7ULL,
    0x4f463f669e5fea2dULL, 0x7527bac7ebe5f17bULL,
    0x3d0739f78a5292eaULL, 0x6bfb5fb11f8d5d08ULL,
    0x56033046fc7b6babULL, 0xf0cfbc209af4361dULL,
};

static uint64_t table_word(int k)
{
    return (k >= 0 && k < 20) ? two_over_pi[k] : 0;
}

/* The 64 bits of 2/pi with weights 2^-p .. 2^-(p+63); positions below 1 are zero. */
static uint64_t two_over_pi_bits(int p)
{
    int off = p - 1 + 128; /* biased so the division below rounds down */
    int k = off / 64 - 2;
    int s = off % 64;
    if (s == 0)
        return table_word(k);
    return (table_word(k) << s) | (table_word(k + 1) >> (64 - s));
}

/*
 * Reduces ax > pi/4 to r in [-pi/4, pi/4] with ax = n*pi/2 + r, returning n mod 4.
 * With ax = m * 2^q, ax*2/pi mod 4 only needs the bits of 2/pi from weight 2^(q-1)
 * downwards (higher ones add multiples of 4); a 256-bit window starting there,
 * times the 53-bit m, leaves 192 fraction bits -- enough even for the doubles that
 * lie closest to a multiple of pi/2. This works for every finite argument.
 */
static int reduce_pio2(double ax, double *r)
{
    uint64_t u = to_bits(ax);
    int q = (int)((u >> 52) & EXP_MASK) - 1075;
    uint64_t m = (u & FRAC_MASK) | (1ULL << 52);

    int start = q - 63; /* the window's binary point then falls 192 bits up */
    uint64_t w[4];
    for (int i = 0; i < 4; i++)
        w[3 - i] = two_over_pi_bits(start + 64 * i);

    uint64_t prod[5];
    uint64_t carry = 0;
    for (int i = 0; i < 4; i++) {
        unsigned __int128 t = (unsigned __int128)m * w[i] + carry;
        prod[i] = (uint64_t)t;
        carry = (uint64_t)(t >> 64);
    }
    prod[4] = carry;

    int n = (int)(prod[3] & 3);
    uint64_t hi = prod[2];
    uint64_t lo = prod[1];
    int negative = 0;
    if (hi >> 63) {
        /* Fraction >= 1/2: take the next quadrant and a negative remainder. */
        n = (n + 1) & 3;
        negative = 1;
        hi = ~hi;
        lo = ~lo;
        if (++lo == 0)
            hi++;
    }

    /* Normalise the 128-bit fraction (units of 2^-128) into a double. */
    double f;
    if (hi != 0) {
        int s = __builtin_clzll(hi);
        uint64_t top = s ? (hi << s) | (lo >> (64 - s)) : hi;
        f = (double)top * pow2i(-64 - s);
    } else if (lo != 0) {
        int s = __builtin_clzll(lo);
        f = (double)(lo << s) * pow2i(-128 - s);
    } else {
        f = 0.0;
    }
    f *= 0x1.921fb54442d18p+0; /* pi/2 */
    *r = negative ? -f : f;
    return n;
}

#define PI_4 0x1.921fb54442d18p-1

double sin(double x)
{
    if (!isfinite(x)) {
        if (isinf(x))
            errno = EDOM;
        return x - x;
    }
    double ax = fabs(x);
    double result;
    if (ax <= PI_4) {
        result = kernel_sin(ax);
    } else {
        double r;
        switch (reduce_pio2(ax, &r)) {
        case 0:
            result = kernel_sin(r);
            break;
        case 1:
            result = kernel_cos(r);
            break;
        case 2:
            result = -kernel_sin(r);
            break;
        default:
            result = -kernel_cos(r);
            break;
        }
    }
    return signbit(x) ? -result : result;
}

double cos(double x)
{
    if (!isfinite(x)) {
        if (isinf(x))
            errno = EDOM;
        return x - x;
    }
    double ax = fabs(x);
    if (ax <= PI_4)
        return kernel_cos(ax);
    double r;
    switch (reduce_pio2(ax, &r)) {
    case 0:
        return kernel_cos(r);
    case 1:
        return -kernel_sin(r);
    case 2:
        return -kernel_cos(r);
    default:
        return kernel_sin(r);
    }
}

double tan(double x)
{
    if (!isfinite(x)) {
        if (isinf(x))
            errno = EDOM;
        return x - x;
    }
    double ax = fabs(x);
    double result;
    if (ax <= PI_4) {
        result = kernel_sin(ax) / kernel_cos(ax);
    } else {
        double r;
        int n = reduce_pio2(ax, &r);
        result = (n & 1) ? -kernel_cos(r) / kernel_sin(r) : kernel_sin(r) / kernel_cos(r);
    }
    return signbit(x) ? -result : result;
}
