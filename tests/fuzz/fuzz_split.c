/* fuzz_split.c — libFuzzer target for the splitter's core, digest_split
 * (services/splitter/digest.h and the rules in bulletin.c, brief.c,
 * insights.c; lines.c).
 *
 * digest_split takes UTF-8 text (the pipeline only hands it text that
 * passed sp_utf8_valid), so an input that is not valid UTF-8 is skipped
 * (return -1: libFuzzer keeps it out of the corpus). Every other input is
 * split twice, with hints NULL and with {title "T", excerpt "E", article 1},
 * and each result must satisfy, under ASan + UBSan (no crash, leak or UB):
 *
 *   - rule is "bulletin", "brief", "insights", "article" or "single";
 *     "article" only with hints.article, "single" only without;
 *   - at least one story (the fallback always makes one); stories non-NULL;
 *   - every story's body is non-NULL, and every string field (title,
 *     summary, body, url, outlet, photo_credit) that is set is valid UTF-8;
 *     fields are C strings, so "NUL-free" means that a field holds all of
 *     its text before its terminator: a field cut short at a NUL would lose
 *     text, which the property below catches;
 *   - skipped lines: skipped/skipped_why set when n_skipped > 0, each reason
 *     "header", "heading" or "boilerplate", and each skipped entry exactly
 *     one line of the input (same start, same length);
 *   - the one-story rules (article/single) make exactly one story, whose
 *     title and summary are the hints' when hints are given;
 *   - hints only matter to the one-story fallback: both calls pick the same
 *     rule (article <-> single aside), the same stories and skipped lines,
 *     and for the digest rules the same field values;
 *   - no text lost: every non-blank line of the input that is not in
 *     d.skipped is a substring of the concatenation of all the stories'
 *     fields (joined by '\n', which no line contains, so a line must lie
 *     within one field), once the bulletin's markup the splitter takes off
 *     is taken off the line too, exactly as bulletin.c parses it:
 *       "(N)" + spaces/tabs before a title (N: 1 to 4 digits, not 0; the
 *         title is the rest of the line),
 *       "News Source(s)" + spaces + ":" + spaces before a source (any case),
 *       "(" + spaces + "Photo Credit(s)" + spaces + ":" + spaces ... spaces
 *         + ")" around a credit (any case; the line is >= 16 bytes).
 *     Taking markup off can only shorten the needle to a part of the line,
 *     so a line the splitter kept whole still passes.
 *
 * What "a line" is, is narrowed to what the splitter legitimately does to
 * the text's layout (lines.h): LF, CRLF or CR end a line; a BOM at the very
 * start of the text is not part of the first line; and the white space
 * trimmed around each line is ASCII space, tab, form feed, vertical tab,
 * *and* U+00A0 (no-break space) and U+3000 (ideographic space), which lines.c
 * also trims (a line "<U+00A0>Title" would otherwise be "lost" while the
 * story has "Title"). The lines are found here by this file's own code, not by lines.c,
 * so a line boundary that lines.c gets wrong shows up as a lost line or as a
 * skipped entry that is not a line.
 *
 * One more narrowing: U+0000 is valid UTF-8, but the stories' fields are C
 * strings and the pipeline never gives the splitter a NUL (the envelope
 * scanner rejects \u0000). Every field is built from lines in text order,
 * so a NUL can only cut off what comes after it: with a NUL in the input,
 * the property is checked on the lines that end before the first NUL.
 *
 * A violation prints what is wrong and aborts, which libFuzzer reports as a
 * crash with the input saved as the reproducer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "digest.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct span {
    const char *s;
    size_t n;
} span;

static const char *const FIELD[] = {"title", "summary", "body", "url", "outlet", "photo_credit"};

static void fields(const digest_story *st, const char *f[6]) {
    f[0] = st->title;
    f[1] = st->summary;
    f[2] = st->body;
    f[3] = st->url;
    f[4] = st->outlet;
    f[5] = st->photo_credit;
}

static const char *hints_name(const digest_hints *h) { return h ? "{\"T\", \"E\", article 1}" : "NULL"; }

/* Print a short, escaped excerpt of s[0..n). */
static void show(const char *s, size_t n) {
    size_t max = n < 200 ? n : 200;
    fputc('\'', stderr);
    for (size_t i = 0; i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' || c == '\'') fprintf(stderr, "\\%c", c);
        else if (c >= 0x20 && c != 0x7F) fputc(c, stderr);
        else fprintf(stderr, "\\x%02x", c);
    }
    fprintf(stderr, "'%s", max < n ? "..." : "");
}

__attribute__((format(printf, 3, 4), noreturn)) static void fail(const digest *d, const digest_hints *h,
                                                                 const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "\nfuzz_split: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (rule %s, hints %s, %zu stories, %zu skipped)\n", d->rule ? d->rule : "NULL", hints_name(h),
            d->n, d->n_skipped);
    abort();
}

/* ---- the input's lines, found independently of lines.c ------------------ */

static size_t lead_space(const char *p, const char *e) {
    if (*p == ' ' || *p == '\t' || *p == '\f' || *p == '\v') return 1;
    if (e - p >= 2 && (unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA0) return 2;
    if (e - p >= 3 && (unsigned char)p[0] == 0xE3 && (unsigned char)p[1] == 0x80 && (unsigned char)p[2] == 0x80)
        return 3;
    return 0;
}

static size_t trail_space(const char *s, const char *e) {
    if (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\f' || e[-1] == '\v') return 1;
    if (e - s >= 2 && (unsigned char)e[-2] == 0xC2 && (unsigned char)e[-1] == 0xA0) return 2;
    if (e - s >= 3 && (unsigned char)e[-3] == 0xE3 && (unsigned char)e[-2] == 0x80 && (unsigned char)e[-1] == 0x80)
        return 3;
    return 0;
}

/* The non-blank lines of text[0..len), trimmed; malloc'ed, *n of them. */
static span *input_lines(const char *text, size_t len, size_t *n) {
    const char *p = text, *end = text + len;
    span *v = sp_xmalloc((len / 2 + 2) * sizeof *v); /* a non-blank line takes >= 1 byte and a break */
    size_t k = 0;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    while (p < end) {
        const char *s = p, *e;
        size_t w;
        while (p < end && *p != '\n' && *p != '\r') p++;
        e = p;
        if (p < end) p += (*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
        while (s < e && (w = lead_space(s, e)) > 0) s += w;
        while (e > s && (w = trail_space(s, e)) > 0) e -= w;
        if (e > s) v[k++] = (span){s, (size_t)(e - s)};
    }
    *n = k;
    return v;
}

/* Index of the line starting at s, or n. Lines are in text order. */
static size_t line_at(const span *v, size_t n, const char *s) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].s < s) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo].s == s ? lo : n;
}

/* ---- the bulletin's markup, as bulletin.c parses it ---------------------- */

/* "(N) title": the title, and N in *num (numbered() in bulletin.c). */
static int numbered(span *ln, unsigned *num) {
    size_t i = 1;
    unsigned v = 0;
    if (ln->n < 4 || ln->s[0] != '(') return 0;
    while (i < ln->n && i < 5 && ln->s[i] >= '0' && ln->s[i] <= '9') v = v * 10 + (unsigned)(ln->s[i++] - '0');
    if (i == 1 || i >= ln->n || ln->s[i] != ')' || v == 0) return 0;
    i++;
    if (i >= ln->n || (ln->s[i] != ' ' && ln->s[i] != '\t')) return 0;
    while (i < ln->n && (ln->s[i] == ' ' || ln->s[i] == '\t')) i++;
    if (i >= ln->n) return 0;
    ln->s += i;
    ln->n -= i;
    *num = v;
    return 1;
}

/* "News Source: X": X (news_source() in bulletin.c). */
static int news_source(span *ln) {
    size_t i = 11;
    if (ln->n < 11 || strncasecmp(ln->s, "news source", 11) != 0) return 0;
    if (i < ln->n && (ln->s[i] == 's' || ln->s[i] == 'S')) i++;
    while (i < ln->n && ln->s[i] == ' ') i++;
    if (i >= ln->n || ln->s[i] != ':') return 0;
    i++;
    while (i < ln->n && ln->s[i] == ' ') i++;
    ln->s += i;
    ln->n -= i;
    return 1;
}

/* "(Photo Credit: X)": X (photo_credit() in bulletin.c). */
static int photo_credit(span *ln) {
    const char *s = ln->s, *e = ln->s + ln->n;
    if (ln->n < 16 || s[0] != '(' || e[-1] != ')') return 0;
    s++;
    e--;
    while (s < e && *s == ' ') s++;
    if (e - s < 13 || strncasecmp(s, "photo credit", 12) != 0) return 0;
    s += 12;
    if (s < e && (*s == 's' || *s == 'S')) s++;
    while (s < e && *s == ' ') s++;
    if (s >= e || *s != ':') return 0;
    s++;
    while (s < e && *s == ' ') s++;
    while (e > s && e[-1] == ' ') e--;
    ln->s = s;
    ln->n = (size_t)(e - s);
    return 1;
}

/* ---- the checks ----------------------------------------------------------- */

/* First occurrence of needle in hay[from..hn), or NULL. */
static const char *find(const char *hay, size_t hn, size_t from, const char *needle, size_t nn) {
    const char *p = hay + from, *end = hay + hn;
    if (nn == 0) return p;
    while ((size_t)(end - p) >= nn && (p = memchr(p, needle[0], (size_t)(end - p) - nn + 1)) != NULL) {
        if (memcmp(p, needle, nn) == 0) return p;
        p++;
    }
    return NULL;
}

static void check_shape(const char *text, size_t len, const digest *d, const digest_hints *h, const span *lines,
                        size_t n_lines) {
    static const char *const rules[] = {"bulletin", "brief", "insights", "article", "single"};
    int known = 0;
    if (d->rule == NULL) fail(d, h, "rule is NULL");
    for (size_t i = 0; i < 5; i++) known |= strcmp(d->rule, rules[i]) == 0;
    if (!known) fail(d, h, "unknown rule '%s'", d->rule);
    if (strcmp(d->rule, h ? "single" : "article") == 0) fail(d, h, "rule '%s' does not fit the hints", d->rule);
    if (d->n == 0 || d->stories == NULL) fail(d, h, "no stories");
    for (size_t i = 0; i < d->n; i++) {
        const char *f[6];
        fields(&d->stories[i], f);
        if (f[2] == NULL) fail(d, h, "story %zu: body is NULL", i);
        for (int k = 0; k < 6; k++) {
            if (f[k] != NULL && !sp_utf8_valid(f[k], strlen(f[k]))) {
                fprintf(stderr, "\nfuzz_split: story %zu: %s ", i, FIELD[k]);
                show(f[k], strlen(f[k]));
                fail(d, h, "story %zu: %s is not valid UTF-8", i, FIELD[k]);
            }
        }
    }
    if (strcmp(d->rule, "article") == 0 || strcmp(d->rule, "single") == 0) {
        if (d->n != 1) fail(d, h, "%s: not one story", d->rule);
        if (h && (d->stories[0].title == NULL || strcmp(d->stories[0].title, h->title) != 0))
            fail(d, h, "the story's title is not the hints' title");
        if (h && (d->stories[0].summary == NULL || strcmp(d->stories[0].summary, h->excerpt) != 0))
            fail(d, h, "the story's summary is not the hints' excerpt");
    }
    if (d->n_skipped > 0 && (d->skipped == NULL || d->skipped_why == NULL))
        fail(d, h, "n_skipped > 0 with skipped or skipped_why NULL");
    for (size_t j = 0; j < d->n_skipped; j++) {
        const line *sk = &d->skipped[j];
        const char *why = d->skipped_why[j];
        size_t at;
        if (why == NULL ||
            (strcmp(why, "header") != 0 && strcmp(why, "heading") != 0 && strcmp(why, "boilerplate") != 0))
            fail(d, h, "skipped[%zu]: reason is not header, heading or boilerplate", j);
        if (sk->s < text || sk->s > text + len || sk->n > (size_t)(text + len - sk->s))
            fail(d, h, "skipped[%zu]: not within the text", j);
        at = line_at(lines, n_lines, sk->s);
        if (at == n_lines || lines[at].n != sk->n) {
            fprintf(stderr, "\nfuzz_split: skipped[%zu] at byte %zu: ", j, (size_t)(sk->s - text));
            show(sk->s, sk->n);
            fail(d, h, "skipped[%zu] is not a line of the input", j);
        }
    }
}

/* No text lost (see the top of the file). */
static void check_no_text_lost(const char *text, size_t len, const digest *d, const digest_hints *h,
                               const span *lines, size_t n_lines) {
    const char *nul = memchr(text, '\0', len);
    unsigned char *skipped = sp_xmalloc(n_lines + 1);
    size_t total = 0, k = 0, cursor = 0;
    char *all;
    memset(skipped, 0, n_lines + 1);
    for (size_t j = 0; j < d->n_skipped; j++) skipped[line_at(lines, n_lines, d->skipped[j].s)] = 1;
    for (size_t i = 0; i < d->n; i++) {
        const char *f[6];
        fields(&d->stories[i], f);
        for (int j = 0; j < 6; j++) total += f[j] ? strlen(f[j]) + 1 : 0;
    }
    all = sp_xmalloc(total + 1);
    for (size_t i = 0; i < d->n; i++) {
        const char *f[6];
        fields(&d->stories[i], f);
        for (int j = 0; j < 6; j++) {
            if (f[j] == NULL) continue;
            size_t n = strlen(f[j]);
            memcpy(all + k, f[j], n);
            k += n;
            all[k++] = '\n';
        }
    }
    for (size_t i = 0; i < n_lines; i++) {
        span ln = lines[i];
        const char *at;
        unsigned num;
        if (skipped[i]) continue;
        if (nul && ln.s + ln.n > nul) break; /* a C string ends at a NUL: see the top */
        if (!numbered(&ln, &num) && !news_source(&ln)) photo_credit(&ln);
        if (ln.n == 0) continue;
        /* fields mostly follow the text's order: look after the last find first */
        at = find(all, k, cursor, ln.s, ln.n);
        if (at == NULL) at = find(all, k, 0, ln.s, ln.n);
        if (at == NULL) {
            fprintf(stderr, "\nfuzz_split: line %zu (byte %zu) ", i, (size_t)(lines[i].s - text));
            show(lines[i].s, lines[i].n);
            fprintf(stderr, " is neither skipped nor in a story; looked for ");
            show(ln.s, ln.n);
            fprintf(stderr, "\nstories:\n");
            for (size_t s = 0; s < d->n && s < 20; s++) {
                const char *f[6];
                fields(&d->stories[s], f);
                for (int j = 0; j < 6; j++) {
                    if (f[j] == NULL) continue;
                    fprintf(stderr, "  [%zu] %s: ", s, FIELD[j]);
                    show(f[j], strlen(f[j]));
                    fputc('\n', stderr);
                }
            }
            fail(d, h, "text lost: line %zu", i);
        }
        if (at) cursor = (size_t)(at - all);
    }
    free(all);
    free(skipped);
}

static int same(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

/* Hints only matter to the one-story fallback. */
static void check_agree(const digest *a, const digest *b) {
    int fa = strcmp(a->rule, "single") == 0, fb = strcmp(b->rule, "article") == 0;
    if (fa != fb || (!fa && strcmp(a->rule, b->rule) != 0)) {
        fprintf(stderr, "\nfuzz_split: rule %s without hints, %s with hints\n", a->rule, b->rule);
        abort();
    }
    if (a->n != b->n || a->n_skipped != b->n_skipped) {
        fprintf(stderr, "\nfuzz_split: %zu stories and %zu skipped without hints, %zu and %zu with hints\n", a->n,
                a->n_skipped, b->n, b->n_skipped);
        abort();
    }
    for (size_t j = 0; j < a->n_skipped; j++) {
        if (a->skipped[j].s != b->skipped[j].s || a->skipped[j].n != b->skipped[j].n ||
            strcmp(a->skipped_why[j], b->skipped_why[j]) != 0) {
            fprintf(stderr, "\nfuzz_split: skipped[%zu] differs with hints\n", j);
            abort();
        }
    }
    for (size_t i = 0; i < a->n; i++) {
        const char *fa6[6], *fb6[6];
        fields(&a->stories[i], fa6);
        fields(&b->stories[i], fb6);
        for (int k = fa ? 2 : 0; k < 6; k++) { /* article/single: the title and summary are the hints' */
            if (!same(fa6[k], fb6[k])) {
                fprintf(stderr, "\nfuzz_split: rule %s, story %zu: %s differs with hints\n", a->rule, i, FIELD[k]);
                abort();
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const digest_hints hints = {"T", "E", 1};
    const char *text = (const char *)data;
    span *lines;
    size_t n_lines;
    digest a, b;
    if (!sp_utf8_valid(text, size)) return -1;
    lines = input_lines(text, size, &n_lines);

    digest_split(text, size, NULL, &a);
    check_shape(text, size, &a, NULL, lines, n_lines);
    check_no_text_lost(text, size, &a, NULL, lines, n_lines);

    digest_split(text, size, &hints, &b);
    check_shape(text, size, &b, &hints, lines, n_lines);
    check_no_text_lost(text, size, &b, &hints, lines, n_lines);

    check_agree(&a, &b);
    digest_free(&a);
    digest_free(&b);
    free(lines);
    return 0;
}
