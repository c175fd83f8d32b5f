/* poller.h — the sources the fetcher polls again and again (WordPress
 * sites, feeds) or fetches over HTTP once (a WordPress post URL), on one
 * thread with the HTTP engine (http.h), through the stage runtime's tick:
 * documents are emitted into the open transaction, and what was emitted is
 * remembered in Redis once it is durable (the committed hook).
 *
 * WordPress: /wp-json/wp/v2/posts (falling back to /?rest_route=), sorted by
 * modification (orderby=modified&order=asc&modified_after=cursor minus an
 * overlap), page by page to X-WP-TotalPages or the 400 past the end,
 * per_page halved on server errors and grown back; a post already emitted
 * with the same modified time is not emitted again (per source, in Redis),
 * and the cursor advances page by page, once the page's documents are
 * committed. Feeds: RSS/Atom with If-None-Match/If-Modified-Since, an item
 * emitted again only when it changed. Directories (newsletters dropped as
 * files): every file new or changed (size, modification time) since the
 * last poll, once. */
#ifndef POLLER_H
#define POLLER_H

#include <jansson.h>

#include "http.h"
#include "stage.h"

typedef struct poller_options {
    const char *redis_url;
    const char *key_prefix;   /* of its Redis keys ("sp:") */
    int once;                 /* poll each source once (--stdio, --once) */
    long overlap_s;           /* re-read this far before the cursor */
    long default_interval_s;  /* for sources without poll_interval_s */
    long failing_after;       /* failed polls in a row before a source is reported failing */
    int allow_private;        /* every source may reach private addresses */
    const char *stage;        /* for dead letters */
    /* directory sources: paths are taken from file_root, and each new or
     * changed file is handed to read_file (which emits its document) */
    const char *file_root;
    sp_result (*read_file)(void *arg, json_t *source, const char *path, sp_outbox *out, sp_fail *fail);
    void *read_arg;
} poller_options;

typedef struct poller poller;

poller *poller_new(const poller_options *o, const http_options *http);
void poller_free(poller *p);

/* Add or replace a source (its record is copied). 0, or -1 with fail set
 * when the record is not a source the poller can take. */
int poller_set(poller *p, json_t *source, sp_fail *fail);
/* Forget a source. */
void poller_remove(poller *p, const char *id);
/* Forget every source (the fetcher's share of news.sources was revoked). */
void poller_remove_all(poller *p);
/* 1 for the kinds the poller handles (wordpress, wordpress_post, feed, directory). */
int poller_kind(const char *kind);

/* Run due polls and transfers for a moment; emit what came back. Returns 1
 * while something is under way or due, 0 when idle (with `once`: when
 * every source was polled). */
int poller_tick(poller *p, sp_outbox *out);
/* What was emitted since the last call is durable: remember it. */
void poller_committed(poller *p);
/* What was emitted since the last commit is lost: fetch it again. */
void poller_aborted(poller *p);

/* Prometheus series of the sources (malloc'ed; thread-safe). */
char *poller_metrics(void *p);

#endif
