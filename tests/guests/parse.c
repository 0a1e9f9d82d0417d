/* parse: strtod, strtof, atof and sscanf results, one per line; glibc must print the same. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Inputs are shown escaped, so that tabs, newlines and odd bytes keep one case per line. */
static const char *esc(const char *s)
{
    static char bufs[4][256];
    static int which;
    char *out = bufs[which++ % 4];
    size_t n = 0;
    for (; *s != '\0' && n < sizeof(bufs[0]) - 8; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n') {
            n += (size_t)sprintf(out + n, "\\n");
        } else if (c == '\t') {
            n += (size_t)sprintf(out + n, "\\t");
        } else if (c == '"' || c == '\\') {
            n += (size_t)sprintf(out + n, "\\%c", c);
        } else if (c < 0x20 || c >= 0x7f) {
            n += (size_t)sprintf(out + n, "\\x%02x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    if (*s != '\0')
        n += (size_t)sprintf(out + n, "...");
    out[n] = '\0';
    return out;
}

static const char *err_name(int e)
{
    return e == 0 ? "" : e == ERANGE ? " ERANGE" : " errno?";
}

static uint64_t double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    return u;
}

/* NaN payloads are not compared: only the sign of a NaN is specified. */
static void show_double(double d)
{
    if (d != d)
        printf("%.17g", d);
    else
        printf("%.17g [%016llx]", d, (unsigned long long)double_bits(d));
}

static void t_strtod(const char *s)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    int e = errno;
    printf("strtod(\"%s\") = ", esc(s));
    show_double(d);
    printf(" end=+%d%s\n", (int)(end - s), err_name(e));
}

static void t_strtof(const char *s)
{
    char *end;
    errno = 0;
    float f = strtof(s, &end);
    int e = errno;
    printf("strtof(\"%s\") = %.9g", esc(s), (double)f);
    if (f == f)
        printf(" [%08x]", (unsigned)float_bits(f));
    printf(" end=+%d%s\n", (int)(end - s), err_name(e));
}

/* The guest's long double is double: only values that glibc's, rounded to double, agree on. */
static void t_strtold(const char *s)
{
    char *end;
    errno = 0;
    long double d = strtold(s, &end);
    int e = errno;
    printf("strtold(\"%s\") = %.17g end=+%d%s\n", esc(s), (double)d, (int)(end - s), err_name(e));
}

static void t_atof(const char *s)
{
    printf("atof(\"%s\") = ", esc(s));
    show_double(atof(s));
    printf("\n");
}

static void head(const char *in, const char *fmt, int r)
{
    printf("sscanf(\"%s\", \"%s\") = %d:", esc(in), esc(fmt), r);
}

/* Up to three int conversions (%n included), for formats chosen at run time. */
static void s_ints(const char *in, const char *fmt)
{
    int a = -1, b = -1, c = -1;
    int r = sscanf(in, fmt, &a, &b, &c);
    head(in, fmt, r);
    printf(" %d %d %d\n", a, b, c);
}

/* Up to three strings of at most 15 characters. */
static void s_strs(const char *in, const char *fmt)
{
    char a[16] = "-", b[16] = "-", c[16] = "-";
    int r = sscanf(in, fmt, a, b, c);
    head(in, fmt, r);
    printf(" \"%s\" \"%s\" \"%s\"\n", esc(a), esc(b), esc(c));
}

/* nd doubles (1 to 3), then an int for a %n if the format has one. */
static void s_doubles(const char *in, const char *fmt, int nd)
{
    double a = -1, b = -1, c = -1;
    int n = -1;
    int r = nd == 1 ? sscanf(in, fmt, &a, &n)
          : nd == 2 ? sscanf(in, fmt, &a, &b, &n)
                    : sscanf(in, fmt, &a, &b, &c, &n);
    head(in, fmt, r);
    printf(" ");
    show_double(a);
    if (nd > 1) {
        printf(" ");
        show_double(b);
    }
    if (nd > 2) {
        printf(" ");
        show_double(c);
    }
    printf(" %d\n", n);
}

/* Through vsscanf, to check the va_list entry point. */
static int via_v(const char *in, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsscanf(in, fmt, ap);
    va_end(ap);
    return r;
}

static void strtod_cases(void)
{
    static const char *const cases[] = {
        /* integers, decimals, exponents */
        "0", "-0", "+0", "1", "-1", "42", "123456789", "9007199254740993",
        "18446744073709551616", "123456789012345678901234567890", "1.5", "-2.25",
        "3.14159265358979", "0.1", "0.2", "0.3", ".5", "5.", "1e-5", "1E5", "1e+5", "-1.25e-3",
        "12.5e1", "0.000001234", "1e22", "1e23", "8.9884656743115795e307", "1e308", "-1e308",
        "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "1e309",
        "-1e309", "1e99999999999",
        "4.9e-324", "5e-324", "2.4703282292062328e-324", "2.4703282292062327e-324", "1e-324",
        "-1e-400", "0e-400", "0e99999", "2.2250738585072014e-308", "2.2250738585072011e-308",
        "2.225073858507201e-308", "1.2345678901234567e-310",
        /* more than 19 digits, exactly on and around a halfway point */
        "9007199254740993.0000000000000000000000001", "9007199254740992.9999999999999999999999999",
        "0.1000000000000000055511151231257827021181583404541015625",
        "0.10000000000000000555111512312578270211815834045410156250000000000000000000001",
        /* hex floats */
        "0x1.8p3", "0X1P-1074", "0x1p-1075", "0x1.8p-1075", "-0x1.fffffffffffffp1023", "0x1p1024",
        "0xA.BCp-2", "0x.8", "0x10", "0x1p", "0x", "0xg", "0x1.00000000000008p0",
        "0x1.000000000000080001p0",
        /* infinities and NaNs */
        "inf", "-INF", "Infinity", "infinit", "infinityx", "nan", "-NaN", "nan()", "nan(123abc_)",
        "nan(", "nan(a-b)",
        /* garbage, partial numbers, white space */
        "", "abc", "-", "+", ".", "-.e5", "e5", "1e", "1e+", "1.5e-x", "12abc", "1.2.3",
        "   42", "\t\n\v\f\r 7.5", "  -  1", "--1", "1,5",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        t_strtod(cases[i]);
}

static void strtof_cases(void)
{
    static const char *const cases[] = {
        "0.1", "1.5", "-3.25e10", "16777217", "3.4028235e38", "3.4028236e38", "1e39",
        "1.17549435e-38", "1.4e-45", "7e-46", "1e-50", "0x1.fffffep127", "0x1p-149", "inf", "nan",
        "3.14159265358979323846",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        t_strtof(cases[i]);
}

static void sscanf_cases(void)
{
    /* integers */
    s_ints("42", "%d");
    s_ints("  -17   +8", "%d%d");
    s_ints("0x1f 017 -0X10", "%i %i %i");
    s_ints("9 010 0", "%i%i%i");
    s_ints("-1", "%u");
    s_ints("777 ff FF", "%o %x %X");
    s_ints("0x1F 0Xa", "%x %X");
    s_ints("1234567", "%3d%2d%d");
    s_ints("4294967297", "%d");
    s_ints("1 2 3", "%*d %d %d");
    s_ints("12   34", "%d%n %d");
    s_ints("12   34", "%d %n%d");
    s_ints("0000000000000000000000000000000000000000000000000000000000000000000000000000123", "%d");
    s_ints("abc", "%d");
    s_ints("", "%d");
    s_ints("   ", "%d");
    s_ints("5", "%d %d");
    s_ints("y5", "x%d");
    s_ints("1+2", "%d-%d");
    s_ints("5", "%d,");
    s_ints("-", "%d");
    s_ints("+ 5", "%d");
    s_ints("10%20", "%d%%%d");
    s_ints("10 % 20", "%d %% %d");
    s_ints("1     \t 2", "%d\n%d");
    s_ints("1", "%*d %d");
    s_ints("", "%n");
    s_ints("abc", "abc%n");
    s_ints("ab", "abc%n");

    /* every length modifier */
    {
        signed char hh = 0;
        short h = 0;
        long l = 0;
        long long ll = 0;
        int r = sscanf("300 70000 -9000000000 9223372036854775807", "%hhd %hd %ld %lld", &hh, &h,
                       &l, &ll);
        head("300 70000 -9000000000 9223372036854775807", "%hhd %hd %ld %lld", r);
        printf(" %d %d %ld %lld\n", hh, h, l, ll);
    }
    {
        unsigned char hhu = 0;
        unsigned short hu = 0;
        size_t z = 0;
        intmax_t j = 0;
        ptrdiff_t t = 0;
        unsigned long long llu = 0;
        int r = sscanf("511 -1 123456789012 -5 -6 99999999999999999999",
                       "%hhu %hu %zu %jd %td %llu", &hhu, &hu, &z, &j, &t, &llu);
        head("511 -1 123456789012 -5 -6 99999999999999999999", "%hhu %hu %zu %jd %td %llu", r);
        printf(" %u %u %zu %jd %td %llu\n", hhu, hu, z, j, t, llu);
    }
    {
        long long ll = 0;
        int n1 = 0;
        signed char n2 = 0;
        long long n3 = 0;
        int r = sscanf("  -99999999999999999999 xyz", " %n%lld%hhn xyz%lln", &n1, &ll, &n2, &n3);
        head("  -99999999999999999999 xyz", " %n%lld%hhn xyz%lln", r);
        printf(" %d %lld %d %lld\n", n1, ll, n2, n3);
    }
    {
        void *p = NULL;
        int r = sscanf("0x1234", "%p", &p);
        head("0x1234", "%p", r);
        printf(" %p\n", p);
    }

    /* characters, strings and sets */
    s_strs(" x", "%c");
    s_strs(" x", " %c");
    s_strs("abcdef", "%3c%c");
    s_strs("abcdefgh ij", "%5s%s");
    s_strs("  hello\tworld  ", "%s%s");
    s_strs("abc123def", "%[a-z]%[0-9]%s");
    s_strs("one,two,three", "%[^,],%[^,],%s");
    s_strs("]a]bx", "%[]abc]%s");
    s_strs("a-b-c+", "%[-a]%[b-]%s");
    s_strs("zyx-w", "%[z-x]%s");
    s_strs("line one\nline two", "%[^\n]\n%[^\n]");
    s_strs("abcdefg", "%3[a-z]%2[a-z]%[a-z]");
    s_strs("123", "%[a-z]");
    s_strs("abc123", "%*[a-z]%s");
    s_strs("xy", "%*c%c");
    s_strs("", "%s");
    s_strs("", "%c");
    s_strs("", "%[a]");
    s_strs("   ", "%s");
    s_strs("abc", "%[abc");
    s_strs("tab\there", "%[^\t]%c%s");
    {
        wchar_t w[8] = { 0 };
        char c = 0;
        int r = sscanf("hi there", "%ls %c", w, &c);
        head("hi there", "%ls %c", r);
        printf(" %d %d %d %c\n", (int)w[0], (int)w[1], (int)w[2], c);
    }

    /* floating point */
    s_doubles("1.5 -2.25e3 0.1", "%lf %lf %lf", 3);
    s_doubles("1e10 -0.5 3E-3", "%le %lg %lE", 3);
    s_doubles("INF -inf nan", "%lG %lf %la", 3);
    s_doubles("infinity 0x1.8p1 -0X.1P4", "%lf%la%lA", 3);
    s_doubles("123.456", "%5lf%lf", 2);
    s_doubles("1e5x", "%lf%n", 1);
    s_doubles("3.25abc", "%lf%n", 1);
    s_doubles("1.5e+7abc", "%lf%n", 1);
    s_doubles("0x1p-2 -0x1.8", "%lf %lg%n", 2);
    s_doubles("  .5 5. -0", "%lf %lf %lf", 3);
    s_doubles("1.7976931348623159e308 4.9e-324 2.2250738585072014e-308", "%lf %lf %lf", 3);
    s_doubles("1e309", "%lf", 1);
    s_doubles("0.1000000000000000055511151231257827021181583404541015625", "%lf", 1);
    s_doubles("-", "%lf", 1);
    s_doubles("x", "%lf", 1);
    s_doubles("", "%lf", 1);
    s_doubles("1,5", "%lf,%lf", 2);
    s_doubles("12345", "%*3lf%lf", 1);
    {
        float f = 0;
        double d = 0;
        long double ld = 0;
        int r = sscanf("0.1 0.1 0.5", "%f %lf %Lf", &f, &d, &ld);
        head("0.1 0.1 0.5", "%f %lf %Lf", r);
        printf(" %.9g %.17g %.17g\n", (double)f, d, (double)ld);
    }
    {
        /* Long fields: digits far beyond any buffer, zeros that only move the point. */
        static char big[2400];
        double a = -1, b = -1, c = -1;
        size_t n = 0;
        big[n++] = '1';
        for (int i = 0; i < 900; i++)
            big[n++] = '0';
        n += (size_t)sprintf(big + n, "e-900 0.");
        for (int i = 0; i < 400; i++)
            big[n++] = '0';
        n += (size_t)sprintf(big + n, "25e401 ");
        for (int i = 0; i < 850; i++)
            big[n++] = (char)('1' + i % 9);
        n += (size_t)sprintf(big + n, "e-850");
        int r = sscanf(big, "%lf %lf %lf", &a, &b, &c);
        printf("sscanf(long fields) = %d: %.17g %.17g %.17g\n", r, a, b, c);
    }

    /* mixed formats, and vsscanf */
    {
        char name[16] = "-";
        int age = -1, n = -1;
        double score = -1;
        char grade = '-';
        const char *in = "name=Ada age=36 score=99.5 grade=A!";
        int r = sscanf(in, "name=%15[^ ] age=%d score=%lf grade=%c!%n", name, &age, &score, &grade,
                       &n);
        head(in, "name=%15[^ ] age=%d score=%lf grade=%c!%n", r);
        printf(" \"%s\" %d %.17g %c %d\n", name, age, score, grade, n);
    }
    {
        int h = -1, m = -1, s = -1;
        int r = via_v("12:34:56", "%d:%d:%d", &h, &m, &s);
        printf("vsscanf(\"12:34:56\", \"%%d:%%d:%%d\") = %d: %d %d %d\n", r, h, m, s);
        r = via_v("12:34", "%d:%d:%d", &h, &m, &s);
        printf("vsscanf(\"12:34\", \"%%d:%%d:%%d\") = %d: %d %d %d\n", r, h, m, s);
    }
}

int main(void)
{
    strtod_cases();
    strtof_cases();
    static const char *const ld[] = { "0.5", "-1e100", "0.1", "3.25abc", "x" };
    for (size_t i = 0; i < sizeof(ld) / sizeof(ld[0]); i++)
        t_strtold(ld[i]);
    static const char *const af[] = { "2.5", "  -1e-3xyz", "abc", "0x1p4" };
    for (size_t i = 0; i < sizeof(af) / sizeof(af[0]); i++)
        t_atof(af[i]);
    sscanf_cases();
    return 0;
}
