/* store.c — the deduper's decisions, made here on state read from and
 * written to Redis in pipelined round trips (see store.h; keys in
 * common/seen.h).
 *
 * A batch:
 *   1. claims: per story HSETNX of its record, URL, text and (short
 *      stories) title + summary, sent as the stories come (store_add),
 *      together with the catch-up of the near log and one bucket of the
 *      sweep for expired entries;
 *   2. for the claims that were taken already: HGET of their owners, and of
 *      the record of a story seen before, sent as step 1's answers are read
 *      (then, for a record of another writer, GET of that writer's last
 *      committed batch);
 *   3. the decisions, in order, here (decide()); then what they change:
 *      a duplicate's record and the claims it must give back, an update's
 *      record, replays' refreshed days, the kept stories' near log entries,
 *      the counters, the sweep's deletions (sent every DECIDED_CHUNK
 *      decisions: Redis applies them while the next are decided).
 * A story that takes all its claims and has no near duplicate costs its
 * HSETNXs and 24 bytes of APPEND, nothing else. A long story's title and
 * summary are matched from memory (near.h), like its near text; a short
 * story's, its stand-in for near text, are a claim.
 *
 * Record value (22 bytes, big-endian): decision (0 taken, not yet decided;
 * 1 new; 2 update; 4 duplicate), 0, revision (2), day (2), content hash
 * (8), writer (4), batch (4); a duplicate adds owner (8), reason (1),
 * distance (1); a kept story the first 4 bytes of up to 3 earlier texts,
 * newest first, so that old revisions read again are replays, not edits.
 * A record still 0 when its batch is committed is a new story (only those
 * are not written again). Claim values: common/seen.h. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "near.h"
#include "redis.h"
#include "seen.h"
#include "util.h"

enum { DEC_TAKEN = 0, DEC_NEW = 1, DEC_UPDATE = 2, DEC_DUPLICATE = 4 };
enum { REASON_URL = 1, REASON_EXACT = 2, REASON_NEAR = 3 };
enum { CLAIM_RECORD, CLAIM_URL, CLAIM_TEXT, CLAIM_BRIEF, CLAIMS };
enum { STAT_NEW, STAT_UPDATE, STAT_REPLAY, STAT_URL, STAT_EXACT, STAT_NEAR, STATS };

#define RECORD_LEN 22
#define CHUNK_MIN 16        /* stories whose claims are sent at once: at least, */
#define CHUNK_MAX 128       /* at most */
#define DECIDED_CHUNK 256   /* decisions whose changes are sent at once */
#define HOLDERS_CHUNK 256   /* stories whose claims' answers are read before their holders are asked for */
#define PREFETCH_AHEAD 16   /* stories ahead of the decision whose near-index lines are asked for */
#define NEAR_DAYS 3         /* near logs caught up at each batch: yesterday, today, tomorrow */
#define NEAR_READ (8 << 20) /* bytes of near log read at once at start */
#define WRITERS 16          /* other writers' committed batches remembered */
#define DUP_BITS 12         /* store.dups: 2^12 slots, twice SP_BATCH_MAX */
#define DUP_SLOTS (1u << DUP_BITS)
_Static_assert(DUP_SLOTS >= 2 * SP_BATCH_MAX && SP_BATCH_MAX < 65535, "store.dups holds 1 + an index of the batch");

static const char KINDS[CLAIMS] = {'r', 'u', 'c', 't'};
static const char *const REASONS[] = {"", "url", "exact", "near"};
static const char *const STAT_NAMES[STATS] = {"new", "update", "replay", "duplicate_url", "duplicate_exact",
                                              "duplicate_near"};

typedef struct record {
    int dec, rev;
    long day;
    uint64_t content;
    uint32_t writer, batch;
    uint64_t owner; /* duplicates */
    int reason, distance;
    uint32_t earlier[3];
    int n_earlier;
} record;

/* One story of the batch under way. */
typedef struct item {
    store_story st;
    uint64_t id;
    int sent[CLAIMS]; /* sent in step 1 */
    int took[CLAIMS]; /* HSETNX took it */
    redisReply *got[CLAIMS]; /* step 2: what holds it */
    int dec;           /* its decision, for later stories of the batch */
    uint64_t owner;
} item;

typedef struct writer_batch {
    uint32_t writer, batch;
} writer_batch;

/* How much of a day's near log is in the index. */
typedef struct near_log {
    long day;
    long long offset;
} near_log;

struct store {
    store_options o;
    redisContext *redis;
    int broken; /* a command of the batch under way failed to go out */
    int open;   /* a batch is under way: store_begin went through, store_finish not yet */
    uint32_t writer, batch;
    uint32_t emitted;         /* this writer's last batch all emitted */
    uint32_t confirmed;       /* this writer's last batch queued to be confirmed (at most emitted) */
    writer_batch to_confirm[4], others[WRITERS];
    int n_to_confirm, n_others;
    near_index near;
    near_log logs[NEAR_DAYS];
    unsigned sweep; /* the next bucket the sweep reads */
    long long listpack_max; /* the server's hash-max-listpack-entries (128 when CONFIG is not allowed) */
    long long full_warned;  /* the largest bucket warned about */
    long today;
    item items[SP_BATCH_MAX];
    /* the batch's stories decided duplicates so far, by id: 1 + their
     * index, 0 for none (open addressing; holder() looks owners up here) */
    uint16_t dups[DUP_SLOTS];
    size_t n, flushed, expect; /* stories added, sent, to come in all */
    size_t unread; /* replies of store_committed's SETs, read with the next batch's */
    char *out; /* commands not yet handed to hiredis, as RESP */
    size_t out_len, out_cap;
};

static uint32_t new_writer(void) {
    uint32_t w = (uint32_t)sp_random64();
    return w ? w : 1;
}

store *store_new(const store_options *o) {
    store *s;
    int bits = o->bucket_bits ? o->bucket_bits : SP_SEEN_BUCKET_BITS;
    if (!sp_redis_url_valid(o->redis_url) || o->ttl_days < 1 || o->ttl_days > 36500 || o->threshold < 0 ||
        o->threshold > 32 || o->bands < 1 || o->bands > SP_SEEN_MAX_BANDS || strlen(o->prefix) > 64 ||
        bits < SP_SEEN_BUCKET_BITS_MIN || bits > SP_SEEN_BUCKET_BITS_MAX)
        return NULL;
    s = sp_xmalloc(sizeof *s);
    memset(s, 0, sizeof *s);
    s->o = *o;
    s->o.bucket_bits = bits;
    s->writer = new_writer();
    near_init(&s->near, o->bands);
    return s;
}

static void drop_replies(store *s) {
    for (size_t i = 0; i < s->n; i++)
        for (int c = 0; c < CLAIMS; c++)
            if (s->items[i].got[c]) {
                freeReplyObject(s->items[i].got[c]);
                s->items[i].got[c] = NULL;
            }
}

static int read_unread(store *s);

void store_free(store *s) {
    if (s == NULL) return;
    if (s->redis) read_unread(s); /* the last commit's SETs done before leaving */
    drop_replies(s);
    if (s->redis) redisFree(s->redis);
    near_free(&s->near);
    free(s->out);
    free(s);
}

static void disconnect(store *s) {
    if (s->redis) redisFree(s->redis);
    s->redis = NULL;
    s->unread = 0;
    s->out_len = 0; /* commands for the connection that is gone */
}

/* ------------------------------------------------------------ values */

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)(v >> 8), p[1] = (unsigned char)v; }
static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (24 - 8 * i));
}
static void put64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (56 - 8 * i));
}
static unsigned get16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t get32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint64_t get64(const unsigned char *p) { return (uint64_t)get32(p) << 32 | get32(p + 4); }

/* A day as the entries keep it (16 bits) is fresh when written less than
 * the TTL ago. */
static int fresh(const store *s, long day) { return (unsigned long)(s->today - day) % 65536 < (unsigned long)s->o.ttl_days; }

static size_t record_encode(const store *s, const record *r, unsigned char *v) {
    size_t n = RECORD_LEN;
    v[0] = (unsigned char)r->dec;
    v[1] = 0;
    put16(v + 2, (unsigned)r->rev);
    put16(v + 4, (unsigned)(s->today & 0xFFFF));
    put64(v + 6, r->content);
    put32(v + 14, s->writer);
    put32(v + 18, s->batch);
    if (r->dec == DEC_DUPLICATE) {
        put64(v + n, r->owner);
        v[n + 8] = (unsigned char)r->reason;
        v[n + 9] = (unsigned char)r->distance;
        n += 10;
    } else {
        for (int i = 0; i < r->n_earlier; i++, n += 4) put32(v + n, r->earlier[i]);
    }
    return n;
}

/* 0, or -1 when the value is not a record (then the story counts as never seen). */
static int record_decode(const redisReply *rp, record *r) {
    const unsigned char *v = (const unsigned char *)rp->str;
    size_t len = rp->len;
    if (rp->type != REDIS_REPLY_STRING || len < RECORD_LEN) return -1;
    memset(r, 0, sizeof *r);
    r->dec = v[0];
    r->rev = (int)get16(v + 2);
    r->day = (long)get16(v + 4);
    r->content = get64(v + 6);
    r->writer = get32(v + 14);
    r->batch = get32(v + 18);
    if (r->dec == DEC_DUPLICATE) {
        if (len != RECORD_LEN + 10 || v[RECORD_LEN + 8] < REASON_URL || v[RECORD_LEN + 8] > REASON_NEAR) return -1;
        r->owner = get64(v + RECORD_LEN);
        r->reason = v[RECORD_LEN + 8];
        r->distance = v[RECORD_LEN + 9];
    } else {
        if ((len - RECORD_LEN) % 4 != 0 || len > RECORD_LEN + 12) return -1;
        r->n_earlier = (int)(len - RECORD_LEN) / 4;
        for (int i = 0; i < r->n_earlier; i++) r->earlier[i] = get32(v + RECORD_LEN + 4 * i);
    }
    return r->dec == DEC_TAKEN || r->dec == DEC_NEW || r->dec == DEC_UPDATE || r->dec == DEC_DUPLICATE ? 0 : -1;
}

/* The day the value of a `kind` entry was written, or -1 when it is not
 * one (the sweep deletes those too). */
static long entry_day(char kind, const redisReply *v) {
    record r;
    uint64_t owner;
    long day;
    if (kind == 'r') return record_decode(v, &r) == 0 ? r.day : -1;
    return v->type == REDIS_REPLY_STRING && sp_seen_claim_decode(v->str, v->len, &owner, &day) == 0 ? day : -1;
}

/* ------------------------------------------------------------ Redis */

static size_t claim_key(const store *s, int claim, const item *it, char *key, char field[SP_SEEN_FIELD]) {
    uint64_t h = claim == CLAIM_RECORD ? it->id : claim == CLAIM_URL ? it->st.url
                 : claim == CLAIM_TEXT ? it->st.content : it->st.brief;
    return sp_seen_key(key, s->o.prefix, KINDS[claim], h, s->o.bucket_bits, field);
}

/* "*N\r\n" or "$N\r\n" at p; its length. N below 100 (every header of a
 * claim) without the loop. */
static size_t resp_header(char *p, char kind, size_t n) {
    char digits[24];
    size_t k = 0, len = 0;
    if (n < 100) {
        p[len++] = kind;
        if (n >= 10) p[len++] = (char)('0' + n / 10);
        p[len++] = (char)('0' + n % 10);
        p[len++] = '\r';
        p[len++] = '\n';
        return len;
    }
    do digits[k++] = (char)('0' + n % 10); while ((n /= 10) > 0);
    p[len++] = kind;
    while (k > 0) p[len++] = digits[--k];
    p[len++] = '\r';
    p[len++] = '\n';
    return len;
}

/* One command in RESP into s->out (what hiredis' formatting would give,
 * without parsing a format and allocating per argument: every command of a
 * batch goes this way, the claims being the hot path). */
static void resp(store *s, int argc, const char *const *argv, const size_t *lens) {
    size_t need = 16;
    for (int i = 0; i < argc; i++) need += lens[i] + 24;
    if (s->out_len + need > s->out_cap) {
        s->out_cap = (s->out_len + need) * 2;
        s->out = sp_xrealloc(s->out, s->out_cap);
    }
    s->out_len += resp_header(s->out + s->out_len, '*', (size_t)argc);
    for (int i = 0; i < argc; i++) {
        s->out_len += resp_header(s->out + s->out_len, '$', lens[i]);
        memcpy(s->out + s->out_len, argv[i], lens[i]);
        memcpy(s->out + s->out_len + lens[i], "\r\n", 2);
        s->out_len += lens[i] + 2;
    }
}

/* A command into s->out: its name and up to 4 arguments (the first NULL
 * ends them), each binary-safe with its length. */
static void command(store *s, const char *name, const void *a1, size_t n1, const void *a2, size_t n2,
                    const void *a3, size_t n3, const void *a4, size_t n4) {
    const char *argv[5] = {name, a1, a2, a3, a4};
    size_t lens[5] = {strlen(name), n1, n2, n3, n4};
    int argc = 1;
    while (argc < 5 && argv[argc]) argc++;
    resp(s, argc, argv, lens);
}

/* A number as a command argument: its digits in buf, their count. */
static size_t number(char buf[24], long long v) { return (size_t)snprintf(buf, 24, "%lld", v); }

/* Send what is buffered. -1 when the connection failed. */
static int flush(store *s) {
    int done = 0;
    if (s->out_len) {
        if (redisAppendFormattedCommand(s->redis, s->out, s->out_len) != REDIS_OK) return -1;
        s->out_len = 0;
    }
    while (!done)
        if (redisBufferWrite(s->redis, &done) != REDIS_OK) return -1;
    return 0;
}

/* One reply (the commands buffered sent first), or NULL when the
 * connection failed. */
static redisReply *reply(store *s) {
    redisReply *r = NULL;
    if (s->out_len && flush(s) != 0) return NULL;
    if (redisGetReply(s->redis, (void **)&r) != REDIS_OK) return NULL;
    return r;
}

/* Read n replies of commands whose answer does not matter (an error is
 * logged and counted in *refused), but for the integer answer of the one
 * at index `at`, in *at_value (left as it is if that one is no integer; at
 * SIZE_MAX: none wanted); -1 when the connection failed. */
static int drain_at(store *s, size_t n, size_t *refused, size_t at, long long *at_value) {
    *refused = 0;
    if (s->out_len && flush(s) != 0) return -1;
    for (size_t i = 0; i < n; i++) {
        redisReply *r;
        long long value;
        int got = sp_redis_get_integer(s->redis, &value, &r); /* most answers are integers */
        if (got < 0) return -1;
        if (got == 0) {
            if (i == at) *at_value = value;
            continue;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            sp_log(SP_LOG_ERROR, "redis_failed", "Redis: %s", r->str);
            (*refused)++;
        }
        freeReplyObject(r);
    }
    return 0;
}

static int drain(store *s, size_t n, size_t *refused) { return drain_at(s, n, refused, SIZE_MAX, NULL); }

/* Read the replies of store_committed's SETs. 0, or -1 when the connection
 * failed (a SET Redis refused is logged: the batch stays pending there, and
 * is emitted again if it comes back to another deduper). */
static int read_unread(store *s) {
    size_t n = s->unread, refused;
    s->unread = 0;
    if (drain(s, n, &refused) != 0) return -1;
    if (refused)
        sp_log(SP_LOG_WARN, "confirm_failed", "the decisions of a committed batch stay pending in Redis "
                                              "(re-emitted if replayed)");
    return 0;
}

/* Add the whole entries of a near log's bytes to the index; returns the
 * bytes they take. */
static size_t near_load(store *s, long day, const char *buf, size_t len) {
    const unsigned char *p = (const unsigned char *)buf;
    size_t k;
    for (k = 0; k + SP_SEEN_NEAR_ENTRY <= len; k += SP_SEEN_NEAR_ENTRY)
        near_add(&s->near, get64(p + k), get64(p + k + 8), get64(p + k + 16), day);
    return k;
}

static void log_catch_up(store *s, int k, const redisReply *r) {
    if (r->type == REDIS_REPLY_STRING) s->logs[k].offset += (long long)near_load(s, s->logs[k].day, r->str, r->len);
}

/* At (re)connection: the near logs of every day within the TTL, read into
 * an empty index. 0, or -1. */
static int near_reload(store *s) {
    long first = s->today - s->o.ttl_days - 1, last = s->today + 1;
    near_clear(&s->near);
    for (long day = first; day <= last; day++) {
        char key[SP_SEEN_KEY_MAX];
        size_t kn = sp_seen_near_key(key, s->o.prefix, day);
        long long off = 0;
        for (;;) {
            redisReply *r = redisCommand(s->redis, "GETRANGE %b %lld %lld", key, kn, off, off + NEAR_READ - 1);
            if (r == NULL || r->type != REDIS_REPLY_STRING) {
                if (r) freeReplyObject(r);
                return -1;
            }
            off += (long long)near_load(s, day, r->str, r->len);
            int more = r->len == NEAR_READ;
            freeReplyObject(r);
            if (!more) break;
        }
        if (day >= s->today - 1) s->logs[day - (s->today - 1)] = (near_log){day, off};
    }
    return 0;
}

/* Connect, check the state's layout (common/seen.h) and read the near
 * logs. 0; -1 when Redis cannot be reached; -2 when the state under the
 * prefix was written with other bucket bits (nothing is decided on it:
 * every claim would be looked for in the wrong bucket). */
static int connect_redis(store *s, sp_fail *fail) {
    int bits = 0, rc;
    if (s->redis) return 0;
    if ((s->redis = sp_redis_connect(s->o.redis_url)) == NULL ||
        (rc = sp_seen_layout(s->redis, s->o.prefix, s->o.bucket_bits, &bits)) == -1)
        goto unreachable;
    if (rc != 0 || bits != s->o.bucket_bits) {
        disconnect(s);
        if (fail && rc != 0)
            sp_fail_set(fail, "seen_layout_mismatch",
                        "the key %slayout in Redis at %s is not a seen-state layout (\"bucket-bits N\"): "
                        "another --key-prefix, or that key deleted", s->o.prefix, s->o.redis_url);
        else if (fail)
            sp_fail_set(fail, "seen_layout_mismatch",
                        "the seen-state under key prefix '%s' in Redis at %s was written with --bucket-bits %d, "
                        "not %d: run with --bucket-bits %d, or another --key-prefix (which starts over)",
                        s->o.prefix, s->o.redis_url, bits, s->o.bucket_bits, bits);
        return -2;
    }
    s->listpack_max = sp_redis_config_int(s->redis, "hash-max-listpack-entries", 128); /* 128: Redis's default */
    if (near_reload(s) != 0) goto unreachable;
    return 0;
unreachable:
    disconnect(s);
    if (fail) sp_fail_set(fail, "redis_unavailable", "cannot reach Redis at %s", s->o.redis_url);
    return -1;
}

int store_open(store *s, sp_fail *fail) { return connect_redis(s, fail); }

/* ------------------------------------------------------------ step 1 */

int store_begin(store *s, size_t expect, sp_fail *fail) {
    char key[SP_SEEN_KEY_MAX];
    long today = sp_seen_today();
    drop_replies(s);
    s->n = s->flushed = 0;
    s->expect = expect;
    s->out_len = 0;
    s->broken = 0;
    if (today != s->today) { /* a new day: the logs around it (read whole when new) */
        near_log logs[NEAR_DAYS];
        for (int k = 0; k < NEAR_DAYS; k++) {
            logs[k] = (near_log){today - 1 + k, 0};
            for (int j = 0; j < NEAR_DAYS; j++)
                if (s->logs[j].day == logs[k].day) logs[k].offset = s->logs[j].offset;
        }
        if (s->today && today - s->today > 1) disconnect(s); /* days went by unread: read everything again */
        memcpy(s->logs, logs, sizeof logs);
        s->today = today;
        near_expire(&s->near, today, s->o.ttl_days); /* what the TTL has let go of */
    }
    if (connect_redis(s, fail) != 0) return -1;
    s->batch++;
    s->open = 1;
    for (int k = 0; k < NEAR_DAYS; k++) {
        size_t kn = sp_seen_near_key(key, s->o.prefix, s->logs[k].day);
        char off[24];
        command(s, "GETRANGE", key, kn, off, number(off, s->logs[k].offset), "-1", 2, NULL, 0);
    }
    /* the sweep: one bucket of one kind per batch, round robin */
    unsigned buckets = 1u << s->o.bucket_bits;
    s->sweep = (s->sweep + 1) % (CLAIMS * buckets);
    size_t kn = sp_seen_bucket_key(key, s->o.prefix, KINDS[s->sweep / buckets], s->sweep % buckets);
    command(s, "HGETALL", key, kn, NULL, 0, NULL, 0, NULL, 0);
    return 0;
}

void store_add(store *s, const store_story *st) {
    item *it;
    record r;
    unsigned char rec[RECORD_LEN + 12];
    char claim[SP_SEEN_CLAIM];
    if (s->n >= SP_BATCH_MAX || s->redis == NULL) return;
    it = &s->items[s->n++];
    memset(it, 0, sizeof *it);
    it->st = *st;
    it->id = get64(st->id);
    memset(&r, 0, sizeof r);
    r.dec = DEC_TAKEN;
    r.rev = 1;
    r.content = st->content;
    size_t rn = record_encode(s, &r, rec);
    sp_seen_claim_encode(it->id, s->today, claim);
    for (int c = 0; c < CLAIMS; c++) {
        char key[SP_SEEN_KEY_MAX], field[SP_SEEN_FIELD];
        if ((c == CLAIM_URL && !st->has_url) || (c == CLAIM_BRIEF && (!st->has_brief || st->has_simhash))) continue;
        size_t kn = claim_key(s, c, it, key, field);
        if (c == CLAIM_RECORD) command(s, "HSETNX", key, kn, field, SP_SEEN_FIELD, rec, rn, NULL, 0);
        else command(s, "HSETNX", key, kn, field, SP_SEEN_FIELD, claim, SP_SEEN_CLAIM, NULL, 0);
        it->sent[c] = 1;
    }
    /* send a chunk: Redis takes the claims while the caller goes on. A
     * chunk is half the stories still to come, from CHUNK_MAX down to
     * CHUNK_MIN: each send wakes Redis up, which costs this process about
     * 18 µs here, so few sends; and the last ones short, as store_finish
     * waits for the answers of the last. (Larger chunks measured slower:
     * Redis was further behind at the end of the batch.) */
    size_t left = s->expect > s->flushed ? s->expect - s->flushed : 0, chunk = left / 2;
    chunk = chunk < CHUNK_MIN ? CHUNK_MIN : chunk > CHUNK_MAX ? CHUNK_MAX : chunk;
    if (s->n - s->flushed >= chunk) {
        if (flush(s) != 0) s->broken = 1;
        s->flushed = s->n;
    }
}

/* ------------------------------------------------------------ step 2 */

/* 1 when a writer's batch is known to be committed, 0 when it is known not
 * to be (this writer's), -1 when Redis must be asked. */
static int committed_at_least(const store *s, uint32_t writer, uint32_t batch) {
    if (writer == s->writer) return s->emitted >= batch; /* out already: it will be committed or aborted */
    for (int i = 0; i < s->n_others; i++)
        if (s->others[i].writer == writer && s->others[i].batch >= batch) return 1;
    return -1;
}

static void remember_writer(store *s, uint32_t writer, uint32_t batch) {
    int i;
    for (i = 0; i < s->n_others && s->others[i].writer != writer; i++)
        ;
    if (i == s->n_others) {
        if (s->n_others < WRITERS) s->n_others++;
        else i = (int)(writer % WRITERS); /* full: replace one */
    }
    s->others[i].writer = writer;
    s->others[i].batch = batch;
}

/* The claims' answers (step 1), and for each claim taken already the
 * HGET of its owner or record (step 2), sent as the answers are read
 * (every HOLDERS_CHUNK stories), not after all of them are: Redis looks
 * the first ones up while the last claims are still on their way. */
static int read_claims(store *s) {
    for (size_t i = 0; i < s->n; i++) {
        for (int c = 0; c < CLAIMS; c++) {
            redisReply *r;
            long long took;
            if (!s->items[i].sent[c]) continue;
            /* not reply(): it would send the HGETs queued so far at each answer */
            int got = sp_redis_get_integer(s->redis, &took, &r);
            if (got < 0) return -1;
            if (got > 0) {
                sp_log(SP_LOG_ERROR, "redis_failed", "HSETNX: %s", r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
                freeReplyObject(r);
                return -1;
            }
            s->items[i].took[c] = took == 1;
            if (!s->items[i].took[c]) {
                char key[SP_SEEN_KEY_MAX], field[SP_SEEN_FIELD];
                size_t kn = claim_key(s, c, &s->items[i], key, field);
                command(s, "HGET", key, kn, field, SP_SEEN_FIELD, NULL, 0, NULL, 0);
            }
        }
        if (i % HOLDERS_CHUNK == HOLDERS_CHUNK - 1 && flush(s) != 0) return -1;
    }
    return 0;
}

/* The answers of read_claims()'s HGETs: owners of the claims that were
 * taken already, records of stories seen before; then the committed
 * batches of the writers those name. */
static int read_holders(store *s) {
    for (size_t i = 0; i < s->n; i++)
        for (int c = 0; c < CLAIMS; c++)
            if (s->items[i].sent[c] && !s->items[i].took[c]) {
                redisReply *r = reply(s);
                if (r == NULL) return -1;
                if (r->type == REDIS_REPLY_ERROR) {
                    sp_log(SP_LOG_ERROR, "redis_failed", "HGET: %s", r->str);
                    freeReplyObject(r);
                    return -1;
                }
                s->items[i].got[c] = r;
            }
    /* writers */
    uint32_t asked[SP_BATCH_MAX];
    size_t n_asked = 0;
    for (size_t i = 0; i < s->n; i++) {
        record rec;
        redisReply *r = s->items[i].got[CLAIM_RECORD];
        if (r == NULL || record_decode(r, &rec) != 0 || committed_at_least(s, rec.writer, rec.batch) >= 0) continue;
        size_t k;
        for (k = 0; k < n_asked && asked[k] != rec.writer; k++)
            ;
        if (k < n_asked) continue;
        asked[n_asked++] = rec.writer;
        char key[SP_SEEN_KEY_MAX];
        size_t kn = sp_seen_writer_key(key, s->o.prefix, rec.writer);
        command(s, "GET", key, kn, NULL, 0, NULL, 0, NULL, 0);
    }
    for (size_t k = 0; k < n_asked; k++) {
        redisReply *r = reply(s);
        if (r == NULL) return -1;
        remember_writer(s, asked[k], r->type == REDIS_REPLY_STRING ? (uint32_t)strtoul(r->str, NULL, 10) : 0);
        freeReplyObject(r);
    }
    return 0;
}

/* ------------------------------------------------------------ step 3 */

/* What the decisions change, sent as one pipeline. */
typedef struct changes {
    size_t commands;
    unsigned char *near; /* the kept stories' near log entries */
    size_t near_len;
    unsigned stats[STATS];
} changes;

static void set_record(store *s, changes *ch, const item *it, const record *r) {
    char key[SP_SEEN_KEY_MAX], field[SP_SEEN_FIELD];
    unsigned char v[RECORD_LEN + 12];
    size_t kn = claim_key(s, CLAIM_RECORD, it, key, field), vn = record_encode(s, r, v);
    command(s, "HSET", key, kn, field, SP_SEEN_FIELD, v, vn, NULL, 0);
    ch->commands++;
}

/* Give back claim c (a duplicate does not keep what it took). */
static void release(store *s, changes *ch, const item *it, int c) {
    char key[SP_SEEN_KEY_MAX], field[SP_SEEN_FIELD];
    size_t kn = claim_key(s, c, it, key, field);
    command(s, "HDEL", key, kn, field, SP_SEEN_FIELD, NULL, 0, NULL, 0);
    ch->commands++;
}

/* Take claim c over (it was held by an expired entry, or by nobody any more). */
static void overwrite(store *s, changes *ch, const item *it, int c) {
    char key[SP_SEEN_KEY_MAX], field[SP_SEEN_FIELD], v[SP_SEEN_CLAIM];
    size_t kn = claim_key(s, c, it, key, field);
    sp_seen_claim_encode(it->id, s->today, v);
    command(s, "HSET", key, kn, field, SP_SEEN_FIELD, v, SP_SEEN_CLAIM, NULL, 0);
    ch->commands++;
}

static void keep_near(store *s, changes *ch, const item *it) {
    uint64_t brief = it->st.has_brief ? it->st.brief : 0;
    if (!it->st.has_simhash) return;
    put64(ch->near + ch->near_len, it->st.simhash);
    put64(ch->near + ch->near_len + 8, it->id);
    put64(ch->near + ch->near_len + 16, brief);
    ch->near_len += SP_SEEN_NEAR_ENTRY;
    near_add(&s->near, it->st.simhash, it->id, brief, s->today); /* for the rest of this batch */
}

/* s into to[size], cut short if need be (snprintf's "%s" without its
 * cost, which was a sixtieth of the deduper's: two a story). */
static void copy_text(char *to, size_t size, const char *s) {
    size_t n = strlen(s);
    if (n >= size) n = size - 1;
    memcpy(to, s, n);
    to[n] = '\0';
}

static void say(store_decision *d, const char *decision, int rev, int emit) {
    memset(d, 0, sizeof *d);
    copy_text(d->decision, sizeof d->decision, decision);
    d->revision = rev;
    d->emit = emit;
}

static void say_duplicate(store_decision *d, int rev, uint64_t owner, int reason, int distance, int emit) {
    say(d, "duplicate", rev, emit);
    sp_seen_story_hex(owner, d->owner);
    copy_text(d->reason, sizeof d->reason, REASONS[reason]);
    d->distance = distance;
}

/* The slot of store.dups holding id, or the empty one where it would go. */
static unsigned dup_find(const store *s, uint64_t id) {
    unsigned k = (unsigned)((id * 0x9E3779B97F4A7C15ull) >> (64 - DUP_BITS));
    while (s->dups[k] && s->items[s->dups[k] - 1].id != id) k = (k + 1) % DUP_SLOTS;
    return k;
}

/* Story i was decided a duplicate of `owner` (the first of the batch with
 * its id is the one holder() finds). */
static void note_duplicate(store *s, size_t i, uint64_t owner) {
    item *it = &s->items[i];
    unsigned k = dup_find(s, it->id);
    it->dec = DEC_DUPLICATE;
    it->owner = owner;
    if (!s->dups[k]) s->dups[k] = (uint16_t)(i + 1);
}

/* The story decided before in this batch with id `id`, a duplicate: 1
 * with its owner in *owner; else 0. */
static int duplicate_owner(const store *s, uint64_t id, uint64_t *owner) {
    unsigned k = dup_find(s, id);
    if (!s->dups[k]) return 0;
    *owner = s->items[s->dups[k] - 1].owner;
    return 1;
}

/* Who holds claim c of story i: 0 when it is the story's own (taken now,
 * held by itself, or by nobody fresh: then *retake says to take it over),
 * else the holder, followed through duplicates decided in this batch. */
static uint64_t holder(store *s, size_t i, int c, int *retake) {
    item *it = &s->items[i];
    uint64_t owner;
    long day;
    *retake = 0;
    if (!it->sent[c] || it->took[c]) return 0;
    if (it->got[c] == NULL || it->got[c]->type != REDIS_REPLY_STRING ||
        sp_seen_claim_decode(it->got[c]->str, it->got[c]->len, &owner, &day) != 0 || !fresh(s, day)) {
        *retake = 1;
        return 0;
    }
    if (owner == it->id) return 0;
    duplicate_owner(s, owner, &owner); /* a story decided before it in this batch, a duplicate, gave it back */
    return owner;
}

/* A story as never seen: a duplicate of what holds its claims, of a long
 * story with its title and summary, or of a near story; else new.
 * `rewrite`: its record exists and must be written; `again`: it was decided
 * before, never committed (counted as a replay, not twice). */
static void decide_unseen(store *s, changes *ch, size_t i, int rewrite, int again, store_decision *d) {
    item *it = &s->items[i];
    static const int order[] = {CLAIM_URL, CLAIM_TEXT, CLAIM_BRIEF};
    static const int reasons[] = {REASON_URL, REASON_EXACT, REASON_EXACT};
    int retake[CLAIMS] = {0}, reason = 0, distance = 0;
    uint64_t owner = 0;
    record r;
    for (int k = 0; k < 3; k++) {
        uint64_t o = holder(s, i, order[k], &retake[order[k]]);
        if (o && !owner) owner = o, reason = reasons[k];
    }
    if (!owner && it->st.has_simhash && it->st.has_brief &&
        near_brief(&s->near, it->st.brief, it->id, s->today, s->o.ttl_days, &owner))
        reason = REASON_EXACT;
    if (!owner && it->st.has_simhash) {
        int dist = near_best(&s->near, it->st.simhash, it->id, s->today, s->o.ttl_days, s->o.threshold, &owner);
        if (dist >= 0) reason = REASON_NEAR, distance = dist;
    }
    memset(&r, 0, sizeof r);
    r.rev = 1;
    r.content = it->st.content;
    if (owner) {
        r.dec = DEC_DUPLICATE;
        r.owner = owner;
        r.reason = reason;
        r.distance = distance;
        set_record(s, ch, it, &r);
        for (int c = CLAIM_URL; c < CLAIMS; c++)
            if (it->took[c]) release(s, ch, it, c);
        ch->stats[again ? STAT_REPLAY : reason == REASON_URL ? STAT_URL : reason == REASON_EXACT ? STAT_EXACT : STAT_NEAR]++;
        note_duplicate(s, i, owner);
        say_duplicate(d, 1, owner, reason, distance, 1);
        return;
    }
    r.dec = DEC_NEW;
    if (rewrite) set_record(s, ch, it, &r);
    for (int c = CLAIM_URL; c < CLAIMS; c++)
        if (retake[c]) overwrite(s, ch, it, c);
    keep_near(s, ch, it);
    ch->stats[again ? STAT_REPLAY : STAT_NEW]++;
    it->dec = DEC_NEW;
    say(d, "new", 1, 1);
}

/* Was `content` one of the record's earlier texts? */
static int earlier(const record *r, uint64_t content) {
    for (int i = 0; i < r->n_earlier; i++)
        if (r->earlier[i] == (uint32_t)(content >> 32)) return 1;
    return 0;
}

static void decide(store *s, changes *ch, size_t i, store_decision *d) {
    item *it = &s->items[i];
    record r;
    int pending;
    if (it->took[CLAIM_RECORD]) {
        decide_unseen(s, ch, i, 0, 0, d);
        return;
    }
    if (it->got[CLAIM_RECORD] == NULL || record_decode(it->got[CLAIM_RECORD], &r) != 0 || !fresh(s, r.day)) {
        decide_unseen(s, ch, i, 1, 0, d); /* gone, not ours to read, or expired: never seen */
        return;
    }
    pending = committed_at_least(s, r.writer, r.batch) != 1;
    if (r.dec == DEC_TAKEN) {
        if (pending) { /* taken by a batch that never reached Kafka: decide it now */
            decide_unseen(s, ch, i, 1, 1, d);
            return;
        }
        r.dec = DEC_NEW;
    }
    if (r.content == it->st.content) {
        /* the same story again: a replay, or a redelivery of one not yet committed */
        ch->stats[STAT_REPLAY]++;
        if (pending || r.day != (s->today & 0xFFFF)) set_record(s, ch, it, &r); /* now this batch's, or refreshed */
        if (r.dec == DEC_DUPLICATE) {
            for (int c = CLAIM_URL; c < CLAIMS; c++)
                if (it->took[c]) release(s, ch, it, c);
            note_duplicate(s, i, r.owner);
            say_duplicate(d, r.rev, r.owner, r.reason, r.distance, pending || s->o.reemit);
            return;
        }
        it->dec = r.dec;
        if (pending) say(d, r.dec == DEC_NEW ? "new" : "update", r.rev, 1);
        else say(d, "replay", r.rev, s->o.reemit);
        return;
    }
    if (r.dec == DEC_DUPLICATE) { /* a duplicate whose text changed: decided again, as never seen */
        decide_unseen(s, ch, i, 1, 0, d);
        return;
    }
    if (earlier(&r, it->st.content)) { /* an earlier revision read again: a replay of the past, not an edit */
        ch->stats[STAT_REPLAY]++;
        if (it->took[CLAIM_TEXT]) release(s, ch, it, CLAIM_TEXT);
        it->dec = r.dec;
        say(d, "replay", r.rev, s->o.reemit);
        return;
    }
    /* the same story, changed: its next revision, with its new text */
    record u = r;
    u.dec = DEC_UPDATE;
    u.rev = r.rev + 1;
    u.content = it->st.content;
    u.earlier[0] = (uint32_t)(r.content >> 32);
    u.n_earlier = r.n_earlier < 2 ? r.n_earlier + 1 : 3;
    for (int k = 1; k < u.n_earlier; k++) u.earlier[k] = r.earlier[k - 1];
    set_record(s, ch, it, &u);
    for (int c = CLAIM_URL; c < CLAIMS; c++) {
        int retake;
        holder(s, i, c, &retake);
        if (retake) overwrite(s, ch, it, c);
    }
    keep_near(s, ch, it);
    ch->stats[STAT_UPDATE]++;
    it->dec = DEC_UPDATE;
    say(d, "update", u.rev, 1);
}

/* The sweep's bucket: its expired entries are deleted. */
static void sweep(store *s, changes *ch, const redisReply *all) {
    unsigned buckets = 1u << s->o.bucket_bits;
    char kind = KINDS[s->sweep / buckets], key[SP_SEEN_KEY_MAX];
    size_t kn = sp_seen_bucket_key(key, s->o.prefix, kind, s->sweep % buckets);
    if (all->type != REDIS_REPLY_ARRAY) return;
    long long entries = (long long)all->elements / 2;
    if (entries > s->listpack_max && entries > s->full_warned) {
        /* past it, Redis keeps the bucket as a hash table: about 4 times
         * the memory an entry */
        s->full_warned = entries;
        sp_log(SP_LOG_WARN, "bucket_full",
               "a seen-state bucket (kind %c) holds %lld entries, more than hash-max-listpack-entries %lld: "
               "more stories within --ttl-days than --bucket-bits %d is sized for (about 80 x %u)",
               kind, entries, s->listpack_max, s->o.bucket_bits, buckets);
    }
    for (size_t k = 0; k + 1 < all->elements; k += 2) {
        long day = entry_day(kind, all->element[k + 1]);
        if (day >= 0 && fresh(s, day)) continue;
        const redisReply *f = all->element[k];
        command(s, "HDEL", key, kn, f->str, f->len, NULL, 0, NULL, 0);
        ch->commands++;
    }
}

static int send_confirms(store *s);

/* What deciding story i will read of the near index (a cache miss a band,
 * and one in the title + summary table), asked for PREFETCH_AHEAD stories
 * before it is decided. (Asked for the whole batch at once while Redis
 * answered, the lines were gone again by then: the lookups missed the
 * cache as often, 3% of the deduper's time over 200,000 bench stories, now
 * 1.7% with the prefetching's own.) */
static void prefetch_near(const store *s, size_t i) {
    if (i >= s->n) return;
    const item *it = &s->items[i];
    if (it->st.has_simhash) near_prefetch(&s->near, it->st.simhash, it->st.has_brief ? it->st.brief : 0);
}

/* Today's near log is log_len bytes long after this batch appended
 * `appended` to it: when that is where this deduper had read it to, plus
 * its own entries (no other deduper appended since its last GETRANGE), it
 * reads on from there. Else the next GETRANGE reads its own entries back
 * with the others' (near_add() knows them). Each batch read the 40 KB of
 * its own entries back and added them again: 1.5% of the deduper's time
 * over 200,000 bench stories, and as much again of Redis's time. */
static void skip_own_entries(store *s, long long log_len, size_t appended) {
    for (int k = 0; k < NEAR_DAYS; k++)
        if (s->logs[k].day == s->today && appended && log_len == s->logs[k].offset + (long long)appended)
            s->logs[k].offset = log_len;
}

int store_finish(store *s, store_decision *out, sp_fail *fail) {
    redisReply *sw = NULL;
    changes ch;
    size_t refused, appended_at = SIZE_MAX;
    long long log_len = -1;
    int rc = -1;
    memset(&ch, 0, sizeof ch);
    if (s->redis == NULL) {
        sp_fail_set(fail, "redis_unavailable", "cannot reach Redis at %s", s->o.redis_url);
        return -1;
    }
    if (s->broken || flush(s) != 0 || read_unread(s) != 0) goto failed;
    memset(s->dups, 0, sizeof s->dups);
    /* step 1's replies */
    for (int k = 0; k < NEAR_DAYS; k++) {
        redisReply *r = reply(s);
        if (r == NULL) goto failed;
        log_catch_up(s, k, r);
        freeReplyObject(r);
    }
    if ((sw = reply(s)) == NULL) goto failed;
    /* step 1's claims, and step 2 */
    if (read_claims(s) != 0 || read_holders(s) != 0) goto failed;
    /* step 3 */
    ch.near = sp_xmalloc(s->n * SP_SEEN_NEAR_ENTRY + 1);
    for (size_t i = 0; i < PREFETCH_AHEAD; i++) prefetch_near(s, i);
    for (size_t i = 0; i < s->n; i++) {
        prefetch_near(s, i + PREFETCH_AHEAD);
        decide(s, &ch, i, &out[i]);
        /* Redis applies these changes while the next are decided */
        if (i % DECIDED_CHUNK == DECIDED_CHUNK - 1 && flush(s) != 0) goto failed;
    }
    sweep(s, &ch, sw);
    if (ch.near_len) {
        char key[SP_SEEN_KEY_MAX];
        size_t kn = sp_seen_near_key(key, s->o.prefix, s->today);
        char at[24];
        appended_at = ch.commands;
        command(s, "APPEND", key, kn, ch.near, ch.near_len, NULL, 0, NULL, 0);
        command(s, "EXPIREAT", key, kn, at, number(at, (long long)(s->today + s->o.ttl_days + 2) * 86400), NULL, 0,
                NULL, 0);
        ch.commands += 2;
    }
    for (int k = 0; k < STATS; k++)
        if (ch.stats[k]) {
            char key[SP_SEEN_KEY_MAX];
            size_t kn = sp_seen_stats_key(key, s->o.prefix);
            char by[24];
            command(s, "HINCRBY", key, kn, STAT_NAMES[k], strlen(STAT_NAMES[k]), by, number(by, ch.stats[k]), NULL, 0);
            ch.commands++;
        }
    /* a commit that came while the batch was under way (its claims' replies
     * still to come): its SETs go after the batch's changes */
    if (s->n_to_confirm && send_confirms(s) != 0) goto failed;
    if (drain_at(s, ch.commands, &refused, appended_at, &log_len) != 0 || refused) goto failed;
    skip_own_entries(s, log_len, ch.near_len);
    rc = 0;
    goto done;
failed:
    sp_fail_set(fail, "redis_unavailable", "Redis: %s", s->redis && s->redis->err ? s->redis->errstr : "a command failed");
    disconnect(s);
done:
    s->open = 0;
    if (sw) freeReplyObject(sw);
    free(ch.near);
    drop_replies(s);
    return rc;
}

int store_decide(store *s, const store_story *st, size_t n, store_decision *out, sp_fail *fail) {
    if (store_begin(s, n, fail) != 0) return -1;
    for (size_t i = 0; i < n; i++) store_add(s, &st[i]);
    return store_finish(s, out, fail);
}

/* ------------------------------------------------------------ commits */

uint32_t store_batch(const store *s) { return s->batch; }

void store_emitted(store *s, uint32_t batch) {
    if (batch > s->emitted) s->emitted = batch;
}

/* The SETs of the confirmations waiting (to_confirm), sent and not waited
 * for: Redis runs them before anything this deduper sends next, and their
 * replies are read with the next batch's. 0, or -1 when they could not be
 * sent. */
static int send_confirms(store *s) {
    for (int k = 0; k < s->n_to_confirm; k++) {
        char key[SP_SEEN_KEY_MAX];
        size_t kn = sp_seen_writer_key(key, s->o.prefix, s->to_confirm[k].writer);
        char batch[24], ex[24];
        command(s, "SET", key, kn, batch, number(batch, s->to_confirm[k].batch), "EX", 2, ex,
                number(ex, s->o.ttl_days * 86400 + 86400));
    }
    int rc = flush(s);
    if (rc == 0) s->unread += (size_t)s->n_to_confirm;
    s->n_to_confirm = 0;
    return rc;
}

/* What this writer emitted and has not queued to be confirmed yet, queued. */
static void queue_emitted(store *s) {
    if (s->emitted > s->confirmed && s->n_to_confirm < 4)
        s->to_confirm[s->n_to_confirm++] = (writer_batch){s->writer, s->emitted};
    s->confirmed = s->emitted;
}

int store_committed(store *s) {
    queue_emitted(s);
    /* with a batch under way, its claims' replies come first: store_finish
     * sends them */
    if (s->n_to_confirm == 0 || s->open) return 0;
    if (connect_redis(s, NULL) != 0 || send_confirms(s) != 0) {
        sp_log(SP_LOG_WARN, "confirm_failed", "the last decisions stay pending in Redis (re-emitted if replayed)");
        disconnect(s);
        return -1;
    }
    return 0;
}

/* A new writer: what the old one decided and did not confirm stays pending. */
static void change_writer(store *s) {
    s->writer = new_writer();
    s->emitted = s->confirmed = s->batch;
}

void store_aborted(store *s) {
    s->n_to_confirm = 0;
    change_writer(s);
}

void store_incomplete(store *s) {
    queue_emitted(s); /* the batches before it, confirmed by the next commit */
    change_writer(s);
}
