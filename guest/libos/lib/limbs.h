/* limbs.h: the big-integer steps printf (float output) and strtod (input) share. */
#ifndef GUEST_LIMBS_H
#define GUEST_LIMBS_H
#include <stdint.h>

/* limb[0..*len) = limb * mul + add, little-endian 32-bit limbs; the caller leaves room. */
static inline void limbs_mul_add(uint32_t *limb, int *len, uint32_t mul, uint32_t add)
{
    uint64_t carry = add;
    for (int i = 0; i < *len; i++) {
        uint64_t t = (uint64_t)limb[i] * mul + carry;
        limb[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry != 0)
        limb[(*len)++] = (uint32_t)carry;
}

/* limb *= 5^k, k >= 0. */
static inline void limbs_mul_pow5(uint32_t *limb, int *len, long k)
{
    /* 5^13 is the largest power of five that fits in 32 bits. */
    for (; k >= 13; k -= 13)
        limbs_mul_add(limb, len, 1220703125u, 0);
    uint32_t rest = 1;
    while (k-- > 0)
        rest *= 5;
    if (rest != 1)
        limbs_mul_add(limb, len, rest, 0);
}

#endif
