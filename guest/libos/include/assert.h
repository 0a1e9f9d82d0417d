/* assert.h: the assert() macro; deliberately re-includable so NDEBUG can change between inclusions. */
#undef assert

#ifdef NDEBUG
#define assert(expr) ((void)0)
#else
#define assert(expr) ((expr) ? (void)0 : __assert_fail(#expr, __FILE__, __LINE__, __func__))
#endif

#ifndef _ASSERT_H
#define _ASSERT_H

#ifndef __cplusplus
#define static_assert _Static_assert
#endif

/* Prints "assertion failed: EXPR (FILE:LINE: FUNC)" to stderr, then abort()s. */
_Noreturn void __assert_fail(const char *expr, const char *file, int line, const char *func);

#endif
