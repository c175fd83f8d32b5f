/* http.c — the fetcher's HTTP client on curl's multi interface (see http.h).
 *
 * Requests wait in one list until they are due (a retry's backoff), their
 * host has a free slot and the host's rate allows a new transfer; then they
 * become curl easy handles in the multi handle. Finished transfers are
 * classified: a response, retried (429, 5xx; time-out or connection
 * errors), or an error of a class the caller can count. */
#include "http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "util.h"
#include "version.h"

typedef struct job {
    struct job *next;
    http_request req;   /* its strings are owned */
    char host[256];
    int attempts;
    int64_t due_ms;     /* not before */
    /* the transfer under way */
    CURL *easy;
    struct curl_slist *headers;
    http_result res;
    size_t cap;
    long retry_after_ms;
    size_t max_body;
    int too_large, forbidden;
    char forbidden_addr[INET6_ADDRSTRLEN]; /* the address the SSRF guard refused */
} job;

typedef struct host {
    struct host *next;
    char name[256];
    int active;
    int64_t last_start_ms;
} host;

struct http_engine {
    http_options o;
    CURLM *multi;
    job *waiting;   /* not started yet, or waiting to retry */
    job *active;    /* under way */
    size_t n_waiting, n_active;
    host *hosts;
};

void http_options_default(http_options *o) {
    o->user_agent = "storypipe-fetcher/" STORYPIPE_VERSION " (news ingestion; +https://storypipe.dev/fetcher)";
    o->connect_timeout_ms = 10000;
    o->timeout_ms = 60000;
    o->max_body = 16u << 20;
    o->max_redirects = 5;
    o->per_host = 4;
    o->host_rate = 10;
    o->max_attempts = 5;
    o->backoff_ms = 1000;
    o->max_backoff_ms = 60000;
    o->max_retry_after_ms = 300000;
}

http_engine *http_new(const http_options *o) {
    http_engine *e = sp_xmalloc(sizeof *e);
    static int once;
    if (!once) { /* the process's first: curl's global state */
        curl_global_init(CURL_GLOBAL_DEFAULT);
        once = 1;
    }
    memset(e, 0, sizeof *e);
    e->o = *o;
    e->multi = curl_multi_init();
    return e;
}

static char *dup_or_null(const char *s) { return s ? sp_xstrdup(s) : NULL; }

static void job_free(job *j) {
    free((char *)j->req.url);
    free((char *)j->req.etag);
    free((char *)j->req.last_modified);
    free((char *)j->req.userpwd);
    free((char *)j->req.accept);
    free(j->res.body);
    free(j->res.etag);
    free(j->res.last_modified);
    free(j->res.content_type);
    if (j->headers) curl_slist_free_all(j->headers);
    free(j);
}

void http_free(http_engine *e) {
    if (e == NULL) return;
    for (job *j = e->waiting, *next; j; j = next) {
        next = j->next;
        job_free(j);
    }
    for (job *j = e->active, *next; j; j = next) {
        next = j->next;
        curl_multi_remove_handle(e->multi, j->easy);
        curl_easy_cleanup(j->easy);
        job_free(j);
    }
    for (host *h = e->hosts, *next; h; h = next) {
        next = h->next;
        free(h);
    }
    curl_multi_cleanup(e->multi);
    free(e);
}

/* The host part of a URL, lower case, for the per-host limits. */
static void host_of(const char *url, char out[256]) {
    CURLU *u = curl_url();
    char *h = NULL;
    out[0] = '\0';
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
        snprintf(out, 256, "%s", h);
        for (char *p = out; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    }
    curl_free(h);
    curl_url_cleanup(u);
}

static host *host_get(http_engine *e, const char *name) {
    host *h;
    for (h = e->hosts; h; h = h->next)
        if (strcmp(h->name, name) == 0) return h;
    h = sp_xmalloc(sizeof *h);
    memset(h, 0, sizeof *h);
    snprintf(h->name, sizeof h->name, "%s", name);
    h->last_start_ms = -1000000;
    h->next = e->hosts;
    e->hosts = h;
    return h;
}

void http_submit(http_engine *e, const http_request *r) {
    job *j = sp_xmalloc(sizeof *j);
    memset(j, 0, sizeof *j);
    j->req = *r;
    j->req.url = sp_xstrdup(r->url);
    j->req.etag = dup_or_null(r->etag);
    j->req.last_modified = dup_or_null(r->last_modified);
    j->req.userpwd = dup_or_null(r->userpwd);
    j->req.accept = dup_or_null(r->accept);
    host_of(r->url, j->host);
    j->due_ms = sp_mono_ms();
    j->next = e->waiting;
    e->waiting = j;
    e->n_waiting++;
}

/* ---- a transfer ------------------------------------------------------------ */

/* The body so far; a transfer over the limit is stopped (a body without a
 * Content-Length is caught here, not by CURLOPT_MAXFILESIZE). */
static size_t on_body(char *data, size_t size, size_t n, void *arg) {
    job *j = arg;
    size_t len = size * n;
    if (j->res.body_len + len > j->max_body) {
        j->too_large = 1;
        return 0;
    }
    if (j->res.body_len + len > j->cap) {
        size_t want = (j->res.body_len + len) * 2 + 4096;
        j->cap = want;
        j->res.body = sp_xrealloc(j->res.body, j->cap + 1);
    }
    memcpy(j->res.body + j->res.body_len, data, len);
    j->res.body_len += len;
    return len;
}

static char *header_value(const char *line, size_t len, const char *name) {
    size_t n = strlen(name);
    const char *v, *end = line + len;
    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':') return NULL;
    v = line + n + 1;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
    return sp_xstrndup(v, (size_t)(end - v));
}

static size_t on_header(char *data, size_t size, size_t n, void *arg) {
    job *j = arg;
    size_t len = size * n;
    char *v;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) { /* a new response (after a redirect): forget the last one's */
        free(j->res.etag), j->res.etag = NULL;
        free(j->res.last_modified), j->res.last_modified = NULL;
        free(j->res.content_type), j->res.content_type = NULL;
        j->res.wp_total = j->res.wp_total_pages = -1;
        j->retry_after_ms = -1;
        return len;
    }
    if ((v = header_value(data, len, "ETag"))) free(j->res.etag), j->res.etag = v;
    else if ((v = header_value(data, len, "Last-Modified"))) free(j->res.last_modified), j->res.last_modified = v;
    else if ((v = header_value(data, len, "Content-Type"))) free(j->res.content_type), j->res.content_type = v;
    else if ((v = header_value(data, len, "X-WP-Total"))) j->res.wp_total = atol(v), free(v);
    else if ((v = header_value(data, len, "X-WP-TotalPages"))) j->res.wp_total_pages = atol(v), free(v);
    else if ((v = header_value(data, len, "Retry-After"))) {
        char *end;
        long secs = strtol(v, &end, 10);
        if (end != v && *end == '\0') {
            j->retry_after_ms = secs < 0 ? 0 : secs * 1000;
        } else { /* an HTTP date */
            time_t t = curl_getdate(v, NULL);
            if (t > 0) j->retry_after_ms = (long)(t - time(NULL)) * 1000;
            if (j->retry_after_ms < 0) j->retry_after_ms = 0;
        }
        free(v);
    }
    return len;
}

/* 1 if the address is one a fetch may not reach without allow_private:
 * loopback, private, link-local, shared, multicast, unspecified. */
static int private_address(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 || (a >> 16) == 0xA9FE ||
               (a >> 20) == 0xAC1 || (a >> 16) == 0xC0A8 || (a >> 22) == (0x64400000u >> 22) || (a >> 28) == 0xE ||
               a == 0xFFFFFFFFu;
    }
    if (sa->sa_family == AF_INET6) {
        const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const uint8_t loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, any[16] = {0};
        if (memcmp(b, loop, 16) == 0 || memcmp(b, any, 16) == 0) return 1;
        if ((b[0] & 0xFE) == 0xFC || (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) || b[0] == 0xFF) return 1;
        if (memcmp(b, any, 10) == 0 && b[10] == 0xFF && b[11] == 0xFF) { /* ::ffff:a.b.c.d */
            struct sockaddr_in v4;
            memset(&v4, 0, sizeof v4);
            v4.sin_family = AF_INET;
            memcpy(&v4.sin_addr, b + 12, 4);
            return private_address((const struct sockaddr *)&v4);
        }
        return 0;
    }
    return 1; /* anything else: no */
}

static curl_socket_t on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a) {
    job *j = arg;
    (void)purpose;
    if (!j->req.allow_private && private_address(&a->addr)) {
        const void *ip = a->family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)&a->addr)->sin6_addr
                                               : (const void *)&((const struct sockaddr_in *)&a->addr)->sin_addr;
        j->forbidden = 1;
        if (inet_ntop(a->family, ip, j->forbidden_addr, sizeof j->forbidden_addr) == NULL)
            snprintf(j->forbidden_addr, sizeof j->forbidden_addr, "?");
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

static void start(http_engine *e, job *j) {
    const http_options *o = &e->o;
    CURL *c = curl_easy_init();
    char h[512];
    j->easy = c;
    j->attempts++;
    /* a retry: the last attempt's answer goes */
    free(j->res.body);
    free(j->res.etag);
    free(j->res.last_modified);
    free(j->res.content_type);
    memset(&j->res, 0, sizeof j->res);
    j->res.wp_total = j->res.wp_total_pages = -1;
    j->cap = 0;
    j->retry_after_ms = -1;
    j->too_large = j->forbidden = 0;
    j->max_body = o->max_body;
    if (j->headers) curl_slist_free_all(j->headers);
    j->headers = NULL;
    if (j->req.etag) snprintf(h, sizeof h, "If-None-Match: %s", j->req.etag), j->headers = curl_slist_append(j->headers, h);
    if (j->req.last_modified)
        snprintf(h, sizeof h, "If-Modified-Since: %s", j->req.last_modified), j->headers = curl_slist_append(j->headers, h);
    if (j->req.accept) snprintf(h, sizeof h, "Accept: %s", j->req.accept), j->headers = curl_slist_append(j->headers, h);
    curl_easy_setopt(c, CURLOPT_URL, j->req.url);
    curl_easy_setopt(c, CURLOPT_PRIVATE, j);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, j->headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, o->user_agent);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)o->max_redirects);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding this curl decodes: gzip, deflate, br */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, j);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, j);
    if (j->req.userpwd) {
        curl_easy_setopt(c, CURLOPT_USERPWD, j->req.userpwd);
        curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L); /* no credentials to another host after a redirect */
    }
    curl_multi_add_handle(e->multi, c);
    j->next = e->active;
    e->active = j;
    host_get(e, j->host)->active++;
    host_get(e, j->host)->last_start_ms = sp_mono_ms();
    e->n_active++;
}

/* Start what is due and allowed. */
static void schedule(http_engine *e) {
    int64_t now = sp_mono_ms();
    long gap = e->o.host_rate > 0 ? (long)(1000.0 / e->o.host_rate) : 0;
    for (job **pp = &e->waiting; *pp;) {
        job *j = *pp;
        host *h = host_get(e, j->host);
        if (j->due_ms <= now && h->active < e->o.per_host && now - h->last_start_ms >= gap) {
            *pp = j->next;
            e->n_waiting--;
            start(e, j);
            continue;
        }
        pp = &j->next;
    }
}

static long backoff(http_engine *e, job *j) {
    long d = e->o.backoff_ms;
    for (int i = 1; i < j->attempts && d < e->o.max_backoff_ms; i++) d *= 2;
    if (d > e->o.max_backoff_ms) d = e->o.max_backoff_ms;
    return d / 2 + (long)(rand() % (d / 2 + 1)); /* jitter: half to all of it */
}

/* A transfer ended: retry it, or hand its result to the caller. */
static void finished(http_engine *e, job *j, CURLcode rc) {
    int retry = 0;
    long status = 0;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
    for (job **pp = &e->active; *pp; pp = &(*pp)->next)
        if (*pp == j) {
            *pp = j->next;
            break;
        }
    curl_multi_remove_handle(e->multi, j->easy);
    curl_easy_cleanup(j->easy);
    j->easy = NULL;
    host_get(e, j->host)->active--;
    e->n_active--;
    j->res.status = rc == CURLE_OK ? status : 0;
    j->res.attempts = j->attempts;
    if (rc != CURLE_OK) {
        j->res.error = "network";
        if (j->forbidden) j->res.error = "forbidden_address";
        else if (rc == CURLE_OPERATION_TIMEDOUT) j->res.error = "timeout", retry = 1;
        else if (rc == CURLE_FILESIZE_EXCEEDED || (rc == CURLE_WRITE_ERROR && j->too_large)) j->res.error = "too_large";
        else if (rc == CURLE_TOO_MANY_REDIRECTS) j->res.error = "too_many_redirects";
        else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CACERT_BADFILE)
            j->res.error = "tls";
        else if (rc == CURLE_UNSUPPORTED_PROTOCOL) j->res.error = "forbidden_scheme";
        else retry = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_SEND_ERROR ||
                     rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE;
        if (j->forbidden)
            snprintf(j->res.detail, sizeof j->res.detail,
                     "refused to connect to %s: a private, loopback or link-local address "
                     "(allow_private on the source, or --allow-private)", j->forbidden_addr);
        else
            snprintf(j->res.detail, sizeof j->res.detail, "%s", curl_easy_strerror(rc));
    } else if (status == 429 || status >= 500) {
        retry = 1;
        snprintf(j->res.detail, sizeof j->res.detail, "HTTP %ld", status);
    }
    if (j->res.body_len > e->o.max_body) { /* (a body without Content-Length) */
        j->res.error = "too_large";
        retry = 0;
    }
    if (retry && j->attempts < e->o.max_attempts) {
        long wait = j->retry_after_ms >= 0 ? j->retry_after_ms : backoff(e, j);
        if (wait > e->o.max_retry_after_ms) wait = e->o.max_retry_after_ms;
        j->due_ms = sp_mono_ms() + wait;
        j->next = e->waiting;
        e->waiting = j;
        e->n_waiting++;
        return;
    }
    if (j->res.body == NULL) j->res.body = sp_xmalloc(1), j->res.body_len = 0;
    j->res.body[j->res.body_len] = '\0';
    j->req.done(j->req.arg, &j->res);
    job_free(j);
}

size_t http_run(http_engine *e, int timeout_ms) {
    int running, left;
    CURLMsg *m;
    int64_t until = sp_mono_ms() + timeout_ms;
    do {
        schedule(e);
        curl_multi_perform(e->multi, &running);
        while ((m = curl_multi_info_read(e->multi, &left)) != NULL) {
            if (m->msg == CURLMSG_DONE) {
                job *j = NULL;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
                finished(e, j, m->data.result);
            }
        }
        if (e->n_active + e->n_waiting == 0) break;
        int64_t now = sp_mono_ms();
        if (now >= until) break;
        curl_multi_poll(e->multi, NULL, 0, (int)(until - now < 20 ? until - now : 20), NULL);
    } while (1);
    return e->n_active + e->n_waiting;
}
