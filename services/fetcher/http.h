/* http.h — the fetcher's HTTP client: many transfers at once on one thread
 * (curl's multi interface), polite to each host and safe to point at the
 * open web.
 *
 * Polite: at most `per_host` transfers to a host at a time and at most
 * `host_rate` new ones a second; 429, 5xx, time-outs and connection errors
 * are retried up to `max_attempts` times with exponential backoff and
 * jitter, honouring Retry-After. Safe: http and https only (redirects
 * too, at most `max_redirects`), TLS verified, bodies capped at `max_body`
 * bytes, and connections to private, loopback and link-local addresses
 * refused (checked on the address actually connected to, so a redirect or
 * a DNS answer cannot get round it) unless the request allows them.
 * Credentials go to curl, never to a log. */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

typedef struct http_options {
    const char *user_agent;
    long connect_timeout_ms;
    long timeout_ms;       /* a whole transfer */
    size_t max_body;
    int max_redirects;
    int per_host;          /* transfers at once to one host */
    double host_rate;      /* new transfers a second to one host */
    int max_attempts;      /* tries of one request, the first included */
    long backoff_ms;       /* the first retry's delay; doubled each time */
    long max_backoff_ms;
    long max_retry_after_ms; /* a longer Retry-After is cut to this */
} http_options;

/* Sensible defaults: 10 s to connect, 60 s a transfer, 16 MiB, 5
 * redirects, 4 per host at 10 a second, 5 attempts from 1 s to 60 s. */
void http_options_default(http_options *o);

typedef struct http_result {
    long status;             /* the HTTP status, 0 when there was no response */
    const char *error;       /* NULL on a response (any status); else a class:
                                timeout, too_large, forbidden_address,
                                too_many_redirects, tls, network */
    char detail[256];        /* what went wrong, for logs (no credentials) */
    char *body;              /* NUL-terminated */
    size_t body_len;
    char *etag, *last_modified, *content_type; /* response headers, or NULL */
    long wp_total, wp_total_pages;             /* X-WP-Total(Pages), -1 if absent */
    int attempts;
} http_result;

typedef void (*http_done_fn)(void *arg, http_result *r);

typedef struct http_request {
    const char *url;
    const char *etag;          /* If-None-Match, or NULL */
    const char *last_modified; /* If-Modified-Since, or NULL */
    const char *userpwd;       /* "user:password" for Basic auth, or NULL */
    const char *accept;        /* Accept header, or NULL */
    int allow_private;         /* may connect to private/loopback addresses */
    http_done_fn done;         /* called once, with the final result */
    void *arg;
} http_request;

typedef struct http_engine http_engine;

http_engine *http_new(const http_options *o);
void http_free(http_engine *e); /* transfers still under way are dropped, without callbacks */

/* Queue a request (strings are copied). */
void http_submit(http_engine *e, const http_request *r);

/* Run transfers for at most timeout_ms (0: what is ready now) and call the
 * callbacks of those that finished. Returns the requests not finished yet
 * (under way or waiting for a retry or a slot). */
size_t http_run(http_engine *e, int timeout_ms);

#endif
