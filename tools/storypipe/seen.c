/* seen.c — `storypipe seen`: the deduper's seen-state in Redis (layout in
 * common/seen.h), for an operator.
 *
 *   seen stats        keys and entries of each kind of bucket, Redis memory,
 *                     the decision counters and the rates they give
 *   seen lookup URL   the story that owns a URL (canonicalised as the
 *                     deduper does): exit 0 when seen, 1 when not
 *   seen forget URL   drop a URL's claim, so that a story with that URL is
 *                     no longer a duplicate by URL (its owner keeps its record)
 *
 * stats walks the prefix with SCAN (never KEYS), a batch of keys at a time,
 * with each batch's HLEN (STRLEN for near logs) and OBJECT ENCODING
 * pipelined. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "redis.h"
#include "seen.h"
#include "stage.h"
#include "url.h"
#include "util.h"

int cmd_seen(int argc, char **argv);

#define SEEN_NOT_SEEN 1 /* lookup: the URL is not seen */

static void usage(FILE *f) {
    fprintf(f, "Usage: storypipe seen stats [OPTIONS]\n"
               "       storypipe seen lookup [OPTIONS] URL\n"
               "       storypipe seen forget [OPTIONS] URL\n"
               "The deduper's seen-state in Redis.\n\n"
               "  stats        keys and entries by kind (r story records, u URL claims, c content\n"
               "               claims, t title+summary claims, n near logs, w writers), Redis\n"
               "               used_memory, the decision counters and the duplicate, replay and\n"
               "               update rates\n"
               "  lookup URL   the story that owns URL, once canonicalised as the deduper does,\n"
               "               and the day it was seen; exit 1 when not seen (or expired)\n"
               "  forget URL   forget URL: a later story with it is no longer a duplicate by URL\n"
               "               (the story that had it keeps its record); exit 0 also when absent\n\n"
               "      --redis URL          [STORYPIPE_REDIS_URL, redis://127.0.0.1:6379/0]\n"
               "      --key-prefix P       [STORYPIPE_DEDUP_PREFIX, sp:]\n"
               "      --ttl-days N         days an entry counts, as the deduper's\n"
               "                           [STORYPIPE_DEDUP_TTL_DAYS, 90]\n"
               "      --bucket-bits N      buckets per kind, as the deduper's; by default what the\n"
               "                           state records (12 when none); another value than it\n"
               "                           records is refused [STORYPIPE_DEDUP_BUCKET_BITS]\n"
               "      --url-tracking LIST  extra tracking parameters, as the deduper's\n"
               "                           [STORYPIPE_URL_TRACKING, %s]\n"
               "      --json               one JSON object on stdout\n"
               "  -h, --help\n"
               "Exit codes: 0 ok (lookup: seen), 1 lookup: not seen, 64 usage, 69 Redis unreachable,\n"
               "70 unexpected reply from Redis, 78 --bucket-bits is not what the state records.\n",
               sp_url_tracking_default());
}

typedef struct seen_opts {
    const char *redis_url, *prefix;
    long ttl_days, bucket_bits;
    int bucket_bits_recorded; /* bucket_bits is what the state records */
    int json;
} seen_opts;

static const char *env_or(const char *name, const char *def) {
    const char *v = getenv(name);
    return v && *v ? v : def;
}

static void day_string(long day, char out[16]) {
    time_t t = (time_t)day * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

static void print_json(json_t *o) {
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (s) printf("%s\n", s);
    free(s);
    json_decref(o);
}

static int fail_reply(redisContext *c, redisReply *r, const char *what) {
    fprintf(stderr, "storypipe seen: %s: %s\n", what,
            r && r->type == REDIS_REPLY_ERROR ? r->str : c->err ? c->errstr : "unexpected reply");
    return c->err ? SP_EXIT_UNAVAILABLE : SP_EXIT_SOFTWARE;
}

/* ------------------------------------------------------------------ stats */

enum { K_R, K_U, K_C, K_T, K_NEAR, K_W, K_OTHER, K_N };
static const char *const kind_names[K_N] = {"r", "u", "c", "t", "n", "w", "other"};
static const char *const kind_labels[K_N] = {"r story records", "u URL claims", "c content claims", "t title+summary",
                                             "n near logs",     "w writers",    "other keys"};

typedef struct kind_stat {
    long long keys, entries, largest, not_listpack;
} kind_stat;

/* s[0..n) names a near log: <day>, or <version>:<day> (common/seen.h;
 * version 1's logs had no version, and stay until they expire) */
static int near_log_name(const char *s, size_t n) {
    size_t d = strspn(s, "0123456789");
    if (d > 0 && d < n && s[d] == ':') {
        s += d + 1;
        n -= d + 1;
        d = strspn(s, "0123456789");
    }
    return n > 0 && d == n;
}

static int kind_of(const char *key, size_t len, size_t plen, int *is_meta) {
    char c = len > plen ? key[plen] : 0;
    *is_meta = (len == plen + 5 && memcmp(key + plen, "stats", 5) == 0) ||
               (len == plen + 6 && memcmp(key + plen, "layout", 6) == 0);
    if (*is_meta) return -1;
    if (len == plen + 3 && (c == 'r' || c == 'u' || c == 'c' || c == 't'))
        return c == 'r' ? K_R : c == 'u' ? K_U : c == 'c' ? K_C : K_T;
    if (len > plen + 1 && c == 'n' && near_log_name(key + plen + 1, len - plen - 1)) return K_NEAR;
    if (len == plen + 5 && c == 'w') return K_W;
    return K_OTHER;
}

/* prefix with the glob characters escaped, then '*' */
static char *match_pattern(const char *prefix) {
    size_t n = strlen(prefix), k = 0;
    char *p = sp_xmalloc(2 * n + 2);
    for (size_t i = 0; i < n; i++) {
        if (strchr("*?[]\\", prefix[i])) p[k++] = '\\';
        p[k++] = prefix[i];
    }
    p[k++] = '*';
    p[k] = '\0';
    return p;
}

/* One SCAN batch's keys: the entries (HLEN of a bucket, STRLEN / 16 of a
 * near log) and OBJECT ENCODING of each, pipelined. */
static int tally(redisContext *c, redisReply *keys, size_t plen, kind_stat *ks) {
    for (size_t i = 0; i < keys->elements; i++) {
        redisReply *k = keys->element[i];
        int is_meta, kind = kind_of(k->str, k->len, plen, &is_meta);
        redisAppendCommand(c, kind == K_NEAR ? "STRLEN %b" : kind == K_W ? "EXISTS %b" : "HLEN %b", k->str,
                           (size_t)k->len);
        redisAppendCommand(c, "OBJECT ENCODING %b", k->str, (size_t)k->len);
    }
    for (size_t i = 0; i < keys->elements; i++) {
        redisReply *k = keys->element[i], *hlen = NULL, *enc = NULL;
        int is_meta, kind = kind_of(k->str, k->len, plen, &is_meta);
        if (redisGetReply(c, (void **)&hlen) != REDIS_OK || redisGetReply(c, (void **)&enc) != REDIS_OK) {
            if (hlen) freeReplyObject(hlen);
            return fail_reply(c, NULL, "HLEN");
        }
        if (!is_meta) {
            long long n = hlen->type == REDIS_REPLY_INTEGER ? hlen->integer : 0;
            if (kind == K_NEAR) n /= SP_SEEN_NEAR_ENTRY;
            ks[kind].keys++;
            ks[kind].entries += n;
            if (n > ks[kind].largest) ks[kind].largest = n;
            if (kind != K_NEAR && kind != K_W && !(enc->type == REDIS_REPLY_STRING && strcmp(enc->str, "listpack") == 0))
                ks[kind].not_listpack++;
        }
        freeReplyObject(hlen);
        freeReplyObject(enc);
    }
    return 0;
}

/* INFO memory's used_memory and used_memory_startup (what an empty server
 * uses), or -1 */
static void used_memory(redisContext *c, long long *used, long long *startup) {
    redisReply *r = redisCommand(c, "INFO memory");
    *used = *startup = -1;
    if (r && r->type == REDIS_REPLY_STRING) { /* REDIS_REPLY_VERB (RESP3) is not asked for */
        const char *p = strstr(r->str, "\nused_memory:"), *q = strstr(r->str, "\nused_memory_startup:");
        if (p) *used = atoll(p + 13);
        if (q) *startup = atoll(q + 21);
    }
    if (r) freeReplyObject(r);
}

static const char *const counters[] = {"new", "update", "replay", "duplicate_url", "duplicate_exact", "duplicate_near"};
#define N_COUNTERS 6

static double rate(long long part, long long whole) { return whole > 0 ? (double)part / (double)whole : 0; }

static int seen_stats(redisContext *c, const seen_opts *o) {
    kind_stat ks[K_N];
    long long dec[N_COUNTERS] = {0}, decided = 0, dups, keys = 0, entries = 0, mem, mem0, lpmax, dbsize = -1;
    double per_record;
    char cursor[32] = "0", key[SP_SEEN_KEY_MAX];
    char *pattern = match_pattern(o->prefix);
    size_t plen = strlen(o->prefix);
    redisReply *r;
    int rc;

    memset(ks, 0, sizeof ks);
    do {
        r = redisCommand(c, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
            r->element[1]->type != REDIS_REPLY_ARRAY || r->element[0]->len >= sizeof cursor) {
            rc = fail_reply(c, r, "SCAN");
            if (r) freeReplyObject(r);
            free(pattern);
            return rc;
        }
        memcpy(cursor, r->element[0]->str, r->element[0]->len + 1);
        rc = tally(c, r->element[1], plen, ks);
        freeReplyObject(r);
        if (rc != 0) {
            free(pattern);
            return rc;
        }
    } while (strcmp(cursor, "0") != 0);
    free(pattern);

    r = redisCommand(c, "HGETALL %b", key, sp_seen_stats_key(key, o->prefix));
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        rc = fail_reply(c, r, "HGETALL stats");
        if (r) freeReplyObject(r);
        return rc;
    }
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        for (int k = 0; k < N_COUNTERS; k++)
            if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, counters[k]) == 0)
                dec[k] = atoll(r->element[i + 1]->str);
    freeReplyObject(r);
    if ((r = redisCommand(c, "DBSIZE")) && r->type == REDIS_REPLY_INTEGER) dbsize = r->integer;
    if (r) freeReplyObject(r);
    used_memory(c, &mem, &mem0);
    lpmax = sp_redis_config_int(c, "hash-max-listpack-entries", -1);
    for (int k = 0; k < N_COUNTERS; k++) decided += dec[k];
    dups = dec[3] + dec[4] + dec[5];
    for (int k = 0; k < K_N; k++) keys += ks[k].keys, entries += ks[k].entries;
    /* what the data costs: used_memory over what the server used empty */
    per_record = mem >= 0 && ks[K_R].entries > 0 ? (double)(mem - (mem0 > 0 ? mem0 : 0)) / (double)ks[K_R].entries : -1;

    if (o->json) {
        json_t *out = json_object(), *kinds = json_object(), *d = json_object(), *rt = json_object();
        for (int k = 0; k < K_N; k++)
            json_object_set_new(kinds, kind_names[k],
                                json_pack("{s:I, s:I, s:I, s:I}", "keys", (json_int_t)ks[k].keys, "entries",
                                          (json_int_t)ks[k].entries, "largest", (json_int_t)ks[k].largest,
                                          "not_listpack", (json_int_t)ks[k].not_listpack));
        for (int k = 0; k < N_COUNTERS; k++) json_object_set_new(d, counters[k], json_integer(dec[k]));
        json_object_set_new(d, "total", json_integer(decided));
        json_object_set_new(d, "duplicate", json_integer(dups));
#define RATE(name, part) json_object_set_new(rt, name, decided > 0 ? json_real(rate(part, decided)) : json_null())
        RATE("new", dec[0]);
        RATE("update", dec[1]);
        RATE("replay", dec[2]);
        RATE("duplicate", dups);
        RATE("duplicate_url", dec[3]);
        RATE("duplicate_exact", dec[4]);
        RATE("duplicate_near", dec[5]);
#undef RATE
        json_object_set_new(out, "prefix", json_string(o->prefix));
        json_object_set_new(out, "bucket_bits", o->bucket_bits_recorded ? json_integer(o->bucket_bits) : json_null());
        json_object_set_new(out, "kinds", kinds);
        json_object_set_new(out, "keys", json_integer(keys));
        json_object_set_new(out, "entries", json_integer(entries));
        json_object_set_new(out, "dbsize", dbsize >= 0 ? json_integer(dbsize) : json_null());
        json_object_set_new(out, "used_memory", mem >= 0 ? json_integer(mem) : json_null());
        json_object_set_new(out, "records", json_integer(ks[K_R].entries));
        json_object_set_new(out, "used_memory_startup", mem0 >= 0 ? json_integer(mem0) : json_null());
        json_object_set_new(out, "bytes_per_record", per_record >= 0 ? json_real(per_record) : json_null());
        json_object_set_new(out, "hash_max_listpack_entries", lpmax >= 0 ? json_integer(lpmax) : json_null());
        json_object_set_new(out, "decisions", d);
        json_object_set_new(out, "rates", rt);
        print_json(out);
        return SP_EXIT_OK;
    }

    printf("seen-state under prefix \"%s\" (SCAN), ", o->prefix);
    if (o->bucket_bits_recorded) printf("%ld bucket bits: %d buckets per kind\n", o->bucket_bits, 1 << o->bucket_bits);
    else printf("no layout recorded (no deduper has connected to it yet)\n");
    printf("  %-18s %10s %11s %8s %13s\n", "kind", "keys", "entries", "largest", "not listpack");
    for (int k = 0; k < K_N; k++) {
        if (k == K_OTHER && ks[k].keys == 0) continue;
        printf("  %-18s %10lld %11lld %8lld %13lld\n", kind_labels[k], ks[k].keys, ks[k].entries, ks[k].largest,
               ks[k].not_listpack);
    }
    printf("  %-18s %10lld %11lld\n", "total", keys, entries);
    printf("  (and the stats hash; DBSIZE %lld", dbsize);
    if (lpmax >= 0) printf("; a bucket stays a compact listpack up to hash-max-listpack-entries %lld", lpmax);
    printf(")\n");
    if (mem >= 0) {
        printf("used_memory %lld bytes (%.1f MiB)", mem, (double)mem / 1048576.0);
        if (per_record >= 0)
            printf(", %.1f bytes per story record ((used_memory - used_memory_startup %lld) / %lld records;"
                   " other keys in the database included)",
                   per_record, mem0 > 0 ? mem0 : 0, ks[K_R].entries);
        printf("\n");
    }
    printf("decisions: %lld\n", decided);
    for (int k = 0; k < N_COUNTERS; k++) {
        printf("  %-16s %12lld", counters[k], dec[k]);
        if (decided > 0) printf("  %6.2f%%", 100 * rate(dec[k], decided));
        printf("\n");
    }
    if (decided > 0)
        printf("duplicate rate %.2f%% (url %.2f%%, exact %.2f%%, near %.2f%%), replay rate %.2f%%, update rate %.2f%%\n",
               100 * rate(dups, decided), 100 * rate(dec[3], decided), 100 * rate(dec[4], decided),
               100 * rate(dec[5], decided), 100 * rate(dec[2], decided), 100 * rate(dec[1], decided));
    return SP_EXIT_OK;
}

/* --------------------------------------------------------- lookup, forget */

static int seen_url(redisContext *c, const seen_opts *o, const char *url, int forget) {
    char *canon = sp_url_canonical(url), owner[17], date[16];
    long day = 0, today = sp_seen_today(), age = 0;
    int found, fresh = 0, rc;
    if (canon == NULL) {
        fprintf(stderr, "storypipe seen: '%s' is not an absolute http(s) URL\n", url);
        return SP_EXIT_USAGE;
    }
    found = sp_seen_url_owner(c, o->prefix, (int)o->bucket_bits, canon, owner, &day);
    if (found < 0) {
        rc = fail_reply(c, NULL, "HGET");
        free(canon);
        return rc;
    }
    if (found) { /* a day is kept in 16 bits, as the deduper compares them */
        age = ((today - day) % 65536 + 65536) % 65536;
        fresh = age < o->ttl_days;
        day_string(today - age, date);
    }
    if (forget) {
        int removed = sp_seen_url_forget(c, o->prefix, (int)o->bucket_bits, canon);
        if (removed < 0) {
            rc = fail_reply(c, NULL, "HDEL");
            free(canon);
            return rc;
        }
        if (o->json) {
            json_t *out = json_pack("{s:s, s:s, s:b}", "url", url, "canonical_url", canon, "forgotten", removed > 0);
            if (removed > 0 && found) {
                json_object_set_new(out, "story_id", json_string(owner));
                json_object_set_new(out, "date", json_string(date));
            }
            print_json(out);
        } else if (removed > 0 && found) {
            printf("forgot %s (claimed by story %s, seen %s%s)\n", canon, owner, date, fresh ? "" : ", expired");
        } else if (removed > 0) {
            printf("forgot %s\n", canon);
        } else {
            printf("not seen: %s (nothing to forget)\n", canon);
        }
        free(canon);
        return SP_EXIT_OK;
    }
    if (o->json) {
        json_t *out = json_pack("{s:s, s:s, s:b}", "url", url, "canonical_url", canon, "seen", found && fresh);
        if (found) {
            json_object_set_new(out, "story_id", json_string(owner));
            json_object_set_new(out, "date", json_string(date));
            json_object_set_new(out, "age_days", json_integer(age));
            json_object_set_new(out, "expired", json_boolean(!fresh));
        }
        print_json(out);
    } else if (found && fresh) {
        printf("canonical_url  %s\nstory_id       %s\nseen           %s (%ld day%s ago)\n", canon, owner, date, age,
               age == 1 ? "" : "s");
    } else if (found) {
        printf("not seen: %s (its entry, story %s from %s, is older than %ld days: the deduper counts it as absent)\n",
               canon, owner, date, o->ttl_days);
    } else {
        printf("not seen: %s\n", canon);
    }
    free(canon);
    return found && fresh ? SP_EXIT_OK : SEEN_NOT_SEEN;
}

/* ------------------------------------------------------------------- main */

int cmd_seen(int argc, char **argv) {
    enum { OPT_REDIS = 256, OPT_PREFIX, OPT_TTL, OPT_BITS, OPT_TRACKING, OPT_JSON };
    static const struct option opts[] = {{"redis", required_argument, 0, OPT_REDIS},
                                         {"key-prefix", required_argument, 0, OPT_PREFIX},
                                         {"ttl-days", required_argument, 0, OPT_TTL},
                                         {"bucket-bits", required_argument, 0, OPT_BITS},
                                         {"url-tracking", required_argument, 0, OPT_TRACKING},
                                         {"json", no_argument, 0, OPT_JSON},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    seen_opts o = {env_or("STORYPIPE_REDIS_URL", "redis://127.0.0.1:6379/0"), env_or("STORYPIPE_DEDUP_PREFIX", "sp:"),
                   90, SP_SEEN_BUCKET_BITS, 0, 0};
    const char *ttl = env_or("STORYPIPE_DEDUP_TTL_DAYS", "90"), *tracking = env_or("STORYPIPE_URL_TRACKING", NULL);
    const char *bits = env_or("STORYPIPE_DEDUP_BUCKET_BITS", NULL);
    int recorded;
    const char *sub;
    redisContext *c;
    int ch, rc, nargs;

    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case OPT_REDIS: o.redis_url = optarg; break;
        case OPT_PREFIX: o.prefix = optarg; break;
        case OPT_TTL: ttl = optarg; break;
        case OPT_BITS: bits = optarg; break;
        case OPT_TRACKING: tracking = optarg; break;
        case OPT_JSON: o.json = 1; break;
        case 'h': usage(stdout); return SP_EXIT_OK;
        default: usage(stderr); return SP_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return SP_EXIT_USAGE;
    }
    sub = argv[optind];
    nargs = argc - optind - 1;
    if (!((strcmp(sub, "stats") == 0 && nargs == 0) ||
          ((strcmp(sub, "lookup") == 0 || strcmp(sub, "forget") == 0) && nargs == 1))) {
        fprintf(stderr, "storypipe seen: '%s'%s\n", sub,
                strcmp(sub, "stats") == 0 || strcmp(sub, "lookup") == 0 || strcmp(sub, "forget") == 0
                    ? ": wrong number of arguments"
                    : " is not stats, lookup or forget");
        usage(stderr);
        return SP_EXIT_USAGE;
    }
    if (sp_parse_int(ttl, 1, 36500, &o.ttl_days) != 0) {
        fprintf(stderr, "storypipe seen: invalid --ttl-days '%s' (1 to 36500)\n", ttl);
        return SP_EXIT_USAGE;
    }
    if (bits && sp_parse_int(bits, SP_SEEN_BUCKET_BITS_MIN, SP_SEEN_BUCKET_BITS_MAX, &o.bucket_bits) != 0) {
        fprintf(stderr, "storypipe seen: invalid --bucket-bits '%s' (%d to %d)\n", bits, SP_SEEN_BUCKET_BITS_MIN,
                SP_SEEN_BUCKET_BITS_MAX);
        return SP_EXIT_USAGE;
    }
    if (strlen(o.prefix) > 64) {
        fprintf(stderr, "storypipe seen: --key-prefix is longer than 64 bytes\n");
        return SP_EXIT_USAGE;
    }
    if (tracking && sp_url_set_tracking(tracking) != 0) {
        fprintf(stderr, "storypipe seen: invalid --url-tracking '%s'\n", tracking);
        return SP_EXIT_USAGE;
    }
    if (!sp_redis_url_valid(o.redis_url)) {
        fprintf(stderr, "storypipe seen: invalid --redis URL (redis://[:password@]host[:port][/db])\n");
        return SP_EXIT_USAGE;
    }
    if ((c = sp_redis_connect(o.redis_url)) == NULL) {
        fprintf(stderr, "storypipe seen: cannot reach Redis\n");
        return SP_EXIT_UNAVAILABLE;
    }
    /* the buckets the state was written with, which a hash's bucket depends on */
    if ((rc = sp_seen_layout(c, o.prefix, 0, &recorded)) != 0) {
        if (rc == -2) fprintf(stderr, "storypipe seen: the key %slayout is not a seen-state layout\n", o.prefix);
        rc = rc == -2 ? SP_EXIT_CONFIG : fail_reply(c, NULL, "GET layout");
        redisFree(c);
        return rc;
    }
    if (recorded && bits && recorded != o.bucket_bits) {
        fprintf(stderr, "storypipe seen: the seen-state under key prefix '%s' was written with --bucket-bits %d, not %ld\n",
                o.prefix, recorded, o.bucket_bits);
        redisFree(c);
        return SP_EXIT_CONFIG;
    }
    if (recorded) o.bucket_bits = recorded;
    o.bucket_bits_recorded = recorded != 0;
    if (strcmp(sub, "stats") == 0) rc = seen_stats(c, &o);
    else rc = seen_url(c, &o, argv[optind + 1], strcmp(sub, "forget") == 0);
    redisFree(c);
    return rc;
}
