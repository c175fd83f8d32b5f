/* test_split.c — the splitter's transform (services/splitter/split.c): the
 * story records it makes of a clean document. Story ids are stable across
 * runs and unique within a document; the document's date, source and
 * WordPress metadata are carried; a digest story has its own URL and its
 * canonical form; the rule and rules version are recorded; and a document
 * missing a required member is rejected with missing_field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "split.h"

static json_t *doc(const char *text) {
    return json_pack("{s:i, s:s, s:{s:s, s:s}, s:s, s:n, s:s, s:s, s:n, s:n, s:s, s:n, s:n, s:s, s:i, s:[], s:s}",
                     "schema_version", 1, "doc_id", "doc-1", "source", "id", "src", "kind", "file", "url",
                     "https://news.example.com/issue-7", "canonical_url", "content_type", "text/plain", "fetched_at",
                     "2026-11-22T10:00:00Z", "title", "excerpt", "published_at", "2026-11-20T08:00:00Z",
                     "modified_at", "wordpress", "text", text, "word_count", 10, "links", "cleaner_version", "t");
}

static const char *bulletin =
    "Weekly bulletin\n(1) First story title\nFirst summary.\n(2) Second story title\nSecond summary.\n"
    "(1) First story title\n(Photo Credit: Reuters)\nThe first body, in English, with the usual words of a story.\n"
    "News Source: https://WWW.Example.com/a?utm_source=x&id=1#top\n"
    "(2) Second story title\nThe second body is here and it is about the news of the day.\n";

static void run(json_t *d, sp_outbox *out) {
    sp_fail fail;
    sp_input in = {NULL, -1, -1, 1, NULL, 0, NULL, 0, NULL};
    memset(out, 0, sizeof *out);
    assert_int_equal(split_transform(NULL, d, &in, out, &fail), SP_OK);
}

static void test_stories(void **state) {
    json_t *d = doc(bulletin);
    sp_outbox a, b;
    (void)state;
    run(d, &a);
    run(d, &b);
    assert_int_equal(a.n, 2);
    for (size_t i = 0; i < a.n; i++) {
        json_t *s = a.v[i].value;
        assert_string_equal(a.v[i].key, json_string_value(json_object_get(s, "story_id")));
        assert_string_equal(a.v[i].key, b.v[i].key); /* stable */
        assert_int_equal(json_integer_value(json_object_get(s, "position")), (json_int_t)i);
        assert_string_equal(json_string_value(json_object_get(s, "doc_id")), "doc-1");
        assert_string_equal(json_string_value(json_object_get(s, "published_at")), "2026-11-20T08:00:00Z");
        assert_string_equal(json_string_value(json_object_get(s, "doc_url")), "https://news.example.com/issue-7");
        assert_string_equal(json_string_value(json_object_get(json_object_get(s, "source"), "id")), "src");
        assert_string_equal(json_string_value(json_object_get(json_object_get(s, "splitter"), "rule")), "bulletin");
        assert_string_equal(json_string_value(json_object_get(s, "language")), "en");
    }
    assert_string_not_equal(a.v[0].key, a.v[1].key); /* unique within the document */
    json_t *s0 = a.v[0].value, *s1 = a.v[1].value;
    assert_string_equal(json_string_value(json_object_get(s0, "url")), "https://WWW.Example.com/a?utm_source=x&id=1#top");
    assert_string_equal(json_string_value(json_object_get(s0, "canonical_url")), "https://www.example.com/a?id=1");
    assert_string_equal(json_string_value(json_object_get(s0, "photo_credit")), "Reuters");
    assert_string_equal(json_string_value(json_object_get(s0, "summary")), "First summary.");
    assert_true(json_is_null(json_object_get(s1, "url"))); /* no source line: no URL, not the issue's */
    assert_true(json_is_null(json_object_get(s1, "canonical_url")));
    sp_outbox_clear(&a);
    sp_outbox_clear(&b);
    free(a.v);
    free(b.v);
    json_decref(d);
}

static void test_single(void **state) {
    json_t *d = doc("Just one article.\n\nWith two paragraphs.");
    sp_outbox a;
    (void)state;
    run(d, &a);
    assert_int_equal(a.n, 1);
    assert_string_equal(json_string_value(json_object_get(a.v[0].value, "url")), "https://news.example.com/issue-7");
    assert_string_equal(json_string_value(json_object_get(a.v[0].value, "body")), "Just one article.\n\nWith two paragraphs.");
    assert_string_equal(json_string_value(json_object_get(json_object_get(a.v[0].value, "splitter"), "rule")), "single");
    sp_outbox_clear(&a);
    free(a.v);
    json_decref(d);
}

static void test_rejects(void **state) {
    json_t *d = doc("text");
    sp_outbox out = {NULL, 0, 0};
    sp_fail fail;
    sp_input in = {NULL, -1, -1, 1, NULL, 0, NULL, 0, NULL};
    (void)state;
    json_object_del(d, "text");
    assert_int_equal(split_transform(NULL, d, &in, &out, &fail), SP_REJECT);
    assert_string_equal(fail.reason, "missing_field");
    assert_int_equal(out.n, 0);
    json_object_set_new(d, "text", json_integer(3));
    assert_int_equal(split_transform(NULL, d, &in, &out, &fail), SP_REJECT);
    assert_string_equal(fail.reason, "wrong_type");
    json_decref(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stories),
        cmocka_unit_test(test_single),
        cmocka_unit_test(test_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
