/* buf.c — the growable string of bytes (see buf.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

/* The first allocation: room for a short line, so that a buffer built a
 * few bytes at a time does not grow at each of its first puts. */
#define FIRST_CAP 64

char *sp_buf_room(sp_buf *b, size_t n) {
    size_t need = b->len + n + 1;
    if (need <= b->len) need = SIZE_MAX; /* it wrapped: more than there can be, sp_xrealloc says so */
    if (need > b->cap) {
        /* doubling: each byte is copied at most about once more as it grows */
        size_t cap = b->cap ? b->cap : FIRST_CAP;
        while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        b->s = sp_xrealloc(b->s, cap);
        b->cap = cap;
    }
    return b->s + b->len;
}

void sp_buf_printf(sp_buf *b, const char *fmt, ...) {
    va_list ap;
    int n;
    sp_buf_room(b, 0);
    va_start(ap, fmt);
    n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) { /* an encoding error: nothing is put */
        b->s[b->len] = '\0';
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        sp_buf_room(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

char *sp_buf_take(sp_buf *b) {
    char *s;
    sp_buf_room(b, 0)[0] = '\0';
    s = b->s;
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

void sp_buf_free(sp_buf *b) {
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}
