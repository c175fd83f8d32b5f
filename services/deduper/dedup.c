/* dedup.c — seen-URL de-duplication with Redis.
 *
 * Foundation version: a story's identity in Redis is its canonical URL (or
 * its story_id when it has no URL). One atomic SET key story_id NX GET EX
 * ttl decides: no previous owner -> new; the same story_id -> a replay of
 * itself (re-emitted, so a story whose first emission was never committed
 * is not lost); another story_id -> duplicate, reason "url". */
#include "dedup.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fields.h"
#include "ids.h"
#include "log.h"
#include "redis.h"
#include "version.h"

dedup_options dedup_opts = {"redis://127.0.0.1:6379/0", "sp:", "90"};

typedef struct dedup {
    redisContext *redis;
    long ttl_seconds;
} dedup;

int dedup_init(void **state) {
    dedup *d = calloc(1, sizeof *d);
    long days;
    if (!sp_redis_url_valid(dedup_opts.redis_url)) {
        fprintf(stderr, "storypipe-deduper: invalid --redis URL '%s'\n", dedup_opts.redis_url);
        free(d);
        return SP_EXIT_USAGE;
    }
    if (sp_parse_int(dedup_opts.ttl_days, 1, 36500, &days) != 0) {
        fprintf(stderr, "storypipe-deduper: invalid --ttl-days '%s'\n", dedup_opts.ttl_days);
        free(d);
        return SP_EXIT_USAGE;
    }
    d->ttl_seconds = days * 86400;
    d->redis = sp_redis_connect(dedup_opts.redis_url); /* retried per story when down */
    *state = d;
    return 0;
}

void dedup_fini(void *state) {
    dedup *d = state;
    if (d && d->redis) redisFree(d->redis);
    free(d);
}

/* A compact, binary key: the prefix, a kind byte and the 128-bit XXH3 of
 * the identity (a URL of any length maps to 17 bytes after the prefix). */
static size_t dedup_key(char *key, size_t cap, char kind, const char *identity) {
    size_t plen = strlen(dedup_opts.key_prefix);
    uint8_t h[16];
    if (plen > cap - 17) plen = cap - 17;
    memcpy(key, dedup_opts.key_prefix, plen);
    key[plen] = kind;
    sp_hash128(identity, strlen(identity), h);
    memcpy(key + plen + 1, h, sizeof h);
    return plen + 1 + sizeof h;
}

static json_t *decorate(json_t *story, json_t *dedup_info) {
    json_t *o = json_copy(story);
    json_object_set_new(o, "dedup", dedup_info);
    return o;
}

sp_result dedup_transform(void *state, json_t *story, const sp_input *in, sp_outbox *out,
                          sp_fail *fail) {
    dedup *d = state;
    const char *story_id, *url;
    redisReply *rep;
    char key[256];
    size_t key_len;
    (void)in;

    if (sp_check_story(story, fail) != 0) return SP_REJECT;
    story_id = json_string_value(json_object_get(story, "story_id"));
    url = json_string_value(json_object_get(story, "canonical_url"));
    if (strlen(story_id) != 16 || strspn(story_id, "0123456789abcdef") != 16) {
        sp_fail_set(fail, "invalid_value", "story_id is not 16 hex digits");
        return SP_REJECT;
    }
    key_len = dedup_key(key, sizeof key, url ? 'u' : 's', url ? url : story_id);

    if (d->redis == NULL && (d->redis = sp_redis_connect(dedup_opts.redis_url)) == NULL) {
        sp_fail_set(fail, "redis_unavailable", "cannot connect to Redis");
        return SP_TRANSIENT;
    }
    rep = redisCommand(d->redis, "SET %b %s NX GET EX %ld", key, key_len, story_id, d->ttl_seconds);
    if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
        sp_fail_set(fail, "redis_unavailable", "%s", rep ? rep->str : d->redis->errstr);
        if (rep) freeReplyObject(rep);
        redisFree(d->redis);
        d->redis = NULL;
        return SP_TRANSIENT;
    }
    if (rep->type == REDIS_REPLY_NIL) {
        sp_emit(out, DEDUP_OUT_UNIQUE, story_id,
                decorate(story, json_pack("{s:s, s:i, s:s}", "decision", "new", "revision", 1,
                                          "deduper_version", STORYPIPE_VERSION)));
    } else if (rep->type == REDIS_REPLY_STRING && strcmp(rep->str, story_id) == 0) {
        sp_emit(out, DEDUP_OUT_UNIQUE, story_id,
                decorate(story, json_pack("{s:s, s:i, s:s}", "decision", "replay", "revision", 1,
                                          "deduper_version", STORYPIPE_VERSION)));
    } else if (rep->type == REDIS_REPLY_STRING) {
        sp_emit(out, DEDUP_OUT_DUPLICATES, story_id,
                decorate(story, json_pack("{s:s, s:s, s:s, s:i, s:s}", "decision", "duplicate", "duplicate_of",
                                          rep->str, "reason", "url", "distance", 0, "deduper_version",
                                          STORYPIPE_VERSION)));
    } else {
        sp_fail_set(fail, "redis_unavailable", "unexpected reply type %d", rep->type);
        freeReplyObject(rep);
        return SP_TRANSIENT;
    }
    freeReplyObject(rep);
    return SP_OK;
}
