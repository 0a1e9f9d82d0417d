/* math.h: the small set of double-precision math functions the ukmon guest library provides. */
#ifndef _MATH_H
#define _MATH_H

#define HUGE_VAL (__builtin_huge_val())
#define INFINITY (__builtin_inff())
#define NAN (__builtin_nanf(""))

#define FP_NAN 0
#define FP_INFINITE 1
#define FP_ZERO 2
#define FP_SUBNORMAL 3
#define FP_NORMAL 4

/* Type-generic classification; the builtins expand inline for float and double alike. */
#define isnan(x) __builtin_isnan(x)
#define isinf(x) __builtin_isinf(x)
#define isfinite(x) __builtin_isfinite(x)
#define isnormal(x) __builtin_isnormal(x)
#define signbit(x) __builtin_signbit(x)
#define fpclassify(x) \
    __builtin_fpclassify(FP_NAN, FP_INFINITE, FP_NORMAL, FP_SUBNORMAL, FP_ZERO, x)

#define M_E 2.7182818284590452354
#define M_LOG2E 1.4426950408889634074
#define M_LOG10E 0.43429448190325182765
#define M_LN2 0.69314718055994530942
#define M_LN10 2.30258509299404568402
#define M_PI 3.14159265358979323846
#define M_PI_2 1.57079632679489661923
#define M_PI_4 0.78539816339744830962
#define M_1_PI 0.31830988618379067154
#define M_2_PI 0.63661977236758134308
#define M_SQRT2 1.41421356237309504880
#define M_SQRT1_2 0.70710678118654752440

/*
 * Exact: fabs, copysign, sqrt (correctly rounded), floor, ceil, trunc, round,
 * fmod, ldexp/scalbn, frexp. Within a few ulps: exp, log, log2, log10, sin, cos,
 * tan (with full argument reduction, so large arguments are fine too), and pow,
 * which is exact whenever an integer power is exactly representable (pow(10, 15),
 * pow(2, -1074)) and otherwise exp(y*log(x)) carried in extra precision. Domain
 * and range errors set errno to EDOM or ERANGE.
 */
double fabs(double x);
double copysign(double x, double y);
double sqrt(double x);
double floor(double x);
double ceil(double x);
double trunc(double x);
double round(double x);
double fmod(double x, double y);
double ldexp(double x, int exp);
double scalbn(double x, int n);
double frexp(double x, int *exp);
double exp(double x);
double log(double x);
double log2(double x);
double log10(double x);
double pow(double x, double y);
double sin(double x);
double cos(double x);
double tan(double x);

#endif
