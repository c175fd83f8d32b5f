/* clean.c — raw document -> clean document: keeps the metadata, replaces
 * the body by its text, title and excerpt by theirs, counts words. */
#include "clean.h"

#include <string.h>

#include "fields.h"
#include "html.h"
#include "util.h"
#include "version.h"

static const char *const kept[] = {"doc_id", "source", "url", "canonical_url", "content_type",
                                   "fetched_at", "published_at", "modified_at", "wordpress", NULL};

static size_t count_words(const char *s, size_t len) {
    size_t n = 0;
    int in_word = 0;
    for (size_t i = 0; i < len; i++) {
        int space = s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r';
        if (!space && !in_word) n++;
        in_word = !space;
    }
    return n;
}

/* The text of an HTML member (title, excerpt), or null. */
static json_t *html_field(json_t *raw, const char *key) {
    json_t *v = json_object_get(raw, key), *j;
    html_text t;
    if (!json_is_string(v)) return json_null();
    html_to_text(json_string_value(v), json_string_length(v), NULL, &t);
    j = json_stringn(t.text, t.len);
    html_text_free(&t);
    return j;
}

static json_t *links_json(const html_text *t) {
    json_t *a = json_array();
    for (size_t i = 0; i < t->n_links; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "href", t->links[i].href, "text", t->links[i].text));
    return a;
}

sp_result clean_transform(void *state, json_t *raw, const sp_input *in, sp_outbox *out,
                          sp_fail *fail) {
    json_t *body, *doc, *links;
    const char *ctype, *doc_id;
    char *text;
    size_t n;
    (void)state;
    (void)in;

    if (sp_check_raw(raw, fail) != 0) return SP_REJECT;
    body = json_object_get(raw, "body");
    ctype = json_string_value(json_object_get(raw, "content_type"));
    doc_id = json_string_value(json_object_get(raw, "doc_id"));
    if (strcmp(ctype, "text/html") == 0) {
        /* links are resolved against the post's own link */
        html_options opt = {json_string_value(json_object_get(raw, "url"))};
        html_text t;
        html_to_text(json_string_value(body), json_string_length(body), &opt, &t);
        links = links_json(&t);
        text = t.text;
        n = t.len;
        t.text = NULL;
        html_text_free(&t);
    } else if (strcmp(ctype, "text/plain") == 0) {
        text = clean_plain_text(json_string_value(body), json_string_length(body), &n);
        links = json_array();
    } else {
        sp_fail_set(fail, "unsupported", "content_type '%s' (text/html, text/plain)", ctype);
        return SP_REJECT;
    }
    doc = json_object();
    json_object_set_new(doc, "schema_version", json_integer(SP_SCHEMA_VERSION));
    for (int i = 0; kept[i]; i++) json_object_set(doc, kept[i], json_object_get(raw, kept[i]));
    json_object_set_new(doc, "title", html_field(raw, "title"));
    json_object_set_new(doc, "excerpt", html_field(raw, "excerpt"));
    json_object_set_new(doc, "text", json_stringn(text, n));
    json_object_set_new(doc, "word_count", json_integer((json_int_t)count_words(text, n)));
    json_object_set_new(doc, "links", links);
    json_object_set_new(doc, "cleaner_version", json_string(STORYPIPE_VERSION));
    free(text);
    sp_emit(out, 0, doc_id, doc);
    return SP_OK;
}
