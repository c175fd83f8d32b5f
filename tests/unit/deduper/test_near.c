/* test_near.c — the deduper's in-memory SimHash index (near.c): the
 * nearest story within the threshold through any band, ties to the smaller
 * id, itself and expired stories never; everything within bands - 1 bits
 * found (against a brute-force search over random fingerprints); the same
 * story added twice counts once; title + summary lookups; near_expire drops
 * what the TTL has let go of and keeps the rest findable; a slot crowded
 * past the entries it holds itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "near.h"

static uint64_t next_random(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void test_best(void **state) {
    near_index ix;
    uint64_t owner = 0;
    (void)state;
    near_init(&ix, 4);
    near_add(&ix, 0xFFFF0000FFFF0000ull, 0x20, 0, 100);
    near_add(&ix, 0xFFFF0000FFFF0003ull, 0x10, 0, 100); /* 2 bits from the first */
    near_add(&ix, 0xFFFF0000FFFF0000ull, 0x20, 0, 100); /* again: once */
    assert_int_equal(ix.n, 2);
    /* 1 bit from the first, 1 from the second: the tie goes to the smaller id */
    assert_int_equal(near_best(&ix, 0xFFFF0000FFFF0001ull, 0x99, 100, 90, 3, &owner), 1);
    assert_int_equal(owner, 0x10);
    /* itself is never its own duplicate */
    assert_int_equal(near_best(&ix, 0xFFFF0000FFFF0003ull, 0x10, 100, 90, 3, &owner), 2);
    assert_int_equal(owner, 0x20);
    /* beyond the threshold */
    assert_int_equal(near_best(&ix, 0xFFFF0000FFFF00FFull, 0x99, 100, 90, 3, &owner), -1);
    /* expired: kept 90 days before today */
    assert_int_equal(near_best(&ix, 0xFFFF0000FFFF0000ull, 0x99, 190, 90, 3, &owner), -1);
    assert_int_equal(near_best(&ix, 0xFFFF0000FFFF0000ull, 0x99, 189, 90, 3, &owner), 0);
    near_free(&ix);
}

static void test_complete_within_bands(void **state) {
    near_index ix;
    uint64_t x = 0x9E3779B97F4A7C15ull, sims[2000];
    (void)state;
    near_init(&ix, 4);
    for (int i = 0; i < 2000; i++) near_add(&ix, sims[i] = next_random(&x), (uint64_t)i + 1, 0, 10);
    for (int t = 0; t < 2000; t++) {
        /* a story 3 bits from a random one: found, at the brute-force nearest distance */
        uint64_t q = sims[t] ^ (1ull << (t % 64)) ^ (1ull << ((t * 7 + 3) % 64)) ^ (1ull << ((t * 13 + 5) % 64));
        int want = 64;
        uint64_t owner = 0;
        for (int i = 0; i < 2000; i++) {
            int d = __builtin_popcountll(q ^ sims[i]);
            if (d < want) want = d;
        }
        assert_int_equal(near_best(&ix, q, 0, 10, 90, 3, &owner), want);
        assert_int_equal(__builtin_popcountll(q ^ sims[owner - 1]), want);
    }
    near_free(&ix);
}

static void test_brief_and_expire(void **state) {
    near_index ix;
    uint64_t owner = 0;
    (void)state;
    near_init(&ix, 4);
    for (uint64_t i = 1; i <= 3000; i++) near_add(&ix, i * 0x9E3779B97F4A7C15ull, i, i % 3 ? i + 1000 : 0, (long)(i % 10));
    assert_int_equal(near_brief(&ix, 1001, 0, 9, 90, &owner), 1);
    assert_int_equal(owner, 1);
    assert_int_equal(near_brief(&ix, 1001, 1, 9, 90, &owner), 0); /* itself */
    assert_int_equal(near_brief(&ix, 1003, 0, 9, 90, &owner), 0); /* story 3 has none */
    assert_int_equal(near_brief(&ix, 0, 0, 9, 90, &owner), 0);
    /* on day 95 with a TTL of 90, the stories of days 0 to 5 go */
    near_expire(&ix, 95, 90);
    assert_int_equal(ix.n, 1200);
    assert_int_equal(near_brief(&ix, 1001, 0, 95, 90, &owner), 0); /* day 1: gone */
    assert_int_equal(near_brief(&ix, 1007, 0, 95, 90, &owner), 1); /* day 7: kept */
    assert_int_equal(owner, 7);
    assert_int_equal(near_best(&ix, 7 * 0x9E3779B97F4A7C15ull, 0, 95, 90, 0, &owner), 0);
    assert_int_equal(owner, 7);
    assert_int_equal(near_best(&ix, 2 * 0x9E3779B97F4A7C15ull, 0, 95, 90, 0, &owner), -1);
    near_clear(&ix);
    assert_int_equal(near_best(&ix, 7 * 0x9E3779B97F4A7C15ull, 0, 95, 90, 0, &owner), -1);
    near_free(&ix);
}

/* Slots past their first four entries (near.h: NEAR_SLOT_INLINE): 300
 * stories that agree on band 0 and on nothing much else, so one slot of
 * band 0 holds them all; each is found as itself, at the brute-force
 * nearest distance, added once, and still there after an expiry rebuilt
 * the index and after near_clear emptied it and they came back. */
static void test_crowded_slot(void **state) {
    near_index ix;
    uint64_t x = 0x2545F4914F6CDD1Dull, sims[300];
    (void)state;
    near_init(&ix, 4);
    for (int round = 0; round < 3; round++) {
        if (round == 2) near_clear(&ix);
        for (int i = 0; i < 300; i++) {
            if (round == 0) sims[i] = (next_random(&x) & ~0xFFFFull) | 0xBEEF;
            near_add(&ix, sims[i], (uint64_t)i + 1, 0, i < 100 ? 5 : 10);
            near_add(&ix, sims[i], (uint64_t)i + 1, 0, i < 100 ? 5 : 10); /* again: once */
        }
        assert_int_equal(ix.n, 300);
        if (round == 1) {
            near_expire(&ix, 94, 90); /* day 5 stays (89 days), nothing goes: nothing rebuilt */
            assert_int_equal(ix.n, 300);
        }
        for (int t = 0; t < 300; t++) {
            uint64_t owner = 0, q = sims[t] ^ (1ull << (16 + t % 48));
            int want = 64;
            for (int i = 0; i < 300; i++) {
                int d = __builtin_popcountll(q ^ sims[i]);
                if (d < want) want = d;
            }
            assert_int_equal(want, 1);
            assert_int_equal(near_best(&ix, q, 0, 10, 90, 3, &owner), 1);
            assert_int_equal(owner, (uint64_t)t + 1);
            /* itself excluded: the next nearest, if any within 3 bits */
            int other = near_best(&ix, q, (uint64_t)t + 1, 10, 90, 3, &owner);
            if (other >= 0) assert_true(owner != (uint64_t)t + 1 && __builtin_popcountll(q ^ sims[owner - 1]) == other);
        }
    }
    /* day 96: the first 100 (day 5) are gone, the 200 of day 10 stay */
    near_expire(&ix, 96, 90);
    assert_int_equal(ix.n, 200);
    for (int t = 0; t < 300; t++) {
        uint64_t owner = 0;
        assert_int_equal(near_best(&ix, sims[t], 0, 96, 90, 0, &owner), t < 100 ? -1 : 0);
        if (t >= 100) assert_int_equal(owner, (uint64_t)t + 1);
    }
    near_free(&ix);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_best),
        cmocka_unit_test(test_complete_within_bands),
        cmocka_unit_test(test_brief_and_expire),
        cmocka_unit_test(test_crowded_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
