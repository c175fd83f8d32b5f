/* test_fingerprint.c — what the deduper compares texts by
 * (services/deduper/fingerprint.c): normalisation folds case, punctuation
 * and white space (so the exact hash ignores them), CJK characters count
 * as words, SimHash distance grows with the edits and stays far between
 * different texts, and the distance function itself. Also what the fast
 * paths there must not change: every ASCII byte classified as the code
 * point rules say, words across its 64-byte blocks and batches of words,
 * nothing read past the length, and the values themselves (stored in
 * Redis, so a change would stop new stories matching stored ones), and
 * fp_exact giving fp_compute's exact hash. The classification's AVX2 path
 * (where the processor has it) and its SSE2 path must agree: the cases
 * that check it run on the SSE2 path too, and test_both_paths compares
 * the two on random text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fingerprint.h"
#include "fp_plain.h"
#include "ids.h"
#include "util.h"

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

/* Each ASCII byte between two letters: a separator (is_white or is_punct
 * in fingerprint.c) splits them, any other byte is part of the word, and
 * A-Z is lowered. */
static void test_ascii_bytes(void **state) {
    (void)state;
    for (int c = 0; c < 0x80; c++) {
        int sep = c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) ||
                  (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
        char in[3] = {'x', (char)c, 'y'};
        char want[4] = {'x', sep ? ' ' : (char)(c >= 'A' && c <= 'Z' ? c + 32 : c), 'y', 0};
        size_t n;
        char *got = fp_normalise(in, 3, &n);
        if (n != 3 || memcmp(got, want, 3) != 0) {
            fprintf(stderr, "byte 0x%02x: got %zu bytes '%.*s'\n", c, n, (int)n, got);
            fail();
        }
        free(got);
    }
}

/* Words of every length at every offset of the 64-byte blocks, and
 * characters from U+0080 up between ASCII ones. */
static void test_long_and_mixed(void **state) {
    char in[512], want[512];
    (void)state;
    for (size_t len = 1; len <= 140; len++) {
        for (size_t at = 0; at < 70; at += 3) {
            size_t n = 0, k = 0;
            memset(in, ' ', at);
            n = at;
            for (size_t i = 0; i < len; i++) {
                in[n++] = (char)('A' + i % 26);
                want[k++] = (char)('a' + i % 26);
            }
            n += (size_t)sprintf(in + n, ", Then; MORE.");
            k += (size_t)sprintf(want + k, " then more");
            want[k] = '\0';
            in[n] = '\0';
            expect_norm(in, want);
        }
    }
    expect_norm("CAF\xC3\x89 au lait, \xC3\x89" "COLE-ANNEXE", "caf\xC3\xA9 au lait \xC3\xA9" "cole annexe");
    expect_norm("AI\xE4\xB8\xAD\xE6\x96\x87test \xE2\x80\x9CQuote\xE2\x80\x9D",
                "ai \xE4\xB8\xAD \xE6\x96\x87 test quote");
    expect_norm("a\xE3\x80\x80" "b\xEF\xBB\xBF" "c\xE2\x80\x8B" "d", "a b c d");
    expect_norm("\xCE\xA3\xCE\x9F\xCE\xA6\xCE\x99\xCE\x91 \xF0\xA0\x80\x80x",
                "\xCF\x83\xCE\xBF\xCF\x86\xCE\xB9\xCE\xB1 \xF0\xA0\x80\x80 x");
}

/* A multi-byte character cut off by the end: nothing past len is read, so
 * what follows the text there does not change the result. */
static void test_cut_off(void **state) {
    static const char *tails[] = {"\xC3", "\xE4", "\xE4\xB8", "\xF0", "\xF0\x9F", "\xF0\x9F\x98"};
    (void)state;
    for (size_t t = 0; t < sizeof tails / sizeof *tails; t++) {
        char a[32], b[32];
        size_t len = (size_t)snprintf(a, sizeof a, "word %s", tails[t]), na, nb;
        memcpy(b, a, len);
        b[len] = '\xA9'; /* a's byte there is its NUL */
        char *ga = fp_normalise(a, len, &na), *gb = fp_normalise(b, len, &nb);
        assert_int_equal(na, nb);
        assert_memory_equal(ga, gb, na);
        assert_true(strncmp(ga, "word", 4) == 0);
        free(ga);
        free(gb);
        fp_text fa, fb;
        fp_compute(a, len, &fa);
        fp_compute(b, len, &fb);
        assert_true(fa.exact == fb.exact && fa.simhash == fb.simhash && fa.words == fb.words);
    }
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
    /* fp_exact, the hash alone: the same as fp_compute's, on the stack's
     * buffer and past it (a text of 20,000 bytes), for no words and for one */
    static const char *texts[] = {"", "  ", "one", "The quick brown fox.", "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        fp_compute(texts[i], strlen(texts[i]), &a);
        assert_true(fp_exact(texts[i], strlen(texts[i])) == a.exact);
    }
    char *big = malloc(20001);
    assert_non_null(big);
    for (size_t i = 0; i < 20000; i++) big[i] = "Word, \xC3\xA9t\xC3\xA9 word. "[i % 18];
    fp_compute(big, 20000, &a);
    assert_true(fp_exact(big, 20000) == a.exact && a.words > 2000);
    free(big);
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
    /* one word changed: a few bits, within the default threshold (6);
     * how often within 3: test_quality */
    snprintf(edited, sizeof edited, "%s", base);
    memcpy(strstr(edited, "sharply"), "quickly", 7);
    fp_compute(edited, strlen(edited), &one);
    assert_true(fp_distance(a.simhash, one.simhash) <= 6);
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

/* More words than fingerprint.c hashes in one batch (256). */
static void test_many_words(void **state) {
    char *a = malloc(16384), *b = malloc(16384);
    fp_text fa, fb, fc;
    size_t n = 0, at600 = 0;
    (void)state;
    for (int i = 0; i < 1000; i++) {
        if (i == 600) at600 = n + 1;
        n += (size_t)sprintf(a + n, "%s%d", i ? " word" : "word", i * 7919 % 1000);
    }
    memcpy(b, a, n + 1);
    fp_compute(a, n, &fa);
    assert_int_equal(fa.words, 1000);
    /* a word changed, in the third batch */
    memcpy(b + at600, "WXRD", 4);
    fp_compute(b, n, &fb);
    assert_int_equal(fb.words, 1000);
    assert_true(fa.exact != fb.exact);
    assert_true(fp_distance(fa.simhash, fb.simhash) <= 3);
    /* the first 600 words only: a different text */
    fp_compute(a, at600 - 1, &fc);
    assert_int_equal(fc.words, 600);
    assert_true(fp_distance(fa.simhash, fc.simhash) > 3);
    free(a);
    free(b);
}

/* The values themselves. The deduper keeps them in Redis: if they change,
 * stories fingerprinted before no longer match ones fingerprinted after,
 * so a change of the SimHash's is a new FP_SIMHASH_VERSION (fingerprint.h),
 * and the values here are that version's. (The exact hash has been the
 * same since the start.) */
static void test_values(void **state) {
    fp_text f;
    (void)state;
    fp_compute("The quick brown fox.", 20, &f);
    assert_true(f.exact == 0x70ec367636ee7079ull);
    assert_true(f.simhash == 0x38efc4f410160916ull);
    fp_compute(base, strlen(base), &f);
    assert_int_equal(f.words, 126);
    assert_true(f.exact == 0x3eb9c3482d2df078ull);
    assert_true(f.simhash == 0x0dec397e04d8b670ull);
    /* one word: the word's hash stands in for the shingles */
    fp_compute("Alpha!", 6, &f);
    assert_int_equal(f.words, 1);
    assert_true(f.simhash == sp_hash64("alpha", 5));
    assert_true(f.exact == sp_hash64("alpha", 5));
    fp_compute("", 0, &f);
    assert_int_equal(f.words, 0);
    assert_true(f.simhash == 0);
    assert_true(f.exact == sp_hash64("", 0));
}

/* fingerprint.c counts the shingles' bits 16 at a time (64 with AVX2),
 * across batches of 1024 shingles: the same SimHash as counting them one
 * by one, for every word count from 2 to 2200 (every remainder of 64 and of
 * 1024, two batches and more). Run on both paths. */
static void test_counts(void **state) {
    char *text = malloc(16384);
    size_t n = 0;
    fp_text f;
    (void)state;
    for (int i = 0; i < 2200; i++) {
        n += (size_t)sprintf(text + n, "%sw%d", i ? " " : "", i * 7919 % 613);
        if (i == 0) continue;
        fp_compute(text, n, &f);
        assert_int_equal(f.words, i + 1);
        size_t words;
        uint64_t plain = plain_simhash(text, n, &words);
        assert_int_equal(words, i + 1);
        if (f.simhash != plain)
            fail_msg("%d words: %016llx, the plain way %016llx", i + 1, (unsigned long long)f.simhash,
                     (unsigned long long)plain);
    }
    free(text);
}

/* A two-word text's SimHash is its one shingle's hash: every length from 1
 * to 40 on both sides (one, two and three 16-byte steps), as the plain way
 * (fp_plain.h) gives it. */
static void test_word_lengths(void **state) {
    char text[100];
    const char *letters = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnop";
    fp_text f;
    (void)state;
    for (size_t a = 1; a <= 40; a++)
        for (size_t b = 1; b <= 40; b += 3) {
            int n = snprintf(text, sizeof text, "%.*s %.*s", (int)a, letters, (int)b, letters + 1);
            fp_compute(text, (size_t)n, &f);
            assert_int_equal(f.words, 2);
            assert_true(f.simhash == plain_shingle(letters, a, letters + 1, b));
        }
}

/* What a SimHash is for, measured on its hashes (a new version must keep
 * this; fingerprint.h has the numbers of versions 1 and 2): one word
 * changed anywhere in `base` (126 words) moves the fingerprint a few bits; texts of the same
 * words in other orders are far apart; and each bit is set about half the
 * time. */
static void test_quality(void **state) {
    size_t n, within3 = 0, within6 = 0, worst = 0;
    char *norm = fp_normalise(base, strlen(base), &n), *text = malloc(4096);
    size_t *at = malloc((n / 2 + 1) * sizeof *at), *len = malloc((n / 2 + 1) * sizeof *len);
    size_t words = plain_split(norm, n, at, len);
    fp_text orig, f;
    (void)state;
    assert_int_equal(words, 126);
    fp_compute(norm, n, &orig);
    for (size_t w = 0; w < words; w++) {
        int k = snprintf(text, 4096, "%.*s%s%s", (int)at[w], norm, "qqzx", norm + at[w] + len[w]);
        fp_compute(text, (size_t)k, &f);
        size_t d = (size_t)fp_distance(orig.simhash, f.simhash);
        within3 += d <= 3;
        within6 += d <= 6;
        if (d > worst) worst = d;
    }
    /* 100 texts of 150 of base's words, drawn at random */
    uint64_t hashes[100];
    unsigned seed = 7, bits[64] = {0};
    size_t nearest = 64;
    for (int t = 0; t < 100; t++) {
        size_t k = 0;
        for (int i = 0; i < 150; i++) {
            seed = seed * 1103515245 + 12345;
            size_t w = (seed >> 16) % words;
            k += (size_t)snprintf(text + k, 4096 - k, "%s%.*s", i ? " " : "", (int)len[w], norm + at[w]);
        }
        fp_compute(text, k, &f);
        hashes[t] = f.simhash;
        for (int b = 0; b < 64; b++) bits[b] += f.simhash >> b & 1;
        for (int u = 0; u < t; u++)
            if ((size_t)fp_distance(hashes[u], hashes[t]) < nearest) nearest = (size_t)fp_distance(hashes[u], hashes[t]);
    }
    unsigned least = 100, most = 0;
    for (int b = 0; b < 64; b++) {
        if (bits[b] < least) least = bits[b];
        if (bits[b] > most) most = bits[b];
    }
    printf("one word changed of %zu: within 3 bits %zu, within 6 bits %zu, at most %zu; 100 random texts: the nearest "
           "two %zu bits apart; each bit set in %u to %u of them\n",
           words, within3, within6, worst, nearest, least, most);
    assert_true(within3 * 2 >= words); /* half */
    assert_true(within6 * 20 >= words * 19); /* 19 in 20 */
    assert_true(nearest > 10);
    assert_true(least >= 25 && most <= 75); /* 50 expected, 5 the standard deviation */
    free(norm);
    free(text);
    free(at);
    free(len);
}

static void test_distance(void **state) {
    (void)state;
    assert_int_equal(fp_distance(0, 0), 0);
    assert_int_equal(fp_distance(0, ~0ull), 64);
    assert_int_equal(fp_distance(0x0F, 0xF0), 8);
    assert_int_equal(fp_distance(1ull << 63, 0), 1);
}

/* The ASCII classification's AVX2 and SSE2 paths (sp_no_avx2) give the
 * same normalised text and fingerprint: 200 texts of random ASCII and
 * some UTF-8, of random lengths. */
static void test_both_paths(void **state) {
    char text[1500];
    unsigned seed = 12345;
    (void)state;
    for (int t = 0; t < 200; t++) {
        size_t len = 0, target = (seed = seed * 1103515245 + 12345) % sizeof text, n1, n2;
        while (len + 3 < target) {
            seed = seed * 1103515245 + 12345;
            if ((seed >> 16) % 50 == 0) { /* an é now and then */
                text[len++] = (char)0xC3;
                text[len++] = (char)0xA9;
            } else {
                text[len++] = (char)((seed >> 16) % 128);
            }
        }
        fp_text a, b;
        char *x, *y;
        sp_no_avx2 = 0;
        x = fp_normalise(text, len, &n1);
        fp_compute(text, len, &a);
        sp_no_avx2 = 1;
        y = fp_normalise(text, len, &n2);
        fp_compute(text, len, &b);
        sp_no_avx2 = 0;
        if (n1 != n2 || memcmp(x, y, n1) != 0 || a.exact != b.exact || a.simhash != b.simhash || a.words != b.words)
            fail_msg("text %d (%zu bytes): the two paths differ", t, len);
        free(x);
        free(y);
    }
}

static int sse2_only(void **state) {
    (void)state;
    sp_no_avx2 = 1;
    return 0;
}

static int any_path(void **state) {
    (void)state;
    sp_no_avx2 = 0;
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_paths),
        cmocka_unit_test_setup_teardown(test_normalise, sse2_only, any_path),
        cmocka_unit_test_setup_teardown(test_ascii_bytes, sse2_only, any_path),
        cmocka_unit_test_setup_teardown(test_long_and_mixed, sse2_only, any_path),
        cmocka_unit_test_setup_teardown(test_cut_off, sse2_only, any_path),
        cmocka_unit_test_setup_teardown(test_values, sse2_only, any_path),
        cmocka_unit_test_setup_teardown(test_counts, sse2_only, any_path),
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_ascii_bytes),
        cmocka_unit_test(test_long_and_mixed),
        cmocka_unit_test(test_cut_off),
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_simhash),
        cmocka_unit_test(test_many_words),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_word_lengths),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_quality),
        cmocka_unit_test(test_distance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
