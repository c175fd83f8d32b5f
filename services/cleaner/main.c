/* storypipe-cleaner — turns raw documents (news.raw) into clean documents
 * (news.clean): HTML and newsletter text become plain UTF-8 text. */
#include "clean.h"
#include "stage.h"

static const sp_option options[] = {
    {"html", "FILE", NULL, "print the text of the HTML document FILE ('-': stdin) and exit", &clean_html_file},
    {0},
};

static const sp_stage_def cleaner = {
    .name = "cleaner",
    .summary = "Turn raw documents (HTML, newsletter text) into clean plain-text documents.",
    .input = "raw",
    .outputs = {"clean"},
    .options = options,
    .direct = clean_html_main,
    .transform = clean_transform,
};

int main(int argc, char **argv) { return sp_stage_main(&cleaner, argc, argv); }
