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

size_t sp_seen_bucket_key(char *key, const char *prefix, char kind, unsigned bucket) {
    size_t n = put_prefix(key, prefix);
    key[n++] = kind;
    key[n++] = (char)(bucket >> 8);
    key[n++] = (char)bucket;
    return n;
}

size_t sp_seen_key(char *key, const char *prefix, char kind, uint64_t h, int bucket_bits, char field[SP_SEEN_FIELD]) {
    for (int i = 0; i < SP_SEEN_FIELD; i++) field[i] = (char)(h >> (40 - 8 * i));
    return sp_seen_bucket_key(key, prefix, kind, (unsigned)(h >> (64 - bucket_bits)));
}

size_t sp_seen_near_key(char *key, const char *prefix, long day) {
    size_t n = put_prefix(key, prefix);
    return n + (size_t)snprintf(key + n, SP_SEEN_KEY_MAX - n, "n%d:%ld", SP_SEEN_NEAR_VERSION, day);
}

size_t sp_seen_writer_key(char *key, const char *prefix, uint32_t writer) {
    size_t n = put_prefix(key, prefix);
    key[n++] = 'w';
    for (int i = 3; i >= 0; i--) key[n++] = (char)(writer >> (8 * i));
    return n;
}

size_t sp_seen_stats_key(char *key, const char *prefix) {
    size_t n = put_prefix(key, prefix);
    memcpy(key + n, "stats", 5);
    return n + 5;
}

static size_t layout_key(char *key, const char *prefix) {
    size_t n = put_prefix(key, prefix);
    memcpy(key + n, "layout", 6);
    return n + 6;
}

/* A layout value ("bucket-bits N", N in range) into *bits: 0, or -1. */
static int layout_parse(const char *v, size_t len, int *bits) {
    char buf[32];
    int n = 0;
    if (len >= sizeof buf) return -1;
    memcpy(buf, v, len);
    buf[len] = '\0';
    if (sscanf(buf, "bucket-bits %d%n", bits, &n) != 1 || (size_t)n != len || *bits < SP_SEEN_BUCKET_BITS_MIN ||
        *bits > SP_SEEN_BUCKET_BITS_MAX)
        return -1;
    return 0;
}

int sp_seen_layout(redisContext *c, const char *prefix, int claim_bits, int *bits) {
    char key[SP_SEEN_KEY_MAX], v[32];
    size_t kn = layout_key(key, prefix);
    redisReply *r;
    int rc = -1;
    *bits = 0;
    if (claim_bits) {
        snprintf(v, sizeof v, "bucket-bits %d", claim_bits);
        r = redisCommand(c, "SET %b %s NX", key, kn, v);
        rc = r == NULL ? -1 : r->type == REDIS_REPLY_STATUS ? 0 : r->type == REDIS_REPLY_NIL ? 1 : -1;
        if (r) freeReplyObject(r);
        if (rc == 0) *bits = claim_bits; /* OK: ours now */
        if (rc != 1) return rc;          /* else another value is there */
    }
    r = redisCommand(c, "GET %b", key, kn);
    if (r == NULL) return -1;
    if (r->type == REDIS_REPLY_NIL) rc = 0;
    else if (r->type == REDIS_REPLY_STRING) rc = layout_parse(r->str, r->len, bits) == 0 ? 0 : -2;
    else if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "WRONGTYPE", 9) == 0) rc = -2; /* another kind of key */
    else rc = -1;
    if (rc != 0) *bits = 0;
    freeReplyObject(r);
    return rc;
}

uint64_t sp_seen_url_hash(const char *canonical_url) { return sp_hash64(canonical_url, strlen(canonical_url)); }

/* Without a branch a digit: ids are random hex, and a branch on digit or
 * letter was mispredicted half the time (1.2% of the deduper's cycles). */
int sp_seen_story_bytes(const char *story_id, size_t len, uint8_t out[8]) {
    unsigned bad = 0;
    if (len != 16) return -1;
    for (int i = 0; i < 16; i += 2) {
        unsigned hi = (unsigned char)story_id[i], lo = (unsigned char)story_id[i + 1];
        bad |= !(hi - '0' <= 9 || hi - 'a' <= 5) | !(lo - '0' <= 9 || lo - 'a' <= 5);
        /* '0'-'9' are 0x30-0x39, 'a'-'f' 0x61-0x66: the low nibble, + 9 for a letter */
        out[i / 2] = (uint8_t)(((hi & 0xF) + 9 * (hi >> 6)) << 4 | ((lo & 0xF) + 9 * (lo >> 6)));
    }
    return bad ? -1 : 0;
}

void sp_seen_claim_encode(uint64_t owner, long day, char v[SP_SEEN_CLAIM]) {
    for (int i = 0; i < 8; i++) v[i] = (char)(owner >> (56 - 8 * i));
    v[8] = (char)(day >> 8);
    v[9] = (char)day;
}

int sp_seen_claim_decode(const char *v, size_t len, uint64_t *owner, long *day) {
    const unsigned char *u = (const unsigned char *)v;
    if (len != SP_SEEN_CLAIM) return -1;
    *owner = 0;
    for (int i = 0; i < 8; i++) *owner = *owner << 8 | u[i];
    *day = (long)u[8] << 8 | u[9];
    return 0;
}

void sp_seen_story_hex(uint64_t id, char out[17]) {
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) out[i] = hex[(id >> (60 - 4 * i)) & 15];
    out[16] = '\0';
}

long sp_seen_today(void) { return (long)(time(NULL) / 86400); }

int sp_seen_url_owner(redisContext *c, const char *prefix, int bucket_bits, const char *canonical_url, char owner[17],
                      long *day) {
    char key[SP_SEEN_KEY_MAX], field[SP_SEEN_FIELD];
    size_t kn = sp_seen_key(key, prefix, 'u', sp_seen_url_hash(canonical_url), bucket_bits, field);
    redisReply *r = redisCommand(c, "HGET %b %b", key, kn, field, (size_t)SP_SEEN_FIELD);
    int rc = -1;
    uint64_t id;
    if (r && r->type == REDIS_REPLY_NIL) rc = 0;
    else if (r && r->type == REDIS_REPLY_STRING && sp_seen_claim_decode(r->str, r->len, &id, day) == 0) {
        sp_seen_story_hex(id, owner);
        rc = 1;
    }
    if (r) freeReplyObject(r);
    return rc;
}

int sp_seen_url_forget(redisContext *c, const char *prefix, int bucket_bits, const char *canonical_url) {
    char key[SP_SEEN_KEY_MAX], field[SP_SEEN_FIELD];
    size_t kn = sp_seen_key(key, prefix, 'u', sp_seen_url_hash(canonical_url), bucket_bits, field);
    redisReply *r = redisCommand(c, "HDEL %b %b", key, kn, field, (size_t)SP_SEEN_FIELD);
    int rc = r && r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
    if (r) freeReplyObject(r);
    return rc;
}
