/* split.c — clean document -> stories (news.stories), and --text.
 *
 * digest.c decides which rule splits the text and fills the story fields
 * the text has; this file makes them story records: a stable story_id
 * (document and position, so replays and re-ingests get the same ids), the
 * story's own URL and its canonical form, the document's date when the
 * story has none, a language guess, the document's source and WordPress
 * metadata, and the rule and rules version that split it. Every story of a
 * document goes into one outbox, so the runtime sends all of them in one
 * transaction, or none with a dead letter. */
#include "split.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "fields.h"
#include "ids.h"
#include "lang.h"
#include "url.h"
#include "util.h"

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }
/* A member of the document, or null when it has none (--text documents). */
static json_t *member(json_t *doc, const char *key) {
    json_t *v = json_object_get(doc, key);
    return v ? v : json_null();
}

static json_t *story_json(json_t *doc, const char *doc_id, size_t position, const digest_story *s,
                          const char *rule, char story_id[SP_ID_LEN]) {
    char pos[24], *canon = NULL;
    json_t *st, *url = json_object_get(doc, "url"), *canonical = json_object_get(doc, "canonical_url");
    const char *lang = lang_guess(s->body, strlen(s->body));
    snprintf(pos, sizeof pos, "%zu", position);
    sp_id2(doc_id, pos, story_id);
    st = json_object();
    json_object_set_new(st, "schema_version", json_integer(SP_SCHEMA_VERSION));
    json_object_set_new(st, "story_id", json_string(story_id));
    json_object_set_new(st, "doc_id", json_string(doc_id));
    json_object_set_new(st, "position", json_integer((json_int_t)position));
    json_object_set_new(st, "title", str_or_null(s->title));
    json_object_set_new(st, "summary", str_or_null(s->summary));
    json_object_set_new(st, "body", json_string(s->body));
    if (s->url) { /* a digest's story has its own URL */
        canon = sp_url_canonical(s->url);
        json_object_set_new(st, "url", json_string(s->url));
        json_object_set_new(st, "canonical_url", str_or_null(canon));
        free(canon);
    } else if (strcmp(rule, "article") == 0 || strcmp(rule, "single") == 0) { /* the document is the story */
        json_object_set(st, "url", url ? url : json_null());
        if (json_is_string(canonical)) json_object_set(st, "canonical_url", canonical);
        else if (json_is_string(url) && (canon = sp_url_canonical(json_string_value(url))) != NULL)
            json_object_set_new(st, "canonical_url", json_string(canon));
        else json_object_set_new(st, "canonical_url", json_null());
        free(canon);
    } else {
        json_object_set_new(st, "url", json_null());
        json_object_set_new(st, "canonical_url", json_null());
    }
    json_object_set_new(st, "outlet", str_or_null(s->outlet));
    json_object_set_new(st, "photo_credit", str_or_null(s->photo_credit));
    json_object_set(st, "published_at", member(doc, "published_at"));
    json_object_set_new(st, "language", str_or_null(lang));
    json_object_set(st, "source", member(doc, "source"));
    json_object_set(st, "doc_url", url ? url : json_null());
    json_object_set(st, "wordpress", member(doc, "wordpress"));
    json_object_set_new(st, "splitter", json_pack("{s:s, s:s}", "rule", rule, "version", DIGEST_RULES_VERSION));
    return st;
}

/* Every story of `doc` into `out`. */
static void split_document(json_t *doc, sp_outbox *out) {
    const char *doc_id = json_string_value(json_object_get(doc, "doc_id"));
    json_t *text = json_object_get(doc, "text");
    const char *ctype = json_string_value(json_object_get(doc, "content_type"));
    digest_hints hints = {json_string_value(json_object_get(doc, "title")),
                          json_string_value(json_object_get(doc, "excerpt")),
                          json_is_object(json_object_get(doc, "wordpress")) || (ctype && strcmp(ctype, "text/html") == 0)};
    digest d;
    digest_split(json_string_value(text), json_string_length(text), &hints, &d);
    for (size_t i = 0; i < d.n; i++) {
        char story_id[SP_ID_LEN];
        json_t *st = story_json(doc, doc_id, i, &d.stories[i], d.rule, story_id);
        sp_emit(out, 0, story_id, st);
    }
    digest_free(&d);
}

sp_result split_transform(void *state, json_t *doc, const sp_input *in, sp_outbox *out, sp_fail *fail) {
    (void)state;
    (void)in;
    if (sp_check_clean(doc, fail) != 0) return SP_REJECT;
    split_document(doc, out);
    return SP_OK;
}

const char *split_text_file;

int split_text_main(void) {
    size_t len;
    char *text, id[SP_ID_LEN];
    json_t *doc;
    sp_outbox out = {NULL, 0, 0};
    int rc = SP_EXIT_OK;
    if (split_text_file == NULL) return -1; /* not this mode: run the stage */
    text = sp_read_file(split_text_file, 64u << 20, &len);
    if (text == NULL) {
        fprintf(stderr, "storypipe-splitter: %s: %s\n", split_text_file, strerror(errno));
        return SP_EXIT_UNAVAILABLE;
    }
    if (!sp_utf8_text(text, len)) {
        fprintf(stderr, "storypipe-splitter: %s: not UTF-8 text (invalid bytes or NUL)\n", split_text_file);
        free(text);
        return SP_EXIT_DATAERR;
    }
    sp_id_hex(sp_hash64(text, len), id);
    doc = json_pack("{s:s, s:{s:s, s:s}, s:n, s:n, s:s, s:n, s:n, s:n, s:s%}", "doc_id", id, "source", "id",
                    split_text_file, "kind", "file", "url", "canonical_url", "content_type", "text/plain", "title",
                    "excerpt", "published_at", "text", text, len);
    split_document(doc, &out);
    for (size_t i = 0; i < out.n && rc == SP_EXIT_OK; i++)
        if (json_dumpf(out.v[i].value, stdout, JSON_COMPACT) != 0 || fputc('\n', stdout) == EOF)
            rc = SP_EXIT_UNAVAILABLE;
    if (fflush(stdout) != 0) rc = SP_EXIT_UNAVAILABLE;
    sp_outbox_clear(&out);
    free(out.v);
    json_decref(doc);
    free(text);
    return rc;
}
