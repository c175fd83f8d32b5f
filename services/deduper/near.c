/* near.c — the in-memory SimHash band index (see near.h). Each band is a
 * table of slots of a cache line each, holding the SimHashes of the first
 * four entries that fall in it; the rest go to an array beside the slot.
 * A lookup reads one line per band for most slots, and asks for all the
 * bands' lines before it reads any, so their cache misses overlap: the
 * index is far bigger than the cache, and misses are what a lookup costs.
 * An entry costs its 32 bytes, 16 per band past a slot's fourth (and
 * 16 to 32 in the title + summary table); the slots are a fixed 64 bytes
 * each (16 MiB for 4 bands). */
#include "near.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util.h"

/* `bytes` of zeroes, in huge pages where the system gives them (Linux's
 * transparent huge pages, on request) for the tables lookups read at
 * random: the band slots' 16 MiB, with 4 KiB pages, missed the TLB about
 * every other read, and a page walk costs more than the cache miss itself
 * (more again in a virtual machine). */
static void *huge_calloc(size_t bytes) {
    void *p = NULL;
    size_t huge = (size_t)2 << 20, whole = (bytes + huge - 1) / huge * huge;
    if (bytes >= huge && posix_memalign(&p, huge, whole) == 0) {
#ifdef MADV_HUGEPAGE
        madvise(p, whole, MADV_HUGEPAGE); /* a hint: without it, 4 KiB pages */
#endif
        memset(p, 0, bytes);
        return p;
    }
    if ((p = calloc(1, bytes)) == NULL) abort();
    return p;
}

/* How many slots the bands have in all. */
static size_t slot_count(const near_index *ix) { return (size_t)ix->bands << ix->table_bits; }

void near_init(near_index *ix, int bands) {
    memset(ix, 0, sizeof *ix);
    ix->bands = bands < 1 ? 1 : bands;
    ix->band_bits = 64 / ix->bands > 32 ? 32 : 64 / ix->bands;
    ix->table_bits = ix->band_bits < 16 ? ix->band_bits : 16;
    ix->slots = huge_calloc(slot_count(ix) * sizeof *ix->slots);
}

/* Give back the arrays beside the slots: those ix->with_more lists (at
 * exit, a walk of all 16 MiB of slots read them back from memory). The
 * slots stay as they are. */
static void slots_free_more(near_index *ix) {
    for (size_t i = 0; i < ix->n_with_more; i++) {
        free(ix->with_more[i]->more);
        ix->with_more[i]->more = NULL;
        ix->with_more[i]->more_cap = 0;
    }
    ix->n_with_more = 0;
}

void near_free(near_index *ix) {
    slots_free_more(ix);
    free(ix->with_more);
    free(ix->slots);
    free(ix->v);
    free(ix->briefs);
    memset(ix, 0, sizeof *ix);
}

void near_clear(near_index *ix) {
    if (ix->n == 0) return; /* empty already (briefs come with entries): 16 MiB not written again */
    slots_free_more(ix);
    memset(ix->slots, 0, slot_count(ix) * sizeof *ix->slots);
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
    ix->cap = 0;
    near_clear(ix);
    for (size_t k = 0; k < n; k++)
        if (today - old[k].day < ttl) near_add(ix, old[k].simhash, old[k].id, old[k].brief, old[k].day);
    free(old);
}

/* The slot band b of a SimHash falls in. */
static size_t slot(const near_index *ix, int b, uint64_t simhash) {
    uint64_t mask = ix->band_bits == 64 ? ~0ull : (1ull << ix->band_bits) - 1;
    uint64_t v = (simhash >> (b * ix->band_bits)) & mask;
    if (ix->band_bits > ix->table_bits) /* a wide band: mix it into the table's bits */
        v = (v * 0x9E3779B97F4A7C15ull) >> (64 - ix->table_bits);
    return ((size_t)b << ix->table_bits) + (size_t)v;
}

/* Where a brief's probe starts in the title + summary table. */
static size_t brief_slot(const near_index *ix, uint64_t brief) {
    return (size_t)(brief * 0x9E3779B97F4A7C15ull >> 20) & (ix->briefs_cap - 1);
}

/* Put entry k in the brief table (which has room). */
static void brief_put(near_index *ix, uint32_t k) {
    size_t mask = ix->briefs_cap - 1, i = brief_slot(ix, ix->v[k].brief);
    while (ix->briefs[i].entry) i = (i + 1) & mask;
    ix->briefs[i] = (near_brief_slot){(uint32_t)ix->v[k].brief, k + 1};
    ix->briefs_n++;
}

static void brief_add(near_index *ix, uint32_t k) {
    if ((ix->briefs_n + 1) * 2 > ix->briefs_cap) { /* grow, keeping it at most half full */
        near_brief_slot *old = ix->briefs;
        size_t old_cap = ix->briefs_cap;
        ix->briefs_cap = old_cap ? old_cap * 2 : 1024;
        ix->briefs = huge_calloc(ix->briefs_cap * sizeof *ix->briefs);
        ix->briefs_n = 0;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].entry) brief_put(ix, old[i].entry - 1);
        free(old);
    }
    brief_put(ix, k);
}

void near_prefetch(const near_index *ix, uint64_t simhash, uint64_t brief) {
    for (int b = 0; b < ix->bands; b++) __builtin_prefetch(&ix->slots[slot(ix, b, simhash)]);
    if (brief && ix->briefs_cap) __builtin_prefetch(&ix->briefs[brief_slot(ix, brief)]);
}

int near_brief(const near_index *ix, uint64_t brief, uint64_t self, long today, long ttl, uint64_t *owner) {
    if (ix->briefs_cap == 0 || brief == 0) return 0;
    size_t mask = ix->briefs_cap - 1, i = brief_slot(ix, brief);
    for (; ix->briefs[i].entry; i = (i + 1) & mask) {
        if (ix->briefs[i].tag != (uint32_t)brief) continue;
        const near_entry *e = &ix->v[ix->briefs[i].entry - 1];
        if (e->brief == brief && e->id != self && today - e->day < ttl) {
            *owner = e->id;
            return 1;
        }
    }
    return 0;
}

/* Entry j of a slot: its SimHash and entry index + 1. */
static uint64_t slot_get(const near_slot *sl, uint32_t j, uint32_t *entry) {
    if (j < NEAR_SLOT_INLINE) return *entry = sl->entry[j], sl->simhash[j];
    return *entry = sl->more[j - NEAR_SLOT_INLINE].entry, sl->more[j - NEAR_SLOT_INLINE].simhash;
}

static void slot_put(near_index *ix, near_slot *sl, uint64_t simhash, uint32_t entry) {
    if (sl->n < NEAR_SLOT_INLINE) {
        sl->simhash[sl->n] = simhash;
        sl->entry[sl->n] = entry;
    } else {
        uint32_t j = sl->n - NEAR_SLOT_INLINE;
        if (sl->more_cap == 0) { /* its first array */
            if (ix->n_with_more == ix->with_more_cap) {
                ix->with_more_cap = ix->with_more_cap ? 2 * ix->with_more_cap : 1024;
                ix->with_more = sp_xrealloc(ix->with_more, ix->with_more_cap * sizeof *ix->with_more);
            }
            ix->with_more[ix->n_with_more++] = sl;
        }
        if (j == sl->more_cap) {
            sl->more_cap = sl->more_cap ? sl->more_cap * 2 : 4;
            sl->more = sp_xrealloc(sl->more, sl->more_cap * sizeof *sl->more);
        }
        sl->more[j] = (near_more){simhash, entry};
    }
    sl->n++;
}

void near_add(near_index *ix, uint64_t simhash, uint64_t id, uint64_t brief, long day) {
    const near_slot *first = &ix->slots[slot(ix, 0, simhash)];
    for (uint32_t j = 0; j < first->n; j++) {
        uint32_t k;
        if (slot_get(first, j, &k) == simhash && ix->v[k - 1].id == id) {
            if (ix->v[k - 1].day < day) ix->v[k - 1].day = day;
            return;
        }
    }
    if (ix->n == ix->cap) {
        ix->cap = ix->cap ? ix->cap * 2 : 1024;
        ix->v = sp_xrealloc(ix->v, ix->cap * sizeof *ix->v);
    }
    ix->v[ix->n] = (near_entry){simhash, id, brief, day};
    if (brief) brief_add(ix, (uint32_t)ix->n);
    for (int b = 0; b < ix->bands; b++) slot_put(ix, &ix->slots[slot(ix, b, simhash)], simhash, (uint32_t)(ix->n + 1));
    ix->n++;
}

int near_best(const near_index *ix, uint64_t simhash, uint64_t self, long today, long ttl, int threshold,
              uint64_t *owner) {
    int best = -1;
    near_prefetch(ix, simhash, 0); /* all the bands' misses at once */
    for (int b = 0; b < ix->bands; b++) {
        const near_slot *sl = &ix->slots[slot(ix, b, simhash)];
        for (uint32_t j = 0; j < sl->n; j++) {
            uint32_t k;
            int d = __builtin_popcountll(slot_get(sl, j, &k) ^ simhash);
            if (d <= threshold) { /* only now the entry itself */
                const near_entry *e = &ix->v[k - 1];
                if (e->id != self && today - e->day < ttl && (best < 0 || d < best || (d == best && e->id < *owner))) {
                    best = d;
                    *owner = e->id;
                }
            }
        }
    }
    return best;
}
