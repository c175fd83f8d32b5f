/* digest.h — the splitter's core: one document's text in, its stories out.
 *
 * A digest is recognised by its structure, each format by a rule of its
 * own (bulletin.c, brief.c, insights.c), tried in that order; a document
 * none of them recognises is one story (an article). No rule invents a
 * story or drops text silently: every line of the text ends up in a story,
 * or in `skipped` when a rule recognised it as the digest's header, a
 * section heading or its boilerplate. Pure: no JSON, no I/O. */
#ifndef DIGEST_H
#define DIGEST_H

#include <stddef.h>

#include "lines.h"

#define DIGEST_RULES_VERSION "2"

typedef struct digest_story {
    char *title;        /* malloc'ed, or NULL when the format has none */
    char *summary;
    char *body;         /* never NULL */
    char *url;
    char *outlet;
    char *photo_credit;
} digest_story;

typedef struct digest {
    const char *rule;   /* "bulletin", "brief", "insights", "article", "single" */
    digest_story *stories;
    size_t n, cap;
    line *skipped;      /* lines that are in no story, and why: */
    const char **skipped_why; /* "header", "heading", "boilerplate" */
    size_t n_skipped, cap_skipped;
} digest;

/* What the document says beside its text. */
typedef struct digest_hints {
    const char *title;  /* the document's title, or NULL */
    const char *excerpt;
    int article;        /* a WordPress post or an HTML page: one story unless a digest */
} digest_hints;

void digest_split(const char *text, size_t len, const digest_hints *hints, digest *out);
void digest_free(digest *d);

/* ---- for the rules ------------------------------------------------------- */

/* A new story, all NULL; the rule fills it. */
digest_story *digest_add(digest *d);
/* Record lines [from, to) as skipped for `why`. */
void digest_skip(digest *d, const text_lines *l, size_t from, size_t to, const char *why);
/* Lines [from, to) as one string: `sep` between lines of different
 * paragraphs, `line_sep` between lines of one paragraph. */
char *digest_join(const text_lines *l, size_t from, size_t to, const char *sep, const char *line_sep);
char *digest_strndup(const char *s, size_t n);
/* 1 if the line reads as boilerplate of a newsletter (subscribe, follow
 * us, our mission, copyright...). */
int digest_boilerplate(const line *ln);

/* The rules: each returns 1 when it recognised the text and filled `d`,
 * else 0 with `d` untouched. */
int rule_bulletin(const text_lines *l, digest *d);
int rule_brief(const text_lines *l, digest *d);
int rule_insights(const text_lines *l, digest *d);

#endif
