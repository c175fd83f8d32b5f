/* fetch.c — reading one source record into raw documents.
 *
 * A source is {"id", "kind": "file"|"inline", "path" | "content", "url"?,
 * "format": "auto"|"text"|"html"|"wordpress_json", "name"?}. With format
 * auto, content that is a JSON object (or array of objects) with
 * content.rendered is a WordPress REST API post (or list), content starting
 * with '<' is HTML, anything else plain text. */
#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "eml.h"
#include "ids.h"
#include "log.h"
#include "metrics.h"
#include "poller.h"
#include "redis.h"
#include "url.h"
#include "util.h"
#include "version.h"

#define FETCH_MAX_BYTES (16u << 20)

fetch_options fetch_opts = {".", "redis://127.0.0.1:6379/0", "sp:", NULL, NULL, "300", "3600", NULL,
                             "60000", "4", "10", "16777216", NULL, "5", "1000"};

typedef struct fetcher {
    char root[PATH_MAX]; /* resolved --file-root */
    poller *poller;      /* the sources polled over HTTP */
    json_t *startup;     /* --sources FILE records the transform emits at the first tick */
    json_t *own;         /* --sources FILE records to poll: this instance's, whatever it is assigned */
} fetcher;

static int int_opt(const char *name, const char *v, long lo, long hi, long *out) {
    if (sp_parse_int(v, lo, hi, out) == 0) return 0;
    fprintf(stderr, "storypipe-fetcher: invalid --%s '%s' (%ld to %ld)\n", name, v, lo, hi);
    return -1;
}

/* The records of --sources FILE (JSON Lines; blank lines and # comments
 * skipped): those to poll go to the poller, the others wait for the first
 * tick. */
static int load_sources(fetcher *f, const char *path) {
    size_t len;
    char *text = sp_read_file(path, 64u << 20, &len), *line, *save = NULL;
    long n = 0;
    if (text == NULL) {
        fprintf(stderr, "storypipe-fetcher: --sources %s: %s\n", path, strerror(errno));
        return SP_EXIT_UNAVAILABLE;
    }
    f->startup = json_array();
    f->own = json_array();
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t err;
        json_t *rec;
        sp_fail fail;
        n++;
        while (*line == ' ' || *line == '\t') line++;
        if (*line == '\0' || *line == '#' || *line == '\r') continue;
        if ((rec = json_loads(line, 0, &err)) == NULL || !json_is_object(rec)) {
            fprintf(stderr, "storypipe-fetcher: %s:%ld: not a JSON object (%s)\n", path, n, rec ? "" : err.text);
            json_decref(rec);
            free(text);
            return SP_EXIT_DATAERR;
        }
        if (poller_kind(json_string_value(json_object_get(rec, "kind")) ? json_string_value(json_object_get(rec, "kind")) : "")) {
            if (poller_set(f->poller, rec, &fail) != 0) {
                fprintf(stderr, "storypipe-fetcher: %s:%ld: %s\n", path, n, fail.detail);
                json_decref(rec);
                free(text);
                return SP_EXIT_CONFIG;
            }
            json_array_append_new(f->own, rec);
        } else {
            json_array_append_new(f->startup, rec);
        }
    }
    free(text);
    return 0;
}

int fetch_init(void **state) {
    fetcher *f = calloc(1, sizeof *f);
    long timeout, per_host, rate, max_body, interval, overlap, attempts, backoff;
    http_options h;
    poller_options po;
    int rc;
    if (realpath(fetch_opts.file_root, f->root) == NULL) {
        fprintf(stderr, "storypipe-fetcher: --file-root %s: %s\n", fetch_opts.file_root, strerror(errno));
        free(f);
        return SP_EXIT_USAGE;
    }
    if (int_opt("http-timeout-ms", fetch_opts.timeout_ms, 100, 3600000, &timeout) ||
        int_opt("host-concurrency", fetch_opts.per_host, 1, 1000, &per_host) ||
        int_opt("host-rate", fetch_opts.host_rate, 1, 100000, &rate) ||
        int_opt("max-body-bytes", fetch_opts.max_body, 1024, 1L << 30, &max_body) ||
        int_opt("poll-interval", fetch_opts.interval_s, 1, 30 * 86400, &interval) ||
        int_opt("overlap", fetch_opts.overlap_s, 0, 30 * 86400, &overlap) ||
        int_opt("http-attempts", fetch_opts.attempts, 1, 100, &attempts) ||
        int_opt("http-backoff-ms", fetch_opts.backoff_ms, 1, 3600000, &backoff)) {
        free(f);
        return SP_EXIT_USAGE;
    }
    if (!sp_redis_url_valid(fetch_opts.redis_url)) {
        fprintf(stderr, "storypipe-fetcher: invalid --redis URL '%s'\n", fetch_opts.redis_url);
        free(f);
        return SP_EXIT_USAGE;
    }
    http_options_default(&h);
    h.timeout_ms = timeout;
    h.per_host = (int)per_host;
    h.host_rate = (double)rate;
    h.max_body = (size_t)max_body;
    h.max_attempts = (int)attempts;
    h.backoff_ms = backoff;
    if (fetch_opts.user_agent) h.user_agent = fetch_opts.user_agent;
    po = (poller_options){fetch_opts.redis_url, fetch_opts.key_prefix, fetch_opts.once != NULL || sp_stage_stdio(),
                          overlap, interval, 3, fetch_opts.allow_private != NULL, "fetcher", f->root,
                          fetch_local_file, f};
    f->poller = poller_new(&po, &h);
    sp_metrics_extra(poller_metrics, f->poller);
    if (fetch_opts.sources_file && (rc = load_sources(f, fetch_opts.sources_file)) != 0) {
        fetch_fini(f);
        return rc;
    }
    *state = f;
    return 0;
}

void fetch_fini(void *state) {
    fetcher *f = state;
    if (f == NULL) return;
    sp_metrics_extra(NULL, NULL);
    poller_free(f->poller);
    json_decref(f->startup);
    json_decref(f->own);
    free(f);
}

int fetch_tick(void *state, sp_outbox *out) {
    fetcher *f = state;
    if (f->startup) { /* the --sources FILE records that are documents */
        size_t i;
        json_t *rec;
        json_array_foreach(f->startup, i, rec) {
            sp_fail fail;
            sp_input in = {NULL, -1, -1, 0, NULL, 0, NULL, 0, NULL};
            size_t before = out->n;
            memset(&fail, 0, sizeof fail);
            if (fetch_transform(f, rec, &in, out, &fail) != SP_OK) {
                char *text = json_dumps(rec, JSON_COMPACT);
                sp_outbox_truncate(out, before);
                sp_emit_dead_letter(out, "fetcher", &fail, json_string_value(json_object_get(rec, "id")), text,
                                    strlen(text));
                free(text);
            }
        }
        json_decref(f->startup);
        f->startup = NULL;
        return 1;
    }
    return poller_tick(f->poller, out);
}

void fetch_committed(void *state) { poller_committed(((fetcher *)state)->poller); }

void fetch_aborted(void *state) { poller_aborted(((fetcher *)state)->poller); }

void fetch_revoked(void *state) {
    fetcher *f = state;
    size_t i;
    json_t *rec;
    poller_remove_all(f->poller);
    json_array_foreach(f->own, i, rec) { /* those of --sources FILE stay (checked when loaded) */
        sp_fail fail;
        poller_set(f->poller, rec, &fail);
    }
    sp_log(SP_LOG_INFO, "sources_released", "news.sources partitions revoked: their sources released");
}

void fetch_tombstone(void *state, const char *key, size_t key_len) {
    char *id = sp_xstrndup(key, key_len);
    poller_remove(((fetcher *)state)->poller, id);
    sp_log(SP_LOG_INFO, "source_removed", "source %s removed (a tombstone on the sources topic)", id);
    free(id);
}

/* Read a file source: a regular file below the file root, at most
 * FETCH_MAX_BYTES. NULL with `fail` set otherwise. */
static char *read_source_file(fetcher *f, const char *path, size_t *len, sp_fail *fail) {
    char joined[PATH_MAX * 2], real[PATH_MAX];
    size_t rl = strlen(f->root);
    struct stat st;
    char *buf = NULL;
    int fd;

    snprintf(joined, sizeof joined, "%s%s%s", path[0] == '/' ? "" : f->root, path[0] == '/' ? "" : "/", path);
    if (realpath(joined, real) == NULL) {
        sp_fail_set(fail, errno == ENOENT ? "not_found" : "fetch_failed", "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (strncmp(real, f->root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0' && rl > 1)) {
        sp_fail_set(fail, "forbidden", "%s is outside --file-root %s", path, f->root);
        return NULL;
    }
    /* O_NONBLOCK: a FIFO or device must not stall the stage */
    if ((fd = open(real, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
        sp_fail_set(fail, "fetch_failed", "%s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        sp_fail_set(fail, "unsupported", "%s is not a regular file", path);
    } else if ((size_t)st.st_size > FETCH_MAX_BYTES) {
        sp_fail_set(fail, "too_large", "%s has %lld bytes; the limit is %u", path, (long long)st.st_size,
                    FETCH_MAX_BYTES);
    } else {
        size_t n = 0;
        ssize_t r;
        buf = sp_xmalloc((size_t)st.st_size + 1);
        while (n < (size_t)st.st_size && (r = read(fd, buf + n, (size_t)st.st_size - n)) > 0) n += (size_t)r;
        if (n != (size_t)st.st_size) {
            sp_fail_set(fail, "fetch_failed", "%s: short read", path);
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            *len = n;
        }
    }
    close(fd);
    return buf;
}

/* The fields every raw document has, filled from the source record. */
json_t *fetch_raw_base(json_t *source, const char *url) {
    char ts[40];
    json_t *src = json_pack("{s:O, s:O, s:o}", "id", json_object_get(source, "id"), "kind",
                            json_object_get(source, "kind"), "name",
                            json_is_string(json_object_get(source, "name"))
                                ? json_copy(json_object_get(source, "name")) : json_null());
    char *canon = url ? sp_url_canonical(url) : NULL;
    json_t *doc;
    sp_now_rfc3339(ts, sizeof ts);
    doc = json_pack("{s:i, s:o, s:o, s:o, s:s, s:n, s:n, s:n, s:n, s:n, s:s}", "schema_version", SP_SCHEMA_VERSION,
                    "source", src, "url", url ? json_string(url) : json_null(), "canonical_url",
                    canon ? json_string(canon) : json_null(), "fetched_at", ts, "title", "excerpt",
                    "published_at", "modified_at", "wordpress", "fetcher_version", STORYPIPE_VERSION);
    free(canon);
    return doc;
}

void fetch_emit_doc(sp_outbox *out, json_t *doc, const char *doc_id) {
    json_object_set_new(doc, "doc_id", json_string(doc_id));
    sp_emit(out, 0, doc_id, doc);
}

/* WordPress gives GMT times without a zone: "2026-02-23T10:59:38". */
static json_t *wp_time(json_t *post, const char *key) {
    const char *s = json_string_value(json_object_get(post, key));
    char buf[40];
    if (s == NULL || strlen(s) != 19) return json_null();
    snprintf(buf, sizeof buf, "%sZ", s);
    return json_string(buf);
}

static const char *rendered(json_t *post, const char *key) {
    json_t *v = json_object_get(post, key);
    return json_string_value(json_is_object(v) ? json_object_get(v, "rendered") : v);
}

static json_t *int_array(json_t *a) {
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) if (json_is_integer(v)) json_array_append(out, v);
    return out;
}

int fetch_is_wp_post(json_t *v) {
    return json_is_object(v) && json_is_integer(json_object_get(v, "id")) && rendered(v, "content");
}

void fetch_wp_post(json_t *source, json_t *post, sp_outbox *out) {
    const char *link = json_string_value(json_object_get(post, "link"));
    const char *guid = rendered(post, "guid");
    const char *slug = json_string_value(json_object_get(post, "slug"));
    json_t *doc = fetch_raw_base(source, link);
    char doc_id[SP_ID_LEN];

    json_object_set_new(doc, "content_type", json_string("text/html"));
    json_object_set_new(doc, "body", json_string(rendered(post, "content")));
    if (rendered(post, "title")) json_object_set_new(doc, "title", json_string(rendered(post, "title")));
    if (rendered(post, "excerpt")) json_object_set_new(doc, "excerpt", json_string(rendered(post, "excerpt")));
    json_object_set_new(doc, "published_at", wp_time(post, "date_gmt"));
    json_object_set_new(doc, "modified_at", wp_time(post, "modified_gmt"));
    json_object_set_new(doc, "wordpress",
                        json_pack("{s:O, s:o, s:o, s:o, s:o}", "id", json_object_get(post, "id"), "link",
                                  link ? json_string(link) : json_null(), "slug",
                                  slug ? json_string(slug) : json_null(), "categories",
                                  int_array(json_object_get(post, "categories")), "tags",
                                  int_array(json_object_get(post, "tags"))));
    /* the guid is WordPress's permanent id of a post; the link can change */
    sp_id2("wp", guid ? guid : link ? link : json_string_value(json_object_get(doc, "body")), doc_id);
    fetch_emit_doc(out, doc, doc_id);
}

static sp_result from_content(json_t *source, const char *content, size_t len, const char *format,
                              sp_outbox *out, sp_fail *fail) {
    const char *url = json_string_value(json_object_get(source, "url"));
    const char *p = content;
    char doc_id[SP_ID_LEN];
    json_t *doc;

    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    if (strcmp(format, "wordpress_json") == 0 || (strcmp(format, "auto") == 0 && (*p == '{' || *p == '['))) {
        json_error_t err;
        json_t *v = json_loadb(content, len, 0, &err), *post;
        size_t i;
        sp_result r = SP_OK;
        if (v && fetch_is_wp_post(v)) {
            fetch_wp_post(source, v, out);
        } else if (json_is_array(v) && json_array_size(v) > 0) {
            json_array_foreach(v, i, post) {
                if (!fetch_is_wp_post(post)) {
                    sp_fail_set(fail, "invalid_value", "item %zu of the list is not a WordPress post", i);
                    r = SP_REJECT;
                    break;
                }
                fetch_wp_post(source, post, out);
            }
        } else if (strcmp(format, "wordpress_json") == 0 || v != NULL) {
            sp_fail_set(fail, "invalid_value", "not a WordPress REST API post%s%s", v ? "" : ": ", v ? "" : err.text);
            r = SP_REJECT;
        } else {
            goto as_text; /* auto: text that merely starts with a bracket */
        }
        json_decref(v);
        return r;
    }
as_text:
    doc = fetch_raw_base(source, url);
    json_object_set_new(doc, "content_type",
                        json_string(strcmp(format, "html") == 0 || (strcmp(format, "auto") == 0 && *p == '<')
                                        ? "text/html" : "text/plain"));
    json_object_set_new(doc, "body", json_stringn(content, len));
    if (url) {
        const char *canon = json_string_value(json_object_get(doc, "canonical_url"));
        sp_id2("url", canon ? canon : url, doc_id);
    } else {
        char h[SP_ID_LEN];
        sp_id_hex(sp_hash64(content, len), h);
        sp_id2("content", h, doc_id);
    }
    fetch_emit_doc(out, doc, doc_id);
    return SP_OK;
}

/* An e-mail message: its text part (or HTML part) is the document, its
 * subject the title, its date the publication time. The id is stable: the
 * Message-ID, else the bytes' hash, so the same message ingested twice is
 * the same document. */
static sp_result from_eml(json_t *source, const char *raw, size_t len, sp_outbox *out, sp_fail *fail) {
    eml_message m;
    char err[48], detail[256], doc_id[SP_ID_LEN];
    json_t *doc;
    if (eml_parse(raw, len, &m, err, detail) != 0) {
        sp_fail_set(fail, err, "%s", detail);
        return SP_REJECT;
    }
    doc = fetch_raw_base(source, json_string_value(json_object_get(source, "url")));
    json_object_set_new(doc, "content_type", json_string(m.content_type));
    json_object_set_new(doc, "body", json_stringn(m.body, m.body_len));
    if (m.subject) json_object_set_new(doc, "title", json_string(m.subject));
    if (m.date) json_object_set_new(doc, "published_at", json_string(m.date));
    if (m.message_id) {
        sp_id2("message-id", m.message_id, doc_id);
    } else {
        char h[SP_ID_LEN];
        sp_id_hex(sp_hash64(raw, len), h);
        sp_id2("content", h, doc_id);
    }
    eml_free(&m);
    fetch_emit_doc(out, doc, doc_id);
    return SP_OK;
}

/* A local file's document: an e-mail message (eml), or text or HTML. */
static sp_result from_file(fetcher *f, json_t *source, const char *path, const char *format, int eml,
                           sp_outbox *out, sp_fail *fail) {
    size_t len;
    char *buf = read_source_file(f, path, &len, fail);
    sp_result r;
    if (buf == NULL) return SP_REJECT;
    if (eml) {
        r = from_eml(source, buf, len, out, fail);
    } else if (!sp_utf8_text(buf, len)) {
        sp_fail_set(fail, "invalid_utf8", "%s is not UTF-8 text", path);
        r = SP_REJECT;
    } else {
        r = from_content(source, buf, len, format, out, fail);
    }
    free(buf);
    return r;
}

sp_result fetch_local_file(void *state, json_t *source, const char *path, sp_outbox *out, sp_fail *fail) {
    const char *format = json_string_value(json_object_get(source, "format"));
    size_t n = strlen(path);
    int eml = n > 4 && strcasecmp(path + n - 4, ".eml") == 0;
    return from_file(state, source, path, format ? format : "auto", eml, out, fail);
}

sp_result fetch_transform(void *state, json_t *source, const sp_input *in, sp_outbox *out,
                          sp_fail *fail) {
    const char *id = sp_json_string(source, "id", 1, fail);
    const char *kind = id ? sp_json_string(source, "kind", 1, fail) : NULL;
    const char *format = "auto";
    json_t *url = json_object_get(source, "url");
    (void)in;

    if (kind == NULL) return SP_REJECT;
    if (*id == '\0') {
        sp_fail_set(fail, "invalid_value", "id is empty");
        return SP_REJECT;
    }
    if (url && !json_is_string(url) && !json_is_null(url)) {
        sp_fail_set(fail, "wrong_type", "url has the wrong type");
        return SP_REJECT;
    }
    if (json_object_get(source, "format") &&
        (format = sp_json_string(source, "format", 1, fail)) == NULL)
        return SP_REJECT;
    if (strcmp(format, "auto") && strcmp(format, "text") && strcmp(format, "html") &&
        strcmp(format, "wordpress_json")) {
        sp_fail_set(fail, "invalid_value", "unknown format '%s'", format);
        return SP_REJECT;
    }
    if (poller_kind(kind)) { /* polled over HTTP: kept, and fetched by the ticks */
        return poller_set(((fetcher *)state)->poller, source, fail) == 0 ? SP_OK : SP_REJECT;
    }
    if (strcmp(kind, "eml") == 0) { /* a newsletter: an e-mail message */
        json_t *b64 = json_object_get(source, "content_base64");
        const char *path = json_string_value(json_object_get(source, "path"));
        size_t len;
        char *raw;
        sp_result r;
        if (json_is_string(b64)) {
            if ((raw = sp_base64_decode(json_string_value(b64), json_string_length(b64), &len)) == NULL) {
                sp_fail_set(fail, "invalid_value", "content_base64 is not base64");
                return SP_REJECT;
            }
        } else if (path && *path) {
            if ((raw = read_source_file(state, path, &len, fail)) == NULL) return SP_REJECT;
        } else {
            sp_fail_set(fail, "missing_field", "an eml source needs content_base64 or path");
            return SP_REJECT;
        }
        r = from_eml(source, raw, len, out, fail);
        free(raw);
        return r;
    }
    if (strcmp(kind, "inline") == 0) {
        json_t *c = sp_json_member(source, "content", JSON_STRING, 1, fail);
        if (c == NULL) return SP_REJECT;
        return from_content(source, json_string_value(c), json_string_length(c), format, out, fail);
    }
    if (strcmp(kind, "file") == 0) {
        const char *path = sp_json_string(source, "path", 1, fail);
        if (path == NULL) return SP_REJECT;
        if (*path == '\0') {
            sp_fail_set(fail, "invalid_value", "path is empty");
            return SP_REJECT;
        }
        return from_file(state, source, path, format, 0, out, fail);
    }
    sp_fail_set(fail, "unsupported", "unknown source kind '%s' (file, inline, eml, wordpress, wordpress_post, feed, directory)", kind);
    return SP_REJECT;
}
