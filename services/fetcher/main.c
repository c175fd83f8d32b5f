/* storypipe-fetcher — turns sources into raw documents on news.raw.
 *
 * Each input on news.sources (or a JSON line on stdin with --stdio) names
 * a source: a local file (plain text, HTML or a WordPress REST API post or
 * list of posts) or inline content. The fetcher reads it and emits one raw
 * document per article, keyed by its doc_id. */
#include "fetch.h"
#include "stage.h"

static const sp_stage_def fetcher = {
    .name = "fetcher",
    .summary = "Read sources (files, inline content, WordPress REST API JSON) into raw documents.",
    .input = "sources",
    .outputs = {"raw"},
    .transform = fetch_transform,
};

int main(int argc, char **argv) { return sp_stage_main(&fetcher, argc, argv); }
