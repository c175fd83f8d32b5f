/* entities.c — HTML5 character references; see entities.h for the rules. */
#include "entities.h"

#include <string.h>

#include "util.h"

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_alpha(unsigned char c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }
static int is_alnum(unsigned char c) { return is_digit(c) || is_alpha(c); }
static int hex_value(unsigned char c) {
    if (is_digit(c)) return c - '0';
    c |= 32;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Longest-prefix search. Invariant: rows [lo, hi) are exactly those whose
 * name starts with s[0..i). Sorted bytewise, the row whose name IS s[0..i)
 * (if any) comes first, the others follow ordered by their byte i; so each
 * step narrows the range with two binary searches on byte i. */
const struct html_entity *html_entity_match(const char *s, size_t len, size_t *consumed) {
    const struct html_entity *best = NULL;
    size_t lo = 0, hi = html_entity_count;
    for (size_t i = 0; i < len && is_alnum((unsigned char)s[i]); i++) {
        unsigned char c = (unsigned char)s[i];
        size_t a = lo, b = hi;
        while (a < b) { /* first row with name[i] >= c (rows ending at i are below) */
            size_t m = a + (b - a) / 2;
            const struct html_entity *e = &html_entities[m];
            if (e->name_len > i && (unsigned char)html_entity_names[e->name_off + i] >= c)
                b = m;
            else
                a = m + 1;
        }
        lo = a;
        b = hi;
        while (a < b) { /* first row with name[i] > c */
            size_t m = a + (b - a) / 2;
            const struct html_entity *e = &html_entities[m];
            if ((unsigned char)html_entity_names[e->name_off + i] > c)
                b = m;
            else
                a = m + 1;
        }
        hi = a;
        if (lo == hi) break;
        const struct html_entity *e = &html_entities[lo];
        if (e->name_len == i + 1) {
            if (i + 1 < len && s[i + 1] == ';') {
                *consumed = i + 2;
                return e; /* ';' is not alphanumeric: nothing longer can match */
            }
            if (e->flags & HTML_ENTITY_LEGACY) {
                best = e;
                *consumed = i + 1;
            }
        }
    }
    return best;
}

/* Windows-1252 for 0x80..0x9F (the spec's table); 0 = no entry, keep as is. */
static const uint16_t c1_map[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

static size_t numeric(const char *s, size_t len, char out[8], size_t *out_len) {
    size_t i = 2; /* past "&#" */
    int hex = 0;
    if (i < len && (s[i] == 'x' || s[i] == 'X')) {
        hex = 1;
        i++;
    }
    size_t start = i;
    uint32_t cp = 0;
    for (; i < len; i++) {
        int d = hex ? hex_value((unsigned char)s[i]) : (is_digit((unsigned char)s[i]) ? s[i] - '0' : -1);
        if (d < 0) break;
        if (cp <= 0x10FFFF) cp = cp * (hex ? 16 : 10) + (uint32_t)d; /* stays < 2^25: no overflow */
    }
    if (i == start) return 0; /* "&#", "&#x" with no digit: flushed as text */
    if (i < len && s[i] == ';') i++;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    else if (cp >= 0x80 && cp <= 0x9F && c1_map[cp - 0x80])
        cp = c1_map[cp - 0x80];
    *out_len = sp_utf8_encode(cp, out);
    return i;
}

size_t html_charref(const char *s, size_t len, int in_attribute, char out[8], size_t *out_len) {
    if (len < 2 || s[0] != '&') return 0;
    if (s[1] == '#') return numeric(s, len, out, out_len);
    if (!is_alnum((unsigned char)s[1])) return 0;
    size_t n;
    const struct html_entity *e = html_entity_match(s + 1, len - 1, &n);
    if (!e) return 0; /* ambiguous ampersand: the name is text */
    n += 1; /* the '&' */
    if (in_attribute && s[n - 1] != ';' && n < len && (s[n] == '=' || is_alnum((unsigned char)s[n])))
        return 0; /* historical: "?a=1&not=2" in a URL stays as is */
    memcpy(out, e->utf8, e->utf8_len);
    *out_len = e->utf8_len;
    return n;
}

size_t html_decode(const char *s, size_t len, int in_attribute, char *out) {
    size_t i = 0, o = 0;
    while (i < len) {
        const char *amp = memchr(s + i, '&', len - i);
        size_t run = amp ? (size_t)(amp - (s + i)) : len - i;
        memcpy(out + o, s + i, run);
        o += run;
        i += run;
        if (!amp) break;
        char u[8];
        size_t ulen;
        size_t used = html_charref(s + i, len - i, in_attribute, u, &ulen);
        if (used) {
            memcpy(out + o, u, ulen);
            o += ulen;
            i += used;
        } else {
            out[o++] = '&';
            i++;
        }
    }
    return o;
}
