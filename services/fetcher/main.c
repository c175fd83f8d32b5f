/* storypipe-fetcher — turns sources into raw documents on news.raw.
 *
 * Each input on news.sources (or a JSON line on stdin with --stdio) names
 * a source: a local file (plain text, HTML or a WordPress REST API post or
 * list of posts) or inline content. The fetcher reads it and emits one raw
 * document per article, keyed by its doc_id. */
#include "fetch.h"
#include "stage.h"

static const sp_option options[] = {
    {"file-root", "DIR", "STORYPIPE_FILE_ROOT",
     "file sources are read only below DIR; relative paths are taken from it", &fetch_opts.file_root},
    {0},
};

static const sp_stage_def fetcher = {
    .name = "fetcher",
    .summary = "Read sources (files, inline content, WordPress REST API JSON) into raw documents.",
    .input = "sources",
    .outputs = {"raw"},
    .options = options,
    .init = fetch_init,
    .transform = fetch_transform,
    .fini = fetch_fini,
};

int main(int argc, char **argv) { return sp_stage_main(&fetcher, argc, argv); }
