/* storypipe-fetcher — turns sources into raw documents on news.raw.
 *
 * Sources are records on news.sources (a compacted topic keyed by source
 * id, read whole at every assignment: the instances of a consumer group
 * share the sources), or in --sources FILE, or JSON lines on stdin with
 * --stdio. A file or inline source is read at once; a WordPress site, a
 * feed or a post URL is fetched over HTTP by the poller (poller.h), again
 * every poll interval. Each document is emitted keyed by its doc_id. */
#include "fetch.h"
#include "stage.h"

static const sp_option options[] = {
    {"file-root", "DIR", "STORYPIPE_FILE_ROOT",
     "file sources are read only below DIR; relative paths are taken from it", &fetch_opts.file_root},
    {"sources", "FILE", "STORYPIPE_SOURCES", "source records to poll, one JSON object per line", &fetch_opts.sources_file},
    {"once", NULL, NULL, "poll every source once, then stop polling (--stdio always does)", &fetch_opts.once},
    {"redis", "URL", "STORYPIPE_REDIS_URL", "Redis keeping the pollers' cursors and seen-marks", &fetch_opts.redis_url},
    {"key-prefix", "P", "STORYPIPE_FETCH_PREFIX", "prefix of those Redis keys", &fetch_opts.key_prefix},
    {"poll-interval", "S", "STORYPIPE_POLL_INTERVAL", "seconds between polls of a source without poll_interval_s",
     &fetch_opts.interval_s},
    {"overlap", "S", "STORYPIPE_POLL_OVERLAP", "WordPress: seconds re-read before the cursor", &fetch_opts.overlap_s},
    {"allow-private", NULL, "STORYPIPE_ALLOW_PRIVATE",
     "let every source reach loopback, private and link-local addresses (else only those with allow_private)",
     &fetch_opts.allow_private},
    {"http-timeout-ms", "MS", "STORYPIPE_HTTP_TIMEOUT_MS", "longest an HTTP transfer may take", &fetch_opts.timeout_ms},
    {"host-concurrency", "N", "STORYPIPE_HOST_CONCURRENCY", "transfers at once to one host", &fetch_opts.per_host},
    {"host-rate", "N", "STORYPIPE_HOST_RATE", "new transfers a second to one host", &fetch_opts.host_rate},
    {"max-body-bytes", "N", "STORYPIPE_MAX_BODY_BYTES", "larger responses are refused", &fetch_opts.max_body},
    {"user-agent", "UA", "STORYPIPE_USER_AGENT", "the User-Agent of every request", &fetch_opts.user_agent},
    {"http-attempts", "N", "STORYPIPE_HTTP_ATTEMPTS", "tries of a request (429, 5xx, time-outs, connection errors)",
     &fetch_opts.attempts},
    {"http-backoff-ms", "MS", "STORYPIPE_HTTP_BACKOFF_MS", "the first retry's delay, doubled each time, with jitter",
     &fetch_opts.backoff_ms},
    {0},
};

static const sp_stage_def fetcher = {
    .name = "fetcher",
    .summary = "Read sources (files, inline content, WordPress sites and posts, feeds) into raw documents.",
    .input = "sources",
    .outputs = {"raw"},
    .options = options,
    .init = fetch_init,
    .transform = fetch_transform,
    .tick = fetch_tick,
    .committed = fetch_committed,
    .aborted = fetch_aborted,
    .tombstone = fetch_tombstone,
    .input_from_start = 1,
    .revoked = fetch_revoked,
    .fini = fetch_fini,
};

int main(int argc, char **argv) { return sp_stage_main(&fetcher, argc, argv); }
