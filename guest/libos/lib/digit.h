/* digit.h: the value of a digit character in bases up to 36 (strtol, scanf). */
#ifndef GUEST_DIGIT_H
#define GUEST_DIGIT_H

static inline int digit_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99; /* larger than any base */
}

#endif
