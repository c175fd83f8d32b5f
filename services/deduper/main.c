/* storypipe-deduper — decides for each story (news.stories) whether it is
 * new (news.unique) or a duplicate (news.duplicates), with its seen-state
 * in Redis. */
#include "dedup.h"
#include "stage.h"

static const sp_option options[] = {
    {"redis", "URL", "STORYPIPE_REDIS_URL", "Redis holding the seen-state", &dedup_opts.redis_url},
    {"key-prefix", "P", "STORYPIPE_DEDUP_PREFIX", "prefix of the Redis keys", &dedup_opts.key_prefix},
    {"ttl-days", "N", "STORYPIPE_DEDUP_TTL_DAYS", "days a seen URL is remembered", &dedup_opts.ttl_days},
    {0},
};

static const sp_stage_def deduper = {
    .name = "deduper",
    .summary = "Keep each story once: new stories to unique, the others to duplicates.",
    .input = "stories",
    .outputs = {"unique", "duplicates"},
    .options = options,
    .init = dedup_init,
    .transform = dedup_transform,
    .fini = dedup_fini,
};

int main(int argc, char **argv) { return sp_stage_main(&deduper, argc, argv); }
