/* split.c — clean document -> stories.
 *
 * Foundation version: the conservative rule, one story per document, so no
 * story is invented and no text dropped. The digest formats get their own
 * rules in the splitter's issue; the story record is already final. */
#include "split.h"

#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "ids.h"

/* Build a story from its document; the rule-specific fields are passed in. */
static json_t *story_new(json_t *doc, const char *doc_id, int position, json_t *title, json_t *body,
                         char story_id[SP_ID_LEN]) {
    char pos[16];
    snprintf(pos, sizeof pos, "%d", position);
    sp_id2(doc_id, pos, story_id);
    return json_pack("{s:i, s:s, s:s, s:i, s:o, s:n, s:o, s:O, s:O, s:n, s:n, s:O, s:n, s:O, s:O, s:O, s:{s:s, s:s}}",
                     "schema_version", SP_SCHEMA_VERSION, "story_id", story_id, "doc_id", doc_id,
                     "position", position, "title", title, "summary", "body", body,
                     "url", json_object_get(doc, "url"), "canonical_url", json_object_get(doc, "canonical_url"),
                     "outlet", "photo_credit", "published_at", json_object_get(doc, "published_at"),
                     "language", "source", json_object_get(doc, "source"), "doc_url", json_object_get(doc, "url"),
                     "wordpress", json_object_get(doc, "wordpress"), "splitter", "rule", SPLIT_RULE_SINGLE,
                     "version", SPLIT_RULE_VERSION);
}

sp_result split_transform(void *state, json_t *doc, const sp_input *in, sp_outbox *out,
                          sp_fail *fail) {
    const char *doc_id;
    json_t *text, *title, *story;
    char story_id[SP_ID_LEN];
    (void)state;
    (void)in;

    if (sp_check_clean(doc, fail) != 0) return SP_REJECT;
    doc_id = json_string_value(json_object_get(doc, "doc_id"));
    text = json_object_get(doc, "text");
    title = json_object_get(doc, "title");
    if (!json_is_string(title)) { /* the first line, when it reads like a title */
        const char *t = json_string_value(text);
        size_t n = strcspn(t, "\n");
        title = n > 0 && n <= 300 ? json_stringn(t, n) : json_null();
    } else {
        json_incref(title);
    }
    story = story_new(doc, doc_id, 0, title, json_copy(text), story_id);
    sp_emit(out, 0, story_id, story);
    return SP_OK;
}
