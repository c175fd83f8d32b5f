/* sources.c — `storypipe sources add|list|remove`: the fetcher's table of
 * sources, <prefix>sources, a compacted topic keyed by source id.
 *
 *   sources add [FILE|-]   JSON Lines source records, each checked as
 *                          schemas/source.schema.json says; all or nothing:
 *                          one bad line and none is sent (exit 65)
 *   sources list [--json]  the table as it stands: every partition read from
 *                          its start to its high watermark (partitions
 *                          assigned, nothing committed), the latest record per
 *                          key, tombstoned keys dropped
 *   sources remove ID...   a tombstone (the key, a null value) per id
 *
 * Records are produced by an idempotent producer (acks=all), keyed by id,
 * and the command waits for every acknowledgement. The topic must exist
 * (`storypipe topics create`): a producer could otherwise have the broker
 * auto-create it, uncompacted. sources_send() is shared with ingest.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "kafka.h"
#include "log.h"
#include "stage.h"
#include "util.h"

/* Largest record: the fetcher's default --max-message-bytes (16 MiB). */
#define SOURCES_MAX_RECORD (16u << 20)
#define SOURCES_MAX_INTERVAL 2592000 /* 30 days, as the fetcher's poller */
#define SOURCES_MAX_PER_PAGE 100
#define SOURCES_TIMEOUT_MS 10000     /* metadata and watermark requests */
#define SOURCES_STALL_MS 30000       /* list: longest wait without a message */

/* Shared with ingest.c (declared there). */
char *sources_topic(const cli_kafka *k);
int sources_send(cli_kafka *k, const char *cmd, size_t n, char *const *keys, char *const *values);

static void usage(FILE *f) {
    fprintf(f, "Usage: storypipe sources add [OPTIONS] [FILE|-]\n"
               "       storypipe sources list [OPTIONS] [--json]\n"
               "       storypipe sources remove [OPTIONS] ID...\n"
               "The fetcher's sources: the compacted topic <prefix>sources, keyed by source id.\n\n"
               "  add [FILE|-]   send the JSON Lines source records of FILE (or stdin) keyed by id,\n"
               "                 replacing any record with the same id; blank lines and # comments\n"
               "                 are skipped, a missing schema_version is taken as 1. Every record\n"
               "                 is checked first (schemas/source.schema.json): if any line is bad,\n"
               "                 each bad line is named and nothing is sent (exit 65)\n"
               "  list           the current sources, one per line: ID KIND URL-OR-PATH INTERVAL\n"
               "                 (INTERVAL: poll_interval_s of a polled source, 'default' when\n"
               "                 unset, 'once' for wordpress_post, '-' for the others)\n"
               "      --json     the records themselves, one JSON object per line, sorted by id\n"
               "  remove ID...   remove sources: a tombstone (the key, a null value) for each ID\n\n"
               "Kinds and their fields: file (path), inline (content), wordpress (url of the site),\n"
               "wordpress_post (url of the post's REST API URL), feed (url of an RSS/Atom feed),\n"
               "eml (content_base64 of the .eml bytes, or path), directory (path of a directory whose\n"
               "new and changed files are documents, .eml files as e-mail); optional: name, url, format\n"
               "(auto|text|html|wordpress_json), poll_interval_s (1..2592000), per_page (1..100),\n"
               "allow_private, auth ({\"user\", \"password_env\" | \"password_file\"}).\n\n"
               "  -b, --brokers LIST     [STORYPIPE_BROKERS, 127.0.0.1:9092]\n"
               "      --topic-prefix P   [STORYPIPE_TOPIC_PREFIX, news.]\n"
               "  -X KEY=VALUE           librdkafka property\n"
               "  -h, --help\n"
               "Exit codes: 0 ok, 64 usage, 65 an invalid record (nothing sent), 69 the broker is\n"
               "unreachable, the topic is missing (run 'storypipe topics create') or a record was\n"
               "not acknowledged, or FILE cannot be read, 78 a rejected -X property.\n");
}

char *sources_topic(const cli_kafka *k) {
    size_t len = strlen(k->prefix) + sizeof "sources";
    char *t = sp_xmalloc(len);
    snprintf(t, len, "%ssources", k->prefix);
    return t;
}

/* ---- the topic ------------------------------------------------------------ */

/* The number of partitions of `topic` (0 when it does not exist), or -1
 * after a message when the brokers do not answer. All topics are asked
 * for, so that asking never auto-creates the topic. */
static int partition_count(rd_kafka_t *rk, const char *cmd, const char *brokers, const char *topic) {
    const rd_kafka_metadata_t *md;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, SOURCES_TIMEOUT_MS);
    int n = 0;
    if (err) {
        fprintf(stderr, "storypipe %s: cannot reach the brokers at %s: %s\n", cmd, brokers, rd_kafka_err2str(err));
        return -1;
    }
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, topic) == 0 && !md->topics[i].err) n = md->topics[i].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return n;
}

/* ---- sending ---------------------------------------------------------------- */

static struct {
    char *const *keys;
    int failed;
} send_state;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    if (m->err) {
        size_t i = (size_t)(uintptr_t)m->_private;
        send_state.failed++;
        fprintf(stderr, "storypipe: %s: not acknowledged: %s\n", send_state.keys[i], rd_kafka_err2str(m->err));
    }
}

/* Produce values[i] (or a tombstone when NULL) keyed by keys[i] to
 * <prefix>sources with an idempotent producer, and wait for every
 * acknowledgement. Returns an exit code. */
int sources_send(cli_kafka *k, const char *cmd, size_t n, char *const *keys, char *const *values) {
    static const char *const extra[] = {"enable.idempotence", "true", "acks", "all", "linger.ms", "5",
                                        "message.timeout.ms", "60000", NULL};
    char *topic = sources_topic(k);
    rd_kafka_t *rk = cli_kafka_client(k, RD_KAFKA_PRODUCER, extra, on_delivery);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    int parts, rc = SP_EXIT_OK;
    size_t sent = 0;

    if (rk == NULL) {
        free(topic);
        return SP_EXIT_CONFIG;
    }
    send_state.keys = keys;
    send_state.failed = 0;
    if ((parts = partition_count(rk, cmd, k->brokers, topic)) <= 0) {
        if (parts == 0)
            fprintf(stderr, "storypipe %s: topic %s does not exist: create it with 'storypipe topics create'\n", cmd,
                    topic);
        rc = SP_EXIT_UNAVAILABLE;
        goto done;
    }
    for (; sent < n; sent++) {
        err = cli_produce(rk, topic, keys[sent], strlen(keys[sent]), values[sent],
                          values[sent] ? strlen(values[sent]) : 0, (void *)(uintptr_t)sent);
        if (err) {
            fprintf(stderr, "storypipe %s: %s: %s\n", cmd, keys[sent], rd_kafka_err2str(err));
            break;
        }
    }
    rd_kafka_flush(rk, 90000); /* message.timeout.ms bounds each message */
    if (rd_kafka_outq_len(rk) > 0) {
        fprintf(stderr, "storypipe %s: %d records still unacknowledged\n", cmd, rd_kafka_outq_len(rk));
        rc = SP_EXIT_UNAVAILABLE;
    }
    if (err || send_state.failed) {
        if (send_state.failed)
            fprintf(stderr, "storypipe %s: %d of %zu records not acknowledged by %s\n", cmd, send_state.failed, n,
                    topic);
        rc = SP_EXIT_UNAVAILABLE;
    }
done:
    rd_kafka_destroy(rk);
    free(topic);
    return rc;
}

/* ---- checking a record ------------------------------------------------------- */

/* Kinds fetched over HTTP from their url. */
static int over_http(const char *kind) {
    return strcmp(kind, "wordpress") == 0 || strcmp(kind, "wordpress_post") == 0 || strcmp(kind, "feed") == 0;
}

/* Kinds fetched again every poll_interval_s. */
static int polled(const char *kind) { return over_http(kind) || strcmp(kind, "directory") == 0; }

static int in(const char *s, const char *const *set) {
    for (; *set; set++)
        if (strcmp(s, *set) == 0) return 1;
    return 0;
}

/* RFC 4648 base64, padded, no line breaks, as the schema's pattern. */
static int base64_valid(const char *s, size_t n) {
    if (n == 0 || n % 4) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (c == '=' && (i == n - 1 || (i == n - 2 && s[n - 1] == '='))) continue;
        if (!b64) return 0;
    }
    return 1;
}

/* A non-empty string without control characters. */
static int plain(const char *s) {
    if (s == NULL || *s == '\0') return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return 0;
    return 1;
}

static int http_url(const char *s) {
    if (strncmp(s, "http://", 7) == 0) s += 7;
    else if (strncmp(s, "https://", 8) == 0) s += 8;
    else return 0;
    if (*s == '\0') return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f) return 0;
    return 1;
}

#define BAD(...) (snprintf(why, n, __VA_ARGS__), -1)

static int check_auth(json_t *auth, char *why, size_t n) {
    const char *key;
    json_t *v;
    int where = 0;
    if (json_is_null(auth)) return 0;
    if (!json_is_object(auth)) return BAD("auth must be an object {\"user\", \"password_env\" | \"password_file\"}");
    json_object_foreach(auth, key, v) {
        if (strcmp(key, "password") == 0 || strcmp(key, "pass") == 0 || strcmp(key, "secret") == 0)
            return BAD("auth must not hold the password itself: name the fetcher's environment variable "
                       "(password_env) or file (password_file) that holds it");
        if (strcmp(key, "user") && strcmp(key, "password_env") && strcmp(key, "password_file"))
            return BAD("auth: unknown field '%s' (user, password_env, password_file)", key);
        if (!json_is_string(v) || json_string_length(v) == 0) return BAD("auth.%s must be a non-empty string", key);
        if (strcmp(key, "user")) where++;
    }
    if (json_object_get(auth, "user") == NULL) return BAD("auth.user is missing");
    if (where != 1) return BAD("auth needs exactly one of password_env, password_file");
    return 0;
}

/* 0 if rec is a valid source record (schemas/source.schema.json), else -1
 * with the reason in why. */
static int check_record(json_t *rec, char *why, size_t n) {
    static const char *const fields[] = {"schema_version", "id",       "kind",           "name",
                                         "url",            "path",     "content",        "content_base64",
                                         "format",         "poll_interval_s", "per_page", "allow_private",
                                         "auth",           NULL};
    static const char *const kinds[] = {"file", "inline", "wordpress", "wordpress_post", "feed", "eml", "directory", NULL};
    static const char *const formats[] = {"auto", "text", "html", "wordpress_json", NULL};
    const char *key, *kind, *id;
    json_t *v;

    json_object_foreach(rec, key, v) {
        if (!in(key, fields)) return BAD("unknown field '%s'", key);
    }
    v = json_object_get(rec, "schema_version");
    if (!json_is_integer(v) || json_integer_value(v) != 1) return BAD("schema_version must be 1");
    if ((id = json_string_value(json_object_get(rec, "id"))) == NULL)
        return BAD(json_object_get(rec, "id") ? "id must be a string" : "id is missing");
    if (!plain(id)) return BAD("id must be non-empty, without control characters");
    if ((kind = json_string_value(json_object_get(rec, "kind"))) == NULL)
        return BAD(json_object_get(rec, "kind") ? "kind must be a string" : "kind is missing");
    if (!in(kind, kinds)) return BAD("unknown kind '%s' (file, inline, wordpress, wordpress_post, feed, eml, directory)", kind);
    if ((v = json_object_get(rec, "name")) && !json_is_string(v)) return BAD("name must be a string");
    if ((v = json_object_get(rec, "path")) && (!json_is_string(v) || json_string_length(v) == 0))
        return BAD("path must be a non-empty string");
    if ((v = json_object_get(rec, "url")) && !json_is_string(v) && !json_is_null(v))
        return BAD("url must be a string or null");
    if ((v = json_object_get(rec, "content")) && !json_is_string(v)) return BAD("content must be a string");
    if ((v = json_object_get(rec, "content_base64")) &&
        (!json_is_string(v) || !base64_valid(json_string_value(v), json_string_length(v))))
        return BAD("content_base64 must be non-empty standard base64 (RFC 4648, padded, no line breaks)");
    if ((v = json_object_get(rec, "format")) && (!json_is_string(v) || !in(json_string_value(v), formats)))
        return BAD("format must be one of auto, text, html, wordpress_json");
    if ((v = json_object_get(rec, "poll_interval_s")) &&
        (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > SOURCES_MAX_INTERVAL))
        return BAD("poll_interval_s must be an integer from 1 to %d", SOURCES_MAX_INTERVAL);
    if ((v = json_object_get(rec, "per_page")) &&
        (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > SOURCES_MAX_PER_PAGE))
        return BAD("per_page must be an integer from 1 to %d", SOURCES_MAX_PER_PAGE);
    if ((v = json_object_get(rec, "allow_private")) && !json_is_boolean(v))
        return BAD("allow_private must be true or false");
    if ((v = json_object_get(rec, "auth")) && check_auth(v, why, n)) return -1;

    if ((strcmp(kind, "file") == 0 || strcmp(kind, "directory") == 0) && !json_object_get(rec, "path"))
        return BAD("kind %s needs path", kind);
    if (strcmp(kind, "inline") == 0 && !json_object_get(rec, "content")) return BAD("kind inline needs content");
    if (over_http(kind)) {
        const char *url = json_string_value(json_object_get(rec, "url"));
        if (url == NULL) return BAD("kind %s needs url", kind);
        if (!http_url(url)) return BAD("url must be an http:// or https:// URL (kind %s)", kind);
    }
    if (strcmp(kind, "eml") == 0 && !json_object_get(rec, "path") == !json_object_get(rec, "content_base64"))
        return BAD("kind eml needs exactly one of content_base64, path");
    return 0;
}

#undef BAD

/* ---- add ------------------------------------------------------------------- */

static int cmd_add(cli_kafka *k, const char *file) {
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    const char *label = f == stdin ? "stdin" : file;
    char *line = NULL, **keys = NULL, **values = NULL;
    size_t cap = 0, n = 0, ncap = 0;
    long lineno = 0, bad = 0;
    ssize_t len;
    json_t *seen = json_object(); /* id -> line, to point out repeats */
    int rc;

    if (f == NULL) {
        fprintf(stderr, "storypipe sources add: %s: %s\n", file, strerror(errno));
        json_decref(seen);
        return SP_EXIT_UNAVAILABLE;
    }
    while ((len = getline(&line, &cap, f)) != -1) {
        json_error_t jerr;
        json_t *rec, *full;
        char why[512], *text;
        const char *p = line, *id;
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '\0' || *p == '#') continue;
        if ((rec = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
            fprintf(stderr, "storypipe sources add: %s:%ld: not JSON: %s (column %d)\n", label, lineno, jerr.text,
                    jerr.column);
            bad++;
            continue;
        }
        if (!json_is_object(rec)) {
            fprintf(stderr, "storypipe sources add: %s:%ld: not a JSON object\n", label, lineno);
            json_decref(rec);
            bad++;
            continue;
        }
        full = json_pack("{s:i}", "schema_version", 1); /* first, unless the line has its own */
        json_object_update(full, rec);
        json_decref(rec);
        if (check_record(full, why, sizeof why)) {
            fprintf(stderr, "storypipe sources add: %s:%ld: %s\n", label, lineno, why);
            json_decref(full);
            bad++;
            continue;
        }
        text = json_dumps(full, JSON_COMPACT);
        if (strlen(text) > SOURCES_MAX_RECORD) {
            fprintf(stderr, "storypipe sources add: %s:%ld: the record is %zu bytes, more than the %u a source may have\n",
                    label, lineno, strlen(text), SOURCES_MAX_RECORD);
            free(text);
            json_decref(full);
            bad++;
            continue;
        }
        id = json_string_value(json_object_get(full, "id"));
        if (json_object_get(seen, id))
            fprintf(stderr, "storypipe sources add: %s:%ld: id '%s' is also on line %lld: the later record wins\n",
                    label, lineno, id, (long long)json_integer_value(json_object_get(seen, id)));
        json_object_set_new(seen, id, json_integer(lineno));
        if (n == ncap) {
            ncap = ncap ? 2 * ncap : 64;
            keys = sp_xrealloc(keys, ncap * sizeof *keys);
            values = sp_xrealloc(values, ncap * sizeof *values);
        }
        keys[n] = sp_xstrdup(id);
        values[n++] = text;
        json_decref(full);
    }
    if (ferror(f)) {
        fprintf(stderr, "storypipe sources add: %s: %s\n", label, strerror(errno));
        rc = SP_EXIT_UNAVAILABLE;
    } else if (bad) {
        fprintf(stderr, "storypipe sources add: %ld invalid record%s in %s: nothing was sent\n", bad,
                bad == 1 ? "" : "s", label);
        rc = SP_EXIT_DATAERR;
    } else if (n == 0) {
        fprintf(stderr, "storypipe sources add: no source records in %s\n", label);
        rc = SP_EXIT_OK;
    } else if ((rc = sources_send(k, "sources add", n, keys, values)) == SP_EXIT_OK) {
        char *topic = sources_topic(k);
        printf("added %zu source%s to %s\n", n, n == 1 ? "" : "s", topic);
        free(topic);
    }
    if (f != stdin) fclose(f);
    for (size_t i = 0; i < n; i++) free(keys[i]), free(values[i]);
    free(keys);
    free(values);
    free(line);
    json_decref(seen);
    return rc;
}

/* ---- remove ------------------------------------------------------------------ */

static int cmd_remove(cli_kafka *k, int n, char **ids) {
    char **values = calloc((size_t)n, sizeof *values); /* all NULL: tombstones */
    int rc;
    for (int i = 0; i < n; i++) {
        if (!plain(ids[i])) {
            fprintf(stderr, "storypipe sources remove: '%s' is not a source id\n", ids[i]);
            free(values);
            return SP_EXIT_USAGE;
        }
    }
    rc = sources_send(k, "sources remove", (size_t)n, ids, values);
    if (rc == SP_EXIT_OK)
        for (int i = 0; i < n; i++) printf("removed %s\n", ids[i]);
    free(values);
    return rc;
}

/* ---- list -------------------------------------------------------------------- */

/* Read every partition of topic from its start to its high watermark into
 * table (key -> value as a JSON string of the bytes; tombstones delete).
 * Returns an exit code. */
static int read_table(cli_kafka *k, const char *topic, json_t *table) {
    /* assign() wants a group.id; with assign (no subscribe) and no commits
     * the group is never joined and never gets an offset */
    static const char *const extra[] = {"group.id", "storypipe-sources-list", "enable.auto.commit", "false",
                                        "enable.auto.offset.store", "false",
                                        "enable.partition.eof", "true", "isolation.level", "read_committed",
                                        "auto.offset.reset", "earliest", NULL};
    rd_kafka_t *rk = cli_kafka_client(k, RD_KAFKA_CONSUMER, extra, NULL);
    rd_kafka_topic_partition_list_t *parts = NULL;
    int64_t *high = NULL;
    char *done = NULL;
    rd_kafka_resp_err_t err;
    int np, remaining = 0, rc = SP_EXIT_OK;
    int64_t last = sp_mono_ms();

    if (rk == NULL) return SP_EXIT_CONFIG;
    if ((np = partition_count(rk, "sources list", k->brokers, topic)) <= 0) {
        if (np == 0)
            fprintf(stderr, "storypipe sources list: topic %s does not exist (no sources; 'storypipe topics "
                            "create' creates it)\n", topic);
        rc = np == 0 ? SP_EXIT_OK : SP_EXIT_UNAVAILABLE;
        goto done;
    }
    high = calloc((size_t)np, sizeof *high);
    done = calloc((size_t)np, 1);
    parts = rd_kafka_topic_partition_list_new(np);
    for (int p = 0; p < np; p++) {
        int64_t low;
        err = rd_kafka_query_watermark_offsets(rk, topic, p, &low, &high[p], SOURCES_TIMEOUT_MS);
        if (err) {
            fprintf(stderr, "storypipe sources list: %s [%d]: watermarks: %s\n", topic, p, rd_kafka_err2str(err));
            rc = SP_EXIT_UNAVAILABLE;
            goto done;
        }
        if (high[p] > low) {
            rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
            remaining++;
        } else {
            done[p] = 1;
        }
    }
    if (remaining && (err = rd_kafka_assign(rk, parts))) {
        fprintf(stderr, "storypipe sources list: cannot assign the partitions of %s: %s\n", topic,
                rd_kafka_err2str(err));
        rc = SP_EXIT_SOFTWARE;
        goto done;
    }
    while (remaining > 0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        int p;
        if (m == NULL) {
            if (sp_mono_ms() - last > SOURCES_STALL_MS) {
                fprintf(stderr, "storypipe sources list: no progress reading %s for %d s\n", topic,
                        SOURCES_STALL_MS / 1000);
                rc = SP_EXIT_UNAVAILABLE;
                break;
            }
            continue;
        }
        p = m->partition;
        if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            sp_log(SP_LOG_WARN, "consume_error", "%s", rd_kafka_message_errstr(m));
        } else if (p >= 0 && p < np && !done[p]) {
            last = sp_mono_ms();
            if (!m->err && m->offset < high[p] && m->key) {
                char *key = sp_xstrndup(m->key, m->key_len);
                if (m->payload == NULL)
                    json_object_del(table, key);
                else
                    json_object_set_new_nocheck(table, key, json_stringn_nocheck(m->payload, m->len));
                free(key);
            }
            /* at the end: the last record before the high watermark, or the
             * end of the partition (after transaction markers) */
            if ((!m->err && m->offset >= high[p] - 1) || (m->err && m->offset >= high[p])) {
                done[p] = 1;
                remaining--;
            }
        }
        rd_kafka_message_destroy(m);
    }
done:
    if (parts) rd_kafka_topic_partition_list_destroy(parts);
    free(high);
    free(done);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

static int by_string(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The URL or path of a record, or what its content is. */
static void location(json_t *rec, char *out, size_t n) {
    const char *url = json_string_value(json_object_get(rec, "url"));
    const char *path = json_string_value(json_object_get(rec, "path"));
    json_t *c = json_object_get(rec, "content"), *b = json_object_get(rec, "content_base64");
    if (url) snprintf(out, n, "%s", url);
    else if (path) snprintf(out, n, "%s", path);
    else if (json_is_string(c)) snprintf(out, n, "(content, %zu bytes)", json_string_length(c));
    else if (json_is_string(b)) {
        size_t len = json_string_length(b), bytes = len / 4 * 3;
        const char *s = json_string_value(b);
        if (len >= 1 && s[len - 1] == '=') bytes--;
        if (len >= 2 && s[len - 2] == '=') bytes--;
        snprintf(out, n, "(content_base64, %zu bytes)", bytes);
    } else snprintf(out, n, "-");
}

static void interval(json_t *rec, const char *kind, char *out, size_t n) {
    json_t *iv = json_object_get(rec, "poll_interval_s");
    if (!polled(kind)) snprintf(out, n, "-");
    else if (strcmp(kind, "wordpress_post") == 0) snprintf(out, n, "once");
    else if (json_is_integer(iv)) snprintf(out, n, "%llds", (long long)json_integer_value(iv));
    else snprintf(out, n, "default");
}

static int cmd_list(cli_kafka *k, int as_json) {
    char *topic = sources_topic(k);
    json_t *table = json_object(), *v;
    const char *key, **ids;
    size_t n = 0, wid = 0, wkind = 0, wloc = 0;
    int rc = read_table(k, topic, table);

    if (rc != SP_EXIT_OK) goto done;
    ids = sp_xmalloc((json_object_size(table) + 1) * sizeof *ids);
    json_object_foreach(table, key, v) ids[n++] = key;
    qsort(ids, n, sizeof *ids, by_string);
    for (int pass = 0; pass < 2; pass++) { /* widths, then the lines */
        for (size_t i = 0; i < n; i++) {
            json_t *s = json_object_get(table, ids[i]);
            json_t *rec = json_loadb(json_string_value(s), json_string_length(s), 0, NULL);
            char loc[1024], iv[32];
            const char *kind = json_string_value(json_object_get(rec, "kind"));
            if (!json_is_object(rec)) {
                if (pass == 1)
                    fprintf(stderr, "storypipe sources list: %s: the record is not a JSON object\n", ids[i]);
                kind = "?";
                snprintf(loc, sizeof loc, "(not a JSON object)");
            } else {
                if (kind == NULL) kind = "?";
                location(rec, loc, sizeof loc);
            }
            interval(rec, kind, iv, sizeof iv);
            if (pass == 0) {
                size_t a = strlen(ids[i]), b = strlen(kind), c = strlen(loc);
                wid = a > wid ? a : wid;
                wkind = b > wkind ? b : wkind;
                wloc = c > wloc ? c : wloc;
            } else if (as_json) {
                if (json_is_object(rec)) {
                    char *text = json_dumps(rec, JSON_COMPACT);
                    puts(text);
                    free(text);
                }
            } else {
                printf("%-*s  %-*s  %-*s  %s\n", (int)wid, ids[i], (int)wkind, kind, (int)wloc, loc, iv);
            }
            json_decref(rec);
        }
    }
    free(ids);
    if (fflush(stdout) != 0) rc = SP_EXIT_UNAVAILABLE;
done:
    json_decref(table);
    free(topic);
    return rc;
}

/* ---- the command ------------------------------------------------------------- */

int cmd_sources(int argc, char **argv) {
    enum { O_JSON = 1000 };
    static const struct option opts[] = {{"brokers", required_argument, 0, 'b'},
                                         {"topic-prefix", required_argument, 0, 'P'},
                                         {"json", no_argument, 0, O_JSON},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    cli_kafka k;
    int c, as_json = 0, rc;
    const char *sub;

    cli_kafka_defaults(&k);
    while ((c = getopt_long(argc, argv, "b:X:h", opts, NULL)) != -1) {
        int h = cli_kafka_option(&k, c, optarg);
        if (h == 1) continue;
        if (c == O_JSON && h == 0) { as_json = 1; continue; }
        if (c == 'h' && h == 0) { usage(stdout); sp_config_free(&k.props); return SP_EXIT_OK; }
        goto bad;
    }
    if (optind >= argc) goto bad;
    sub = argv[optind++];
    if (strcmp(sub, "add") == 0 && !as_json && argc - optind <= 1)
        rc = cmd_add(&k, optind < argc ? argv[optind] : "-");
    else if (strcmp(sub, "list") == 0 && optind == argc)
        rc = cmd_list(&k, as_json);
    else if (strcmp(sub, "remove") == 0 && !as_json && optind < argc)
        rc = cmd_remove(&k, argc - optind, argv + optind);
    else
        goto bad;
    sp_config_free(&k.props);
    return rc;
bad:
    usage(stderr);
    sp_config_free(&k.props);
    return SP_EXIT_USAGE;
}
