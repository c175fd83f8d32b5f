/* dedup.c — each story once (news.stories -> news.unique, news.duplicates).
 *
 * For a batch of stories (the prepare hook) the deduper works out what
 * each is compared by — its canonical URL, the hash of its normalised text,
 * and its SimHash, or for a short story the hash of its title and summary
 * (fingerprint.c), and the hash of its title and summary when it has both
 * — and asks Redis for every decision in one pipelined
 * round trip (store.c, decide.lua). The transform then emits each story
 * with its decision:
 *   new        never seen: news.unique, revision 1
 *   update     the same story_id with other text: news.unique, revision + 1
 *   replay     the same story_id and text: not emitted (--reemit: emitted),
 *              unless its earlier emission never reached Kafka
 *   duplicate  another story's URL, text, or near text: news.duplicates
 * Decisions are recorded as pending; once the stories' emission is durable
 * (the committed hook: the transaction committed) they are confirmed, so a
 * story decided but never delivered is emitted again when it comes back.
 * Redis down: prepare fails as transient and the runtime retries with
 * backoff, consuming nothing meanwhile. */
#include "dedup.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fields.h"
#include "fingerprint.h"
#include "ids.h"
#include "log.h"
#include "seen.h"
#include "store.h"
#include "url.h"
#include "util.h"
#include "version.h"

dedup_options dedup_opts = {"redis://127.0.0.1:6379/0", "sp:", "90", "6", "4", "50", NULL, NULL};

typedef struct dedup {
    store *store;
    size_t near_min_words;
    /* the batch prepare decided */
    json_t *msgs[SP_BATCH_MAX];
    store_story stories[SP_BATCH_MAX];
    store_decision decisions[SP_BATCH_MAX];
    size_t n;
    /* emitted since the last commit: confirmed once it is durable */
    store_story *emitted;
    size_t n_emitted, cap_emitted;
    /* test hook: die (SIGKILL) right after this many batches were decided
     * in Redis, before their stories reach Kafka */
    long crash_after;
} dedup;

int dedup_init(void **state) {
    dedup *d;
    long ttl, threshold, bands, min_words;
    store_options o;
    if (sp_parse_int(dedup_opts.ttl_days, 1, 36500, &ttl) != 0) {
        fprintf(stderr, "storypipe-deduper: invalid --ttl-days '%s' (1 to 36500)\n", dedup_opts.ttl_days);
        return SP_EXIT_USAGE;
    }
    if (sp_parse_int(dedup_opts.near_threshold, 0, 32, &threshold) != 0) {
        fprintf(stderr, "storypipe-deduper: invalid --near-threshold '%s' (0 to 32 bits)\n", dedup_opts.near_threshold);
        return SP_EXIT_USAGE;
    }
    if (sp_parse_int(dedup_opts.near_bands, 1, SP_SEEN_MAX_BANDS, &bands) != 0) {
        fprintf(stderr, "storypipe-deduper: invalid --near-bands '%s' (1 to %d)\n", dedup_opts.near_bands, SP_SEEN_MAX_BANDS);
        return SP_EXIT_USAGE;
    }
    if (sp_parse_int(dedup_opts.near_min_words, 1, 1000000, &min_words) != 0) {
        fprintf(stderr, "storypipe-deduper: invalid --near-min-words '%s'\n", dedup_opts.near_min_words);
        return SP_EXIT_USAGE;
    }
    if (strlen(dedup_opts.key_prefix) > 64) {
        fprintf(stderr, "storypipe-deduper: --key-prefix is longer than 64 bytes\n");
        return SP_EXIT_USAGE;
    }
    o = (store_options){dedup_opts.redis_url, dedup_opts.key_prefix, ttl, (int)threshold, (int)bands,
                        dedup_opts.reemit != NULL};
    d = sp_xmalloc(sizeof *d);
    memset(d, 0, sizeof *d);
    d->near_min_words = (size_t)min_words;
    /* STORYPIPE_TEST_CRASH_AFTER=N: tests/kafka/dedup_crash.sh's way to kill
     * the deduper between its Redis write and its Kafka commit */
    if (getenv("STORYPIPE_TEST_CRASH_AFTER")) d->crash_after = atol(getenv("STORYPIPE_TEST_CRASH_AFTER"));
    if ((d->store = store_new(&o)) == NULL) {
        fprintf(stderr, "storypipe-deduper: invalid --redis URL '%s'\n", dedup_opts.redis_url);
        free(d);
        return SP_EXIT_USAGE;
    }
    *state = d;
    return 0;
}

void dedup_fini(void *state) {
    dedup *d = state;
    if (d == NULL) return;
    store_free(d->store);
    free(d->emitted);
    free(d);
}

/* The story's canonical URL by the current rules (malloc'ed), or NULL. */
static char *canonical(json_t *story) {
    const char *url = json_string_value(json_object_get(story, "url"));
    const char *canon = json_string_value(json_object_get(story, "canonical_url"));
    char *c = url ? sp_url_canonical(url) : NULL;
    return c ? c : canon ? sp_url_canonical(canon) : NULL;
}

/* What the story is compared by; -1 if it is not a story we can decide. */
static int describe(dedup *d, json_t *story, store_story *st, sp_fail *fail) {
    const char *id, *body, *title, *summary;
    char *canon;
    fp_text fp;
    if (sp_check_story(story, fail) != 0) return -1;
    id = json_string_value(json_object_get(story, "story_id"));
    if (sp_seen_story_bytes(id, st->id) != 0) {
        sp_fail_set(fail, "invalid_value", "story_id is not 16 lowercase hex digits");
        return -1;
    }
    body = json_string_value(json_object_get(story, "body"));
    fp_compute(body, json_string_length(json_object_get(story, "body")), &fp);
    st->content = fp.exact;
    st->has_simhash = fp.words >= d->near_min_words;
    st->simhash = st->has_simhash ? fp.simhash : 0;
    st->has_brief = 0;
    st->brief = 0;
    title = json_string_value(json_object_get(story, "title"));
    summary = json_string_value(json_object_get(story, "summary"));
    /* title and summary together: a short story's stand-in for near text,
     * and for any story with both, a match as good as the text's */
    if ((title && summary) || (!st->has_simhash && (title || summary))) {
        size_t n = (title ? strlen(title) : 0) + (summary ? strlen(summary) : 0) + 2;
        char *ts = sp_xmalloc(n);
        fp_text f2;
        snprintf(ts, n, "%s\n%s", title ? title : "", summary ? summary : "");
        fp_compute(ts, strlen(ts), &f2);
        free(ts);
        st->brief = f2.exact;
        st->has_brief = 1;
    }
    canon = canonical(story);
    st->has_url = canon != NULL;
    st->url = canon ? sp_seen_url_hash(canon) : 0;
    free(canon);
    return 0;
}

sp_result dedup_prepare(void *state, json_t *const *msgs, size_t n, sp_fail *fail) {
    dedup *d = state;
    store_story st[SP_BATCH_MAX];
    store_decision dec[SP_BATCH_MAX];
    size_t idx[SP_BATCH_MAX], k = 0;
    sp_fail ignored;
    d->n = 0;
    for (size_t i = 0; i < n && i < SP_BATCH_MAX; i++)
        if (msgs[i] && json_is_object(msgs[i]) && describe(d, msgs[i], &st[k], &ignored) == 0) idx[k++] = i;
    if (k > 0 && store_decide(d->store, st, k, dec, fail) != 0) return SP_TRANSIENT;
    if (k > 0 && d->crash_after > 0 && --d->crash_after == 0) {
        sp_log(SP_LOG_WARN, "test_crash", "STORYPIPE_TEST_CRASH_AFTER: killing myself after deciding %zu stories", k);
        raise(SIGKILL);
    }
    for (size_t j = 0; j < k; j++) {
        d->msgs[j] = msgs[idx[j]];
        d->stories[j] = st[j];
        d->decisions[j] = dec[j];
    }
    d->n = k;
    return SP_OK;
}

static void remember(dedup *d, const store_story *st) {
    if (d->n_emitted == d->cap_emitted) {
        d->cap_emitted = d->cap_emitted ? d->cap_emitted * 2 : 256;
        d->emitted = sp_xrealloc(d->emitted, d->cap_emitted * sizeof *d->emitted);
    }
    d->emitted[d->n_emitted++] = *st;
}

static void emit(sp_outbox *out, json_t *story, const store_decision *dec) {
    json_t *o = json_copy(story), *info;
    char *canon = canonical(story);
    const char *id = json_string_value(json_object_get(story, "story_id"));
    json_object_set_new(o, "canonical_url", canon ? json_string(canon) : json_null());
    free(canon);
    if (strcmp(dec->decision, "duplicate") == 0) {
        info = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "decision", "duplicate", "duplicate_of", dec->owner, "reason",
                         dec->reason, "distance", dec->distance, "url_rules", SP_URL_RULES_VERSION,
                         "deduper_version", STORYPIPE_VERSION);
        json_object_set_new(o, "dedup", info);
        sp_emit(out, DEDUP_OUT_DUPLICATES, id, o);
    } else {
        info = json_pack("{s:s, s:i, s:s, s:s}", "decision", dec->decision, "revision", dec->revision, "url_rules",
                         SP_URL_RULES_VERSION, "deduper_version", STORYPIPE_VERSION);
        json_object_set_new(o, "dedup", info);
        sp_emit(out, DEDUP_OUT_UNIQUE, id, o);
    }
}

sp_result dedup_transform(void *state, json_t *story, const sp_input *in, sp_outbox *out, sp_fail *fail) {
    dedup *d = state;
    store_story st;
    store_decision dec;
    size_t i;
    (void)in;
    for (i = 0; i < d->n && d->msgs[i] != story; i++)
        ;
    if (i < d->n) { /* decided with its batch */
        st = d->stories[i];
        dec = d->decisions[i];
        d->msgs[i] = NULL;
    } else { /* not in the batch: invalid, or decided alone */
        if (describe(d, story, &st, fail) != 0) return SP_REJECT;
        if (store_decide(d->store, &st, 1, &dec, fail) != 0) return SP_TRANSIENT;
    }
    if (dec.emit) {
        emit(out, story, &dec);
        remember(d, &st);
    }
    return SP_OK;
}

void dedup_committed(void *state) {
    dedup *d = state;
    for (size_t i = 0; i < d->n_emitted; i += SP_BATCH_MAX)
        store_confirm(d->store, d->emitted + i, d->n_emitted - i < SP_BATCH_MAX ? d->n_emitted - i : SP_BATCH_MAX);
    d->n_emitted = 0;
}

void dedup_aborted(void *state) {
    dedup *d = state;
    d->n_emitted = 0; /* those stay pending: emitted again when they come back */
}
