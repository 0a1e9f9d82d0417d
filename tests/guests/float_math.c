/* float_math: SSE and x87 arithmetic in the guest, printed. */
#include <math.h>
#include <stdio.h>

static double integrate(int n)
{
    double h = 1.0 / n, s = 0;
    for (int i = 0; i < n; i++) {
        double x = (i + 0.5) * h;
        s += 4.0 / (1.0 + x * x);
    }
    return s * h;
}

int main(void)
{
    volatile long double ld = 1.0L;
    for (int i = 0; i < 10; i++)
        ld *= 3.0L;
    printf("pi ~ %.6f\n", integrate(1000000));
    printf("sqrt(2) = %.6f\n", sqrt(2.0));
    printf("3^10 via x87 = %.0f\n", (double)ld);
    printf("float 1/3 = %.5f\n", (double)(1.0f / 3.0f));
    return 0;
}
