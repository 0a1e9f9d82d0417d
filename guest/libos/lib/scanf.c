/* scanf.c: the scanf family: formatted input from strings and from stdin. */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digit.h"

/*
 * Where input comes from: a string (sscanf) or a stream. A conversion looks one
 * character ahead and puts it back if it does not belong to the field; that is
 * the only pushback ever needed, so ungetc() suffices for streams. It is also
 * why a field that turns out to be only the start of a number ("1e+" followed
 * by a letter) fails instead of backing up: the characters are gone.
 */
struct input {
    const unsigned char *str; /* the rest of the string, or NULL for a stream */
    FILE *stream;
    size_t count; /* characters consumed, for %n */
};

static int in_get(struct input *in)
{
    int c;
    if (in->str != NULL) {
        if (*in->str == '\0')
            return EOF;
        c = *in->str++;
    } else {
        c = fgetc(in->stream);
        if (c == EOF)
            return EOF;
    }
    in->count++;
    return c;
}

static void in_unget(struct input *in, int c)
{
    if (c == EOF)
        return;
    if (in->str != NULL)
        in->str--;
    else
        ungetc(c, in->stream);
    in->count--;
}

/* Skips white space; returns the next character (left unread) or EOF. */
static int skip_space(struct input *in)
{
    int c;
    do
        c = in_get(in);
    while (isspace(c));
    in_unget(in, c);
    return c;
}

/* A field: input limited to the conversion's maximum width. */
struct field {
    struct input *in;
    size_t left;
};

static int field_get(struct field *f)
{
    if (f->left == 0)
        return EOF;
    int c = in_get(f->in);
    if (c != EOF)
        f->left--;
    return c;
}

static void field_unget(struct field *f, int c)
{
    if (c == EOF)
        return;
    in_unget(f->in, c);
    f->left++;
}

/*
 * Integers: the field (sign, base prefix, digits) is collected as text and
 * converted by strtoll/strtoull, so overflow saturates exactly as there.
 * Leading zeros are dropped and digits past INT_DIGITS are not stored: that
 * many significant digits already overflow 64 bits in any base scanf uses.
 */
#define INT_DIGITS 64

static int scan_integer(struct input *in, size_t width, int *base, char buf[INT_DIGITS + 2])
{
    struct field fl = { in, width };
    size_t n = 0;
    int digits = 0;

    int c = field_get(&fl);
    if (c == '+' || c == '-') {
        buf[n++] = (char)c;
        c = field_get(&fl);
    }
    size_t start = n;
    if ((*base == 0 || *base == 16) && c == '0') {
        c = field_get(&fl);
        if ((c | 32) == 'x') {
            /* Now at least one hex digit must follow: "0x" alone is no number. */
            *base = 16;
            c = field_get(&fl);
        } else {
            buf[n++] = '0';
            digits = 1;
            if (*base == 0)
                *base = 8;
        }
    } else if (*base == 0) {
        *base = 10;
    }

    for (; digit_value(c) < *base; c = field_get(&fl)) {
        digits++;
        if (n == start + 1 && buf[start] == '0')
            n = start;
        if (n - start < INT_DIGITS)
            buf[n++] = (char)c;
    }
    field_unget(&fl, c);
    buf[n] = '\0';
    return digits > 0;
}

/*
 * Floats: the field is checked against strtod's syntax and rewritten for it:
 * leading zeros become part of the exponent, and digits past FLOAT_KEEP are
 * replaced by one nonzero digit if any of them is nonzero, which strtod.c
 * shows to round exactly like the full text (decimal needs 769 digits; for hex
 * 16 already hold every bit). The exponent is added up here and written last.
 */
#define FLOAT_KEEP_DEC 800
#define FLOAT_KEEP_HEX 20
#define FLOAT_BUF (FLOAT_KEEP_DEC + 48)
#define EXP_LIMIT 100000000L

/* Writes "inf", "infinity", "nan" or "nan(chars)"; the first letter is c. */
static int scan_special(struct field *fl, int c, char *buf, size_t n)
{
    int inf = (c | 32) == 'i';
    const char *word = inf ? "infinity" : "nan";

    buf[n++] = (char)c;
    for (int i = 1; i < 3; i++) {
        c = field_get(fl);
        if ((c | 32) != word[i]) {
            field_unget(fl, c);
            return 0;
        }
        buf[n++] = (char)c;
    }
    c = field_get(fl);
    if (inf && (c | 32) == 'i') {
        for (int i = 3; i < 8; i++) {
            if ((c | 32) != word[i]) {
                field_unget(fl, c);
                return 0;
            }
            buf[n++] = (char)c;
            c = field_get(fl);
        }
    } else if (!inf && c == '(') {
        /* The payload means nothing to strtod here, so a long one need not be kept. */
        buf[n++] = '(';
        for (c = field_get(fl); isalnum(c) || c == '_'; c = field_get(fl)) {
            if (n < FLOAT_BUF - 2)
                buf[n++] = (char)c;
        }
        if (c != ')') {
            field_unget(fl, c);
            return 0;
        }
        buf[n++] = ')';
        c = field_get(fl);
    }
    field_unget(fl, c);
    buf[n] = '\0';
    return 1;
}

static int scan_float(struct input *in, size_t width, char buf[FLOAT_BUF])
{
    struct field fl = { in, width };
    size_t n = 0;

    int c = field_get(&fl);
    if (c == '+' || c == '-') {
        buf[n++] = (char)c;
        c = field_get(&fl);
    }
    if ((c | 32) == 'i' || (c | 32) == 'n')
        return scan_special(&fl, c, buf, n);

    int hex = 0, any = 0;
    if (c == '0') {
        any = 1;
        c = field_get(&fl);
        if ((c | 32) == 'x') {
            hex = 1;
            any = 0;
            buf[n++] = '0';
            buf[n++] = 'x';
            c = field_get(&fl);
        }
    }
    int step = hex ? 4 : 1; /* exponent units per digit */
    int keep = hex ? FLOAT_KEEP_HEX : FLOAT_KEEP_DEC;
    long adjust = 0;
    int kept = 0, seen_point = 0, wrote_point = 0, sticky = 0;

    for (;; c = field_get(&fl)) {
        if (c == '.' && !seen_point) {
            seen_point = 1;
            continue;
        }
        int d = hex ? (isxdigit(c) ? digit_value(c) : -1) : (isdigit(c) ? c - '0' : -1);
        if (d < 0)
            break;
        any = 1;
        if (kept == 0 && d == 0) {
            if (seen_point)
                adjust -= step;
            continue;
        }
        if (kept < keep) {
            if (seen_point && !wrote_point) {
                buf[n++] = '.';
                wrote_point = 1;
            }
            buf[n++] = (char)c;
            kept++;
        } else {
            sticky |= d != 0;
            if (!seen_point)
                adjust += step;
        }
    }
    if (!any) {
        field_unget(&fl, c);
        return 0;
    }
    if (kept == 0) {
        buf[n++] = '0';
    } else if (sticky) {
        if (!wrote_point)
            buf[n++] = '.';
        buf[n++] = '1';
    }

    long exp = 0;
    char marker = hex ? 'p' : 'e';
    if ((c | 32) == marker) {
        int negative = 0;
        c = field_get(&fl);
        if (c == '+' || c == '-') {
            negative = c == '-';
            c = field_get(&fl);
        }
        if (!isdigit(c)) {
            field_unget(&fl, c);
            return 0;
        }
        for (; isdigit(c); c = field_get(&fl)) {
            if (exp < EXP_LIMIT)
                exp = exp * 10 + (c - '0');
        }
        if (negative)
            exp = -exp;
    }
    field_unget(&fl, c);

    exp += adjust;
    if (exp != 0) {
        char digits[24];
        int k = 0;
        unsigned long mag = exp < 0 ? 0UL - (unsigned long)exp : (unsigned long)exp;
        do {
            digits[k++] = (char)('0' + mag % 10);
            mag /= 10;
        } while (mag != 0);
        buf[n++] = marker;
        if (exp < 0)
            buf[n++] = '-';
        while (k > 0)
            buf[n++] = digits[--k];
    }
    buf[n] = '\0';
    return 1;
}

/* ---- the format interpreter ---- */

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T, LEN_BIG_L };

/* Stores an integer conversion's value (or %n's count) in the type the length names. */
static void store_int(void *p, enum length len, uintmax_t v)
{
    switch (len) {
    case LEN_HH:
        *(unsigned char *)p = (unsigned char)v;
        break;
    case LEN_H:
        *(unsigned short *)p = (unsigned short)v;
        break;
    case LEN_L:
        *(unsigned long *)p = (unsigned long)v;
        break;
    case LEN_LL:
    case LEN_BIG_L: /* glibc reads %Ld as %lld */
        *(unsigned long long *)p = (unsigned long long)v;
        break;
    case LEN_J:
        *(uintmax_t *)p = v;
        break;
    case LEN_Z:
        *(size_t *)p = (size_t)v;
        break;
    case LEN_T:
        *(ptrdiff_t *)p = (ptrdiff_t)v;
        break;
    default:
        *(unsigned int *)p = (unsigned int)v;
        break;
    }
}

typedef unsigned char charset[32];

static void set_add(charset set, unsigned int c)
{
    set[c / 8] |= (unsigned char)(1u << (c % 8));
}

static int set_has(const charset set, int c)
{
    return (set[(unsigned int)c / 8] >> ((unsigned int)c % 8)) & 1;
}

/*
 * Parses the set of a %[ conversion, fmt pointing after the '['; returns what
 * follows the closing ']', or NULL if there is none. A ']' or '-' first is a
 * member, and "a-z" is a range unless its ends are reversed (then all three
 * characters are members), as glibc reads it.
 */
static const unsigned char *parse_set(const unsigned char *f, charset set)
{
    int negate = 0;
    memset(set, 0, sizeof(charset));
    if (*f == '^') {
        negate = 1;
        f++;
    }
    if (*f == ']' || *f == '-')
        set_add(set, *f++);
    for (;;) {
        unsigned int c = *f++;
        if (c == '\0')
            return NULL;
        if (c == ']')
            break;
        if (c == '-' && *f != '\0' && *f != ']' && f[-2] <= *f) {
            /* The end itself is added on the next round. */
            for (unsigned int x = f[-2]; x < *f; x++)
                set_add(set, x);
        } else {
            set_add(set, c);
        }
    }
    if (negate) {
        for (size_t i = 0; i < sizeof(charset); i++)
            set[i] = (unsigned char)~set[i];
    }
    return f;
}

static int scan_all(struct input *in, const char *format, va_list ap)
{
    const unsigned char *f = (const unsigned char *)format;
    int assigned = 0;

    while (*f != '\0') {
        /* White space in the format matches any amount of it, none included. */
        if (isspace(*f)) {
            while (isspace(*f))
                f++;
            skip_space(in);
            continue;
        }
        if (*f != '%') {
            int c = in_get(in);
            if (c == EOF)
                goto input_failure;
            if (c != *f) {
                in_unget(in, c);
                goto matching_failure;
            }
            f++;
            continue;
        }

        f++;
        int suppress = 0;
        if (*f == '*') {
            suppress = 1;
            f++;
        }
        /* No width, or a width of 0 (which glibc also ignores): unlimited. */
        size_t width = 0;
        for (; isdigit(*f); f++) {
            if (width < SIZE_MAX / 10)
                width = width * 10 + (size_t)(*f - '0');
        }
        if (width == 0)
            width = SIZE_MAX;

        enum length len = LEN_NONE;
        switch (*f) {
        case 'h':
            f++;
            len = LEN_H;
            if (*f == 'h') {
                f++;
                len = LEN_HH;
            }
            break;
        case 'l':
            f++;
            len = LEN_L;
            if (*f == 'l') {
                f++;
                len = LEN_LL;
            }
            break;
        case 'z':
            f++;
            len = LEN_Z;
            break;
        case 'j':
            f++;
            len = LEN_J;
            break;
        case 't':
            f++;
            len = LEN_T;
            break;
        case 'L':
            f++;
            len = LEN_BIG_L;
            break;
        default:
            break;
        }

        int conv = *f;
        if (conv == '\0')
            goto matching_failure;
        f++;

        /* Every conversion but %[, %c and %n starts by skipping white space. */
        if (conv != '[' && conv != 'c' && conv != 'n') {
            if (skip_space(in) == EOF)
                goto input_failure;
        }

        switch (conv) {
        case '%': {
            int c = in_get(in);
            if (c != '%') {
                in_unget(in, c);
                goto matching_failure;
            }
            break;
        }
        case 'n':
            if (!suppress)
                store_int(va_arg(ap, void *), len, in->count);
            break;
        case 'd':
        case 'i':
        case 'u':
        case 'o':
        case 'x':
        case 'X':
        case 'p': {
            char buf[INT_DIGITS + 2];
            int base = conv == 'd' || conv == 'u' ? 10 : conv == 'i' ? 0 : conv == 'o' ? 8 : 16;
            if (!scan_integer(in, width, &base, buf))
                goto matching_failure;
            if (suppress)
                break;
            if (conv == 'p') {
                *va_arg(ap, void **) = (void *)(uintptr_t)strtoull(buf, NULL, base);
            } else {
                uintmax_t v = conv == 'd' || conv == 'i' ? (uintmax_t)strtoll(buf, NULL, base)
                                                          : strtoull(buf, NULL, base);
                store_int(va_arg(ap, void *), len, v);
            }
            assigned++;
            break;
        }
        case 'a':
        case 'A':
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G': {
            char buf[FLOAT_BUF];
            if (!scan_float(in, width, buf))
                goto matching_failure;
            if (suppress)
                break;
            if (len == LEN_L)
                *va_arg(ap, double *) = strtod(buf, NULL);
            else if (len == LEN_BIG_L)
                *va_arg(ap, long double *) = strtold(buf, NULL);
            else
                *va_arg(ap, float *) = strtof(buf, NULL);
            assigned++;
            break;
        }
        case 'c':
        case 's':
        case '[': {
            charset set;
            if (conv == '[') {
                f = parse_set(f, set);
                if (f == NULL)
                    goto matching_failure;
            } else {
                /* %c takes anything, %s anything but white space. */
                memset(set, 0xff, sizeof(set));
                if (conv == 's') {
                    for (unsigned int c = 0; c < 256; c++) {
                        if (isspace((int)c))
                            set[c / 8] &= (unsigned char)~(1u << (c % 8));
                    }
                }
                if (conv == 'c' && width == SIZE_MAX)
                    width = 1;
            }
            /* wchar_t output for the l forms: without locales a byte is a character. */
            char *dst = NULL;
            wchar_t *wdst = NULL;
            if (!suppress) {
                if (len == LEN_L)
                    wdst = va_arg(ap, wchar_t *);
                else
                    dst = va_arg(ap, char *);
            }

            size_t got = 0;
            int c = in_get(in);
            if (c == EOF)
                goto input_failure;
            while (c != EOF && set_has(set, c)) {
                if (dst != NULL)
                    dst[got] = (char)c;
                else if (wdst != NULL)
                    wdst[got] = (wchar_t)c;
                if (++got == width)
                    break;
                c = in_get(in);
            }
            if (got < width)
                in_unget(in, c);
            /* %c wants exactly its width; the others at least one character. */
            if (got == 0 || (conv == 'c' && got < width))
                goto matching_failure;
            if (conv != 'c') {
                if (dst != NULL)
                    dst[got] = '\0';
                else if (wdst != NULL)
                    wdst[got] = 0;
            }
            if (!suppress)
                assigned++;
            break;
        }
        default:
            goto matching_failure;
        }
    }
    return assigned;

matching_failure:
    return assigned;

input_failure:
    /* Like glibc and musl: EOF if nothing was assigned yet, even after a suppressed field. */
    return assigned > 0 ? assigned : EOF;
}

/* ---- entry points ---- */

int vsscanf(const char *restrict str, const char *restrict format, va_list ap)
{
    struct input in = { (const unsigned char *)str, NULL, 0 };
    return scan_all(&in, format, ap);
}

int sscanf(const char *restrict str, const char *restrict format, ...)
{
    va_list ap;
    va_start(ap, format);
    int r = vsscanf(str, format, ap);
    va_end(ap);
    return r;
}

int vfscanf(FILE *restrict stream, const char *restrict format, va_list ap)
{
    struct input in = { NULL, stream, 0 };
    return scan_all(&in, format, ap);
}

int fscanf(FILE *restrict stream, const char *restrict format, ...)
{
    va_list ap;
    va_start(ap, format);
    int r = vfscanf(stream, format, ap);
    va_end(ap);
    return r;
}

int vscanf(const char *restrict format, va_list ap)
{
    return vfscanf(stdin, format, ap);
}

int scanf(const char *restrict format, ...)
{
    va_list ap;
    va_start(ap, format);
    int r = vfscanf(stdin, format, ap);
    va_end(ap);
    return r;
}
