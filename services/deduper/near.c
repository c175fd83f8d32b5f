/* near.c — the in-memory SimHash band index (see near.h). Each band is a
 * table of chains, linked through per-entry links that carry the SimHash,
 * so an entry costs its 32 bytes plus 16 per band (and about 32 in the
 * title + summary table), and adding one never moves others. */
#include "near.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void near_init(near_index *ix, int bands) {
    memset(ix, 0, sizeof *ix);
    ix->bands = bands < 1 ? 1 : bands;
    ix->band_bits = 64 / ix->bands > 32 ? 32 : 64 / ix->bands;
    ix->table_bits = ix->band_bits < 16 ? ix->band_bits : 16;
    ix->heads = calloc((size_t)ix->bands << ix->table_bits, sizeof *ix->heads);
    if (ix->heads == NULL) abort();
}

void near_free(near_index *ix) {
    free(ix->heads);
    free(ix->links);
    free(ix->v);
    free(ix->briefs);
    memset(ix, 0, sizeof *ix);
}

void near_clear(near_index *ix) {
    memset(ix->heads, 0, ((size_t)ix->bands << ix->table_bits) * sizeof *ix->heads);
    if (ix->briefs) memset(ix->briefs, 0, ix->briefs_cap * sizeof *ix->briefs);
    ix->n = ix->briefs_n = 0;
}

void near_expire(near_index *ix, long today, long ttl) {
    near_entry *old = ix->v;
    size_t n = ix->n, kept = 0;
    for (size_t k = 0; k < n; k++) kept += today - old[k].day < ttl;
    if (kept == n) return;
    /* built again from the entries still fresh */
    ix->v = NULL;
    free(ix->links);
    ix->links = NULL;
    ix->cap = 0;
    near_clear(ix);
    for (size_t k = 0; k < n; k++)
        if (today - old[k].day < ttl) near_add(ix, old[k].simhash, old[k].id, old[k].brief, old[k].day);
    free(old);
}

/* The chain band b of a SimHash falls in. */
static size_t slot(const near_index *ix, int b, uint64_t simhash) {
    uint64_t mask = ix->band_bits == 64 ? ~0ull : (1ull << ix->band_bits) - 1;
    uint64_t v = (simhash >> (b * ix->band_bits)) & mask;
    if (ix->band_bits > ix->table_bits) /* a wide band: mix it into the table's bits */
        v = (v * 0x9E3779B97F4A7C15ull) >> (64 - ix->table_bits);
    return ((size_t)b << ix->table_bits) + (size_t)v;
}

/* Put entry k in the brief table (which has room). */
static void brief_put(near_index *ix, uint32_t k) {
    size_t mask = ix->briefs_cap - 1, i = (size_t)(ix->v[k].brief * 0x9E3779B97F4A7C15ull >> 20) & mask;
    while (ix->briefs[i].entry) i = (i + 1) & mask;
    ix->briefs[i] = (near_brief_slot){ix->v[k].brief, k + 1};
    ix->briefs_n++;
}

static void brief_add(near_index *ix, uint32_t k) {
    if ((ix->briefs_n + 1) * 2 > ix->briefs_cap) { /* grow, keeping it at most half full */
        near_brief_slot *old = ix->briefs;
        size_t old_cap = ix->briefs_cap;
        ix->briefs_cap = old_cap ? old_cap * 2 : 1024;
        ix->briefs = calloc(ix->briefs_cap, sizeof *ix->briefs);
        if (ix->briefs == NULL) abort();
        ix->briefs_n = 0;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].entry) brief_put(ix, old[i].entry - 1);
        free(old);
    }
    brief_put(ix, k);
}

int near_brief(const near_index *ix, uint64_t brief, uint64_t self, long today, long ttl, uint64_t *owner) {
    if (ix->briefs_cap == 0 || brief == 0) return 0;
    size_t mask = ix->briefs_cap - 1, i = (size_t)(brief * 0x9E3779B97F4A7C15ull >> 20) & mask;
    for (; ix->briefs[i].entry; i = (i + 1) & mask) {
        if (ix->briefs[i].brief != brief) continue;
        const near_entry *e = &ix->v[ix->briefs[i].entry - 1];
        if (e->id != self && today - e->day < ttl) {
            *owner = e->id;
            return 1;
        }
    }
    return 0;
}

void near_add(near_index *ix, uint64_t simhash, uint64_t id, uint64_t brief, long day) {
    size_t first = slot(ix, 0, simhash);
    for (uint32_t k = ix->heads[first]; k; k = ix->links[(k - 1) * (size_t)ix->bands].next)
        if (ix->links[(k - 1) * (size_t)ix->bands].simhash == simhash && ix->v[k - 1].id == id) {
            if (ix->v[k - 1].day < day) ix->v[k - 1].day = day;
            return;
        }
    if (ix->n == ix->cap) {
        ix->cap = ix->cap ? ix->cap * 2 : 1024;
        ix->v = sp_xrealloc(ix->v, ix->cap * sizeof *ix->v);
        ix->links = sp_xrealloc(ix->links, ix->cap * (size_t)ix->bands * sizeof *ix->links);
    }
    ix->v[ix->n] = (near_entry){simhash, id, brief, day};
    if (brief) brief_add(ix, (uint32_t)ix->n);
    for (int b = 0; b < ix->bands; b++) {
        size_t s = slot(ix, b, simhash);
        ix->links[ix->n * (size_t)ix->bands + (size_t)b] = (near_link){simhash, ix->heads[s]};
        ix->heads[s] = (uint32_t)(ix->n + 1);
    }
    ix->n++;
}

int near_best(const near_index *ix, uint64_t simhash, uint64_t self, long today, long ttl, int threshold,
              uint64_t *owner) {
    int best = -1;
    for (int b = 0; b < ix->bands; b++) {
        uint32_t k = ix->heads[slot(ix, b, simhash)];
        while (k) {
            const near_link *l = &ix->links[(k - 1) * (size_t)ix->bands + (size_t)b];
            int d = __builtin_popcountll(l->simhash ^ simhash);
            if (d <= threshold) { /* only now the entry itself */
                const near_entry *e = &ix->v[k - 1];
                if (e->id != self && today - e->day < ttl && (best < 0 || d < best || (d == best && e->id < *owner))) {
                    best = d;
                    *owner = e->id;
                }
            }
            k = l->next;
        }
    }
    return best;
}
