/* storypipe-splitter — turns clean documents (news.clean) into stories
 * (news.stories), keyed by story_id. */
#include "split.h"
#include "stage.h"

static const sp_stage_def splitter = {
    .name = "splitter",
    .summary = "Split clean documents (digests, articles) into stories.",
    .input = "clean",
    .outputs = {"stories"},
    .transform = split_transform,
};

int main(int argc, char **argv) { return sp_stage_main(&splitter, argc, argv); }
