/* brief.c — briefs (seed 002): a news roundup of repeated blocks
 *
 *   Headline; headline                 header: the headlines, a welcome
 *   Welcome to this issue of ...       paragraph
 *   Title                              a block per story: its title, the
 *   Outlet                             outlet's name, one or more summary
 *   Summary paragraph...               paragraphs and the URL on a line of
 *   https://...                        its own
 *   Stay informed ... / Join the ...   boilerplate after the last block
 *
 * A block is found from its URL line backwards: the nearest line that
 * reads as an outlet's name (a few words, no sentence punctuation) right
 * below a line that reads as a title. Lines between a URL and the next
 * block's title belong to the story before; lines after the last URL are
 * skipped as boilerplate when they read as such, else they are one more
 * story, so no text is lost. */
#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "util.h"

static int outlet_like(const line *ln) {
    unsigned char first = (unsigned char)ln->s[0];
    char last = line_last(ln);
    if (line_words(ln) > 6 || ln->n > 60 || line_is_url(ln)) return 0;
    if (strchr(".,;:!?", last)) return 0;
    return (first >= 'A' && first <= 'Z') || (first >= '0' && first <= '9') || first >= 0x80;
}

static int title_like(const line *ln) { return line_words(ln) <= 30 && ln->n <= 300 && !line_is_url(ln); }

int rule_brief(const text_lines *l, digest *d) {
    size_t *title = sp_xmalloc((l->n + 1) * sizeof *title), *url = sp_xmalloc((l->n + 1) * sizeof *url);
    size_t blocks = 0, urls = 0, lo = 0;
    /* the blocks: [title, outlet, summary..., url] */
    for (size_t u = 0; u < l->n; u++) {
        if (!line_is_url(&l->v[u])) continue;
        urls++;
        for (size_t j = u >= 2 ? u - 2 : 0; j > lo && j + 2 <= u; j--) {
            if (outlet_like(&l->v[j]) && title_like(&l->v[j - 1])) {
                title[blocks] = j - 1;
                url[blocks++] = u;
                break;
            }
        }
        lo = u + 1;
    }
    if (blocks < 2 || blocks * 4 < urls * 3) {
        free(title);
        free(url);
        return 0;
    }
    digest_skip(d, l, 0, title[0], "header");
    for (size_t b = 0; b < blocks; b++) {
        digest_story *s = digest_add(d);
        size_t t = title[b], end = b + 1 < blocks ? title[b + 1] : url[b] + 1;
        s->title = digest_strndup(l->v[t].s, l->v[t].n);
        s->outlet = digest_strndup(l->v[t + 1].s, l->v[t + 1].n);
        s->summary = digest_join(l, t + 2, url[b], "\n\n", "\n");
        s->url = digest_strndup(l->v[url[b]].s, l->v[url[b]].n);
        /* what lies between this URL and the next title stays with this story */
        if (end > url[b] + 1) {
            char *more = digest_join(l, url[b] + 1, end, "\n\n", "\n");
            size_t n = strlen(s->summary) + strlen(more) + 3;
            s->body = sp_xmalloc(n);
            snprintf(s->body, n, "%s\n\n%s", s->summary, more);
            free(more);
        } else {
            s->body = sp_xstrdup(s->summary);
        }
    }
    /* after the last block: boilerplate, or text that is kept as a story */
    {
        size_t from = url[blocks - 1] + 1, kept = 0;
        for (size_t i = from; i < l->n; i++) kept += !digest_boilerplate(&l->v[i]);
        if (kept == 0) {
            digest_skip(d, l, from, l->n, "boilerplate");
        } else if (from < l->n) {
            digest_story *s = digest_add(d);
            s->body = digest_join(l, from, l->n, "\n\n", "\n");
        }
    }
    free(title);
    free(url);
    return 1;
}
