/* shortcode.c — recognising WordPress shortcodes (see shortcode.h). */
#include "shortcode.h"

#include <string.h>
#include <strings.h>

#include "ids.h"
#include "util.h"

#define MAX_NAME 48
#define MAX_TAG 4096 /* a tag longer than this is text */

static int is_alpha(char ch) { return (ch | 32) >= 'a' && (ch | 32) <= 'z'; }
static int is_name(char ch) { return is_alpha(ch) || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'; }
static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f'; }

int sc_parse(const char *p, const char *end, sc_tag *t) {
    const char *q = p + 1, *lim;
    memset(t, 0, sizeof *t);
    if (q < end && *q == '/') t->closing = 1, q++;
    if (q >= end || !is_alpha(*q)) return 0;
    t->name = q;
    while (q < end && is_name(*q)) q++;
    t->name_len = (size_t)(q - t->name);
    if (q >= end || t->name_len > MAX_NAME || !(*q == ']' || is_space(*q) || *q == '/')) return 0;
    lim = end - q > MAX_TAG ? q + MAX_TAG : end;
    while (q < lim && *q != ']') {
        if (*q == '<' || *q == '[') return 0; /* markup inside: not a tag */
        if (*q == '=') {
            const char *name_end = q;
            t->has_attrs = 1;
            q++;
            if (q < lim && (*q == '"' || *q == '\'')) { /* a quoted value may hold ']' */
                const char *v = q + 1, *e = memchr(v, *q, (size_t)(lim - v));
                if (e == NULL) return 0;
                while (name_end > t->name && is_space(name_end[-1])) name_end--;
                if (name_end - t->name >= 7 && strncasecmp(name_end - 7, "caption", 7) == 0 &&
                    (name_end - 7 == t->name || is_space(name_end[-8]))) {
                    t->caption = v;
                    t->caption_len = (size_t)(e - v);
                }
                q = e + 1;
            }
            continue;
        }
        q++;
    }
    if (q >= lim) return 0;
    t->self_closing = q[-1] == '/' && !t->closing;
    t->end = q + 1;
    return 1;
}

int sc_known(const char *name, size_t n) {
    static const char *const names[] = {
        "caption", "wp_caption", "embed", "gallery", "audio", "video", "playlist", "contact-form-7",
        "contact-form", "gravityform", "gravityforms", "ninja_form", "wpforms", "mc4wp_form",
        "instagram-feed", "custom-twitter-feeds", "ad", "adsense", "related", "toc", NULL};
    static const char *const prefixes[] = {"vc_", "et_pb_", "fusion_", "av_", "su_", "tie_", "cs_", NULL};
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == n && strncasecmp(names[i], name, n) == 0) return 1;
    for (int i = 0; prefixes[i]; i++)
        if (n > strlen(prefixes[i]) && strncasecmp(prefixes[i], name, strlen(prefixes[i])) == 0) return 1;
    return 0;
}

/* ---- the index: hash of the lower-case name -> last closing tag ------------ */

struct sc_index {
    uint64_t *hash; /* 0: empty slot */
    size_t *pos;
    size_t cap, n;
};

static uint64_t name_hash(const char *name, size_t n) {
    char low[MAX_NAME];
    uint64_t h;
    for (size_t i = 0; i < n; i++) low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    h = sp_hash64(low, n);
    return h ? h : 1;
}

static void put(sc_index *ix, uint64_t h, size_t pos) {
    size_t i;
    if ((ix->n + 1) * 2 > ix->cap) { /* grow: rehash into twice the room */
        sc_index old = *ix;
        ix->cap = old.cap ? old.cap * 2 : 64;
        ix->hash = sp_xmalloc(ix->cap * sizeof *ix->hash);
        ix->pos = sp_xmalloc(ix->cap * sizeof *ix->pos);
        memset(ix->hash, 0, ix->cap * sizeof *ix->hash);
        ix->n = 0;
        for (size_t k = 0; k < old.cap; k++)
            if (old.hash[k]) put(ix, old.hash[k], old.pos[k]);
        free(old.hash);
        free(old.pos);
    }
    for (i = h & (ix->cap - 1); ix->hash[i] && ix->hash[i] != h; i = (i + 1) & (ix->cap - 1))
        ;
    if (ix->hash[i] == 0) ix->n++;
    ix->hash[i] = h;
    ix->pos[i] = pos; /* positions come in order: the last one wins */
}

sc_index *sc_index_new(const char *text, size_t len) {
    sc_index *ix = sp_xmalloc(sizeof *ix);
    const char *p = text, *end = text + len;
    memset(ix, 0, sizeof *ix);
    while (p < end && (p = memchr(p, '[', (size_t)(end - p))) != NULL) {
        sc_tag t;
        if (end - p > 2 && p[1] == '/' && sc_parse(p, end, &t)) put(ix, name_hash(t.name, t.name_len), (size_t)(p - text));
        p++;
    }
    return ix;
}

int sc_closed_after(const sc_index *ix, const char *name, size_t n, size_t pos) {
    uint64_t h;
    if (ix == NULL || ix->cap == 0 || n > MAX_NAME) return 0;
    h = name_hash(name, n);
    for (size_t i = h & (ix->cap - 1); ix->hash[i]; i = (i + 1) & (ix->cap - 1))
        if (ix->hash[i] == h) return ix->pos[i] > pos;
    return 0;
}

void sc_index_free(sc_index *ix) {
    if (ix == NULL) return;
    free(ix->hash);
    free(ix->pos);
    free(ix);
}
