/* insights.c — insight lists (seed 004): a lead paragraph, a heading that
 * announces a list ("Related Insights", "Key takeaways", "In brief"...),
 * then one item per paragraph. The lead is a story, each item is a story
 * (none has a title or URL); the heading is skipped, and so is boilerplate
 * after the last item.
 *
 * What tells it from an article with a subheading: the heading's words
 * announce a list, it comes after at most three lead paragraphs, at least
 * three items follow it, and each item is one paragraph of at most 150
 * words. */
#include <string.h>

#include "digest.h"
#include "util.h"

static int heading_like(const line *ln) {
    static const char *const words[] = {
        "insight", "takeaway", "highlight", "key point", "key fact", "related", "in brief", "briefs",
        "top stories", "more stories", "quick hits", "headlines", "what we're reading", "also in the news",
        "in other news", "bullet", NULL};
    char buf[96], last = line_last(ln);
    if (line_words(ln) > 8 || ln->n >= sizeof buf || strchr(".,;!?", last)) return 0;
    for (size_t i = 0; i < ln->n; i++) buf[i] = (char)(ln->s[i] >= 'A' && ln->s[i] <= 'Z' ? ln->s[i] + 32 : ln->s[i]);
    buf[ln->n] = '\0';
    for (int i = 0; words[i]; i++)
        if (strstr(buf, words[i])) return 1;
    return 0;
}

int rule_insights(const text_lines *l, digest *d) {
    size_t h = l->n, first_item, items = 0, end;
    /* the heading: a paragraph of one line, among the first four paragraphs */
    for (size_t i = 1; i < l->n && l->v[i].para <= 3; i++) {
        int alone = l->v[i - 1].para != l->v[i].para && (i + 1 == l->n || l->v[i + 1].para != l->v[i].para);
        if (alone && heading_like(&l->v[i])) {
            h = i;
            break;
        }
    }
    if (h == l->n) return 0;
    first_item = h + 1;
    /* the items: paragraphs of one or more lines; trailing boilerplate aside */
    end = l->n;
    while (end > first_item && digest_boilerplate(&l->v[end - 1])) end--;
    for (size_t i = first_item; i < end; i++) {
        size_t words = 0, j = i;
        while (j < end && l->v[j].para == l->v[i].para) words += line_words(&l->v[j++]);
        if (words > 150) return 0;
        items++;
        i = j - 1;
    }
    if (items < 3) return 0;

    digest_story *s = digest_add(d);
    s->body = digest_join(l, 0, h, "\n\n", "\n");
    digest_skip(d, l, h, h + 1, "heading");
    for (size_t i = first_item; i < end; i++) {
        size_t j = i;
        while (j < end && l->v[j].para == l->v[i].para) j++;
        s = digest_add(d);
        s->body = digest_join(l, i, j, "\n\n", "\n");
        i = j - 1;
    }
    digest_skip(d, l, end, l->n, "boilerplate");
    return 1;
}
