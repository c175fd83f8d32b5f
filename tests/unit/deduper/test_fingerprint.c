/* test_fingerprint.c — what the deduper compares texts by
 * (services/deduper/fingerprint.c): normalisation folds case, punctuation
 * and white space (so the exact hash ignores them), CJK characters count
 * as words, SimHash distance grows with the edits and stays far between
 * different texts, and the distance function itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fingerprint.h"

static void expect_norm(const char *in, const char *want) {
    size_t n;
    char *got = fp_normalise(in, strlen(in), &n);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "normalise '%s': got '%s', want '%s'\n", in, got, want);
        fail();
    }
    free(got);
}

static void test_normalise(void **state) {
    (void)state;
    expect_norm("Hello, World!", "hello world");
    expect_norm("  many\n\nlines\tand   spaces ", "many lines and spaces");
    expect_norm("\xE2\x80\x9CQuoted\xE2\x80\x9D \xE2\x80\x94 dash\xE2\x80\xA6", "quoted dash");
    expect_norm("It\xE2\x80\x99s U.S.-based", "it s u s based");
    expect_norm("\xC3\x89T\xC3\x89 \xC3\x80 PARIS", "\xC3\xA9t\xC3\xA9 \xC3\xA0 paris");
    expect_norm("\xD0\x9C\xD0\x9E\xD0\xA1\xD0\x9A\xD0\x92\xD0\x90", "\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0");
    expect_norm("中国电影，票房！", "中 国 电 影 票 房");
    expect_norm("a\xC2\xA0" "b", "a b");
    expect_norm("", "");
    expect_norm("...!!!", "");
}

static void test_exact(void **state) {
    fp_text a, b, c;
    (void)state;
    fp_compute("The quick brown fox.", 20, &a);
    fp_compute("the  QUICK brown\nfox", 20, &b);
    fp_compute("The quick brown dog.", 20, &c);
    assert_true(a.exact == b.exact);
    assert_true(a.exact != c.exact);
    assert_int_equal(a.words, 4);
}

static const char *base =
    "Chinese AI start-up DeepSeek, known for its cost-effective models, has been accused of data theft through a "
    "practice called distillation, which involves training smaller models on the outputs of larger ones. OpenAI "
    "and Microsoft are investigating whether DeepSeek used their models without permission, and the case has "
    "drawn the attention of lawmakers in Washington who worry about national security and intellectual property. "
    "Distillation, a technique likened to a student model learning from a teacher model, has been around for "
    "years and is valued for enabling smaller models to perform well at a fraction of the cost of training. "
    "DeepSeek's rise has caught the attention of investors, with shares of chip makers falling sharply as the "
    "market weighed what cheaper models mean for demand.";

static void test_simhash(void **state) {
    fp_text a, one, many, other;
    char edited[4096];
    (void)state;
    fp_compute(base, strlen(base), &a);
    assert_true(a.words >= 100);
    /* one word changed: a few bits */
    snprintf(edited, sizeof edited, "%s", base);
    memcpy(strstr(edited, "sharply"), "quickly", 7);
    fp_compute(edited, strlen(edited), &one);
    assert_true(fp_distance(a.simhash, one.simhash) <= 3);
    /* punctuation and case only: the same fingerprint */
    fp_text same;
    snprintf(edited, sizeof edited, "%s", base);
    for (char *p = edited; *p; p++)
        if (*p == ',') *p = ';';
    fp_compute(edited, strlen(edited), &same);
    assert_int_equal(fp_distance(a.simhash, same.simhash), 0);
    /* a different text: far */
    const char *text2 = "Hong Kong's men and women get their ice hockey tournaments under way with varying degrees of "
                        "success at the Asian Winter Games in Harbin, where Olympic champions carried the torch and "
                        "Kyrgyzstan narrowly beat Kuwait while Singapore dominated Bahrain in the opening matches of "
                        "a competition expected to draw world-class athletes and newcomers from diverse regions.";
    fp_compute(text2, strlen(text2), &other);
    assert_true(fp_distance(a.simhash, other.simhash) > 10);
    /* half of it rewritten: more than the threshold */
    size_t half = strlen(base) / 2;
    snprintf(edited, sizeof edited, "%.*s %s", (int)half, base, text2);
    fp_compute(edited, strlen(edited), &many);
    assert_true(fp_distance(a.simhash, many.simhash) > 3);
}

static void test_distance(void **state) {
    (void)state;
    assert_int_equal(fp_distance(0, 0), 0);
    assert_int_equal(fp_distance(0, ~0ull), 64);
    assert_int_equal(fp_distance(0x0F, 0xF0), 8);
    assert_int_equal(fp_distance(1ull << 63, 0), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_simhash),
        cmocka_unit_test(test_distance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
