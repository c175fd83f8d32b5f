/* buf.h — a growable string of bytes, the one every stage builds its text
 * and its output in: the cleaner's plain text, the fetcher's feed fields,
 * the deduper's output records, /metrics pages. One type, so that the
 * growth rule and the terminating NUL are written (and tested) once.
 *
 * An sp_buf starts zeroed ({0}: nothing allocated). After every put, s[len]
 * is a NUL, so s can be read as a C string; a caller may shorten len itself
 * (dropping trailing spaces, say); the next put or sp_buf_take() writes
 * the NUL again. */
#ifndef SP_BUF_H
#define SP_BUF_H

#include <stddef.h>
#include <string.h>

typedef struct sp_buf {
    char *s;    /* the bytes; NULL until the first put */
    size_t len; /* how many there are */
    size_t cap; /* how many s has room for, its NUL included */
} sp_buf;

/* Make room for n more bytes and a NUL after them (at least 64 bytes in
 * all on the first allocation); returns where the n bytes go. */
char *sp_buf_room(sp_buf *b, size_t n);
/* Put s[0..n) at the end. Inline: stages put a few bytes at a time in their
 * hot loops. */
static inline void sp_buf_put(sp_buf *b, const void *s, size_t n) {
    if (b->len + n >= b->cap) sp_buf_room(b, n);
    if (n) memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}
/* Put the C string s at the end (inline too: strlen of a literal is then
 * a constant). */
static inline void sp_buf_puts(sp_buf *b, const char *s) { sp_buf_put(b, s, strlen(s)); }
/* Put what printf would write at the end. */
void sp_buf_printf(sp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The bytes, given up by b (empty again after): free() them. A NUL is
 * written after the first len, so a caller that shortened len need not.
 * Never NULL: "" (allocated) when nothing was put. */
char *sp_buf_take(sp_buf *b);
/* Free the bytes; b is empty again. */
void sp_buf_free(sp_buf *b);

#endif
