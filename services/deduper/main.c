/* storypipe-deduper — decides for each story (news.stories) whether it is
 * new or an update (news.unique), a replay (not emitted again), or a
 * duplicate of another (news.duplicates), with its seen-state in Redis. */
#include "dedup.h"
#include "stage.h"

static const sp_option options[] = {
    {"redis", "URL", "STORYPIPE_REDIS_URL", "Redis holding the seen-state", &dedup_opts.redis_url},
    {"key-prefix", "P", "STORYPIPE_DEDUP_PREFIX", "prefix of the Redis keys [sp:]", &dedup_opts.key_prefix},
    {"ttl-days", "N", "STORYPIPE_DEDUP_TTL_DAYS", "days a story, URL or text is remembered [90]", &dedup_opts.ttl_days},
    {"near-threshold", "BITS", "STORYPIPE_DEDUP_NEAR_THRESHOLD",
     "most SimHash bits a near duplicate differs by, 0 to 32 [6]", &dedup_opts.near_threshold},
    {"near-bands", "N", "STORYPIPE_DEDUP_NEAR_BANDS",
     "SimHash bands near-duplicate candidates are found by, 1 to 8; all within N-1 bits are found [4]",
     &dedup_opts.near_bands},
    {"near-min-words", "N", "STORYPIPE_DEDUP_NEAR_MIN_WORDS",
     "shorter stories are matched by exact title and summary, not near text [50]", &dedup_opts.near_min_words},
    {"bucket-bits", "N", "STORYPIPE_DEDUP_BUCKET_BITS",
     "2^N Redis hash buckets per kind of claim, 4 to 16; keep stories within the TTL / 2^N under 80; "
     "fixed for the state under a prefix: recorded in Redis, another value refused (exit 78) [12]",
     &dedup_opts.bucket_bits},
    {"reemit", NULL, "STORYPIPE_DEDUP_REEMIT", "emit replays too (a full downstream rebuild)", &dedup_opts.reemit},
    {0},
};

static const sp_stage_def deduper = {
    .name = "deduper",
    .summary = "Keep each story once: new stories and updates to unique, duplicates to duplicates.",
    .input = "stories",
    .outputs = {"unique", "duplicates"},
    .options = options,
    .raw = 1,
    .init = dedup_init,
    .checked = dedup_checked,
    .prepare = dedup_prepare,
    .transform = dedup_transform,
    .committed = dedup_committed,
    .aborted = dedup_aborted,
    .fini = dedup_fini,
};

int main(int argc, char **argv) { return sp_stage_main(&deduper, argc, argv); }
