/* html.c — HTML to plain text in one pass (see html.h).
 *
 * The tokenizer follows the HTML5 tokenizer where it changes the text:
 *   - tags end at the first '>' outside a quoted attribute value; a tag cut
 *     off by the end of input is dropped;
 *   - comments end at "-->" (or "--!>", or at once for "<!-->" and
 *     "<!--->"); an unterminated comment swallows the rest; "<!...>",
 *     "<?...>", "</ ...>" and "<![CDATA[...>" outside SVG are bogus comments
 *     that end at the first '>';
 *   - script, style, xmp, iframe, noembed, noframes, noscript, textarea and
 *     title hold raw text up to their own end tag (script with the escaped
 *     and double-escaped states), and it is dropped; plaintext turns the
 *     rest into text;
 *   - character references are decoded by entities.c, with the attribute
 *     rules for href.
 * The layout works on a "pending break" (none, newline, blank line) and a
 * "pending space", flushed before the next text, so inline elements never
 * add or remove spaces and blocks never stack blank lines. */
#include "html.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "entities.h"
#include "link.h"
#include "shortcode.h"
#include "util.h"

#define MAX_LISTS 32  /* deeper lists share the last level's numbering */

typedef struct conv {
    const char *p, *end;
    sp_buf out;
    int pending;      /* break owed before the next text: 0, 1 newline, 2 blank line */
    int space;        /* white space seen since the last text */
    int pre;          /* open <pre> elements */
    int pre_start;    /* just after <pre>: its first newline is dropped */
    char prefix[96];  /* list item marker owed before the item's text */
    size_t prefix_len;
    struct {
        int ordered;
        long next;
    } lists[MAX_LISTS];
    int n_lists;      /* open lists, may exceed MAX_LISTS */
    int cells;        /* cells so far in this table row */
    char skip[16];    /* element whose content is dropped, or "" */
    int skip_depth;
    int skip_foreign; /* it is svg or math: an HTML element breaks out of it */
    int in_cell;      /* inside a table cell: blocks are spaces, the row stays one line */
    int sc_skip;      /* inside [embed]...[/embed] */
    const char *start; /* the input, for positions */
    sc_index *shortcodes; /* built at the first '[' */
    /* links */
    int in_a;
    char *href;
    size_t link_start;
    html_link *links;
    size_t n_links, cap_links;
    link_base *base;
} conv;

/* --- byte classes ------------------------------------------------------ */

enum { C_PLAIN, C_SPACE, C_LT, C_AMP, C_BRACKET, C_HIGH, C_CTRL };
static unsigned char cls[256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void init_tags(void);

static void init_tables(void) {
    init_tags();
    for (int i = 0; i < 256; i++)
        cls[i] = i >= 0x80 ? C_HIGH : (i > 0x20 && i < 0x7F) ? C_PLAIN : C_CTRL;
    cls[' '] = cls['\t'] = cls['\n'] = cls['\r'] = cls['\f'] = C_SPACE;
    cls['<'] = C_LT;
    cls['&'] = C_AMP;
    cls['['] = C_BRACKET;
}

static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f'; }
static int is_alpha(char ch) { return (ch | 32) >= 'a' && (ch | 32) <= 'z'; }

/* --- output -------------------------------------------------------------- */

/* Pay the break or space owed, and the list marker, before new text. */
static void flush_layout(conv *c) {
    if (c->out.len > 0) {
        if (c->pending) {
            size_t nl = 0;
            while (c->out.len > 0 && c->out.s[c->out.len - 1] == ' ' && !c->pre) c->out.len--;
            while (nl < (size_t)c->pending && nl < c->out.len && c->out.s[c->out.len - 1 - nl] == '\n') nl++;
            for (; (int)nl < c->pending; nl++) sp_buf_put(&c->out, "\n", 1);
        } else if (c->space) {
            char last = c->out.s[c->out.len - 1];
            if (last != ' ' && last != '\n') sp_buf_put(&c->out, " ", 1);
        }
    }
    c->pending = 0;
    c->space = 0;
    if (c->prefix_len) {
        sp_buf_put(&c->out, c->prefix, c->prefix_len);
        c->prefix_len = 0;
    }
}

static void text(conv *c, const char *s, size_t n) {
    if (c->skip[0] || c->sc_skip || n == 0) return;
    c->pre_start = 0; /* only a newline right after <pre> is dropped */
    flush_layout(c);
    sp_buf_put(&c->out, s, n);
}

static void block(conv *c, int level) {
    if (c->in_cell) { /* a paragraph in a table cell: the row stays one line */
        c->space = 1;
        return;
    }
    if (c->pending < level) c->pending = level;
    c->space = 0;
}

/* White space in the input: collapsed, or kept inside <pre>. */
static void white(conv *c, char ch) {
    if (c->skip[0] || c->sc_skip) return;
    if (!c->pre) {
        c->space = 1;
        return;
    }
    if (ch == '\r') { /* CR LF is one line end, and so is a lone CR */
        if (c->p + 1 < c->end && c->p[0] == '\r' && c->p[1] == '\n') return;
        ch = '\n';
    }
    if (ch == '\n' && c->pre_start) {
        c->pre_start = 0;
        return;
    }
    c->pre_start = 0;
    if (ch == '\n') {
        flush_layout(c);
        sp_buf_put(&c->out, "\n", 1);
    } else {
        text(c, ch == '\t' ? "\t" : " ", 1);
    }
}

/* --- UTF-8 ----------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p that is ordinary text, 0 if it is
 * invalid, -1 if it is a character with a rule (nbsp, soft hyphen, zero
 * width): *cp is then set. */
static int utf8_seq(const unsigned char *p, const unsigned char *end, unsigned *cp) {
    uint32_t v;
    int n = (int)sp_utf8_decode(p, (size_t)(end - p), &v);
    if (n == 0) return 0;
    *cp = v;
    if (v == 0xA0 || v == 0xAD || v == 0x200B || v == 0x2060 || v == 0xFEFF) return -n;
    return n;
}

static void put_cp(conv *c, unsigned cp) {
    char u[4];
    text(c, u, sp_utf8_encode(cp, u));
}

/* One character with a rule: nbsp is a space, the invisible ones vanish,
 * C0 controls other than white space vanish, everything else is text. */
static void special(conv *c, unsigned cp) {
    if (cp == 0xA0 || cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f') white(c, cp == 0xA0 ? ' ' : (char)cp);
    else if (cp == 0xAD || cp == 0x200B || cp == 0x2060 || cp == 0xFEFF) return;
    else if (cp < 0x20 || cp == 0x7F) return;
    else put_cp(c, cp);
}

/* The longest run of ordinary text: printable ASCII other than '<', '&'
 * and '[', valid UTF-8 without a rule, and single spaces between such
 * characters (a space is the same text whether it is copied here or owed
 * by white(), so a run never starts or ends with one). */
static const char *scan_run(const char *p, const char *end) {
    unsigned cp;
    while (p < end) {
        unsigned char ch = (unsigned char)*p;
        if (cls[ch] == C_PLAIN) {
            p++;
        } else if (ch >= 0x80) {
            int n = utf8_seq((const unsigned char *)p, (const unsigned char *)end, &cp);
            if (n <= 0) break;
            p += n;
        } else if (ch == ' ' && end - p > 1 && cls[(unsigned char)p[1]] == C_PLAIN) {
            p += 2;
        } else if (ch == ' ' && end - p > 1 && (unsigned char)p[1] >= 0x80 &&
                   utf8_seq((const unsigned char *)p + 1, (const unsigned char *)end, &cp) > 0) {
            p++;
        } else {
            break;
        }
    }
    return p;
}

/* The bytes an invalid UTF-8 sequence at p spans, as the WHATWG decoder
 * sees it: a lead byte and the continuation bytes that could still have
 * made a character (its "maximal subpart"), or the one byte. */
static size_t bad_utf8_len(const unsigned char *p, const unsigned char *end) {
    unsigned c0 = p[0], lo = 0x80, hi = 0xBF;
    size_t need, i = 1;
    if (c0 >= 0xC2 && c0 <= 0xDF) need = 1;
    else if (c0 >= 0xE0 && c0 <= 0xEF) need = 2, lo = c0 == 0xE0 ? 0xA0 : 0x80, hi = c0 == 0xED ? 0x9F : 0xBF;
    else if (c0 >= 0xF0 && c0 <= 0xF4) need = 3, lo = c0 == 0xF0 ? 0x90 : 0x80, hi = c0 == 0xF4 ? 0x8F : 0xBF;
    else return 1;
    if (p + 1 < end && p[1] >= lo && p[1] <= hi)
        for (i = 2; i <= need && p + i < end && (p[i] & 0xC0) == 0x80; i++)
            ;
    return i;
}

/* Consume the text at c->p: a run, one white-space byte, one character
 * with a rule, one invalid byte (U+FFFD) or one control (NUL is U+FFFD, the
 * others are dropped). '<', '&' and '[' get here only as plain text. */
static void text_step(conv *c) {
    unsigned char ch = (unsigned char)*c->p;
    const char *q;
    unsigned cp;
    int n;
    if (cls[ch] == C_SPACE) {
        white(c, (char)ch);
        c->p++;
    } else if ((q = scan_run(c->p, c->end)) > c->p) {
        text(c, c->p, (size_t)(q - c->p));
        c->p = q;
    } else if (ch >= 0x80) {
        n = utf8_seq((const unsigned char *)c->p, (const unsigned char *)c->end, &cp);
        if (n < 0) {
            special(c, cp);
            c->p += -n;
        } else {
            text(c, "\xEF\xBF\xBD", 3); /* invalid UTF-8: one U+FFFD for its maximal subpart */
            c->p += bad_utf8_len((const unsigned char *)c->p, (const unsigned char *)c->end);
        }
    } else {
        if (ch == '<' || ch == '&' || ch == '[') text(c, c->p, 1);
        else if (ch == 0) text(c, "\xEF\xBF\xBD", 3);
        c->p++;
    }
}

/* Text that is not at c->p (a decoded attribute), under the same rules as
 * the document's: white space, characters with rules, invalid UTF-8 as
 * U+FFFD, controls. */
static void text_from(conv *c, const char *s, size_t n) {
    const char *p = c->p, *end = c->end;
    c->p = s;
    c->end = s + n;
    while (c->p < c->end) text_step(c);
    c->p = p;
    c->end = end;
}

/* --- character references --------------------------------------------- */

static void charref(conv *c) {
    char u[8];
    size_t un = 0, n = html_charref(c->p, (size_t)(c->end - c->p), 0, u, &un);
    if (n == 0) {
        text(c, "&", 1);
        c->p++;
        return;
    }
    c->p += n;
    for (size_t i = 0; i < un;) { /* the decoded characters, each with its rules */
        unsigned cp;
        int k = (unsigned char)u[i] < 0x80 ? 1 : utf8_seq((const unsigned char *)u + i, (const unsigned char *)u + un, &cp);
        if (k == 1) cp = (unsigned char)u[i];
        if (k == 0) break;
        if (k < 0) k = -k;
        special(c, cp);
        i += (size_t)k;
    }
}

/* --- links ---------------------------------------------------------------- */

static void link_end(conv *c) {
    size_t a = c->link_start, b = c->out.len;
    if (!c->in_a) return;
    c->in_a = 0;
    if (c->href == NULL) return;
    while (a < b && is_space(c->out.s[a])) a++;
    while (b > a && is_space(c->out.s[b - 1])) b--;
    if (c->n_links == c->cap_links) {
        c->cap_links = c->cap_links ? c->cap_links * 2 : 16;
        c->links = sp_xrealloc(c->links, c->cap_links * sizeof *c->links);
    }
    c->links[c->n_links].href = c->href;
    c->links[c->n_links].text = sp_xstrndup(c->out.s ? c->out.s + a : "", b - a);
    c->n_links++;
    c->href = NULL;
}

/* --- tags ----------------------------------------------------------------- */

enum kind {
    K_INLINE, K_BLOCK, K_BR, K_LI, K_UL, K_OL, K_PRE, K_TABLE, K_TR, K_CELL, K_A,
    K_SKIP,      /* content dropped up to the end tag; the same start tag inside is ignored */
    K_SKIP_NEST, /* content dropped up to the matching end tag (they nest) */
    K_FOREIGN,   /* svg, math: dropped, they nest; self-closing honoured */
    K_RAW,       /* raw text up to the end tag, dropped */
    K_SCRIPT,    /* raw text with script's escape rules, dropped */
    K_PLAINTEXT, /* the rest of the input is text */
};

static struct {
    const char *name;
    enum kind kind;
} tags[] = {
    {"p", K_BLOCK}, {"div", K_BLOCK}, {"h1", K_BLOCK}, {"h2", K_BLOCK}, {"h3", K_BLOCK},
    {"h4", K_BLOCK}, {"h5", K_BLOCK}, {"h6", K_BLOCK}, {"blockquote", K_BLOCK}, {"figure", K_BLOCK},
    {"figcaption", K_BLOCK}, {"section", K_BLOCK}, {"article", K_BLOCK}, {"header", K_BLOCK},
    {"footer", K_BLOCK}, {"aside", K_BLOCK}, {"nav", K_BLOCK}, {"main", K_BLOCK},
    {"address", K_BLOCK}, {"hr", K_BLOCK}, {"dl", K_BLOCK}, {"dt", K_BLOCK}, {"dd", K_BLOCK},
    {"details", K_BLOCK}, {"summary", K_BLOCK}, {"fieldset", K_BLOCK}, {"legend", K_BLOCK},
    {"center", K_BLOCK}, {"caption", K_BLOCK}, {"hgroup", K_BLOCK}, {"body", K_BLOCK},
    {"br", K_BR}, {"li", K_LI}, {"ul", K_UL}, {"ol", K_OL}, {"menu", K_UL}, {"pre", K_PRE},
    {"listing", K_PRE}, {"table", K_TABLE}, {"tr", K_TR}, {"td", K_CELL}, {"th", K_CELL}, {"a", K_A},
    {"template", K_SKIP_NEST}, {"object", K_SKIP_NEST}, {"select", K_SKIP}, {"button", K_SKIP},
    {"datalist", K_SKIP}, {"video", K_SKIP}, {"audio", K_SKIP}, {"canvas", K_SKIP},
    {"map", K_SKIP}, {"svg", K_FOREIGN}, {"math", K_FOREIGN},
    {"style", K_RAW}, {"xmp", K_RAW}, {"iframe", K_RAW}, {"noembed", K_RAW}, {"noframes", K_RAW},
    {"noscript", K_RAW}, {"textarea", K_RAW}, {"title", K_RAW}, {"script", K_SCRIPT},
    {"plaintext", K_PLAINTEXT},
};

/* Tag names are looked up by length and first letter: a tag costs a few
 * byte compares, not a pass over the table. */
#define MAX_TAG_NAME 10
static unsigned char tag_index[MAX_TAG_NAME + 1][26][2]; /* [len][letter] -> rows [from, to) */

static void init_tags(void) {
    /* rows are grouped by (length, first letter): sort them once */
    size_t n = sizeof tags / sizeof tags[0];
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            size_t la = strlen(tags[j - 1].name), lb = strlen(tags[j].name);
            if (la < lb || (la == lb && tags[j - 1].name[0] <= tags[j].name[0])) break;
            __typeof__(tags[0]) t = tags[j - 1];
            tags[j - 1] = tags[j];
            tags[j] = t;
        }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(tags[i].name);
        unsigned char(*e)[2] = &tag_index[len][tags[i].name[0] - 'a'];
        if ((*e)[1] == 0) (*e)[0] = (unsigned char)i;
        (*e)[1] = (unsigned char)(i + 1);
    }
}

static enum kind kind_of(const char *name, size_t n) {
    char low[MAX_TAG_NAME];
    unsigned char from, to;
    if (n == 0 || n > MAX_TAG_NAME || !is_alpha(name[0])) return K_INLINE;
    for (size_t i = 0; i < n; i++) low[i] = (char)(name[i] | ((name[i] >= 'A' && name[i] <= 'Z') ? 32 : 0));
    from = tag_index[n][low[0] - 'a'][0];
    to = tag_index[n][low[0] - 'a'][1];
    for (unsigned i = from; i < to; i++)
        if (memcmp(tags[i].name, low, n) == 0) return tags[i].kind;
    return K_INLINE;
}

typedef struct attr {
    const char *v; /* raw value, or NULL */
    size_t len;
} attr;

/* Parse a tag's attributes from p (just after its name) to its '>'.
 * Fills href/start when present. Returns the position after '>', or NULL
 * when the input ends inside the tag. */
static const char *attributes(const char *p, const char *end, attr *href, attr *start, int *self_closing) {
    *self_closing = 0;
    for (;;) {
        const char *name, *v;
        size_t nlen, vlen = 0;
        while (p < end && (is_space(*p) || *p == '/')) {
            *self_closing = *p == '/';
            p++;
        }
        if (p >= end) return NULL;
        if (*p == '>') return p + 1;
        *self_closing = 0;
        name = p++; /* a first '=' belongs to the name */
        while (p < end && !is_space(*p) && *p != '/' && *p != '>' && *p != '=') p++;
        nlen = (size_t)(p - name);
        while (p < end && is_space(*p)) p++;
        v = NULL;
        if (p < end && *p == '=') {
            p++;
            while (p < end && is_space(*p)) p++;
            if (p >= end) return NULL;
            if (*p == '"' || *p == '\'') {
                const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));
                if (q == NULL) return NULL;
                v = p + 1;
                vlen = (size_t)(q - v);
                p = q + 1;
            } else if (*p != '>') {
                v = p;
                while (p < end && !is_space(*p) && *p != '>') p++;
                vlen = (size_t)(p - v);
            }
        }
        if (nlen == 4 && strncasecmp(name, "href", 4) == 0 && href->v == NULL) *href = (attr){v ? v : "", vlen};
        if (nlen == 5 && strncasecmp(name, "start", 5) == 0 && start->v == NULL) *start = (attr){v ? v : "", vlen};
    }
}

/* Skip raw text up to "</name" followed by white space, '/' or '>'. */
static const char *raw_end(const char *p, const char *end, const char *name, size_t n) {
    while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        if (end - p >= (ptrdiff_t)(n + 2) && p[1] == '/' && strncasecmp(p + 2, name, n) == 0 &&
            (p + 2 + n == end || is_space(p[2 + n]) || p[2 + n] == '/' || p[2 + n] == '>'))
            return p;
        p++;
    }
    return end;
}

/* Script data: "<!--" enters the escaped state, where "<script" enters the
 * double-escaped state (a "</script" there does not end the script) and
 * "-->" leaves; returns the position of the real "</script". */
/* The first "-->" in [p, end), or NULL. */
static const char *find_arrow(const char *p, const char *end) {
    while (end - p >= 3 && (p = memchr(p, '-', (size_t)(end - p - 2))) != NULL) {
        if (p[1] == '-' && p[2] == '>') return p;
        p++;
    }
    return NULL;
}

static const char *script_end(const char *p, const char *end) {
    int escaped = 0, doubled = 0;
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p)), *stop = lt ? lt : end, *dd;
        /* "-->" has no '<': when escaped, one that starts before the next '<' ends there too */
        if (escaped && (dd = find_arrow(p, stop)) != NULL) {
            escaped = doubled = 0;
            p = dd + 3;
            continue;
        }
        if (lt == NULL) break;
        p = lt;
        if (!escaped && end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
            escaped = 1;
            p += 2; /* its "--" may start the "-->" that leaves: "<!-->" */
        } else if (escaped && end - p >= 8 && strncasecmp(p + 1, "script", 6) == 0 &&
                   (is_space(p[7]) || p[7] == '/' || p[7] == '>')) {
            doubled = 1;
            p += 7;
        } else if (end - p >= 8 && p[1] == '/' && strncasecmp(p + 2, "script", 6) == 0 &&
                   (p + 8 == end || is_space(p[8]) || p[8] == '/' || p[8] == '>')) {
            if (!doubled) return p;
            doubled = 0;
            p += 8;
        } else {
            p++;
        }
    }
    return end;
}

/* Where the end tag that closes raw text ends, or `end`. */
static const char *past_tag(const char *p, const char *end) {
    const char *q = memchr(p, '>', (size_t)(end - p));
    return q ? q + 1 : end;
}

static void list_marker(conv *c) {
    int depth = c->n_lists > MAX_LISTS ? MAX_LISTS : c->n_lists;
    size_t n = 0;
    for (int i = 1; i < depth && n + 2 < sizeof c->prefix - 24; i++) {
        c->prefix[n++] = ' ';
        c->prefix[n++] = ' ';
    }
    if (depth > 0 && c->lists[depth - 1].ordered)
        n += (size_t)snprintf(c->prefix + n, sizeof c->prefix - n, "%ld. ", c->lists[depth - 1].next++);
    else
        n += (size_t)snprintf(c->prefix + n, sizeof c->prefix - n, "- ");
    c->prefix_len = n;
}

static void start_list(conv *c, int ordered, attr *start) {
    block(c, c->n_lists ? 1 : 2);
    if (c->n_lists < MAX_LISTS) {
        long v = 1;
        if (start->v) { /* HTML's rules for parsing integers: no digits, no number */
            char tmp[24], *s = tmp, *e;
            size_t n = start->len < sizeof tmp - 1 ? start->len : sizeof tmp - 1;
            memcpy(tmp, start->v, n);
            tmp[n] = '\0';
            while (is_space(*s)) s++;
            v = strtol(s, &e, 10);
            if (e == s || v < -1000000000L || v > 1000000000L) v = 1;
        }
        c->lists[c->n_lists].ordered = ordered;
        c->lists[c->n_lists].next = v;
    }
    c->n_lists++;
}

/* The HTML start tags that end svg or math content ("breakout" elements). */
static int breaks_out(const char *name, size_t n) {
    static const char *const names[] = {
        "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em", "embed",
        "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li", "listing", "menu", "meta",
        "nobr", "ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike", "sub", "sup", "table",
        "tt", "u", "ul", "var", NULL};
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == n && strncasecmp(names[i], name, n) == 0) return 1;
    return 0;
}

/* A start or end tag named name[0..n). p is past its '>'. */
static void element(conv *c, const char *name, size_t n, int closing, int self_closing, attr *href,
                    attr *start) {
    enum kind k = kind_of(name, n);
    if (c->skip[0] && c->skip_foreign && !closing && breaks_out(name, n)) {
        c->skip[0] = '\0'; /* an HTML element in svg or math ends it (HTML5 foreign content) */
        c->skip_foreign = 0;
    }
    if (c->skip[0]) { /* only the element being dropped matters */
        if (strlen(c->skip) == n && strncasecmp(c->skip, name, n) == 0) {
            if (closing) {
                if (--c->skip_depth == 0) c->skip[0] = '\0';
            } else if (k == K_SKIP_NEST || (k == K_FOREIGN && !self_closing)) {
                c->skip_depth++;
            }
        }
        return;
    }
    switch (k) {
    case K_INLINE:
        break;
    case K_BLOCK:
        block(c, 2);
        break;
    case K_BR:
        if (c->in_cell) {
            c->space = 1;
            break;
        }
        c->pending = c->pending >= 1 ? 2 : 1;
        c->space = 0;
        break;
    case K_LI:
        block(c, c->n_lists > 1 ? 1 : 2);
        if (!closing) list_marker(c);
        break;
    case K_UL:
    case K_OL:
        if (!closing) start_list(c, k == K_OL, start);
        else if (c->n_lists > 0) {
            c->n_lists--;
            block(c, c->n_lists ? 1 : 2);
        }
        break;
    case K_PRE:
        block(c, 2);
        if (!closing) {
            c->pre++;
            c->pre_start = 1;
        } else if (c->pre > 0) {
            c->pre--;
        }
        break;
    case K_TABLE:
        c->in_cell = 0;
        block(c, 2);
        c->cells = 0;
        break;
    case K_TR:
        c->in_cell = 0;
        block(c, 1);
        c->cells = 0;
        break;
    case K_CELL:
        c->in_cell = 0;
        if (!closing) {
            if (c->cells++ > 0) {
                c->space = 0;
                text(c, " | ", 3);
            }
            c->in_cell = 1;
        }
        break;
    case K_A:
        link_end(c);
        if (!closing) {
            c->in_a = 1;
            free(c->href);
            c->href = href->v ? link_resolve(c->base, href->v, href->len) : NULL;
            flush_layout(c);
            c->link_start = c->out.len;
        }
        break;
    case K_SKIP:
    case K_SKIP_NEST:
    case K_FOREIGN:
        if (!closing && !(self_closing && k == K_FOREIGN)) {
            snprintf(c->skip, sizeof c->skip, "%.*s", (int)n, name);
            c->skip_depth = 1;
            c->skip_foreign = k == K_FOREIGN;
        }
        break;
    case K_RAW:
        if (!closing) c->p = past_tag(raw_end(c->p, c->end, name, n), c->end);
        break;
    case K_SCRIPT:
        if (!closing) c->p = past_tag(script_end(c->p, c->end), c->end);
        break;
    case K_PLAINTEXT:
        if (!closing) {
            while (c->p < c->end) text_step(c); /* raw: no tags, no references */
        }
        break;
    }
}

/* A comment or bogus comment starting at p ("<!" or "<?" or "</x"). */
static void comment(conv *c, const char *p) {
    const char *end = c->end;
    if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
        const char *q = p + 4;
        if (q < end && *q == '>') { c->p = q + 1; return; }           /* <!--> */
        if (end - q >= 2 && q[0] == '-' && q[1] == '>') { c->p = q + 2; return; } /* <!---> */
        while (q < end) {
            q = memchr(q, '-', (size_t)(end - q));
            if (q == NULL || end - q < 2) break;
            if (q[1] != '-') { q++; continue; }
            const char *r = q + 2;
            while (r < end && *r == '-') r++;
            if (r < end && *r == '>') { c->p = r + 1; return; }
            if (end - r >= 2 && r[0] == '!' && r[1] == '>') { c->p = r + 2; return; }
            q = r;
        }
        c->p = end; /* unterminated: the rest is comment */
        return;
    }
    c->p = past_tag(p + 2, end); /* bogus comment, DOCTYPE, CDATA outside SVG */
}

static void tag(conv *c) {
    const char *p = c->p + 1, *end = c->end, *name, *after;
    int closing = 0, self_closing = 0;
    attr href = {NULL, 0}, start = {NULL, 0};
    if (p >= end) {
        text(c, "<", 1);
        c->p = end;
        return;
    }
    if (*p == '!' || *p == '?') {
        comment(c, c->p);
        return;
    }
    if (*p == '/') {
        closing = 1;
        p++;
        if (p >= end) { text(c, "</", 2); c->p = end; return; }
        if (*p == '>') { c->p = p + 1; return; }
        if (!is_alpha(*p)) { c->p = past_tag(p, end); return; } /* bogus comment */
    } else if (!is_alpha(*p)) {
        text(c, "<", 1);
        c->p++;
        return;
    }
    name = p;
    while (p < end && !is_space(*p) && *p != '/' && *p != '>') p++;
    after = attributes(p, end, &href, &start, &self_closing);
    if (after == NULL) { /* the input ends inside the tag: it is dropped */
        c->p = end;
        return;
    }
    c->p = after;
    element(c, name, (size_t)(p - name), closing, self_closing, &href, &start);
}

/* --- WordPress shortcodes ------------------------------------------------- */

/* A shortcode tag is dropped (see shortcode.h); its content stays, but for
 * [embed]URL[/embed]; a caption is a paragraph of its own. */
static void shortcode(conv *c) {
    sc_tag t;
    size_t pos = (size_t)(c->p - c->start);
    if (sc_parse(c->p, c->end, &t) && c->shortcodes == NULL)
        c->shortcodes = sc_index_new(c->start, (size_t)(c->end - c->start));
    if (!t.end || !(t.closing || t.self_closing || t.has_attrs || sc_known(t.name, t.name_len) ||
                    sc_closed_after(c->shortcodes, t.name, t.name_len, pos))) {
        text(c, "[", 1); /* "[Reuters]", "[1]": text */
        c->p++;
        return;
    }
    c->p = t.end;
    if (t.name_len == 5 && strncasecmp(t.name, "embed", 5) == 0) { /* [embed]URL[/embed]: the URL is no text */
        if (t.closing) c->sc_skip = 0;
        else if (!t.self_closing && sc_closed_after(c->shortcodes, "embed", 5, pos)) c->sc_skip = 1;
    }
    if ((t.name_len == 7 && strncasecmp(t.name, "caption", 7) == 0) ||
        (t.name_len == 10 && strncasecmp(t.name, "wp_caption", 10) == 0)) {
        block(c, 2);
        if (t.caption && t.caption_len) { /* [caption caption="..."]: the attribute is the caption */
            char *dec = sp_xmalloc(HTML_DECODE_BOUND(t.caption_len) + 1);
            text_from(c, dec, html_decode(t.caption, t.caption_len, 1, dec));
            free(dec);
            block(c, 2);
        }
    }
}

/* --- the loop ------------------------------------------------------------ */

int html_to_text(const char *html, size_t len, const html_options *opt, html_text *out) {
    conv c;

    pthread_once(&tables_once, init_tables);
    memset(&c, 0, sizeof c);
    c.p = c.start = html;
    c.end = html + len;
    if (opt && opt->base_url) {
        c.base = link_base_new(opt->base_url);
    }
    sp_buf_room(&c.out, len / 4 + 256); /* text is a fraction of the markup: few regrowths */
    while (c.p < c.end) {
        if (c.skip[0]) { /* dropped content: only tags matter */
            const char *lt = memchr(c.p, '<', (size_t)(c.end - c.p));
            c.p = lt ? lt : c.end;
            if (!lt) break;
        }
        switch (cls[(unsigned char)*c.p]) {
        case C_LT:
            tag(&c);
            break;
        case C_AMP:
            charref(&c);
            break;
        case C_BRACKET:
            shortcode(&c);
            break;
        default:
            text_step(&c);
            break;
        }
    }
    link_end(&c);
    free(c.href);
    while (c.out.len > 0 && is_space(c.out.s[c.out.len - 1])) c.out.len--;
    { /* leading blank lines go; a first line's indentation (from <pre>) stays */
        size_t lead = 0, cut = 0;
        while (lead < c.out.len && is_space(c.out.s[lead]))
            if (c.out.s[lead++] == '\n') cut = lead;
        memmove(c.out.s, c.out.s + cut, c.out.len - cut);
        c.out.len -= cut;
    }
    link_base_free(c.base);
    sc_index_free(c.shortcodes);
    out->len = c.out.len;
    out->text = sp_buf_take(&c.out);
    out->links = c.links;
    out->n_links = c.n_links;
    return 0;
}

void html_text_free(html_text *t) {
    for (size_t i = 0; i < t->n_links; i++) {
        free(t->links[i].href);
        free(t->links[i].text);
    }
    free(t->links);
    free(t->text);
    memset(t, 0, sizeof *t);
}
