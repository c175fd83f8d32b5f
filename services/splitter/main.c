/* storypipe-splitter — turns clean documents (news.clean) into stories
 * (news.stories), keyed by story_id: a digest becomes its stories, an
 * article one story. */
#include "split.h"
#include "stage.h"

static const sp_option options[] = {
    {"text", "FILE", NULL, "print the stories of the plain-text document FILE ('-': stdin) as JSON Lines and exit",
     &split_text_file},
    {0},
};

static const sp_stage_def splitter = {
    .name = "splitter",
    .summary = "Split clean documents (digests, articles) into stories.",
    .input = "clean",
    .outputs = {"stories"},
    .options = options,
    .direct = split_text_main,
    .transform = split_transform,
};

int main(int argc, char **argv) { return sp_stage_main(&splitter, argc, argv); }
