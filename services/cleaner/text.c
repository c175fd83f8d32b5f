/* text.c — text from HTML and newsletter text.
 *
 * Foundation version: drops tags (block tags become paragraph breaks),
 * skips script/style content and decodes the basic character references.
 * The full HTML5 converter replaces this in the cleaner's own issue. */
#include <string.h>
#include <strings.h>

#include "clean.h"
#include "util.h"

typedef struct tbuf {
    char *s;
    size_t n, cap;
} tbuf;

static void put(tbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = sp_xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
}

/* Append a space unless the text already ends in white space. */
static void space(tbuf *b) {
    if (b->n && b->s[b->n - 1] != ' ' && b->s[b->n - 1] != '\n') put(b, " ", 1);
}

static void newline(tbuf *b, int blank) {
    while (b->n && b->s[b->n - 1] == ' ') b->n--;
    if (b->n == 0) return;
    if (b->s[b->n - 1] != '\n') put(b, "\n", 1);
    if (blank && (b->n < 2 || b->s[b->n - 2] != '\n')) put(b, "\n", 1);
}

static void put_utf8(tbuf *b, unsigned cp) {
    char u[4];
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp == 0xA0) { space(b); return; }
    if (cp < 0x80) { u[0] = (char)cp; put(b, u, 1); }
    else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 63)); put(b, u, 2); }
    else if (cp < 0x10000) { u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 63)); u[2] = (char)(0x80 | (cp & 63)); put(b, u, 3); }
    else { u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 63)); u[2] = (char)(0x80 | ((cp >> 6) & 63)); u[3] = (char)(0x80 | (cp & 63)); put(b, u, 4); }
}

static size_t entity(tbuf *b, const char *s, size_t len) {
    static const struct { const char *name; unsigned cp; } named[] = {
        {"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}, {"nbsp;", 0xA0}, {NULL, 0}};
    if (len > 2 && s[1] == '#') {
        size_t i = 2;
        unsigned long cp = 0;
        int hex = i < len && (s[i] == 'x' || s[i] == 'X');
        if (hex) i++;
        size_t start = i;
        while (i < len && i - start < 8 && (hex ? strchr("0123456789abcdefABCDEF", s[i]) != NULL : (s[i] >= '0' && s[i] <= '9'))) {
            char c = s[i++];
            cp = cp * (hex ? 16 : 10) + (unsigned long)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
        }
        if (i > start && s[i - 1] != '\0') {
            put_utf8(b, (unsigned)cp);
            return i < len && s[i] == ';' ? i + 1 : i;
        }
    }
    for (int k = 0; named[k].name; k++) {
        size_t n = strlen(named[k].name);
        if (len > n && strncmp(s + 1, named[k].name, n) == 0) {
            put_utf8(b, named[k].cp);
            return n + 1;
        }
    }
    put(b, "&", 1);
    return 1;
}

static int tag_is(const char *name, size_t n, const char *const *list) {
    for (int i = 0; list[i]; i++)
        if (strlen(list[i]) == n && strncasecmp(name, list[i], n) == 0) return 1;
    return 0;
}

char *clean_html_text(const char *html, size_t len, size_t *out_len) {
    static const char *const blocks[] = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
                                         "blockquote", "figure", "figcaption", "pre", "table", "tr", "section",
                                         "article", "header", "footer", NULL};
    static const char *const skipped[] = {"script", "style", "template", "noscript", NULL};
    tbuf b = {NULL, 0, 0};
    size_t i = 0;

    put(&b, "", 0);
    while (i < len) {
        char c = html[i];
        if (c == '<') {
            const char *end = memchr(html + i, '>', len - i);
            size_t j = i + 1, n;
            int closing = j < len && html[j] == '/';
            if (end == NULL) break;
            if (closing) j++;
            n = 0;
            while (j + n < len && (((html[j + n] | 32) >= 'a' && (html[j + n] | 32) <= 'z') ||
                                   (html[j + n] >= '0' && html[j + n] <= '9')))
                n++;
            if (!closing && tag_is(html + j, n, skipped)) {
                /* skip to the matching end tag */
                char close[16];
                const char *p = end + 1;
                snprintf(close, sizeof close, "</%.*s", (int)n, html + j);
                while (p < html + len && strncasecmp(p, close, strlen(close)) != 0) p++;
                end = p < html + len ? memchr(p, '>', (size_t)(html + len - p)) : NULL;
                if (end == NULL) break;
            } else if (n == 2 && strncasecmp(html + j, "br", 2) == 0) {
                newline(&b, 0);
            } else if (tag_is(html + j, n, blocks)) {
                newline(&b, 1);
            }
            i = (size_t)(end - html) + 1;
        } else if (c == '&') {
            i += entity(&b, html + i, len - i);
        } else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            space(&b);
            i++;
        } else {
            put(&b, html + i, 1);
            i++;
        }
    }
    while (b.n && (b.s[b.n - 1] == ' ' || b.s[b.n - 1] == '\n')) b.n--;
    b.s[b.n] = '\0';
    *out_len = b.n;
    return b.s;
}

char *clean_plain_text(const char *text, size_t len, size_t *out_len) {
    tbuf b = {NULL, 0, 0};
    size_t i = 0;
    put(&b, "", 0);
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) i = 3;
    for (; i < len; i++) {
        if (text[i] == '\r') {
            if (i + 1 < len && text[i + 1] == '\n') continue;
            put(&b, "\n", 1);
        } else if (text[i] == '\n') {
            while (b.n && (b.s[b.n - 1] == ' ' || b.s[b.n - 1] == '\t')) b.n--;
            put(&b, "\n", 1);
        } else {
            put(&b, text + i, 1);
        }
    }
    while (b.n && (b.s[b.n - 1] == ' ' || b.s[b.n - 1] == '\n' || b.s[b.n - 1] == '\t')) b.n--;
    b.s[b.n] = '\0';
    *out_len = b.n;
    return b.s;
}
