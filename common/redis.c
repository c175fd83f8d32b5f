/* redis.c — connecting to Redis from a URL, and reading a setting (see redis.h). */
#include "redis.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

typedef struct redis_url {
    char *host, *port, *password, *path;
} redis_url;

static void url_free(redis_url *r) {
    curl_free(r->host);
    curl_free(r->port);
    curl_free(r->password);
    curl_free(r->path);
}

static int url_parse(const char *url, redis_url *r) {
    CURLU *u = curl_url();
    char *scheme = NULL;
    int ok;
    memset(r, 0, sizeof *r);
    ok = u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
         curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && strcmp(scheme, "redis") == 0 &&
         curl_url_get(u, CURLUPART_HOST, &r->host, 0) == CURLUE_OK;
    if (ok) {
        curl_url_get(u, CURLUPART_PORT, &r->port, 0);
        curl_url_get(u, CURLUPART_PASSWORD, &r->password, CURLU_URLDECODE);
        curl_url_get(u, CURLUPART_PATH, &r->path, 0);
    }
    curl_free(scheme);
    curl_url_cleanup(u);
    if (!ok) url_free(r);
    return ok ? 0 : -1;
}

int sp_redis_url_valid(const char *url) {
    redis_url r;
    if (url_parse(url, &r) != 0) return 0;
    url_free(&r);
    return 1;
}

static int command_ok(redisContext *c, redisReply *rep, const char *what) {
    int ok = rep && rep->type != REDIS_REPLY_ERROR;
    if (!ok) sp_log(SP_LOG_ERROR, "redis_failed", "%s: %s", what, rep ? rep->str : c->errstr);
    if (rep) freeReplyObject(rep);
    return ok;
}

/* Integer replies, allocated with malloc where hiredis's own use calloc.
 * glibc's calloc never takes a block from the thread's cache of freed
 * ones, malloc does: an integer is what most commands answer (the
 * deduper's HSETNX, 3 a story), each freed as soon as it is read. The
 * other replies stay hiredis's. */
static redisReplyObjectFunctions reply_functions;

static void *create_integer(const redisReadTask *task, long long value) {
    redisReply *r = malloc(sizeof *r);
    if (r == NULL) return NULL;
    memset(r, 0, sizeof *r);
    r->type = REDIS_REPLY_INTEGER;
    r->integer = value;
    if (task->parent) ((redisReply *)task->parent->obj)->element[task->idx] = r; /* as hiredis does */
    return r;
}

static void use_reply_functions(redisContext *c) {
    if (reply_functions.createInteger == NULL) { /* hiredis's, but for integers */
        reply_functions = *c->reader->fn;
        reply_functions.createInteger = create_integer;
    }
    c->reader->fn = &reply_functions;
}

/* The fast path of sp_redis_get_integer(): a one-digit integer reply whole
 * in the reader's buffer, between replies (ridx -1: no reply half read).
 * Taken only while pos is under 1024: past that, hiredis's own reading of
 * the next reply drops the bytes read so far from the buffer (it does so
 * once 1024 are consumed), else the buffer would keep growing. */
static int buffered_digit(redisReader *r, long long *value) {
    const char *p;
    if (r->err || r->ridx != -1 || r->pos >= 1024 || r->len - r->pos < 4) return 0;
    p = r->buf + r->pos;
    if (p[0] != ':' || p[1] < '0' || p[1] > '9' || p[2] != '\r' || p[3] != '\n') return 0;
    *value = p[1] - '0';
    r->pos += 4;
    return 1;
}

int sp_redis_get_integer(redisContext *c, long long *value, redisReply **other) {
    redisReply *r = NULL;
    *other = NULL;
    if (buffered_digit(c->reader, value)) return 0;
    if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) return -1;
    if (r->type != REDIS_REPLY_INTEGER) {
        *other = r;
        return 1;
    }
    *value = r->integer;
    freeReplyObject(r);
    return 0;
}

redisContext *sp_redis_connect(const char *url) {
    redis_url r;
    redisContext *c;
    struct timeval tv = {2, 0};
    const char *db;

    if (url_parse(url, &r) != 0) {
        sp_log(SP_LOG_ERROR, "redis_url_invalid", "not a redis:// URL");
        return NULL;
    }
    c = redisConnectWithTimeout(r.host, r.port ? atoi(r.port) : 6379, tv);
    if (c == NULL || c->err) {
        sp_log(SP_LOG_WARN, "redis_unavailable", "%s:%s: %s", r.host, r.port ? r.port : "6379",
               c ? c->errstr : "out of memory");
        if (c) redisFree(c);
        url_free(&r);
        return NULL;
    }
    redisSetTimeout(c, (struct timeval){5, 0});
    use_reply_functions(c);
    db = r.path && r.path[0] == '/' && r.path[1] ? r.path + 1 : NULL;
    if ((r.password && *r.password && !command_ok(c, redisCommand(c, "AUTH %s", r.password), "AUTH")) ||
        (db && !command_ok(c, redisCommand(c, "SELECT %s", db), "SELECT"))) {
        redisFree(c);
        c = NULL;
    }
    url_free(&r);
    return c;
}

long long sp_redis_config_int(redisContext *c, const char *name, long long dflt) {
    redisReply *r = redisCommand(c, "CONFIG GET %s", name);
    long long v = dflt;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->type == REDIS_REPLY_STRING)
        v = atoll(r->element[1]->str);
    if (r) freeReplyObject(r);
    return v;
}
