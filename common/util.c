/* util.c — small helpers every stage needs (see util.h). */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ids.h"
#include "log.h"

int sp_no_avx2;

void sp_now_rfc3339(char *buf, size_t len) {
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

uint64_t sp_random64(void) {
    uint64_t r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r) return r;
    struct timespec ts;
    static uint64_t calls;
    uint64_t h[4];
    clock_gettime(CLOCK_REALTIME, &ts);
    h[0] = (uint64_t)ts.tv_sec;
    h[1] = (uint64_t)ts.tv_nsec;
    h[2] = (uint64_t)getpid();
    h[3] = ++calls;
    return sp_hash64(h, sizeof h);
}

int64_t sp_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sp_sleep_ms(int64_t ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void out_of_memory(size_t n) {
    fprintf(stderr, "{\"level\":\"error\",\"event\":\"oom\",\"msg\":\"out of memory (%zu bytes)\"}\n", n);
    abort();
}

void *sp_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (p == NULL) out_of_memory(n);
    return p;
}

void *sp_xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (p == NULL) out_of_memory(n);
    return p;
}

char *sp_xstrdup(const char *s) { return sp_xstrndup(s, strlen(s)); }

char *sp_xstrndup(const char *s, size_t n) {
    char *p = sp_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

size_t sp_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp) {
    uint32_t c = s[0], v, min;
    size_t need;
    if (c >= 0xC2 && c <= 0xDF) { need = 1; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { need = 2; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { need = 3; v = c & 0x07; min = 0x10000; }
    else return 0;
    if (avail <= need) return 0;
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return need + 1;
}

int sp_utf8_valid(const char *buf, size_t len) {
    const unsigned char *s = (const unsigned char *)buf, *end = s + len;
    while (s < end) {
        if (*s < 0x80) {
            /* ASCII, the common case: 16 bytes at a time (then 8) while none has its top bit */
            s++;
#ifdef __SSE2__
            while (end - s >= 16 && _mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)s)) == 0) s += 16;
#endif
            while (end - s >= 8) {
                uint64_t w;
                memcpy(&w, s, 8);
                if (w & 0x8080808080808080ull) break;
                s += 8;
            }
            continue;
        }
        uint32_t cp;
        size_t n = sp_utf8_decode(s, (size_t)(end - s), &cp);
        if (n == 0) return 0;
        s += n;
    }
    return 1;
}

int sp_utf8_text(const char *buf, size_t len) { return sp_utf8_valid(buf, len) && memchr(buf, 0, len) == NULL; }

size_t sp_utf8_encode(uint32_t cp, char out[4]) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 63));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 63));
        out[2] = (char)(0x80 | (cp & 63));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 63));
    out[2] = (char)(0x80 | ((cp >> 6) & 63));
    out[3] = (char)(0x80 | (cp & 63));
    return 4;
}

char *sp_base64_encode(const void *data, size_t len) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *in = data;
    char *out = sp_xmalloc(4 * ((len + 2) / 3) + 1), *o = out;
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = tbl[(v >> 6) & 63];
        *o++ = tbl[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0);
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

void *sp_base64_decode(const char *s, size_t len, size_t *out_len) {
    unsigned char *out = sp_xmalloc(len / 4 * 3 + 3), *o = out;
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int d;
        char c = s[i];
        if (c >= 'A' && c <= 'Z') d = c - 'A';
        else if (c >= 'a' && c <= 'z') d = c - 'a' + 26;
        else if (c >= '0' && c <= '9') d = c - '0' + 52;
        else if (c == '+') d = 62;
        else if (c == '/') d = 63;
        else if (c == '=') break;
        else if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
        else {
            free(out);
            return NULL;
        }
        v = v << 6 | (unsigned)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (unsigned char)(v >> bits);
        }
    }
    *out_len = (size_t)(o - out);
    return out;
}

char *sp_read_file(const char *path, size_t max, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t cap = 65536, n = 0;
    struct stat st;
    char *buf;
    if (f == NULL) return NULL;
    /* a regular file is read into a buffer of its size (+1 to see the end) */
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size < max)
        cap = (size_t)st.st_size + 1;
    buf = sp_xmalloc(cap + 1);
    for (;;) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n > max) {
            free(buf);
            if (f != stdin) fclose(f);
            errno = EFBIG;
            return NULL;
        }
        if (r == 0) break;
        if (n == cap) {
            cap *= 2;
            buf = sp_xrealloc(buf, cap + 1);
        }
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        if (f != stdin) fclose(f);
        errno = e ? e : EIO;
        return NULL;
    }
    if (f != stdin) fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}
