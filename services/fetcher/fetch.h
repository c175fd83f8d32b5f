/* fetch.h — the fetcher's transform: one source record in, its raw
 * documents out. */
#ifndef FETCH_H
#define FETCH_H

#include "stage.h"

typedef struct fetch_options {
    const char *file_root;
    const char *redis_url;      /* the pollers' cursors and seen-marks */
    const char *key_prefix;
    const char *sources_file;   /* --sources FILE: source records, one per line */
    const char *once;           /* poll each source once, then stop */
    const char *interval_s;     /* default poll interval */
    const char *overlap_s;      /* WordPress: re-read this far before the cursor */
    const char *allow_private;  /* every source may reach private addresses */
    const char *timeout_ms;     /* one HTTP transfer */
    const char *per_host;       /* transfers at once to one host */
    const char *host_rate;      /* new transfers a second to one host */
    const char *max_body;       /* bytes */
    const char *user_agent;
    const char *attempts;       /* tries of one request */
    const char *backoff_ms;     /* the first retry's delay */
} fetch_options;

extern fetch_options fetch_opts;

int fetch_init(void **state);
void fetch_fini(void *state);
/* The stage runtime's hooks for the poller (poller.h). */
int fetch_tick(void *state, sp_outbox *out);
void fetch_committed(void *state);
void fetch_aborted(void *state);
void fetch_tombstone(void *state, const char *key, size_t key_len);
void fetch_revoked(void *state);
sp_result fetch_transform(void *state, json_t *source, const sp_input *in, sp_outbox *out,
                          sp_fail *fail);

/* Raw documents, for the transform and the poller alike. */
/* The members every raw document has, from its source record; url may be NULL. */
json_t *fetch_raw_base(json_t *source, const char *url);
/* Emit `doc` (stolen) with its doc_id. */
void fetch_emit_doc(sp_outbox *out, json_t *doc, const char *doc_id);
/* 1 if v is a WordPress REST API post (an object with id and content). */
int fetch_is_wp_post(json_t *v);
/* Emit the raw document of a WordPress REST API post. */
void fetch_wp_post(json_t *source, json_t *post, sp_outbox *out);
/* Emit the document of one local file below --file-root: an e-mail message
 * when its name ends in .eml, else UTF-8 text or HTML (the source's format).
 * For directory sources (poller.c); `state` is the fetcher's. */
sp_result fetch_local_file(void *state, json_t *source, const char *path, sp_outbox *out, sp_fail *fail);

#endif
