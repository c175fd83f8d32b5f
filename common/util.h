/* util.h — small helpers every stage needs: time stamps, monotonic clock,
 * allocation that never returns NULL, UTF-8 validation, base64. */
#ifndef SP_UTIL_H
#define SP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Write the current UTC time as RFC 3339 with milliseconds. */
void sp_now_rfc3339(char *buf, size_t len);
/* Milliseconds on a monotonic clock. */
int64_t sp_mono_ms(void);
/* Sleep for ms milliseconds (returns early on a signal). */
void sp_sleep_ms(int64_t ms);

/* 64 random bits from the kernel (getrandom), or from the clock and the
 * process id where it has none: seeds and ids that must differ between
 * processes and runs, not secrets. */
uint64_t sp_random64(void);

void *sp_xmalloc(size_t n);
void *sp_xrealloc(void *p, size_t n);
char *sp_xstrdup(const char *s);
char *sp_xstrndup(const char *s, size_t n);

/* 1 if buf[0..len) is well-formed UTF-8 (no overlongs, surrogates or
 * code points above U+10FFFF), else 0. */
int sp_utf8_valid(const char *buf, size_t len);

/* How long the UTF-8 sequence at s is (its first byte from 0x80 up, avail
 * bytes there), with its code point in *cp; or 0 when it is not valid: a
 * stray continuation byte, an overlong form, a surrogate, above U+10FFFF,
 * or cut short. */
size_t sp_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp);
/* 1 if buf[0..len) is text: well-formed UTF-8 without NUL bytes (which a
 * JSON string could only carry as \u0000, refused by every stage). */
int sp_utf8_text(const char *buf, size_t len);
/* Write code point cp (at most U+10FFFF) as UTF-8 into out; returns the
 * number of bytes, 1 to 4. */
size_t sp_utf8_encode(uint32_t cp, char out[4]);

/* Base64 (RFC 4648, padded). Returns a malloc'ed NUL-terminated string. */
char *sp_base64_encode(const void *data, size_t len);
/* The bytes of base64 text (white space skipped, padding optional); malloc'ed,
 * *out_len bytes; NULL when it holds another character. */
void *sp_base64_decode(const char *s, size_t len, size_t *out_len);

/* AVX2 paths. SP_AVX2 is defined where a function may be built for AVX2
 * (__attribute__((target("avx2"))): GCC or clang on x86-64) while the rest
 * stays baseline x86-64; sp_avx2() says at run time whether to call it:
 * the processor has AVX2, BMI1 and BMI2 (every one with AVX2 so far has
 * the other two; fingerprint.c's AVX2 build uses them) and sp_no_avx2 is 0. Tests set sp_no_avx2 to 1 to
 * run the same input through the SSE2 path and compare. */
extern int sp_no_avx2;
#if defined(__x86_64__) && defined(__GNUC__) && defined(__SSE2__)
#define SP_AVX2 1
static inline int sp_avx2(void) {
    return !sp_no_avx2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
           __builtin_cpu_supports("bmi2");
}
#endif

/* Read a whole file (or stdin for "-") into a malloc'ed buffer, NUL-terminated.
 * Returns NULL and sets errno on failure or when it exceeds max bytes (EFBIG). */
char *sp_read_file(const char *path, size_t max, size_t *len);

#endif
