/* poller.c — polling WordPress sites, feeds and post URLs (see poller.h).
 *
 * Every source has a small state machine driven by HTTP results (the
 * callbacks run inside http_run, called from poller_tick, so they emit
 * straight into the tick's outbox). What a poll emitted is remembered in
 * Redis only after the runtime says the documents are durable: the
 * "pending" writes (a post's modified time, the cursor after a page, a
 * feed's ETag) wait for poller_committed, and are dropped by
 * poller_aborted, so the documents of an aborted transaction are fetched
 * and emitted again. */
#include "poller.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "feed.h"
#include "fetch.h"
#include "ids.h"
#include "log.h"
#include "redis.h"
#include "util.h"

#include <stdarg.h>

#define MAX_PER_PAGE 100
#define MIN_PER_PAGE 10

enum { E_TIMEOUT, E_TOO_LARGE, E_FORBIDDEN, E_REDIRECTS, E_TLS, E_NETWORK, E_SERVER, E_UNAUTHORIZED, E_HTTP,
       E_INVALID, E_REDIS, E_NOT_FOUND, E_COUNT };
static const char *const error_names[E_COUNT] = {"timeout",     "too_large", "forbidden_address", "too_many_redirects",
                                                 "tls",         "network",   "server_error",      "unauthorized",
                                                 "http_error",  "invalid_response", "redis_unavailable", "not_found"};

typedef struct psource {
    struct psource *next;
    char *id, *kind, *url, *userpwd, *rec_text;
    json_t *rec;
    int allow_private;
    long interval_s;
    int per_page, rest_route;
    int max_per_page;      /* the source's per_page: what per_page grows back to */
    char *v1;              /* WordPress: the validators of the poll's one page ("etag\nlast-modified\nurl") */
    char *v1_sent;         /* ... as Redis had them when the poll started: sent if the URL is the same */
    /* the poll */
    int polling;           /* a request of it is under way */
    int removed;           /* replaced or removed while polling: freed when its request returns */
    int done;              /* polled (once), or a post URL fetched */
    int64_t next_ms;       /* the next poll, on the monotonic clock */
    char cursor[40];       /* the committed cursor the poll started from */
    int page, dirty;       /* dirty: something of this poll was lost; keep the cursor */
    long long *emitted;    /* post ids emitted in this poll */
    size_t n_emitted, cap_emitted;
    /* statistics (read by the metrics thread under the lock) */
    unsigned long long docs, polls, errors[E_COUNT];
    long long last_success;  /* wall-clock seconds, 0: never */
    long failures;           /* failed polls in a row */
    long long cursor_time;   /* the committed cursor, as seconds */
} psource;

typedef struct pending {
    char *key, *field, *value; /* HSET key field value, once durable */
} pending;

struct poller {
    poller_options o;
    http_engine *http;
    redisContext *redis;
    psource *sources;
    pthread_mutex_t lock;     /* the source list and statistics, for the metrics thread */
    sp_outbox *out;           /* during a tick */
    pending *pend;
    size_t n_pend, cap_pend;
};

/* ---- small helpers ----------------------------------------------------------- */

static long long wall_s(void) { return (long long)time(NULL); }

/* "2026-02-23T10:59:38" (WordPress GMT, no zone) as seconds. */
static long long wp_seconds(const char *s) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (s == NULL || sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                            &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm);
}

static void wp_time(long long t, char out[40]) {
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
}

static void state_key(poller *p, const psource *s, char *key, size_t cap) {
    char h[SP_ID_LEN];
    sp_id_hex(sp_hash64(s->id, strlen(s->id)), h);
    snprintf(key, cap, "%sfetch:%s", p->o.key_prefix, h);
}

static int redis_ok(poller *p) {
    if (p->redis == NULL) p->redis = sp_redis_connect(p->o.redis_url);
    return p->redis != NULL;
}

static void redis_drop(poller *p) {
    if (p->redis) redisFree(p->redis);
    p->redis = NULL;
}

/* HGET state field of a source; NULL when absent; *err on a Redis error. */
static char *state_get(poller *p, psource *s, const char *field, int *err) {
    char key[256];
    redisReply *r;
    char *v = NULL;
    if (!redis_ok(p)) return *err = 1, NULL;
    state_key(p, s, key, sizeof key);
    r = redisCommand(p->redis, "HGET %s %s", key, field);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) *err = 1;
    else if (r->type == REDIS_REPLY_STRING) v = sp_xstrndup(r->str, r->len);
    if (r) freeReplyObject(r);
    if (*err) redis_drop(p);
    return v;
}

/* HMGET of n fields of a source's state: an array reply of n elements, or
 * NULL (the connection dropped) when Redis does not give one. */
static redisReply *state_mget(poller *p, psource *s, char *const *fields, size_t n) {
    char key[256];
    const char **argv = sp_xmalloc((n + 2) * sizeof *argv);
    redisReply *r = NULL;
    state_key(p, s, key, sizeof key);
    argv[0] = "HMGET";
    argv[1] = key;
    memcpy(argv + 2, fields, n * sizeof *fields);
    if (redis_ok(p)) r = redisCommandArgv(p->redis, (int)n + 2, argv, NULL);
    free(argv);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != n) {
        if (r) freeReplyObject(r);
        redis_drop(p);
        return NULL;
    }
    return r;
}

static void pend(poller *p, psource *s, const char *field, const char *value) {
    char key[256];
    if (p->n_pend == p->cap_pend) {
        p->cap_pend = p->cap_pend ? p->cap_pend * 2 : 256;
        p->pend = sp_xrealloc(p->pend, p->cap_pend * sizeof *p->pend);
    }
    state_key(p, s, key, sizeof key);
    p->pend[p->n_pend++] = (pending){sp_xstrdup(key), sp_xstrdup(field), sp_xstrdup(value)};
}

static void pend_clear(poller *p) {
    for (size_t i = 0; i < p->n_pend; i++) {
        free(p->pend[i].key);
        free(p->pend[i].field);
        free(p->pend[i].value);
    }
    p->n_pend = 0;
}

static psource *find(poller *p, const char *id) {
    for (psource *s = p->sources; s; s = s->next)
        if (!s->removed && strcmp(s->id, id) == 0) return s;
    return NULL;
}

static void source_free(psource *s);
static void poller_remove_source(poller *p, psource *s);

static void unlink_source(poller *p, psource *s) {
    pthread_mutex_lock(&p->lock);
    for (psource **pp = &p->sources; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    pthread_mutex_unlock(&p->lock);
    source_free(s);
}

/* A result for a source removed while it waited: dropped, with the source. */
static int gone(poller *p, psource *s) {
    if (!s->removed) return 0;
    unlink_source(p, s);
    return 1;
}

static int emitted(psource *s, long long id) {
    for (size_t i = 0; i < s->n_emitted; i++)
        if (s->emitted[i] == id) return 1;
    return 0;
}

static void note_emitted(psource *s, long long id) {
    if (s->n_emitted == s->cap_emitted) {
        s->cap_emitted = s->cap_emitted ? s->cap_emitted * 2 : 128;
        s->emitted = sp_xrealloc(s->emitted, s->cap_emitted * sizeof *s->emitted);
    }
    s->emitted[s->n_emitted++] = id;
}

/* ---- the end of a poll ------------------------------------------------------- */

static void schedule_next(poller *p, psource *s) {
    s->polling = 0;
    if (p->o.once || strcmp(s->kind, "wordpress_post") == 0) s->done = 1;
    s->next_ms = sp_mono_ms() + s->interval_s * 1000;
}

static void poll_ok(poller *p, psource *s) {
    pthread_mutex_lock(&p->lock);
    s->polls++;
    s->failures = 0;
    s->last_success = wall_s();
    pthread_mutex_unlock(&p->lock);
    if (s->per_page < s->max_per_page)
        s->per_page = s->per_page * 2 > s->max_per_page ? s->max_per_page : s->per_page * 2;
    /* a poll of one page that a conditional request can ask about next time */
    if (s->v1 && !s->dirty) pend(p, s, "v1", s->v1);
    free(s->v1);
    s->v1 = NULL;
    schedule_next(p, s);
}

/* A poll failed: counted, reported, dead-lettered (the source record,
 * with the reason), and tried again at the next interval. */
static void poll_failed(poller *p, psource *s, int cls, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void poll_failed(poller *p, psource *s, int cls, const char *fmt, ...) {
    sp_fail fail;
    va_list ap;
    char detail[400];
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&p->lock);
    s->polls++;
    s->errors[cls]++;
    s->failures++;
    pthread_mutex_unlock(&p->lock);
    sp_logj(s->failures >= p->o.failing_after ? SP_LOG_ERROR : SP_LOG_WARN,
            s->failures >= p->o.failing_after ? "source_failing" : "fetch_failed",
            json_pack("{s:s, s:s, s:I}", "source", s->id, "class", error_names[cls], "failures", (json_int_t)s->failures),
            "source %s: %s", s->id, detail);
    if (p->out) {
        sp_fail_set(&fail, error_names[cls], "source %s: %s", s->id, detail);
        sp_emit_dead_letter(p->out, p->o.stage, &fail, s->id, s->rec_text, strlen(s->rec_text));
    }
    s->dirty = 1;
    schedule_next(p, s);
}

/* An HTTP result that is an error of the transport: its class. */
static int error_class(const http_result *r) {
    static const struct { const char *name; int cls; } map[] = {
        {"timeout", E_TIMEOUT}, {"too_large", E_TOO_LARGE}, {"forbidden_address", E_FORBIDDEN},
        {"forbidden_scheme", E_FORBIDDEN}, {"too_many_redirects", E_REDIRECTS}, {"tls", E_TLS}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(r->error, map[i].name) == 0) return map[i].cls;
    return E_NETWORK;
}

/* A transfer that ended without an answer (after its retries). */
static void transfer_failed(poller *p, psource *s, const http_result *r) {
    char page[24] = "";
    if (strcmp(s->kind, "wordpress") == 0) snprintf(page, sizeof page, "page %d, ", s->page);
    poll_failed(p, s, error_class(r), "%s: %s (%s%d attempt%s)", s->url, r->detail, page, r->attempts,
                r->attempts == 1 ? "" : "s");
}

/* ---- WordPress ---------------------------------------------------------------- */

static void wp_request(poller *p, psource *s);

/* The URL of the source's current page: from its cursor (fixed for the
 * poll), page, per_page and rest_route, so an answer can tell which request
 * it answers. */
static void wp_url(poller *p, const psource *s, char *url, size_t cap) {
    char after[80] = "";
    size_t n = strlen(s->url);
    while (n > 0 && s->url[n - 1] == '/') n--;
    if (s->cursor[0]) {
        char t[40];
        wp_time(wp_seconds(s->cursor) - p->o.overlap_s, t);
        snprintf(after, sizeof after, "&modified_after=%sZ", t);
    }
    snprintf(url, cap,
             "%.*s%sper_page=%d&page=%d&orderby=modified&order=asc%s"
             "&_fields=id,date_gmt,modified_gmt,guid,link,slug,title,content,excerpt,categories,tags",
             (int)n, s->url, s->rest_route ? "/?rest_route=/wp/v2/posts&" : "/wp-json/wp/v2/posts?", s->per_page,
             s->page, after);
}

typedef struct wp_call {
    poller *p;
    psource *s;
} wp_call;

static void wp_done(void *arg, http_result *r) {
    wp_call *c = arg;
    poller *p = c->p;
    psource *s = c->s;
    json_t *posts;
    json_error_t jerr;
    size_t n, i;
    long long page_max = 0;
    free(c);
    if (gone(p, s)) return;
    if (r->error) {
        transfer_failed(p, s, r);
        return;
    }
    if (r->status == 404 && !s->rest_route && s->page == 1) { /* no pretty permalinks: ?rest_route= */
        s->rest_route = 1;
        wp_request(p, s);
        return;
    }
    if (r->status == 400 && strstr(r->body, "rest_post_invalid_page_number")) { /* past the end */
        poll_ok(p, s);
        return;
    }
    if (r->status == 401 || r->status == 403) {
        poll_failed(p, s, E_UNAUTHORIZED, "%s: HTTP %ld (credentials missing or refused)", s->url, r->status);
        return;
    }
    if (r->status == 429 || r->status >= 500) {
        if (s->per_page > MIN_PER_PAGE) { /* big pages under load: smaller ones, from the start */
            s->per_page = s->per_page / 2 < MIN_PER_PAGE ? MIN_PER_PAGE : s->per_page / 2;
            sp_log(SP_LOG_WARN, "fetch_per_page", "source %s: HTTP %ld; per_page down to %d", s->id, r->status,
                   s->per_page);
            s->page = 1;
            wp_request(p, s);
            return;
        }
        poll_failed(p, s, E_SERVER, "%s: HTTP %ld after %d attempts", s->url, r->status, r->attempts);
        return;
    }
    if (r->status == 304) {
        poll_ok(p, s);
        return;
    }
    if (r->status != 200) {
        poll_failed(p, s, E_HTTP, "%s: HTTP %ld", s->url, r->status);
        return;
    }
    posts = json_loadb(r->body, r->body_len, 0, &jerr);
    if (s->page == 1 && (r->etag || r->last_modified) && json_is_array(posts) &&
        (r->wp_total_pages == 1 || (r->wp_total_pages < 0 && (int)json_array_size(posts) < s->per_page))) {
        /* the whole answer in one page: if it is unchanged next time, so is the site */
        char url[2048];
        size_t len;
        wp_url(p, s, url, sizeof url);
        len = (r->etag ? strlen(r->etag) : 0) + (r->last_modified ? strlen(r->last_modified) : 0) + strlen(url) + 3;
        free(s->v1);
        s->v1 = sp_xmalloc(len);
        snprintf(s->v1, len, "%s\n%s\n%s", r->etag ? r->etag : "", r->last_modified ? r->last_modified : "", url);
    }
    if (!json_is_array(posts)) {
        poll_failed(p, s, E_INVALID, "%s: not a JSON list of posts (%s)", s->url, posts ? "another value" : jerr.text);
        json_decref(posts);
        return;
    }
    n = json_array_size(posts);
    /* which of them were emitted before with the same modified time */
    redisReply *seen = NULL;
    if (n > 0) {
        char (*ids)[32] = sp_xmalloc(n * sizeof *ids), **fields = sp_xmalloc(n * sizeof *fields);
        for (i = 0; i < n; i++) {
            snprintf(ids[i], sizeof ids[i], "p%lld",
                     (long long)json_integer_value(json_object_get(json_array_get(posts, i), "id")));
            fields[i] = ids[i];
        }
        seen = state_mget(p, s, fields, n);
        free(fields);
        free(ids);
        if (seen == NULL) {
            json_decref(posts);
            poll_failed(p, s, E_REDIS, "Redis unavailable: the poll is tried again later");
            return;
        }
    }
    for (i = 0; i < n; i++) {
        json_t *post = json_array_get(posts, i);
        long long id = (long long)json_integer_value(json_object_get(post, "id"));
        const char *mod = json_string_value(json_object_get(post, "modified_gmt"));
        char field[32];
        if (!fetch_is_wp_post(post) || mod == NULL) continue;
        if (wp_seconds(mod) > page_max) page_max = wp_seconds(mod);
        if (emitted(s, id)) continue; /* met again on a later page: posts move while we page */
        if (seen->element[i]->type == REDIS_REPLY_STRING && strcmp(seen->element[i]->str, mod) == 0) continue;
        fetch_wp_post(s->rec, post, p->out);
        note_emitted(s, id);
        snprintf(field, sizeof field, "p%lld", id);
        pend(p, s, field, mod);
        pthread_mutex_lock(&p->lock);
        s->docs++;
        pthread_mutex_unlock(&p->lock);
    }
    if (seen) freeReplyObject(seen);
    json_decref(posts);
    /* the cursor after this page, once it is durable (not after a loss) */
    if (page_max > 0 && !s->dirty) {
        char c[40];
        wp_time(page_max, c);
        if (strcmp(c, s->cursor) > 0) pend(p, s, "cursor", c);
    }
    if ((r->wp_total_pages >= 0 && s->page < r->wp_total_pages) || (r->wp_total_pages < 0 && (int)n == s->per_page)) {
        s->page++;
        wp_request(p, s);
        return;
    }
    poll_ok(p, s);
}

static void wp_request(poller *p, psource *s) {
    char url[2048];
    wp_call *c = sp_xmalloc(sizeof *c);
    http_request req;
    wp_url(p, s, url, sizeof url);
    *c = (wp_call){p, s};
    memset(&req, 0, sizeof req);
    req.url = url;
    /* the last poll was this very request, answered in one page: ask whether it changed */
    char etag[512] = "", lastmod[128] = "";
    if (s->page == 1 && s->v1_sent) {
        const char *e = s->v1_sent, *l = strchr(e, '\n'), *u = l ? strchr(l + 1, '\n') : NULL;
        if (u && strcmp(u + 1, url) == 0) {
            snprintf(etag, sizeof etag, "%.*s", (int)(l - e), e);
            snprintf(lastmod, sizeof lastmod, "%.*s", (int)(u - l - 1), l + 1);
            if (etag[0]) req.etag = etag;
            if (lastmod[0]) req.last_modified = lastmod;
        }
    }
    req.userpwd = s->userpwd;
    req.accept = "application/json";
    req.allow_private = s->allow_private || p->o.allow_private;
    req.done = wp_done;
    req.arg = c;
    http_submit(p->http, &req);
}

/* ---- feeds and single posts ----------------------------------------------------- */

static void feed_done(void *arg, http_result *r) {
    wp_call *c = arg;
    poller *p = c->p;
    psource *s = c->s;
    feed f;
    char err[48], detail[256], key[256];
    free(c);
    if (gone(p, s)) return;
    if (r->error) {
        transfer_failed(p, s, r);
        return;
    }
    if (r->status == 304) {
        poll_ok(p, s);
        return;
    }
    if (r->status == 401 || r->status == 403) {
        poll_failed(p, s, E_UNAUTHORIZED, "%s: HTTP %ld", s->url, r->status);
        return;
    }
    if (r->status != 200) {
        poll_failed(p, s, r->status >= 500 || r->status == 429 ? E_SERVER : E_HTTP, "%s: HTTP %ld", s->url, r->status);
        return;
    }
    if (feed_parse(r->body, r->body_len, s->url, &f, err, detail) != 0) {
        poll_failed(p, s, E_INVALID, "%s: %s: %s", s->url, err, detail);
        return;
    }
    state_key(p, s, key, sizeof key);
    for (size_t i = 0; i < f.n_items; i++) {
        feed_item *it = &f.items[i];
        char field[40], version[SP_ID_LEN], doc_id[SP_ID_LEN];
        int rerr = 0;
        char *seen;
        json_t *doc;
        sp_id_hex(sp_hash64(it->id, strlen(it->id)), field + 1);
        field[0] = 'i';
        {   /* an item changes when its date or its content does */
            size_t n = strlen(it->content) + (it->modified ? strlen(it->modified) : 0) + 2;
            char *v = sp_xmalloc(n);
            snprintf(v, n, "%s\n%s", it->modified ? it->modified : "", it->content);
            sp_id_hex(sp_hash64(v, strlen(v)), version);
            free(v);
        }
        seen = state_get(p, s, field, &rerr);
        if (rerr) {
            feed_free(&f);
            poll_failed(p, s, E_REDIS, "Redis unavailable: the poll is tried again later");
            return;
        }
        if (seen && strcmp(seen, version) == 0) {
            free(seen);
            continue;
        }
        free(seen);
        doc = fetch_raw_base(s->rec, it->link);
        json_object_set_new(doc, "content_type", json_string(it->content_type));
        json_object_set_new(doc, "body", json_string(it->content));
        if (it->title) json_object_set_new(doc, "title", json_string(it->title));
        if (it->published) json_object_set_new(doc, "published_at", json_string(it->published));
        if (it->modified) json_object_set_new(doc, "modified_at", json_string(it->modified));
        sp_id2("feed", it->id, doc_id);
        fetch_emit_doc(p->out, doc, doc_id);
        pend(p, s, field, version);
        pthread_mutex_lock(&p->lock);
        s->docs++;
        pthread_mutex_unlock(&p->lock);
    }
    feed_free(&f);
    if (r->etag) pend(p, s, "etag", r->etag);
    if (r->last_modified) pend(p, s, "last_modified", r->last_modified);
    poll_ok(p, s);
}

static void post_done(void *arg, http_result *r) {
    wp_call *c = arg;
    poller *p = c->p;
    psource *s = c->s;
    json_t *post;
    free(c);
    if (gone(p, s)) return;
    if (r->error) {
        transfer_failed(p, s, r);
        return;
    }
    if (r->status != 200) {
        poll_failed(p, s, r->status == 401 || r->status == 403 ? E_UNAUTHORIZED : r->status >= 500 ? E_SERVER : E_HTTP,
                    "%s: HTTP %ld", s->url, r->status);
        return;
    }
    post = json_loadb(r->body, r->body_len, 0, NULL);
    if (!fetch_is_wp_post(post)) {
        json_decref(post);
        poll_failed(p, s, E_INVALID, "%s: not a WordPress REST API post", s->url);
        return;
    }
    fetch_wp_post(s->rec, post, p->out);
    json_decref(post);
    pthread_mutex_lock(&p->lock);
    s->docs++;
    pthread_mutex_unlock(&p->lock);
    poll_ok(p, s);
}

/* ---- directories ------------------------------------------------------------- */

typedef struct dir_file {
    char *name;
    char mark[48]; /* "size:mtime_ns": a file whose mark changed is read again */
} dir_file;

static int by_name(const void *a, const void *b) {
    return strcmp(((const dir_file *)a)->name, ((const dir_file *)b)->name);
}

/* A file being written is not ready: writers put it in place by a rename,
 * from a name hidden (.name) or ending in .tmp, as in a Maildir. */
static int ready_name(const char *name) {
    size_t n = strlen(name);
    return name[0] != '.' && !(n >= 4 && strcmp(name + n - 4, ".tmp") == 0) && name[n - 1] != '~';
}

/* One poll of a directory source: every regular file whose mark differs
 * from the one in Redis, in name order, read by the fetcher (read_file);
 * an unreadable file is dead-lettered once (until it changes). The marks
 * wait for the commit like the WordPress seen-marks. */
static void dir_poll(poller *p, psource *s) {
    char dir[PATH_MAX * 2];
    dir_file *files = NULL;
    size_t n = 0, cap = 0, i;
    struct dirent *e;
    redisReply *seen = NULL;
    DIR *d;
    const char *path = s->url; /* for a directory: its path */

    snprintf(dir, sizeof dir, "%s%s%s", path[0] == '/' ? "" : p->o.file_root, path[0] == '/' ? "" : "/", path);
    if ((d = opendir(dir)) == NULL) {
        poll_failed(p, s, E_NOT_FOUND, "%s: %s", path, strerror(errno));
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char full[PATH_MAX * 3];
        struct stat st;
        if (!ready_name(e->d_name)) continue;
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        if (stat(full, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (n == cap) files = sp_xrealloc(files, (cap = cap ? cap * 2 : 64) * sizeof *files);
        files[n].name = sp_xstrdup(e->d_name);
        snprintf(files[n].mark, sizeof files[n].mark, "%lld:%lld%09ld", (long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
        n++;
    }
    closedir(d);
    qsort(files, n, sizeof *files, by_name);
    if (n > 0) {
        char **fields = sp_xmalloc(n * sizeof *fields);
        for (i = 0; i < n; i++) {
            size_t len = strlen(files[i].name) + 2;
            fields[i] = sp_xmalloc(len);
            snprintf(fields[i], len, "f%s", files[i].name);
        }
        seen = state_mget(p, s, fields, n);
        for (i = 0; i < n; i++) free(fields[i]);
        free(fields);
    }
    if (n > 0 && seen == NULL) {
        poll_failed(p, s, E_REDIS, "Redis unavailable: the poll is tried again later");
    } else {
        for (i = 0; i < n; i++) {
            char rel[PATH_MAX * 2], field[PATH_MAX];
            sp_fail fail;
            size_t before = p->out->n;
            if (seen->element[i]->type == REDIS_REPLY_STRING && strcmp(seen->element[i]->str, files[i].mark) == 0)
                continue;
            snprintf(rel, sizeof rel, "%s/%s", path, files[i].name);
            snprintf(field, sizeof field, "f%s", files[i].name);
            memset(&fail, 0, sizeof fail);
            if (p->o.read_file(p->o.read_arg, s->rec, rel, p->out, &fail) == SP_OK) {
                pthread_mutex_lock(&p->lock);
                s->docs++;
                pthread_mutex_unlock(&p->lock);
            } else {
                char detail[sizeof fail.detail];
                sp_outbox_truncate(p->out, before);
                snprintf(detail, sizeof detail, "%s", fail.detail);
                if (strstr(detail, rel) == NULL) /* the file's name first, once */
                    snprintf(fail.detail, sizeof fail.detail, "%.200s: %.300s", rel, detail);
                sp_log(SP_LOG_WARN, "fetch_failed", "source %s: %s", s->id, fail.detail);
                sp_emit_dead_letter(p->out, p->o.stage, &fail, s->id, s->rec_text, strlen(s->rec_text));
            }
            pend(p, s, field, files[i].mark);
        }
        if (seen) freeReplyObject(seen);
        poll_ok(p, s);
    }
    for (i = 0; i < n; i++) free(files[i].name);
    free(files);
}

/* ---- polls --------------------------------------------------------------------- */

static void start_poll(poller *p, psource *s) {
    int err = 0;
    char *cursor = NULL, *etag = NULL, *lastmod = NULL;
    http_request req;
    wp_call *c;
    s->polling = 1;
    s->dirty = 0;
    s->page = 1;
    s->n_emitted = 0;
    if (strcmp(s->kind, "directory") == 0) {
        dir_poll(p, s);
        return;
    }
    if (strcmp(s->kind, "wordpress_post") != 0) {
        cursor = state_get(p, s, "cursor", &err);
        if (!err && strcmp(s->kind, "feed") == 0) {
            etag = state_get(p, s, "etag", &err);
            if (!err) lastmod = state_get(p, s, "last_modified", &err);
        }
        if (err) {
            poll_failed(p, s, E_REDIS, "Redis unavailable at %s: the poll is tried again later", p->o.redis_url);
            s->done = 0; /* not polled: a --once run waits for it */
            s->next_ms = sp_mono_ms() + 5000;
            return;
        }
    }
    snprintf(s->cursor, sizeof s->cursor, "%s", cursor ? cursor : "");
    pthread_mutex_lock(&p->lock);
    s->cursor_time = cursor ? wp_seconds(cursor) : 0;
    pthread_mutex_unlock(&p->lock);
    free(cursor);
    if (strcmp(s->kind, "wordpress") == 0) {
        free(s->v1_sent);
        s->v1_sent = state_get(p, s, "v1", &err); /* a Redis error here only costs the condition */
        wp_request(p, s);
    } else {
        c = sp_xmalloc(sizeof *c);
        *c = (wp_call){p, s};
        memset(&req, 0, sizeof req);
        req.url = s->url;
        req.userpwd = s->userpwd;
        req.allow_private = s->allow_private || p->o.allow_private;
        req.etag = etag;
        req.last_modified = lastmod;
        req.arg = c;
        if (strcmp(s->kind, "feed") == 0) {
            req.accept = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8";
            req.done = feed_done;
        } else {
            req.accept = "application/json";
            req.done = post_done;
        }
        http_submit(p->http, &req);
    }
    free(etag);
    free(lastmod);
}

int poller_tick(poller *p, sp_outbox *out) {
    int64_t now = sp_mono_ms();
    int any_busy = 0, any_left = 0;
    size_t running;
    p->out = out;
    for (psource *s = p->sources; s; s = s->next)
        if (!s->polling && !s->done && s->next_ms <= now) start_poll(p, s);
    running = http_run(p->http, 20);
    for (psource *s = p->sources; s; s = s->next) {
        any_busy |= s->polling;
        any_left |= !s->done;
    }
    p->out = NULL;
    if (p->o.once) return any_left;
    return running > 0 || any_busy;
}

void poller_committed(poller *p) {
    size_t i, ok = 0;
    if (p->n_pend == 0) return;
    if (redis_ok(p)) {
        for (i = 0; i < p->n_pend; i++)
            redisAppendCommand(p->redis, "HSET %s %s %s", p->pend[i].key, p->pend[i].field, p->pend[i].value);
        for (i = 0; i < p->n_pend; i++) {
            redisReply *r = NULL;
            if (redisGetReply(p->redis, (void **)&r) != REDIS_OK || r == NULL) break;
            ok += r->type != REDIS_REPLY_ERROR;
            freeReplyObject(r);
        }
    }
    if (ok < p->n_pend) { /* the documents are out; their marks are not: they may be emitted again */
        sp_log(SP_LOG_WARN, "fetch_state_lost", "%zu of %zu seen-marks not written to Redis", p->n_pend - ok, p->n_pend);
        redis_drop(p);
    }
    for (i = 0; i < p->n_pend; i++) {
        if (strcmp(p->pend[i].field, "cursor") == 0) { /* the committed cursor, for /metrics */
            pthread_mutex_lock(&p->lock);
            for (psource *s = p->sources; s; s = s->next) {
                char key[256];
                state_key(p, s, key, sizeof key);
                if (strcmp(key, p->pend[i].key) == 0) s->cursor_time = wp_seconds(p->pend[i].value);
            }
            pthread_mutex_unlock(&p->lock);
        }
    }
    pend_clear(p);
}

void poller_aborted(poller *p) {
    pend_clear(p);
    for (psource *s = p->sources; s; s = s->next) {
        s->dirty |= s->polling; /* its cursor stays where it was */
        s->n_emitted = 0;
        if (s->done && !s->polling && p->o.once) s->done = 0, s->next_ms = 0; /* fetched again */
    }
}

/* ---- sources ------------------------------------------------------------------- */

int poller_kind(const char *kind) {
    return strcmp(kind, "wordpress") == 0 || strcmp(kind, "wordpress_post") == 0 || strcmp(kind, "feed") == 0 ||
           strcmp(kind, "directory") == 0;
}

/* "user:password" from the record's auth: {"user", "password_env" |
 * "password_file"}; the password never enters the record itself. */
static char *credentials(json_t *auth, sp_fail *fail) {
    const char *user = json_string_value(json_object_get(auth, "user"));
    const char *env = json_string_value(json_object_get(auth, "password_env"));
    const char *file = json_string_value(json_object_get(auth, "password_file"));
    char *pw = NULL, *out;
    size_t n;
    if (auth == NULL || json_is_null(auth)) return NULL;
    if (user == NULL || (env == NULL) == (file == NULL)) {
        sp_fail_set(fail, "invalid_value", "auth needs user and one of password_env, password_file");
        return NULL;
    }
    if (env) {
        const char *v = getenv(env);
        if (v == NULL) {
            sp_fail_set(fail, "invalid_value", "auth: environment variable %s is not set", env);
            return NULL;
        }
        pw = sp_xstrdup(v);
    } else if ((pw = sp_read_file(file, 4096, &n)) == NULL) {
        sp_fail_set(fail, "invalid_value", "auth: cannot read password_file %s", file);
        return NULL;
    } else {
        while (n > 0 && (pw[n - 1] == '\n' || pw[n - 1] == '\r')) pw[--n] = '\0';
    }
    n = strlen(user) + strlen(pw) + 2;
    out = sp_xmalloc(n);
    snprintf(out, n, "%s:%s", user, pw);
    memset(pw, 0, strlen(pw));
    free(pw);
    return out;
}

static void source_free(psource *s) {
    if (s == NULL) return;
    free(s->id);
    free(s->kind);
    free(s->url);
    if (s->userpwd) memset(s->userpwd, 0, strlen(s->userpwd));
    free(s->userpwd);
    free(s->rec_text);
    json_decref(s->rec);
    free(s->emitted);
    free(s->v1);
    free(s->v1_sent);
    free(s);
}

int poller_set(poller *p, json_t *rec, sp_fail *fail) {
    const char *id = json_string_value(json_object_get(rec, "id"));
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    const char *url = json_string_value(json_object_get(rec, "url"));
    json_t *iv = json_object_get(rec, "poll_interval_s"), *pp = json_object_get(rec, "per_page");
    psource *s, *old;
    char *userpwd = NULL;
    if (id == NULL || kind == NULL || !poller_kind(kind)) {
        sp_fail_set(fail, "invalid_value", "not a source to poll");
        return -1;
    }
    if (strcmp(kind, "directory") == 0) { /* a path, kept where the others keep their URL */
        url = json_string_value(json_object_get(rec, "path"));
        if (url == NULL || *url == '\0') {
            sp_fail_set(fail, "missing_field", "a directory source needs path");
            return -1;
        }
    } else if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        sp_fail_set(fail, "invalid_value", "url must be an http or https URL");
        return -1;
    }
    if (iv && (!json_is_integer(iv) || json_integer_value(iv) < 1 || json_integer_value(iv) > 86400 * 30)) {
        sp_fail_set(fail, "invalid_value", "poll_interval_s must be an integer from 1 to 2592000");
        return -1;
    }
    if (pp && (!json_is_integer(pp) || json_integer_value(pp) < 1 || json_integer_value(pp) > MAX_PER_PAGE)) {
        sp_fail_set(fail, "invalid_value", "per_page must be an integer from 1 to 100");
        return -1;
    }
    if (json_object_get(rec, "auth") && (userpwd = credentials(json_object_get(rec, "auth"), fail)) == NULL &&
        !json_is_null(json_object_get(rec, "auth")))
        return -1;
    s = sp_xmalloc(sizeof *s);
    memset(s, 0, sizeof *s);
    s->id = sp_xstrdup(id);
    s->kind = sp_xstrdup(kind);
    s->url = sp_xstrdup(url);
    s->userpwd = userpwd;
    s->rec = json_deep_copy(rec);
    json_object_del(s->rec, "auth"); /* raw documents carry no credentials' whereabouts either */
    s->rec_text = json_dumps(rec, JSON_COMPACT);
    s->allow_private = json_is_true(json_object_get(rec, "allow_private"));
    s->interval_s = iv ? (long)json_integer_value(iv) : p->o.default_interval_s;
    s->per_page = s->max_per_page = pp ? (int)json_integer_value(pp) : MAX_PER_PAGE;
    old = find(p, id);
    pthread_mutex_lock(&p->lock);
    if (old) { /* replaced: its statistics carry over; it is polled anew */
        memcpy(s->errors, old->errors, sizeof s->errors);
        s->docs = old->docs;
        s->polls = old->polls;
        s->last_success = old->last_success;
        s->cursor_time = old->cursor_time;
        s->failures = old->failures;
    }
    s->next = p->sources;
    p->sources = s;
    pthread_mutex_unlock(&p->lock);
    if (old) poller_remove_source(p, old);
    return 0;
}

static void poller_remove_source(poller *p, psource *s) {
    if (s->polling) s->removed = 1; /* its request still comes back */
    else unlink_source(p, s);
}

void poller_remove(poller *p, const char *id) {
    psource *s = find(p, id);
    if (s) poller_remove_source(p, s);
}

void poller_remove_all(poller *p) {
    psource *s = p->sources, *next;
    for (; s; s = next) {
        next = s->next;
        if (!s->removed) poller_remove_source(p, s);
    }
}

poller *poller_new(const poller_options *o, const http_options *http) {
    poller *p = sp_xmalloc(sizeof *p);
    memset(p, 0, sizeof *p);
    p->o = *o;
    p->http = http_new(http);
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

void poller_free(poller *p) {
    if (p == NULL) return;
    http_free(p->http); /* before the sources: its callbacks would see them */
    for (psource *s = p->sources, *next; s; s = next) {
        next = s->next;
        source_free(s);
    }
    pend_clear(p);
    free(p->pend);
    if (p->redis) redisFree(p->redis);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void label(char *out, size_t cap, const char *v) {
    size_t k = 0;
    for (; *v && k + 3 < cap; v++) {
        if (*v == '\\' || *v == '"') out[k++] = '\\', out[k++] = *v;
        else if (*v == '\n') out[k++] = '\\', out[k++] = 'n';
        else out[k++] = *v;
    }
    out[k] = '\0';
}

/* One series per source; value(t, s, label) puts the source's samples. */
static void series(sp_buf *t, poller *p, const char *name, const char *type, const char *help,
                   void (*value)(sp_buf *t, const psource *s, const char *label)) {
    sp_buf_printf(t, "# HELP storypipe_%s %s\n# TYPE storypipe_%s %s\n", name, help, name, type);
    for (psource *s = p->sources; s; s = s->next) {
        char l[512];
        if (s->removed) continue;
        label(l, sizeof l, s->id);
        value(t, s, l);
    }
}

static const poller *metrics_poller;

static void v_docs(sp_buf *t, const psource *s, const char *l) {
    sp_buf_printf(t, "storypipe_fetch_documents_total{source=\"%s\"} %llu\n", l, s->docs);
}
static void v_polls(sp_buf *t, const psource *s, const char *l) {
    sp_buf_printf(t, "storypipe_fetch_polls_total{source=\"%s\"} %llu\n", l, s->polls);
}
static void v_errors(sp_buf *t, const psource *s, const char *l) {
    for (int e = 0; e < E_COUNT; e++)
        if (s->errors[e])
            sp_buf_printf(t, "storypipe_fetch_errors_total{source=\"%s\",class=\"%s\"} %llu\n", l, error_names[e],
                          s->errors[e]);
}
static void v_success(sp_buf *t, const psource *s, const char *l) {
    sp_buf_printf(t, "storypipe_fetch_last_success_seconds{source=\"%s\"} %lld\n", l, s->last_success);
}
static void v_cursor(sp_buf *t, const psource *s, const char *l) {
    sp_buf_printf(t, "storypipe_fetch_cursor_seconds{source=\"%s\"} %lld\n", l, s->cursor_time);
}
static void v_failing(sp_buf *t, const psource *s, const char *l) {
    sp_buf_printf(t, "storypipe_fetch_source_failing{source=\"%s\"} %d\n", l,
                  s->failures >= metrics_poller->o.failing_after);
}

char *poller_metrics(void *arg) {
    poller *p = arg;
    sp_buf t = {0};
    pthread_mutex_lock(&p->lock);
    metrics_poller = p;
    series(&t, p, "fetch_documents_total", "counter", "Documents a source gave.", v_docs);
    series(&t, p, "fetch_polls_total", "counter", "Polls of a source, done or failed.", v_polls);
    series(&t, p, "fetch_errors_total", "counter", "Failed polls of a source, by class.", v_errors);
    series(&t, p, "fetch_last_success_seconds", "gauge", "When a source was last polled without error (Unix time).",
           v_success);
    series(&t, p, "fetch_cursor_seconds", "gauge", "The modification time a source's next poll starts from (Unix time).",
           v_cursor);
    series(&t, p, "fetch_source_failing", "gauge", "1 when a source's last polls failed in a row.", v_failing);
    pthread_mutex_unlock(&p->lock);
    return sp_buf_take(&t);
}
