/* store.c — decide.lua and confirm.lua over a pipelined connection (see
 * store.h). Scripts are loaded once (SCRIPT LOAD) and called by SHA; after
 * a Redis restart (NOSCRIPT) they are loaded again. */
#include "store.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "redis.h"
#include "seen.h"
#include "util.h"

extern const char deduper_decide_lua[], deduper_confirm_lua[];

struct store {
    store_options o;
    redisContext *redis;
    char decide_sha[41], confirm_sha[41];
    int bands, band_bits;
};

store *store_new(const store_options *o) {
    store *s;
    if (!sp_redis_url_valid(o->redis_url) || o->ttl_days < 1 || o->ttl_days > 36500 || o->threshold < 0 ||
        o->threshold > 32 || o->bands < 1 || o->bands > SP_SEEN_MAX_BANDS || strlen(o->prefix) > 64)
        return NULL;
    s = sp_xmalloc(sizeof *s);
    memset(s, 0, sizeof *s);
    s->o = *o;
    /* b bands: two fingerprints fewer than b bits apart agree on a band (and
     * further ones often do); a candidate is a near duplicate within the
     * threshold */
    s->bands = o->bands;
    s->band_bits = 64 / s->bands > 32 ? 32 : 64 / s->bands;
    return s;
}

void store_free(store *s) {
    if (s == NULL) return;
    if (s->redis) redisFree(s->redis);
    free(s);
}

static void disconnect(store *s) {
    if (s->redis) redisFree(s->redis);
    s->redis = NULL;
}

static int load(store *s, const char *script, char sha[41]) {
    redisReply *r = redisCommand(s->redis, "SCRIPT LOAD %s", script);
    int ok = r && r->type == REDIS_REPLY_STRING && r->len == 40;
    if (ok) memcpy(sha, r->str, 41);
    else sp_log(SP_LOG_ERROR, "redis_failed", "SCRIPT LOAD: %s", r && r->type == REDIS_REPLY_ERROR ? r->str : s->redis->errstr);
    if (r) freeReplyObject(r);
    return ok ? 0 : -1;
}

static int connect_redis(store *s, sp_fail *fail) {
    if (s->redis) return 0;
    if ((s->redis = sp_redis_connect(s->o.redis_url)) == NULL ||
        load(s, deduper_decide_lua, s->decide_sha) != 0 || load(s, deduper_confirm_lua, s->confirm_sha) != 0) {
        disconnect(s);
        if (fail) sp_fail_set(fail, "redis_unavailable", "cannot reach Redis at %s", s->o.redis_url);
        return -1;
    }
    return 0;
}

static void copy_str(char *dst, size_t cap, const redisReply *r) {
    size_t n = r && r->type == REDIS_REPLY_STRING ? r->len : 0;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(dst, r->str, n);
    dst[n] = '\0';
}

/* One story's EVALSHA into the pipeline. */
static void append_decide(store *s, const store_story *st, long today) {
    char keys[6 + SP_SEEN_MAX_BANDS][SP_SEEN_KEY_MAX], fields[4][SP_SEEN_FIELD];
    size_t klen[6 + SP_SEEN_MAX_BANDS];
    const char *argv[32];
    size_t argl[32];
    char nkeys[8], sday[24], sttl[24], sthr[8], content[8], sim[8];
    uint64_t id = 0;
    int a = 0, nk;
    for (int i = 0; i < 8; i++) id = id << 8 | st->id[i];
    klen[0] = sp_seen_key(keys[0], s->o.prefix, 'r', id, fields[0]);
    klen[1] = sp_seen_key(keys[1], s->o.prefix, 'u', st->url, fields[1]);
    klen[2] = sp_seen_key(keys[2], s->o.prefix, 'c', st->content, fields[2]);
    klen[3] = sp_seen_key(keys[3], s->o.prefix, 't', st->brief, fields[3]);
    klen[4] = sp_seen_stats_key(keys[4], s->o.prefix);
    nk = 5;
    if (st->has_simhash) {
        uint64_t mask = s->band_bits == 64 ? ~0ull : (1ull << s->band_bits) - 1;
        for (int b = 0; b < s->bands; b++, nk++)
            klen[nk] = sp_seen_band_key(keys[nk], s->o.prefix, b, (uint32_t)((st->simhash >> (b * s->band_bits)) & mask));
    }
    for (int i = 0; i < 8; i++) {
        content[i] = (char)(st->content >> (56 - 8 * i));
        sim[i] = (char)(st->simhash >> (56 - 8 * i));
    }
    snprintf(nkeys, sizeof nkeys, "%d", nk);
    snprintf(sday, sizeof sday, "%ld", today);
    snprintf(sttl, sizeof sttl, "%ld", s->o.ttl_days);
    snprintf(sthr, sizeof sthr, "%d", s->o.threshold);
#define ARG(p, n) (argv[a] = (p), argl[a++] = (n))
    ARG("EVALSHA", 7);
    ARG(s->decide_sha, 40);
    ARG(nkeys, strlen(nkeys));
    for (int k = 0; k < nk; k++) ARG(keys[k], klen[k]);
    ARG((const char *)st->id, 8);
    ARG(fields[0], SP_SEEN_FIELD);
    ARG(fields[1], st->has_url ? SP_SEEN_FIELD : 0);
    ARG(fields[2], SP_SEEN_FIELD);
    ARG(fields[3], st->has_brief ? SP_SEEN_FIELD : 0);
    ARG(sim, st->has_simhash ? 8 : 0);
    ARG(sday, strlen(sday));
    ARG(sttl, strlen(sttl));
    ARG(sthr, strlen(sthr));
    ARG(content, 8);
    ARG(s->o.reemit ? "1" : "0", 1);
#undef ARG
    redisAppendCommandArgv(s->redis, a, argv, argl);
}

/* Read one decision reply. 1 ok, 0 NOSCRIPT (reload and redo), -1 error. */
static int read_decision(store *s, store_decision *d) {
    redisReply *r = NULL;
    int rc = -1;
    if (redisGetReply(s->redis, (void **)&r) != REDIS_OK || r == NULL) return -1;
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        rc = 0;
    } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 6) {
        copy_str(d->decision, sizeof d->decision, r->element[0]);
        d->revision = (int)r->element[1]->integer;
        d->owner[0] = '\0';
        if (r->element[2]->type == REDIS_REPLY_STRING && r->element[2]->len == 8)
            for (int i = 0; i < 8; i++) snprintf(d->owner + 2 * i, 3, "%02x", (unsigned char)r->element[2]->str[i]);
        copy_str(d->reason, sizeof d->reason, r->element[3]);
        d->distance = (int)r->element[4]->integer;
        d->emit = (int)r->element[5]->integer;
        rc = 1;
    } else {
        sp_log(SP_LOG_ERROR, "redis_failed", "decide.lua: %s", r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    }
    freeReplyObject(r);
    return rc;
}

int store_decide(store *s, const store_story *st, size_t n, store_decision *out, sp_fail *fail) {
    long today = sp_seen_today();
    for (int attempt = 0; attempt < 2; attempt++) {
        int noscript = 0, err = 0;
        if (connect_redis(s, fail) != 0) return -1;
        for (size_t i = 0; i < n; i++) append_decide(s, &st[i], today);
        for (size_t i = 0; i < n; i++) { /* read every reply, even after a failure */
            int r = read_decision(s, &out[i]);
            if (r == 0) noscript = 1;
            else if (r < 0) err = 1;
        }
        if (err) {
            sp_fail_set(fail, "redis_unavailable", "Redis: %s", s->redis->err ? s->redis->errstr : "script error");
            disconnect(s);
            return -1;
        }
        if (!noscript) return 0;
        /* Redis lost its scripts (a restart): load them, then decide again */
        disconnect(s);
    }
    sp_fail_set(fail, "redis_unavailable", "Redis keeps forgetting the scripts");
    return -1;
}

int store_confirm(store *s, const store_story *st, size_t n) {
    size_t ok = 0;
    if (n == 0) return 0;
    if (connect_redis(s, NULL) != 0) return -1;
    for (size_t i = 0; i < n; i++) {
        char key[SP_SEEN_KEY_MAX], field[SP_SEEN_FIELD], content[8];
        uint64_t id = 0;
        size_t kn;
        for (int k = 0; k < 8; k++) id = id << 8 | st[i].id[k];
        for (int k = 0; k < 8; k++) content[k] = (char)(st[i].content >> (56 - 8 * k));
        kn = sp_seen_key(key, s->o.prefix, 'r', id, field);
        redisAppendCommand(s->redis, "EVALSHA %s 1 %b %b %b", s->confirm_sha, key, kn, field, (size_t)SP_SEEN_FIELD,
                           content, (size_t)8);
    }
    for (size_t i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(s->redis, (void **)&r) != REDIS_OK || r == NULL) break;
        ok += r->type == REDIS_REPLY_INTEGER;
        freeReplyObject(r);
    }
    if (ok < n) {
        sp_log(SP_LOG_WARN, "confirm_failed", "%zu of %zu stories left pending in Redis (re-emitted if replayed)",
               n - ok, n);
        disconnect(s);
        return -1;
    }
    return 0;
}
