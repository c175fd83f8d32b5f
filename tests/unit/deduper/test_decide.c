/* test_decide.c — every branch of the deduper's decision (store.c, near.c)
 * against a real redis-server this test starts on a free port
 * (scripts/redis.sh) and stops at the end:
 *   new; replay of a pending story (emitted again, with its first decision);
 *   replay of one emitted and not yet committed (not emitted twice, unless
 *   the emission is aborted);
 *   replay of a confirmed one (not emitted; emitted with --reemit, by another
 *   instance that reads the first one's commits); update (revision + 1, then
 *   a replay of the update); an aborted batch (its decisions stay pending)
 *   and a batch only partly emitted (the batches before it are confirmed, it
 *   is not); duplicates by URL, by exact text, by near text (SimHash within
 *   the threshold, not beyond; found by another instance from the near log,
 *   also one appended while this one had a batch under way; not from a near
 *   log of another SimHash version),
 *   and by title + summary (a claim for short stories, from memory for long
 *   ones, also across instances); the first story stays the kept
 *   one across replays; a duplicate replayed keeps its decision; in one
 *   batch, a later story sees an earlier one's claims; an entry older than
 *   the TTL counts as absent; a commit's SET that Redis refuses (the batch
 *   stays pending for others); Redis down (an error to retry, not a
 *   decision); the bucket bits the state records (a store with others
 *   decides nothing on it); a bucket past hash-max-listpack-entries
 *   logged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "redis.h"
#include "redis_server.h"
#include "seen.h"
#include "store.h"

static int setup(void **state) {
    (void)state;
    return redis_server_start("decide");
}

static int teardown(void **state) {
    (void)state;
    return redis_server_stop();
}

static store *open_store(int reemit, long ttl) {
    store_options o = {redis_url, "t:", ttl, 3, 4, reemit, 0};
    store *s = store_new(&o);
    assert_non_null(s);
    return s;
}

static store_story story(uint64_t id, uint64_t content, uint64_t urlh, uint64_t sim) {
    store_story st;
    memset(&st, 0, sizeof st);
    for (int i = 0; i < 8; i++) st.id[i] = (uint8_t)(id >> (56 - 8 * i));
    st.content = content;
    st.url = urlh;
    st.has_url = urlh != 0;
    st.simhash = sim;
    st.has_simhash = 1;
    return st;
}

/* A story's id as the number sp_seen_story_hex() takes. */
static uint64_t get_id(const store_story *st) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | st->id[i];
    return v;
}

static store_decision decide(store *s, const store_story *st) {
    store_decision d;
    sp_fail fail;
    assert_int_equal(store_decide(s, st, 1, &d, &fail), 0);
    return d;
}

static void expect(store_decision d, const char *decision, int rev, int emit) {
    if (strcmp(d.decision, decision) != 0 || d.revision != rev || d.emit != emit) {
        fprintf(stderr, "got %s rev %d emit %d, want %s rev %d emit %d\n", d.decision, d.revision, d.emit, decision,
                rev, emit);
        fail();
    }
}

/* The batches decided so far emitted, and committed. */
static int commit(store *s) {
    store_emitted(s, store_batch(s));
    return store_committed(s);
}

static void flush(void) {
    redisContext *c = redisConnect("127.0.0.1", redis_port);
    redisReply *r = redisCommand(c, "FLUSHALL");
    freeReplyObject(r);
    redisFree(c);
}

static void test_new_replay_update(void **state) {
    store *s = open_store(0, 90), *re = open_store(1, 90);
    store_story a = story(0x1111, 0xC1000000000000C1ull, 0xA1, 0x0F0F0F0F0F0F0F0Full), a2 = a, old;
    (void)state;
    flush();
    expect(decide(s, &a), "new", 1, 1);
    /* decided, never emitted (the batch was cut short): emitted again as new */
    expect(decide(s, &a), "new", 1, 1);
    /* emitted, not yet committed (a transaction still open, a write under
     * way): a replay, not emitted twice; unless the emission is thrown away */
    store_emitted(s, store_batch(s));
    expect(decide(s, &a), "replay", 1, 0);
    expect(decide(re, &a), "new", 1, 1); /* another instance: pending until committed */
    store_aborted(s);
    expect(decide(s, &a), "new", 1, 1);
    assert_int_equal(commit(s), 0);
    expect(decide(s, &a), "replay", 1, 0);
    expect(decide(re, &a), "replay", 1, 1); /* --reemit */
    /* the same story with other text: an update, pending until confirmed */
    a2.content = 0xC2000000000000C2ull;
    expect(decide(s, &a2), "update", 2, 1);
    expect(decide(s, &a2), "update", 2, 1);
    assert_int_equal(commit(s), 0);
    expect(decide(s, &a2), "replay", 2, 0);
    /* an older revision read again (news.stories replayed): a replay, not an edit */
    expect(decide(s, &a), "replay", 2, 0);
    expect(decide(re, &a), "replay", 2, 1);
    /* an aborted transaction: what it decided stays pending, emitted again */
    a2.content = 0xC3000000000000C3ull;
    expect(decide(s, &a2), "update", 3, 1);
    store_aborted(s);
    assert_int_equal(commit(s), 0);
    expect(decide(re, &a2), "update", 3, 1);
    expect(decide(s, &a2), "update", 3, 1);
    assert_int_equal(commit(s), 0);
    expect(decide(s, &a2), "replay", 3, 0);
    /* a batch only partly emitted: not confirmed by the next commit, the one before it is */
    store_story b = story(0x1212, 0xC4, 0xA2, 0x1234123412341234ull), c = story(0x1313, 0xC5, 0xA3, 0x4321432143214321ull);
    expect(decide(s, &b), "new", 1, 1);
    store_emitted(s, store_batch(s));
    expect(decide(s, &c), "new", 1, 1);
    store_incomplete(s);
    assert_int_equal(store_committed(s), 0);
    expect(decide(re, &b), "replay", 1, 1);
    expect(decide(s, &b), "replay", 1, 0);
    expect(decide(s, &c), "new", 1, 1);
    /* three revisions back are still known; the story's first text is older */
    old = a2;
    for (uint64_t v = 4; v <= 6; v++) {
        a2.content = v << 56 | v;
        expect(decide(s, &a2), "update", (int)v, 1);
    }
    expect(decide(s, &old), "replay", 6, 0);
    store_free(s);
    store_free(re);
}

static void test_duplicates(void **state) {
    store *s = open_store(0, 90);
    store_story kept = story(0x2222, 0xD1, 0xB1, 0xFFFF0000FFFF0000ull);
    store_story by_url = story(0x3333, 0xD2, 0xB1, 0x1234567812345678ull);
    store_story by_text = story(0x4444, 0xD1, 0xB2, 0x0123456789ABCDEFull);
    store_story near = story(0x5555, 0xD3, 0xB3, 0xFFFF0000FFFF0007ull);   /* 3 bits away */
    store_story far = story(0x6666, 0xD4, 0xB4, 0xFFFF0000FFFF000Full);    /* 4 bits away */
    store_decision d;
    (void)state;
    flush();
    expect(decide(s, &kept), "new", 1, 1);
    d = decide(s, &by_url);
    expect(d, "duplicate", 1, 1);
    assert_string_equal(d.reason, "url");
    assert_string_equal(d.owner, "0000000000002222");
    assert_int_equal(commit(s), 0); /* kept and by_url reached Kafka; the others never do */
    d = decide(s, &by_text);
    expect(d, "duplicate", 1, 1);
    assert_string_equal(d.reason, "exact");
    d = decide(s, &near);
    expect(d, "duplicate", 1, 1);
    assert_string_equal(d.reason, "near");
    assert_int_equal(d.distance, 3);
    assert_string_equal(d.owner, "0000000000002222");
    expect(decide(s, &far), "new", 1, 1);
    store_free(s);
    /* another instance, with a threshold beyond the bands: the first one's
     * stories (from the near log) found when a band agrees, not otherwise */
    store_options wide = {redis_url, "t:", 90, 6, 4, 0, 0};
    s = store_new(&wide);
    store_story five = story(0x6767, 0xD5, 0xB5, 0xE0FF0000FFFF0000ull);   /* 5 bits, all in one band */
    store_story spread = story(0x6868, 0xD6, 0xB6, 0xFFFE0001FFFE0003ull); /* 5 bits, in every band */
    d = decide(s, &five);
    expect(d, "duplicate", 1, 1);
    assert_int_equal(d.distance, 5);
    expect(decide(s, &spread), "new", 1, 1);
    /* replays: the kept story stays kept, a duplicate stays a duplicate of it */
    expect(decide(s, &kept), "replay", 1, 0);
    d = decide(s, &by_url);
    expect(d, "duplicate", 1, 0); /* confirmed: not emitted again */
    assert_string_equal(d.owner, "0000000000002222");
    d = decide(s, &by_text); /* pending: emitted again, the same way */
    expect(d, "duplicate", 1, 1);
    assert_string_equal(d.reason, "exact");
    store_free(s);
}

static void test_short_stories(void **state) {
    store *s = open_store(0, 90);
    store_story a = story(0x7777, 0xE1, 0, 0), b = story(0x8888, 0xE2, 0, 0), c = story(0x9999, 0xE3, 0, 0);
    store_decision d;
    (void)state;
    flush();
    a.has_simhash = b.has_simhash = c.has_simhash = 0;
    a.has_brief = b.has_brief = c.has_brief = 1;
    a.brief = b.brief = 0xBB;
    c.brief = 0xBC;
    expect(decide(s, &a), "new", 1, 1);
    d = decide(s, &b);
    expect(d, "duplicate", 1, 1);
    assert_string_equal(d.reason, "exact");
    expect(decide(s, &c), "new", 1, 1); /* other title: no near-matching for short texts */
    /* long stories with a title and summary: matched by those too, from
     * memory, by this instance and (through the near log) another one */
    store_story l1 = story(0x7878, 0xE4, 0, 0x00000000FFFFFFFFull), l2 = story(0x7979, 0xE5, 0, 0xFFFFFFFF00000000ull),
                l3 = story(0x7A7A, 0xE6, 0, 0x0F0F0F0FF0F0F0F0ull);
    l1.has_brief = l2.has_brief = l3.has_brief = 1;
    l1.brief = l2.brief = l3.brief = 0xBD;
    expect(decide(s, &l1), "new", 1, 1);
    d = decide(s, &l2);
    expect(d, "duplicate", 1, 1);
    assert_string_equal(d.reason, "exact");
    assert_string_equal(d.owner, "0000000000007878");
    store *other = open_store(0, 90);
    d = decide(other, &l3);
    expect(d, "duplicate", 1, 1);
    assert_string_equal(d.owner, "0000000000007878");
    store_free(other);
    store_free(s);
}

static void test_batch_and_ttl(void **state) {
    store *s = open_store(0, 90);
    store_story st[3] = {story(0xAAAA, 0xF1, 0xF1, 1), story(0xBBBB, 0xF2, 0xF1, 2), story(0xAAAA, 0xF1, 0xF1, 1)};
    store_decision d[3];
    sp_fail fail;
    redisContext *c;
    redisReply *r;
    (void)state;
    flush();
    /* in one pipelined batch, in order: the second sees the first's claim */
    assert_int_equal(store_decide(s, st, 3, d, &fail), 0);
    expect(d[0], "new", 1, 1);
    expect(d[1], "duplicate", 1, 1);
    expect(d[2], "new", 1, 1); /* itself again, pending */
    /* entries older than the TTL count as absent: age every entry (and
     * near log) by 91 days, then read them as another instance would */
    store_free(s);
    s = open_store(0, 90);
    c = redisConnect("127.0.0.1", redis_port);
    r = redisCommand(c, "EVAL %s 0", "for _, k in ipairs(redis.call('KEYS', 't:*')) do "
                                     "local kind = string.sub(k, 3, 3) "
                                     "if kind == 'n' then "
                                     "local v, day = string.match(string.sub(k, 4), '^(%d+):(%d+)$') "
                                     "redis.call('RENAME', k, 't:n' .. v .. ':' .. (tonumber(day) - 91)) "
                                     "elseif k ~= 't:stats' and redis.call('TYPE', k).ok == 'hash' then "
                                     "local all = redis.call('HGETALL', k) "
                                     "for i = 1, #all, 2 do local v = all[i + 1] "
                                     "local at = kind == 'r' and 5 or 9 "
                                     "local d = struct.unpack('>H', v, at) "
                                     "redis.call('HSET', k, all[i], string.sub(v, 1, at - 1) .. struct.pack('>H', d - 91) .. string.sub(v, at + 2)) "
                                     "end end end");
    assert_non_null(r);
    if (r->type == REDIS_REPLY_ERROR) fprintf(stderr, "%s\n", r->str);
    assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    redisFree(c);
    expect(decide(s, &st[1]), "new", 1, 1); /* the URL's owner expired */
    store_free(s);
}

static void redis_do(const char *command) {
    redisContext *c = redisConnect("127.0.0.1", redis_port);
    redisReply *r = redisCommand(c, command);
    assert_non_null(r);
    assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    redisFree(c);
}

/* A near log of another SimHash version (version 1's were t:n<day>) is
 * not read: its fingerprints do not compare with this version's. */
static void test_near_version(void **state) {
    store *s = open_store(0, 90);
    store_story kept = story(0x2222, 0xD1, 0xB1, 0xFFFF0000FFFF0000ull);
    store_story near = story(0x5555, 0xD3, 0xB3, 0xFFFF0000FFFF0007ull); /* 3 bits away */
    redisContext *c;
    redisReply *r;
    (void)state;
    flush();
    expect(decide(s, &kept), "new", 1, 1);
    store_free(s);
    /* kept's near log entry, as version 1 named its log */
    c = redisConnect("127.0.0.1", redis_port);
    r = redisCommand(c, "EVAL %s 0", "local n = 0 "
                                     "for _, k in ipairs(redis.call('KEYS', 't:n2:*')) do "
                                     "redis.call('RENAME', k, 't:n' .. string.sub(k, 6)) n = n + 1 end "
                                     "return n");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    redisFree(c);
    s = open_store(0, 90);
    expect(decide(s, &near), "new", 1, 1); /* with the log as it was: a duplicate (test_duplicates) */
    store_free(s);
}

/* A commit's SET is not waited for: when Redis refuses it (out of memory
 * here), the instance goes on (its replies stay in step), and the batch is
 * still pending for the others, which emit it again. Without the refusal
 * another instance would call it a replay (test_new_replay_update). */
static void test_confirm_refused(void **state) {
    store *s = open_store(0, 90), *other;
    store_story a = story(0xDDDD, 0x44, 0x55, 0x6666000066660000ull);
    (void)state;
    flush();
    expect(decide(s, &a), "new", 1, 1);
    redis_do("CONFIG SET maxmemory 1"); /* noeviction: writes are refused */
    assert_int_equal(commit(s), 0);
    usleep(200000); /* the SET is run before the limit goes */
    redis_do("CONFIG SET maxmemory 0");
    expect(decide(s, &a), "replay", 1, 0); /* this one knows its commit went through */
    other = open_store(0, 90);
    expect(decide(other, &a), "new", 1, 1);
    store_free(other);
    store_free(s);
}

static void test_redis_restart_and_down(void **state) {
    store *s = open_store(0, 90);
    store_story a = story(0xCCCC, 0x11, 0x22, 0x33);
    store_decision d;
    sp_fail fail;
    char cmd[512];
    (void)state;
    flush();
    expect(decide(s, &a), "new", 1, 1);
    expect(decide(s, &a), "new", 1, 1);
    /* down: an error to retry, never a decision */
    redis_sh("%s stop %s", redis_dir, NULL, 0);
    memset(&fail, 0, sizeof fail);
    assert_int_equal(store_decide(s, &a, 1, &d, &fail), -1);
    assert_string_equal(fail.reason, "redis_unavailable");
    snprintf(cmd, sizeof cmd, "%%s start %%s --port %d", redis_port);
    redis_sh(cmd, redis_dir, NULL, 0);
    expect(decide(s, &a), "new", 1, 1); /* no AOF here: the state is gone, the story is new again */
    store_free(s);
}

/* The state records its bucket bits; a store with others decides nothing
 * on it (an error to retry, with its own reason), under another prefix it
 * does; a layout key holding something else is refused too. */
static void test_layout(void **state) {
    store *s = open_store(0, 90), *other;
    store_options o13 = {redis_url, "t:", 90, 3, 4, 0, 13}, p13 = {redis_url, "t13:", 90, 3, 4, 0, 13};
    store_story a = story(0xEEEE, 0x77, 0x88, 0x9999000099990000ull);
    store_decision d;
    sp_fail fail;
    int bits;
    redisContext *c;
    (void)state;
    flush();
    assert_int_equal(store_open(s, &fail), 0); /* records 12, the default */
    expect(decide(s, &a), "new", 1, 1);
    c = redisConnect("127.0.0.1", redis_port);
    assert_int_equal(sp_seen_layout(c, "t:", 0, &bits), 0);
    assert_int_equal(bits, 12);
    assert_int_equal(sp_seen_layout(c, "none:", 0, &bits), 0);
    assert_int_equal(bits, 0);
    other = store_new(&o13);
    memset(&fail, 0, sizeof fail);
    assert_int_equal(store_open(other, &fail), -2);
    assert_string_equal(fail.reason, "seen_layout_mismatch");
    assert_non_null(strstr(fail.detail, "written with --bucket-bits 12, not 13"));
    memset(&fail, 0, sizeof fail);
    assert_int_equal(store_decide(other, &a, 1, &d, &fail), -1);
    assert_string_equal(fail.reason, "seen_layout_mismatch");
    store_free(other);
    other = store_new(&p13);
    expect(decide(other, &a), "new", 1, 1); /* a prefix of its own: a state of its own */
    assert_int_equal(sp_seen_layout(c, "t13:", 0, &bits), 0);
    assert_int_equal(bits, 13);
    store_free(other);
    expect(decide(s, &a), "new", 1, 1); /* still pending: not committed */
    freeReplyObject(redisCommand(c, "SET t:layout something-else"));
    assert_int_equal(sp_seen_layout(c, "t:", 0, &bits), -2);
    other = open_store(0, 90);
    memset(&fail, 0, sizeof fail);
    assert_int_equal(store_open(other, &fail), -2);
    assert_string_equal(fail.reason, "seen_layout_mismatch");
    store_free(other);
    redisFree(c);
    store_free(s);
}

/* Story number k, its id, text and SimHash spread over the 64 bits (the
 * buckets are picked by the top bits) */
static store_story spread(uint64_t k) {
    return story(k * 0x9E3779B97F4A7C15ull, k * 0xC2B2AE3D27D4EB4Full, 0, k * 0x165667B19E3779F9ull);
}

/* The stores' log (stderr) while `n` batches of one story each, ids from
 * `first`, are decided, in `log` (cap bytes). */
static void decide_logged(store *s, uint64_t first, int n, char *log, size_t cap) {
    char path[] = "/tmp/storypipe-test-decide-log.XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    FILE *f;
    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, 2);
    for (int i = 0; i < n; i++) {
        store_story st = spread(first + (uint64_t)i);
        store_decision d;
        sp_fail fail;
        int rc = store_decide(s, &st, 1, &d, &fail);
        if (rc != 0 || strcmp(d.decision, "new") != 0) {
            dup2(saved, 2);
            fail_msg("story %d: rc %d, %s (%s)", i, rc, rc ? fail.reason : d.decision, rc ? fail.detail : d.reason);
        }
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    f = fdopen(fd, "r");
    rewind(f);
    log[fread(log, 1, cap - 1, f)] = '\0';
    fclose(f);
    unlink(path);
}

/* A bucket past hash-max-listpack-entries, found by the sweep, is logged
 * (more stories than --bucket-bits is sized for); not before. */
static void test_bucket_full(void **state) {
    store_options o = {redis_url, "f:", 90, 3, 4, 0, SP_SEEN_BUCKET_BITS_MIN}; /* 16 buckets a kind */
    store_story many[200];
    store_decision d[200];
    sp_fail fail;
    char log[8192];
    store *s = store_new(&o);
    (void)state;
    flush();
    for (int i = 0; i < 200; i++) many[i] = spread(0x10000 + (uint64_t)i);
    assert_int_equal(store_decide(s, many, 200, d, &fail), 0); /* about 12 a bucket */
    decide_logged(s, 0x20000, 70, log, sizeof log);          /* the sweep reads every bucket */
    assert_null(strstr(log, "bucket_full"));
    store_free(s);
    redis_do("CONFIG SET hash-max-listpack-entries 4");
    s = store_new(&o);
    decide_logged(s, 0x30000, 20, log, sizeof log); /* the story records' buckets */
    redis_do("CONFIG SET hash-max-listpack-entries 128");
    if (strstr(log, "\"bucket_full\"") == NULL || strstr(log, "more than hash-max-listpack-entries 4") == NULL ||
        strstr(log, "--bucket-bits 4") == NULL)
        fail_msg("no bucket_full warning in: %s", log);
    store_free(s);
}

/* A story whose claim is held by a story of the same batch decided a
 * duplicate is a duplicate of that one's original, not of a duplicate: A
 * near X takes URL u and gives it back; B, with u, comes after it. */
static void test_duplicate_of_duplicate(void **state) {
    store *s = open_store(0, 90);
    store_story x = story(0x7001, 0x1, 0xF1, 0x0F0F0F0F0F0F0F0Full), ab[2];
    store_decision d[2];
    sp_fail fail;
    char want[17];
    (void)state;
    flush();
    expect(decide(s, &x), "new", 1, 1);
    ab[0] = story(0x7002, 0x2, 0xF2, x.simhash ^ 1);
    ab[1] = story(0x7003, 0x3, 0xF2, ~x.simhash);
    assert_int_equal(store_decide(s, ab, 2, d, &fail), 0);
    sp_seen_story_hex(0x7001, want);
    expect(d[0], "duplicate", 1, 1);
    assert_string_equal(d[0].reason, "near");
    assert_string_equal(d[0].owner, want);
    expect(d[1], "duplicate", 1, 1);
    assert_string_equal(d[1].reason, "url");
    assert_string_equal(d[1].owner, want);
    store_free(s);
}

/* The first half of n decisions `first` (emitted or not), the second
 * half URL duplicates of the first half's stories, in order. */
static void expect_halves(const store_story *st, const store_decision *d, int n, const char *first, int emit) {
    char want[17];
    for (int i = 0; i < n; i++) {
        if (i < n / 2) {
            expect(d[i], first, 1, emit);
            continue;
        }
        expect(d[i], "duplicate", 1, 1);
        sp_seen_story_hex(get_id(&st[i - n / 2]), want);
        assert_string_equal(d[i].owner, want);
        assert_string_equal(d[i].reason, "url");
    }
}

/* A batch larger than store.c's chunks of claims' answers (HOLDERS_CHUNK):
 * 1000 stories, the last 500 with the URLs of the first 500 (their
 * holders in the same batch); then 1000 more, 500 replays of the first
 * batch's and 500 new stories with its URLs (holders in Redis). */
static void test_large_batch(void **state) {
    enum { N = 1000, HALF = N / 2 };
    store_story *st = calloc(N, sizeof *st);
    store_decision *d = calloc(N, sizeof *d);
    sp_fail fail;
    store *s = open_store(0, 90);
    (void)state;
    flush();
    for (int i = 0; i < N; i++) {
        st[i] = spread(0x50000 + (uint64_t)i);
        st[i].url = 0xABC0000 + (uint64_t)(i % HALF);
        st[i].has_url = 1;
    }
    assert_int_equal(store_decide(s, st, N, d, &fail), 0);
    assert_int_equal(commit(s), 0);
    expect_halves(st, d, N, "new", 1);
    for (int i = 0; i < N; i++)
        if (i >= HALF) {
            st[i] = spread(0x60000 + (uint64_t)i); /* new ids and texts, the URLs of the first half */
            st[i].url = 0xABC0000 + (uint64_t)(i - HALF);
            st[i].has_url = 1;
        }
    assert_int_equal(store_decide(s, st, N, d, &fail), 0);
    expect_halves(st, d, N, "replay", 0);
    store_free(s);
    free(st);
    free(d);
}

/* sp_redis_connect()'s replies: integers are its own (redis.c), alone and
 * inside arrays, beside hiredis's strings, arrays and nils; all freed with
 * freeReplyObject (ASan would see a mismatch). */
static void test_replies(void **state) {
    redisContext *c = sp_redis_connect(redis_url);
    redisReply *r;
    (void)state;
    assert_non_null(c);
    r = redisCommand(c, "HSETNX t:replies f v");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    r = redisCommand(c, "EVAL %s 0", "return {1, -2, {3, 'x', false}, 'y', 1000000000000000}");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 5);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->element[0]->integer, 1);
    assert_int_equal(r->element[1]->integer, -2);
    assert_int_equal(r->element[2]->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[2]->elements, 3);
    assert_int_equal(r->element[2]->element[0]->integer, 3);
    assert_string_equal(r->element[2]->element[1]->str, "x");
    assert_int_equal(r->element[2]->element[2]->type, REDIS_REPLY_NIL);
    assert_string_equal(r->element[3]->str, "y");
    assert_int_equal(r->element[4]->integer, 1000000000000000LL);
    freeReplyObject(r);
    r = redisCommand(c, "INCRBY t:replies:n 9007199254740993");
    assert_int_equal(r->integer, 9007199254740993LL);
    freeReplyObject(r);
    r = redisCommand(c, "HSETNX t:replies f w");
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    r = redisCommand(c, "DEL t:replies t:replies:n");
    freeReplyObject(r);
    redisFree(c);
}

/* Two instances on one state, each appending kept stories to today's near
 * log: one reads on past its own entries only when nobody appended since
 * its last read. A batch of 16 (so that its claims and its read of the
 * log go out at store_add) is under way in A while B appends b1; A's
 * append lands after b1's, so A must read b1 at its next batch, and finds
 * the story near b1 a duplicate. (Skipping to the log's end after each
 * append, A never saw b1: near_b1 was new.) */
static void test_near_log_shared(void **state) {
    store *a = open_store(0, 90), *b = open_store(0, 90);
    store_story a1 = story(0xA001, 0xF1, 0, 0x1111000011110000ull);
    store_story b1 = story(0xB001, 0xF2, 0, 0x2222000022220000ull);
    store_story near_b1 = story(0xA002, 0xF3, 0, 0x2222000022220001ull); /* 1 bit from b1 */
    store_story batch[16];
    store_decision d, ds[16];
    sp_fail fail;
    (void)state;
    flush();
    expect(decide(a, &a1), "new", 1, 1); /* A appended right after its read: reads on past a1 */
    for (int i = 0; i < 16; i++) batch[i] = story(0xC000 + (uint64_t)i, 0xF100 + (uint64_t)i, 0,
                                                  (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull);
    assert_int_equal(store_begin(a, 16, &fail), 0);
    for (int i = 0; i < 16; i++) store_add(a, &batch[i]);
    usleep(100000); /* Redis has A's read of the log before B appends */
    expect(decide(b, &b1), "new", 1, 1);
    assert_int_equal(store_finish(a, ds, &fail), 0);
    for (int i = 0; i < 16; i++) expect(ds[i], "new", 1, 1);
    d = decide(a, &near_b1);
    expect(d, "duplicate", 1, 1);
    assert_string_equal(d.reason, "near");
    assert_string_equal(d.owner, "000000000000b001");
    /* and B, from the log, A's batch */
    store_story near_c3 = story(0xB002, 0xF4, 0, (uint64_t)4 * 0x9E3779B97F4A7C15ull ^ 4);
    d = decide(b, &near_c3);
    expect(d, "duplicate", 1, 1);
    assert_string_equal(d.owner, "000000000000c003");
    store_free(a);
    store_free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_replay_update), cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_short_stories),     cmocka_unit_test(test_batch_and_ttl),
        cmocka_unit_test(test_near_version),      cmocka_unit_test(test_replies),
        cmocka_unit_test(test_large_batch),       cmocka_unit_test(test_duplicate_of_duplicate),
        cmocka_unit_test(test_confirm_refused),   cmocka_unit_test(test_redis_restart_and_down),
        cmocka_unit_test(test_layout),            cmocka_unit_test(test_bucket_full),
        cmocka_unit_test(test_near_log_shared),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
