/* seen.c — the seen-state's layout in Redis (see seen.h). */
#include "seen.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ids.h"

static size_t put_prefix(char *key, const char *prefix) {
    size_t n = strlen(prefix);
    if (n > SP_SEEN_KEY_MAX - 16) n = SP_SEEN_KEY_MAX - 16;
    memcpy(key, prefix, n);
    return n;
}

size_t sp_seen_key(char *key, const char *prefix, char kind, uint64_t h, char field[SP_SEEN_FIELD]) {
    size_t n = put_prefix(key, prefix);
    key[n++] = kind;
    key[n++] = (char)(h >> 56);
    key[n++] = (char)(h >> 48);
    for (int i = 0; i < SP_SEEN_FIELD; i++) field[i] = (char)(h >> (40 - 8 * i));
    return n;
}

size_t sp_seen_band_key(char *key, const char *prefix, int band, uint32_t value) {
    size_t n = put_prefix(key, prefix);
    key[n++] = 'b';
    key[n++] = (char)band;
    for (int i = 3; i >= 0; i--) key[n++] = (char)(value >> (8 * i));
    return n;
}

size_t sp_seen_stats_key(char *key, const char *prefix) {
    size_t n = put_prefix(key, prefix);
    memcpy(key + n, "stats", 5);
    return n + 5;
}

uint64_t sp_seen_url_hash(const char *canonical_url) { return sp_hash64(canonical_url, strlen(canonical_url)); }

int sp_seen_story_bytes(const char *story_id, uint8_t out[8]) {
    if (strlen(story_id) != 16) return -1;
    for (int i = 0; i < 8; i++) {
        unsigned v;
        if (sscanf(story_id + 2 * i, "%2x", &v) != 1 || strspn(story_id + 2 * i, "0123456789abcdef") < 2) return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

long sp_seen_today(void) { return (long)(time(NULL) / 86400); }

int sp_seen_url_owner(redisContext *c, const char *prefix, const char *canonical_url, char owner[17], long *day) {
    char key[SP_SEEN_KEY_MAX], field[SP_SEEN_FIELD];
    size_t kn = sp_seen_key(key, prefix, 'u', sp_seen_url_hash(canonical_url), field);
    redisReply *r = redisCommand(c, "HGET %b %b", key, kn, field, (size_t)SP_SEEN_FIELD);
    int rc = -1;
    if (r && r->type == REDIS_REPLY_NIL) rc = 0;
    else if (r && r->type == REDIS_REPLY_STRING && r->len == 10) {
        const unsigned char *v = (const unsigned char *)r->str;
        for (int i = 0; i < 8; i++) snprintf(owner + 2 * i, 3, "%02x", v[i]);
        *day = (long)v[8] << 8 | v[9];
        rc = 1;
    }
    if (r) freeReplyObject(r);
    return rc;
}

int sp_seen_url_forget(redisContext *c, const char *prefix, const char *canonical_url) {
    char key[SP_SEEN_KEY_MAX], field[SP_SEEN_FIELD];
    size_t kn = sp_seen_key(key, prefix, 'u', sp_seen_url_hash(canonical_url), field);
    redisReply *r = redisCommand(c, "HDEL %b %b", key, kn, field, (size_t)SP_SEEN_FIELD);
    int rc = r && r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
    if (r) freeReplyObject(r);
    return rc;
}
