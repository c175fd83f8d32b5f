/* feed.c — RSS 2.0, RSS 1.0/RDF and Atom 1.0 documents into feed items
 * (see feed.h for what comes from where).
 *
 * libxml2 builds the tree, with XML_PARSE_NONET and without XML_PARSE_NOENT,
 * XML_PARSE_DTDLOAD or XML_PARSE_HUGE: no DTD or external entity is ever
 * read, entity references stay references in the tree, and libxml2's own
 * limits (10 MB per text node, 256 levels, entity loops and exponential
 * entities) apply. XML_PARSE_NOCDATA merges CDATA sections into the text
 * around them: CDATA is text, nothing more. This file then expands internal
 * entity references itself, charging every byte (and node) they produce to
 * a budget, which libxml2's xmlNodeGetContent() or xmlGetProp() would not
 * do: a 50 KB entity referenced 10,000 times passes libxml2's checks when
 * references are not substituted, and would be 500 MB of text.
 *
 * Errors: libxml2 reports through the calling thread's error handlers,
 * which are pointed at a collector for the duration of feed_parse() and then
 * given back, so nothing reaches stderr and threads do not interfere. */
#include "feed.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "buf.h"
#include "ids.h"
#include "url.h"
#include "util.h"

#define NS_ATOM "http://www.w3.org/2005/Atom"
#define NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_RSS1 "http://purl.org/rss/1.0/"
#define NS_RSS090 "http://my.netscape.com/rdf/simple/0.9/"
#define NS_CONTENT "http://purl.org/rss/1.0/modules/content/"
#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS "http://purl.org/dc/terms/"
#define NS_XHTML "http://www.w3.org/1999/xhtml"

#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES)
#define ENTITY_BUDGET_MIN ((size_t)1 << 20) /* bytes; or the document's size when larger */
#define MAX_ENTITY_NESTING 32
#define MAX_TEXT_DEPTH 1024 /* elements below a text element (libxml2 stops at 256 anyway) */
#define MADE_UP_ID_PREFIX "urn:storypipe:feed-item:"

/* ---- strings ------------------------------------------------------------ */

static int is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

static int eq_nocase(const char *a, const char *b) {
    while (*a && lower((unsigned char)*a) == lower((unsigned char)*b)) a++, b++;
    return *a == '\0' && *b == '\0';
}

/* b's text with XML white space trimmed (and, with collapse, every run of it
 * inside made one space), as a malloc'ed string that b gives up; NULL when
 * nothing is left. */
static char *text_finish(sp_buf *b, int collapse) {
    size_t i = 0, o = 0;
    char *s = b->s;
    if (s == NULL) return NULL;
    while (i < b->len && is_xml_space(s[i])) i++;
    for (; i < b->len; i++) {
        if (is_xml_space(s[i])) {
            if (!collapse) {
                s[o++] = s[i];
                continue;
            }
            while (i + 1 < b->len && is_xml_space(s[i + 1])) i++;
            s[o++] = ' ';
        } else {
            s[o++] = s[i];
        }
    }
    while (o > 0 && is_xml_space(s[o - 1])) o--;
    s[o] = '\0';
    b->s = NULL;
    b->len = b->cap = 0;
    if (o == 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* Replace every byte of s that is not part of well-formed UTF-8 with '?'. */
static void utf8_sanitize(char *s) {
    size_t n = strlen(s), i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80                  ? 1
                   : c >= 0xC2 && c <= 0xDF ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
        if (k && i + k <= n && sp_utf8_valid(s + i, k)) {
            i += k;
        } else {
            s[i++] = '?';
        }
    }
}

/* ---- the walk ----------------------------------------------------------- */

typedef struct walker {
    xmlDocPtr doc;
    const char *base_url; /* the caller's, may be NULL */
    const char *feed_link; /* the feed's resolved site link, or NULL */
    size_t budget;         /* what entity expansion may still produce, bytes and nodes */
    size_t budget_total;   /* what it could at the start */
    int entity_depth;      /* > 0 while inside an entity's replacement */
    int over;              /* the budget ran out */
} walker;

static int charge(walker *w, size_t n) {
    if (w->entity_depth == 0) return 1;
    if (n > w->budget) {
        w->over = 1;
        w->budget = 0;
        return 0;
    }
    w->budget -= n;
    return 1;
}

static void put(walker *w, sp_buf *b, const char *s, size_t n) {
    if (!w->over && charge(w, n)) sp_buf_put(b, s, n);
}

static void text_nodes(walker *w, xmlNodePtr n, sp_buf *b, int depth);

/* An entity reference: an internal entity's replacement text (charged), a
 * predefined one's character, an undeclared one as written ("&nbsp;", for
 * the HTML stage), an external one nothing: it is never read. */
static void entity_text(walker *w, xmlNodePtr ref, sp_buf *b, int depth) {
    xmlEntityPtr ent = xmlGetDocEntity(w->doc, ref->name);
    if (ent == NULL) {
        put(w, b, "&", 1);
        put(w, b, (const char *)ref->name, strlen((const char *)ref->name));
        put(w, b, ";", 1);
        return;
    }
    switch (ent->etype) {
    case XML_INTERNAL_PREDEFINED_ENTITY:
        if (ent->content) put(w, b, (const char *)ent->content, strlen((const char *)ent->content));
        break;
    case XML_INTERNAL_GENERAL_ENTITY:
        if (w->entity_depth >= MAX_ENTITY_NESTING) {
            w->over = 1;
            break;
        }
        w->entity_depth++;
        if (ent->children)
            text_nodes(w, ent->children, b, depth + 1);
        else if (ent->content)
            put(w, b, (const char *)ent->content, strlen((const char *)ent->content));
        w->entity_depth--;
        break;
    default:
        break;
    }
}

/* Append the character data of n and its following siblings, and of their
 * descendants, to b. */
static void text_nodes(walker *w, xmlNodePtr n, sp_buf *b, int depth) {
    for (; n != NULL && !w->over; n = n->next) {
        if (!charge(w, 1)) return;
        switch (n->type) {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (n->content) put(w, b, (const char *)n->content, strlen((const char *)n->content));
            break;
        case XML_ELEMENT_NODE:
            if (depth < MAX_TEXT_DEPTH) text_nodes(w, n->children, b, depth + 1);
            break;
        case XML_ENTITY_REF_NODE:
            if (depth < MAX_TEXT_DEPTH) entity_text(w, n, b, depth);
            break;
        default: /* comments, processing instructions */
            break;
        }
    }
}

static int in_ns(xmlNodePtr n, const char *ns) {
    if (ns == NULL) return n->ns == NULL;
    return n->ns != NULL && n->ns->href != NULL && strcmp((const char *)n->ns->href, ns) == 0;
}

/* Element n is `name` in namespace ns (NULL: none). */
static int is(xmlNodePtr n, const char *ns, const char *name) {
    return n != NULL && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0 && in_ns(n, ns);
}

/* Element n is `name` in ns, or is named `qname` without a namespace: a
 * feed that uses the prefix without declaring it ("dc:creator" with no
 * xmlns:dc) gets that from libxml2, with a namespace error that is not
 * fatal. */
static int is_ext(xmlNodePtr n, const char *ns, const char *name, const char *qname) {
    return is(n, ns, name) || is(n, NULL, qname);
}

static xmlNodePtr child(xmlNodePtr parent, const char *ns, const char *name) {
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (is(c, ns, name)) return c;
    return NULL;
}

/* The text of element el (NULL when el is NULL or the text is empty). */
static char *elem_text(walker *w, xmlNodePtr el, int collapse) {
    sp_buf b = {0};
    if (el == NULL) return NULL;
    text_nodes(w, el->children, &b, 0);
    return text_finish(&b, collapse);
}

/* The value of el's attribute `name` in ns (NULL: none), trimmed; NULL when
 * absent or empty. Read here rather than with xmlGetNsProp(), which would
 * expand entity references without bounds and may return DTD defaults. */
static char *attr(walker *w, xmlNodePtr el, const char *ns, const char *name) {
    for (xmlAttrPtr a = el->properties; a; a = a->next) {
        if (a->type != XML_ATTRIBUTE_NODE || strcmp((const char *)a->name, name) != 0) continue;
        if (ns == NULL ? a->ns != NULL : a->ns == NULL || strcmp((const char *)a->ns->href, ns) != 0) continue;
        sp_buf b = {0};
        text_nodes(w, a->children, &b, 0);
        return text_finish(&b, 0);
    }
    return NULL;
}

/* ---- links -------------------------------------------------------------- */

#define CURL_FLAGS (CURLU_URLENCODE | CURLU_NON_SUPPORT_SCHEME)

/* Apply the xml:base attributes of el and its ancestors to u, outermost
 * first. One that cannot be resolved (relative, with nothing to resolve it
 * against) is skipped: curl_url_set() leaves u as it was when it fails. */
static void apply_bases(walker *w, CURLU *u, xmlNodePtr el, int depth) {
    char *base;
    if (el == NULL || el->type != XML_ELEMENT_NODE || depth > 4096 || w->over) return;
    apply_bases(w, u, el->parent, depth + 1);
    if ((base = attr(w, el, (const char *)XML_XML_NAMESPACE, "base")) != NULL) {
        curl_url_set(u, CURLUPART_URL, base, CURL_FLAGS);
        free(base);
    }
}

/* href, written in element el, as an absolute http(s) URL: resolved against
 * the xml:base attributes in scope, and below them `fallback`. NULL when it
 * cannot be. */
static char *resolve(walker *w, xmlNodePtr el, const char *fallback, const char *href) {
    char *url;
    CURLU *u;
    if (href == NULL || *href == '\0' || (u = curl_url()) == NULL) return NULL;
    if (fallback) curl_url_set(u, CURLUPART_URL, fallback, CURL_FLAGS);
    apply_bases(w, u, el, 0);
    url = sp_url_resolve_http(u, href, CURL_FLAGS);
    curl_url_cleanup(u);
    return url;
}

/* s starts with "http://" or "https://" (in any case). */
static int is_http_url(const char *s) {
    static const char http[] = "http://", https[] = "https://";
    size_t i;
    for (i = 0; i < 7 && lower((unsigned char)s[i]) == http[i]; i++)
        ;
    if (i == 7) return 1;
    for (i = 0; i < 8 && lower((unsigned char)s[i]) == https[i]; i++)
        ;
    return i == 8;
}

/* What the items' relative links are resolved against (below xml:base). */
static const char *item_base(walker *w) { return w->feed_link ? w->feed_link : w->base_url; }

/* ---- dates -------------------------------------------------------------- */

typedef struct when {
    int year, month, day, hour, min, sec;
    int offset; /* minutes east of UTC */
} when;

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m) {
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dim[m - 1];
}

/* t as "YYYY-MM-DDTHH:MM:SSZ", malloc'ed; NULL when a field is out of range
 * or the UTC year is outside 0000..9999. A leap second (:60) becomes the
 * next minute's :00. */
static char *when_utc(const when *t) {
    char buf[64];
    int64_t secs, days, y;
    int m, d;
    if (t->month < 1 || t->month > 12 || t->day < 1 || t->day > days_in_month(t->year, t->month) || t->hour > 23 ||
        t->min > 59 || t->sec > 60)
        return NULL;
    secs = days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 + t->min * 60 + t->sec -
           (int64_t)t->offset * 60;
    days = (secs >= 0 ? secs : secs - 86399) / 86400;
    secs -= days * 86400;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) return NULL;
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
    return sp_xstrdup(buf);
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static void skip_space(const char **s) {
    while (**s == ' ' || **s == '\t' || **s == '\r' || **s == '\n') (*s)++;
}

/* Read min..max digits into *v; 0 when there are fewer than min. */
static int read_num(const char **s, int min, int max, int *v) {
    int n = 0, x = 0;
    while (n < max && is_digit((*s)[n])) x = x * 10 + ((*s)[n++] - '0');
    if (n < min || is_digit((*s)[n])) return 0;
    *s += n;
    *v = x;
    return n;
}

/* "+HH:MM", "+HHMM" or "+HH" (or '-'); minutes east in *offset. */
static int read_offset(const char **s, int *offset) {
    int sign = **s == '-' ? -1 : 1, h, m = 0;
    const char *p = *s + 1;
    if (**s != '+' && **s != '-') return 0;
    if (is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) && is_digit(p[3]) && !is_digit(p[4])) {
        h = (p[0] - '0') * 10 + (p[1] - '0');
        m = (p[2] - '0') * 10 + (p[3] - '0');
        p += 4;
    } else {
        if (!read_num(&p, 1, 2, &h)) return 0;
        if (*p == ':' && !read_num((++p, &p), 2, 2, &m)) return 0;
    }
    if (h > 23 || m > 59) return 0;
    *offset = sign * (h * 60 + m);
    *s = p;
    return 1;
}

/* RFC 3339 and the ISO 8601 forms feeds use: date, optional time ('T', 't'
 * or a space; seconds and a fraction optional), optional zone. */
static int parse_iso(const char *s, when *t) {
    memset(t, 0, sizeof *t);
    skip_space(&s);
    if (!read_num(&s, 4, 4, &t->year) || *s++ != '-' || !read_num(&s, 2, 2, &t->month) || *s++ != '-' ||
        !read_num(&s, 2, 2, &t->day))
        return 0;
    if ((*s == 'T' || *s == 't' || *s == ' ') && is_digit(s[1])) {
        s++;
        if (!read_num(&s, 2, 2, &t->hour) || *s++ != ':' || !read_num(&s, 2, 2, &t->min)) return 0;
        if (*s == ':') {
            s++;
            if (!read_num(&s, 2, 2, &t->sec)) return 0;
            if (*s == '.' || *s == ',') {
                if (!is_digit(*++s)) return 0;
                while (is_digit(*s)) s++;
            }
        }
        if (*s == 'Z' || *s == 'z')
            s++;
        else if (*s == '+' || *s == '-') {
            if (!read_offset(&s, &t->offset)) return 0;
        }
    }
    skip_space(&s);
    return *s == '\0';
}

/* Read a run of letters (at most 15) into word, lower-cased. */
static int read_word(const char **s, char word[16]) {
    int n = 0;
    while (is_alpha((*s)[n])) {
        if (n == 15) return 0;
        word[n] = (char)lower((unsigned char)(*s)[n]);
        n++;
    }
    word[n] = '\0';
    *s += n;
    return n;
}

/* Index 0..n-1 of word among names (each a 3-letter abbreviation followed
 * by the full name after a '|'), or -1. */
static int name_index(const char *word, const char *const *names, int n) {
    size_t len = strlen(word);
    for (int i = 0; i < n; i++)
        if ((len == 3 && strncmp(word, names[i], 3) == 0) || strcmp(word, names[i] + 4) == 0) return i;
    return -1;
}

static const char *const day_names[7] = {"mon|monday", "tue|tuesday",  "wed|wednesday", "thu|thursday",
                                         "fri|friday", "sat|saturday", "sun|sunday"};
static const char *const month_names[12] = {"jan|january", "feb|february", "mar|march",     "apr|april",
                                            "may|may",     "jun|june",     "jul|july",      "aug|august",
                                            "sep|september", "oct|october", "nov|november", "dec|december"};

/* Zone names: RFC 822's, and others common in feeds (IST as India's). */
static const struct {
    const char *name;
    int offset;
} zones[] = {
    {"ut", 0},       {"utc", 0},      {"gmt", 0},      {"z", 0},        {"est", -300},   {"edt", -240},
    {"cst", -360},   {"cdt", -300},   {"mst", -420},   {"mdt", -360},   {"pst", -480},   {"pdt", -420},
    {"akst", -540},  {"akdt", -480},  {"hst", -600},   {"ast", -240},   {"adt", -180},   {"nst", -210},
    {"ndt", -150},   {"wet", 0},      {"west", 60},    {"bst", 60},     {"ist", 330},    {"cet", 60},
    {"cest", 120},   {"met", 60},     {"mest", 120},   {"eet", 120},    {"eest", 180},   {"msk", 180},
    {"sgt", 480},    {"hkt", 480},    {"awst", 480},   {"jst", 540},    {"kst", 540},    {"acst", 570},
    {"acdt", 630},   {"aest", 600},   {"aedt", 660},   {"nzst", 720},   {"nzdt", 780},
};

/* RFC 822 / 2822 as feeds write it: optional day name (abbreviated or
 * not, comma optional), day, month name (abbreviated, "Sept" or full),
 * year (4 digits; 2 or 3 are the obsolete forms), separated by spaces or
 * '-', then an optional time (HH:MM, seconds and a fraction optional) and
 * zone (numeric with or without a colon, or a name; unknown names and no
 * zone are UTC), and an optional comment in parentheses. */
static int parse_rfc822(const char *s, when *t) {
    char word[16];
    int m;
    memset(t, 0, sizeof *t);
    skip_space(&s);
    if (is_alpha(*s)) {
        if (!read_word(&s, word) || name_index(word, day_names, 7) < 0) return 0;
        skip_space(&s);
        if (*s == ',') s++;
        skip_space(&s);
    }
    if (!read_num(&s, 1, 2, &t->day)) return 0;
    skip_space(&s);
    if (*s == '-') s++;
    skip_space(&s);
    if (!read_word(&s, word)) return 0;
    if ((m = name_index(word, month_names, 12)) < 0 && strcmp(word, "sept") != 0) return 0;
    t->month = (m < 0 ? 8 : m) + 1;
    if (*s == '.') s++;
    skip_space(&s);
    if (*s == '-') s++;
    skip_space(&s);
    switch (read_num(&s, 2, 4, &t->year)) {
    case 2: t->year += t->year < 50 ? 2000 : 1900; break;
    case 3: t->year += 1900; break;
    case 4: break;
    default: return 0;
    }
    skip_space(&s);
    if (is_digit(*s)) {
        if (!read_num(&s, 1, 2, &t->hour) || *s++ != ':' || !read_num(&s, 2, 2, &t->min)) return 0;
        if (*s == ':') {
            s++;
            if (!read_num(&s, 2, 2, &t->sec)) return 0;
            if (*s == '.') {
                if (!is_digit(*++s)) return 0;
                while (is_digit(*s)) s++;
            }
        }
        skip_space(&s);
        if (*s == '+' || *s == '-') {
            if (!read_offset(&s, &t->offset)) return 0;
        } else if (is_alpha(*s)) {
            if (!read_word(&s, word)) return 0;
            for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
                if (strcmp(word, zones[i].name) == 0) t->offset = zones[i].offset;
        }
        skip_space(&s);
    }
    if (*s == '(') {
        while (*s && *s != ')') s++;
        if (*s++ != ')') return 0;
        skip_space(&s);
    }
    return *s == '\0';
}

/* The date in element el as RFC 3339 UTC, or NULL. */
static char *elem_date(walker *w, xmlNodePtr el) {
    char *s = elem_text(w, el, 1), *utc = NULL;
    when t;
    if (s && (parse_iso(s, &t) || parse_rfc822(s, &t))) utc = when_utc(&t);
    free(s);
    return utc;
}

/* ---- items -------------------------------------------------------------- */

static const char HTML[] = "text/html", PLAIN[] = "text/plain";

static feed_item *add_item(feed *f, size_t *cap) {
    if (f->n_items == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        f->items = sp_xrealloc(f->items, *cap * sizeof *f->items);
    }
    memset(&f->items[f->n_items], 0, sizeof f->items[0]);
    return &f->items[f->n_items++];
}

/* Fill in the id (from the link, or made up) and the content when missing. */
static void finish_item(feed_item *it) {
    if (it->content == NULL) {
        it->content = sp_xstrdup("");
        it->content_type = PLAIN;
    }
    if (it->id == NULL && it->link) it->id = sp_xstrdup(it->link);
    if (it->id == NULL) {
        sp_buf b = {0};
        char hex[SP_ID_LEN];
        sp_buf_puts(&b, it->title ? it->title : "");
        sp_buf_put(&b, "", 1);
        sp_buf_puts(&b, it->published ? it->published : "");
        sp_buf_put(&b, "", 1);
        sp_buf_puts(&b, it->content);
        sp_id_hex(sp_hash64(b.s, b.len), hex);
        b.len = 0;
        sp_buf_puts(&b, MADE_UP_ID_PREFIX);
        sp_buf_puts(&b, hex);
        it->id = b.s;
    }
}

/* "jo@example.com (Jo Smith)", RSS's author form, gives "Jo Smith"; anything
 * else is kept. */
static char *rss_author(char *s) {
    char *open, *at;
    size_t n;
    if (s == NULL || (n = strlen(s)) < 2 || s[n - 1] != ')' || (open = strrchr(s, '(')) == NULL ||
        (at = strchr(s, '@')) == NULL || at > open)
        return s;
    sp_buf b = {0};
    sp_buf_put(&b, open + 1, (size_t)(s + n - 1 - (open + 1)));
    char *name = text_finish(&b, 1);
    if (name == NULL) return s;
    free(s);
    return name;
}

/* Append text to a ", "-separated list in b. */
static void list_add(sp_buf *b, char *text) {
    if (text == NULL) return;
    if (b->len) sp_buf_puts(b, ", ");
    sp_buf_puts(b, text);
    free(text);
}

/* An Atom link element's relation is "alternate" (the default). */
static int atom_alternate_rel(walker *w, xmlNodePtr link) {
    char *rel = attr(w, link, NULL, "rel");
    int alt = rel == NULL || eq_nocase(rel, "alternate") ||
              strcmp(rel, "http://www.iana.org/assignments/relation/alternate") == 0;
    free(rel);
    return alt;
}

/* The href of parent's best Atom alternate link (the first one of an HTML
 * type or without type, else the first), resolved; or NULL. */
static char *atom_link(walker *w, xmlNodePtr parent, const char *fallback) {
    xmlNodePtr best = NULL;
    char *href, *url;
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (!is(c, NS_ATOM, "link") || !atom_alternate_rel(w, c)) continue;
        char *type = attr(w, c, NULL, "type");
        int html = type == NULL || strstr(type, "html") != NULL;
        free(type);
        if (best == NULL) best = c;
        if (html) {
            best = c;
            break;
        }
    }
    if (best == NULL) return NULL;
    href = attr(w, best, NULL, "href");
    url = resolve(w, best, fallback, href);
    free(href);
    return url;
}

/* Item and RDF item: <item>'s children in namespace ns (NULL for RSS 2.0). */
static void rss_item(walker *w, xmlNodePtr item, const char *ns, int rdf, feed_item *it) {
    xmlNodePtr guid = NULL, link = NULL, title = NULL, pub = NULL, dcdate = NULL, encoded = NULL, desc = NULL,
               author = NULL, updated = NULL, atomlink = NULL;
    sp_buf creators = {0};
    for (xmlNodePtr c = item->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        if (!guid && is(c, ns, "guid")) guid = c;
        else if (!link && is(c, ns, "link")) link = c;
        else if (!title && is(c, ns, "title")) title = c;
        else if (!pub && is(c, ns, "pubDate")) pub = c;
        else if (!desc && is(c, ns, "description")) desc = c;
        else if (!author && is(c, ns, "author")) author = c;
        else if (!encoded && is_ext(c, NS_CONTENT, "encoded", "content:encoded")) encoded = c;
        else if (is_ext(c, NS_DC, "creator", "dc:creator")) list_add(&creators, elem_text(w, c, 1));
        else if (!dcdate && is_ext(c, NS_DC, "date", "dc:date")) dcdate = c;
        else if (!updated && (is(c, NS_ATOM, "updated") || is_ext(c, NS_DCTERMS, "modified", "dcterms:modified")))
            updated = c;
        else if (!atomlink && is(c, NS_ATOM, "link") && atom_alternate_rel(w, c)) atomlink = c;
    }

    char *text = elem_text(w, link, 0);
    it->link = resolve(w, link, item_base(w), text);
    free(text);
    if (it->link == NULL && atomlink) it->link = atom_link(w, item, item_base(w));
    if (rdf) it->id = attr(w, item, NS_RDF, "about");
    if (it->id == NULL && guid) {
        it->id = elem_text(w, guid, 0);
        char *perma = attr(w, guid, NULL, "isPermaLink");
        if (it->link == NULL && it->id && (perma == NULL || !eq_nocase(perma, "false")) && is_http_url(it->id))
            it->link = resolve(w, guid, NULL, it->id);
        free(perma);
    }
    it->title = elem_text(w, title, 1);
    it->published = elem_date(w, pub);
    if (it->published == NULL) it->published = elem_date(w, dcdate);
    it->modified = elem_date(w, updated);
    it->author = text_finish(&creators, 0);
    if (it->author == NULL) it->author = rss_author(elem_text(w, author, 1));
    it->content_type = HTML;
    if ((it->content = elem_text(w, encoded, 0)) == NULL) it->content = elem_text(w, desc, 0);
    finish_item(it);
}

/* s[0..n) with '&', '<', '>' (and in attribute values '"') escaped. */
static void put_escaped(walker *w, sp_buf *b, const char *s, size_t n, int in_attr) {
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *e = s[i] == '&' ? "&amp;" : s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;"
                        : s[i] == '"' && in_attr ? "&quot;" : NULL;
        if (e == NULL) continue;
        put(w, b, s + run, i - run);
        put(w, b, e, strlen(e));
        run = i + 1;
    }
    put(w, b, s + run, n - run);
}

static int is_void_element(const char *name) {
    static const char *const v[] = {"area", "base", "br",   "col",   "embed", "hr",    "img",
                                    "input", "link", "meta", "param", "source", "track", "wbr"};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (strcmp(name, v[i]) == 0) return 1;
    return 0;
}

static void put_name(walker *w, sp_buf *b, xmlNsPtr ns, const xmlChar *name) {
    if (ns && ns->prefix && !(ns->href && strcmp((const char *)ns->href, NS_XHTML) == 0)) {
        put(w, b, (const char *)ns->prefix, strlen((const char *)ns->prefix));
        put(w, b, ":", 1);
    }
    put(w, b, (const char *)name, strlen((const char *)name));
}

/* n and its following siblings as HTML markup: XHTML elements under their
 * plain names ("xhtml:p" is "<p>"), namespace declarations dropped, empty
 * elements closed the HTML way ("<br>", "<a name=x></a>": "<a/>" would
 * be an open tag to an HTML parser), internal entities expanded (charged),
 * undeclared ones kept as written. */
static void xhtml_nodes(walker *w, xmlNodePtr n, sp_buf *b, int depth) {
    for (; n != NULL && !w->over; n = n->next) {
        if (!charge(w, 1)) return;
        switch (n->type) {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (n->content) put_escaped(w, b, (const char *)n->content, strlen((const char *)n->content), 0);
            break;
        case XML_ENTITY_REF_NODE: {
            xmlEntityPtr ent = xmlGetDocEntity(w->doc, n->name);
            if (ent == NULL) {
                entity_text(w, n, b, depth); /* "&name;" as written */
            } else if (ent->etype == XML_INTERNAL_PREDEFINED_ENTITY && ent->content) {
                put_escaped(w, b, (const char *)ent->content, strlen((const char *)ent->content), 0);
            } else if (ent->etype == XML_INTERNAL_GENERAL_ENTITY && depth < MAX_TEXT_DEPTH) {
                if (w->entity_depth >= MAX_ENTITY_NESTING) {
                    w->over = 1;
                    break;
                }
                w->entity_depth++;
                if (ent->children)
                    xhtml_nodes(w, ent->children, b, depth + 1);
                else if (ent->content)
                    put_escaped(w, b, (const char *)ent->content, strlen((const char *)ent->content), 0);
                w->entity_depth--;
            }
            break;
        }
        case XML_ELEMENT_NODE:
            if (depth >= MAX_TEXT_DEPTH) break;
            put(w, b, "<", 1);
            put_name(w, b, n->ns, n->name);
            for (xmlAttrPtr a = n->properties; a; a = a->next) {
                sp_buf v = {0};
                if (a->type != XML_ATTRIBUTE_NODE) continue;
                put(w, b, " ", 1);
                put_name(w, b, a->ns, a->name);
                put(w, b, "=\"", 2);
                text_nodes(w, a->children, &v, depth + 1);
                if (v.s) put_escaped(w, b, v.s, v.len, 1);
                free(v.s);
                put(w, b, "\"", 1);
            }
            put(w, b, ">", 1);
            if (n->children == NULL && (n->ns == NULL || in_ns(n, NS_XHTML)) &&
                is_void_element((const char *)n->name))
                break;
            xhtml_nodes(w, n->children, b, depth + 1);
            put(w, b, "</", 2);
            put_name(w, b, n->ns, n->name);
            put(w, b, ">", 1);
            break;
        default: /* comments, processing instructions */
            break;
        }
    }
}

/* The children of el as markup: Atom's xhtml, without the wrapping <div>
 * (RFC 4287 4.1.3.3). */
static char *xhtml_markup(walker *w, xmlNodePtr el) {
    xmlNodePtr div = NULL;
    sp_buf b = {0};
    for (xmlNodePtr c = el->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) {
            if (is(c, NS_XHTML, "div")) div = c;
            break;
        }
    xhtml_nodes(w, (div ? div : el)->children, &b, 0);
    return text_finish(&b, 0);
}

/* An Atom text construct or content element: its text (markup for xhtml),
 * and in *type what that is. NULL for out-of-line content (src), content
 * that is not text (XML, base64), or no text. */
static char *atom_text(walker *w, xmlNodePtr el, int collapse, const char **type) {
    char *t, *src, *text = NULL;
    if (el == NULL) return NULL;
    if ((src = attr(w, el, NULL, "src")) != NULL) {
        free(src);
        return NULL;
    }
    t = attr(w, el, NULL, "type");
    if (t == NULL || eq_nocase(t, "text") || eq_nocase(t, "text/plain")) {
        text = elem_text(w, el, collapse);
        *type = PLAIN;
    } else if (eq_nocase(t, "html") || eq_nocase(t, "text/html")) {
        text = elem_text(w, el, collapse);
        *type = HTML;
    } else if (eq_nocase(t, "xhtml") || eq_nocase(t, "application/xhtml+xml")) {
        text = xhtml_markup(w, el);
        *type = HTML;
        if (text && collapse) {
            sp_buf b = {text, strlen(text), strlen(text) + 1};
            text = text_finish(&b, 1);
        }
    } else if (strlen(t) > 5 && lower((unsigned char)t[0]) == 't' && lower((unsigned char)t[1]) == 'e' &&
               lower((unsigned char)t[2]) == 'x' && lower((unsigned char)t[3]) == 't' && t[4] == '/') {
        text = elem_text(w, el, collapse);
        *type = PLAIN;
    }
    free(t);
    return text;
}

/* The names of parent's Atom authors, ", "-separated; NULL when none. */
static char *atom_authors(walker *w, xmlNodePtr parent) {
    sp_buf b = {0};
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (is(c, NS_ATOM, "author")) list_add(&b, elem_text(w, child(c, NS_ATOM, "name"), 1));
    return text_finish(&b, 0);
}

static void atom_entry(walker *w, xmlNodePtr entry, const char *feed_authors, feed_item *it) {
    const char *type = PLAIN;
    xmlNodePtr source;
    it->id = elem_text(w, child(entry, NS_ATOM, "id"), 0);
    it->link = atom_link(w, entry, item_base(w));
    it->title = atom_text(w, child(entry, NS_ATOM, "title"), 1, &type);
    it->published = elem_date(w, child(entry, NS_ATOM, "published"));
    it->modified = elem_date(w, child(entry, NS_ATOM, "updated"));
    it->author = atom_authors(w, entry);
    if (it->author == NULL && (source = child(entry, NS_ATOM, "source")) != NULL) it->author = atom_authors(w, source);
    if (it->author == NULL && feed_authors) it->author = sp_xstrdup(feed_authors);
    if ((it->content = atom_text(w, child(entry, NS_ATOM, "content"), 0, &type)) == NULL)
        it->content = atom_text(w, child(entry, NS_ATOM, "summary"), 0, &type);
    it->content_type = type;
    finish_item(it);
}

/* ---- the document ------------------------------------------------------- */

static int item_valid(const feed_item *it) {
    const char *s[] = {it->id, it->link, it->title, it->published, it->modified, it->author, it->content};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        if (s[i] && !sp_utf8_valid(s[i], strlen(s[i]))) return 0;
    return 1;
}

void feed_free(feed *f) {
    if (f == NULL) return;
    for (size_t i = 0; i < f->n_items; i++) {
        feed_item *it = &f->items[i];
        free(it->id);
        free(it->link);
        free(it->title);
        free(it->published);
        free(it->modified);
        free(it->author);
        free(it->content);
    }
    free(f->items);
    free(f->title);
    free(f->link);
    memset(f, 0, sizeof *f);
}

/* libxml2's errors, collected: the first of the most severe. */
typedef struct errors {
    int level, line;
    char msg[200];
} errors;

#if LIBXML_VERSION >= 21200
static void on_error(void *ctx, const xmlError *e)
#else
static void on_error(void *ctx, xmlErrorPtr e)
#endif
{
    errors *er = ctx;
    size_t n;
    if (er == NULL || e == NULL || (int)e->level <= er->level) return;
    er->level = (int)e->level;
    er->line = e->line;
    snprintf(er->msg, sizeof er->msg, "%s", e->message ? e->message : "error");
    n = strlen(er->msg);
    while (n > 0 && is_xml_space(er->msg[n - 1])) er->msg[--n] = '\0';
}

static void on_generic_error(void *ctx, const char *msg, ...) {
    (void)ctx;
    (void)msg;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void init_libxml(void) { xmlInitParser(); }

static void set_err(char err[48], char detail[256], const char *code, const char *fmt, ...) {
    va_list ap;
    snprintf(err, 48, "%s", code);
    va_start(ap, fmt);
    vsnprintf(detail, 256, fmt, ap);
    va_end(ap);
    utf8_sanitize(detail);
    for (char *p = detail; *p; p++) /* libxml2's messages have line breaks: one line */
        if ((unsigned char)*p < 0x20 || *p == 0x7F) *p = ' ';
}

/* Describe element el as "<prefix:name>" or "<{ns}name>" for a detail. */
static void describe(xmlNodePtr el, char *buf, size_t size) {
    if (el->ns && el->ns->prefix)
        snprintf(buf, size, "<%s:%s> (%s)", (const char *)el->ns->prefix, (const char *)el->name,
                 (const char *)el->ns->href);
    else if (el->ns)
        snprintf(buf, size, "<%s> (%s)", (const char *)el->name, (const char *)el->ns->href);
    else
        snprintf(buf, size, "<%s>", (const char *)el->name);
}

/* The walk over a parsed document; 0, or -1 with err/detail set. */
static int walk(walker *w, xmlNodePtr root, feed *out, char err[48], char detail[256]) {
    size_t cap = 0;
    char what[200];
    const char *ns = NULL;

    if (strcmp((const char *)root->name, "rss") == 0) {
        /* RSS 0.9x/2.0: no namespace, though a few declare a default one */
        xmlNodePtr channel;
        ns = root->ns ? (const char *)root->ns->href : NULL;
        if ((channel = child(root, ns, "channel")) == NULL) {
            set_err(err, detail, "not_a_feed", "<rss> has no <channel>");
            return -1;
        }
        char *link = elem_text(w, child(channel, ns, "link"), 0);
        out->title = elem_text(w, child(channel, ns, "title"), 1);
        out->link = resolve(w, child(channel, ns, "link"), w->base_url, link);
        free(link);
        w->feed_link = out->link;
        for (xmlNodePtr c = channel->children; c && !w->over; c = c->next)
            if (is(c, ns, "item")) rss_item(w, c, ns, 0, add_item(out, &cap));
    } else if (is(root, NS_RDF, "RDF")) {
        /* RSS 1.0 (or 0.90): channel and items are siblings under rdf:RDF */
        xmlNodePtr channel = NULL;
        for (xmlNodePtr c = root->children; c && !ns; c = c->next)
            if (is(c, NS_RSS1, "channel") || is(c, NS_RSS1, "item")) ns = NS_RSS1;
            else if (is(c, NS_RSS090, "channel") || is(c, NS_RSS090, "item")) ns = NS_RSS090;
        if (ns == NULL) {
            set_err(err, detail, "not_a_feed", "<rdf:RDF> has no RSS 1.0 channel or item");
            return -1;
        }
        if ((channel = child(root, ns, "channel")) != NULL) {
            char *link = elem_text(w, child(channel, ns, "link"), 0);
            out->title = elem_text(w, child(channel, ns, "title"), 1);
            out->link = resolve(w, child(channel, ns, "link"), w->base_url, link);
            free(link);
            w->feed_link = out->link;
        }
        for (xmlNodePtr c = root->children; c && !w->over; c = c->next)
            if (is(c, ns, "item")) rss_item(w, c, ns, 1, add_item(out, &cap));
    } else if (is(root, NS_ATOM, "feed")) {
        const char *type;
        char *authors = atom_authors(w, root);
        out->title = atom_text(w, child(root, NS_ATOM, "title"), 1, &type);
        out->link = atom_link(w, root, w->base_url);
        w->feed_link = out->link;
        for (xmlNodePtr c = root->children; c && !w->over; c = c->next)
            if (is(c, NS_ATOM, "entry")) atom_entry(w, c, authors, add_item(out, &cap));
        free(authors);
    } else if (is(root, NS_ATOM, "entry")) { /* an Atom entry document (RFC 4287 2) */
        atom_entry(w, root, NULL, add_item(out, &cap));
    } else {
        describe(root, what, sizeof what);
        set_err(err, detail, "not_a_feed", "the root element is %s, not <rss>, <rdf:RDF> or an Atom <feed>", what);
        return -1;
    }

    if (w->over) {
        set_err(err, detail, "invalid_xml", "entity references expand to more than %zu bytes", w->budget_total);
        return -1;
    }
    if ((out->title && !sp_utf8_valid(out->title, strlen(out->title))) ||
        (out->link && !sp_utf8_valid(out->link, strlen(out->link)))) {
        set_err(err, detail, "invalid_xml", "the feed's title or link is not valid UTF-8");
        return -1;
    }
    for (size_t i = 0; i < out->n_items; i++)
        if (!item_valid(&out->items[i])) {
            set_err(err, detail, "invalid_xml", "item %zu has text that is not valid UTF-8", i + 1);
            return -1;
        }
    return 0;
}

int feed_parse(const char *data, size_t len, const char *base_url, feed *out, char err[48], char detail[256]) {
    errors er = {0};
    xmlDocPtr doc;
    xmlNodePtr root;
    int rc = -1;

    memset(out, 0, sizeof *out);
    err[0] = detail[0] = '\0';
    if (data == NULL || len == 0) {
        set_err(err, detail, "invalid_xml", "empty document");
        return -1;
    }
    if (len > INT_MAX) {
        set_err(err, detail, "invalid_xml", "the document has %zu bytes; libxml2 reads at most %d", len, INT_MAX);
        return -1;
    }
    pthread_once(&init_once, init_libxml);

    /* this thread's handlers, for as long as libxml2 runs here */
    xmlStructuredErrorFunc old_structured = xmlStructuredError;
    void *old_structured_ctx = xmlStructuredErrorContext;
    xmlGenericErrorFunc old_generic = xmlGenericError;
    void *old_generic_ctx = xmlGenericErrorContext;
    xmlSetStructuredErrorFunc(&er, on_error);
    xmlSetGenericErrorFunc(NULL, on_generic_error);

    doc = xmlReadMemory(data, (int)len, NULL, NULL, PARSE_OPTIONS);
    if (doc == NULL) {
        if (er.level > 0)
            set_err(err, detail, "invalid_xml", "line %d: %s", er.line, er.msg);
        else
            set_err(err, detail, "invalid_xml", "libxml2 could not parse the document");
    } else if ((root = xmlDocGetRootElement(doc)) == NULL) {
        set_err(err, detail, "invalid_xml", "no root element");
    } else {
        walker w = {0};
        w.doc = doc;
        w.base_url = base_url;
        w.budget = w.budget_total = len > ENTITY_BUDGET_MIN ? len : ENTITY_BUDGET_MIN;
        rc = walk(&w, root, out, err, detail);
        if (rc != 0) feed_free(out);
    }
    xmlFreeDoc(doc);

    xmlResetLastError();
    xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
    xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
    return rc;
}
