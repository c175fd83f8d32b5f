/* test_metrics.c — the counters and their Prometheus text (common/metrics.c),
 * without the HTTP server (sp_metrics_start with port 0 only records the
 * stage and output names): sp_metrics_dead_letter counts known reason codes
 * under their own series and anything else under "other"; sp_metrics_render
 * gives one # HELP / # TYPE per family and the expected sample lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"
#include "version.h"

static const char *const outputs[] = {"clean", "side"};

static int setup(void **state) {
    (void)state;
    return sp_metrics_start("x", outputs, 2, "127.0.0.1", 0);
}

/* The value of the sample line that starts with `series` + " ", or -1. */
static long long sample(const char *text, const char *series) {
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ') return strtoll(p + n + 1, NULL, 10);
    }
    return -1;
}

static long long render_sample(const char *series) {
    char *text = sp_metrics_render();
    long long v = sample(text, series);
    free(text);
    return v;
}

static int count_lines(const char *text, const char *line) {
    int n = 0;
    size_t len = strlen(line);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, line, len) == 0 && (p[len] == '\n' || p[len] == '\0')) n++;
    return n;
}

#define DLQ(reason) "storypipe_dead_letters_total{stage=\"x\",reason=\"" reason "\"}"

static void test_dead_letter_known_reasons(void **state) {
    static const char *const known[] = {"empty", "too_large", "invalid_utf8", "invalid_json",
                                        "not_object", "missing_field", "wrong_type",
                                        "unknown_schema_version", "transform_failed"};
    uint64_t total = atomic_load(&sp_stats.dead_letters);
    (void)state;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        char series[128];
        long long before;
        snprintf(series, sizeof series, DLQ("%s"), known[i]);
        before = render_sample(series);
        assert_true(before >= 0);
        sp_metrics_dead_letter(known[i]);
        assert_int_equal(render_sample(series), before + 1);
    }
    assert_int_equal(atomic_load(&sp_stats.dead_letters), total + sizeof known / sizeof *known);
}

static void test_dead_letter_other(void **state) {
    long long other = render_sample(DLQ("other"));
    long long json = render_sample(DLQ("invalid_json"));
    char *text;
    (void)state;
    assert_true(other >= 0);
    sp_metrics_dead_letter("something_new");
    sp_metrics_dead_letter("Invalid_JSON");   /* case matters: not invalid_json */
    sp_metrics_dead_letter("");
    sp_metrics_dead_letter("other");
    text = sp_metrics_render();
    assert_int_equal(sample(text, DLQ("other")), other + 4);
    assert_int_equal(sample(text, DLQ("invalid_json")), json);
    assert_null(strstr(text, "something_new")); /* no series per invented reason */
    free(text);
}

static void test_render_exact_lines(void **state) {
    char *text, line[160];
    long long json = render_sample(DLQ("invalid_json"));
    (void)state;
    sp_metrics_dead_letter("invalid_json");
    atomic_store(&sp_stats.produced[0], 17);
    atomic_store(&sp_stats.produced[1], 2);
    atomic_store(&sp_stats.consumed, 20);
    atomic_store(&sp_stats.in_flight, 5);
    atomic_store(&sp_stats.txn_committed, 4);
    text = sp_metrics_render();
    snprintf(line, sizeof line, DLQ("invalid_json") " %lld", json + 1);
    assert_int_equal(count_lines(text, line), 1);
    assert_int_equal(count_lines(text, "storypipe_messages_produced_total{stage=\"x\",output=\"clean\"} 17"), 1);
    assert_int_equal(count_lines(text, "storypipe_messages_produced_total{stage=\"x\",output=\"side\"} 2"), 1);
    assert_int_equal(count_lines(text, "storypipe_messages_consumed_total{stage=\"x\"} 20"), 1);
    assert_int_equal(count_lines(text, "storypipe_in_flight{stage=\"x\"} 5"), 1);
    assert_int_equal(count_lines(text, "storypipe_transactions_committed_total{stage=\"x\"} 4"), 1);
    assert_int_equal(count_lines(text, "storypipe_build_info{stage=\"x\",version=\"" STORYPIPE_VERSION "\"} 1"), 1);
    free(text);
}

static void test_render_types(void **state) {
    static const char *const counters[] = {
        "messages_consumed_total", "messages_produced_total", "dead_letters_total",
        "transform_retries_total", "transactions_committed_total", "transactions_aborted_total",
        "rebalances_total"};
    static const char *const gauges[] = {"build_info", "in_flight"};
    char *text = sp_metrics_render();
    char line[160];
    (void)state;
    for (size_t i = 0; i < sizeof counters / sizeof *counters; i++) {
        snprintf(line, sizeof line, "# TYPE storypipe_%s counter", counters[i]);
        if (count_lines(text, line) != 1) fail_msg("want exactly one '%s'", line);
        snprintf(line, sizeof line, "# HELP storypipe_%s ", counters[i]);
        assert_non_null(strstr(text, line));
    }
    for (size_t i = 0; i < sizeof gauges / sizeof *gauges; i++) {
        snprintf(line, sizeof line, "# TYPE storypipe_%s gauge", gauges[i]);
        if (count_lines(text, line) != 1) fail_msg("want exactly one '%s'", line);
    }
    free(text);
}

/* Every line is a comment or "name{labels} integer", and the text ends with a newline. */
static void test_render_well_formed(void **state) {
    char *text = sp_metrics_render();
    size_t len = strlen(text);
    (void)state;
    assert_true(len > 0 && text[len - 1] == '\n');
    for (char *p = text, *nl; *p; p = nl + 1) {
        char *brace, *close, *end;
        nl = strchr(p, '\n');
        assert_non_null(nl);
        *nl = '\0';
        if (strncmp(p, "# HELP storypipe_", 17) == 0 || strncmp(p, "# TYPE storypipe_", 17) == 0) continue;
        assert_true(strncmp(p, "storypipe_", 10) == 0);
        brace = strchr(p, '{');
        close = strchr(p, '}');
        assert_non_null(brace);
        assert_non_null(close);
        assert_true(strncmp(brace, "{stage=\"x\"", 10) == 0);
        assert_true(close[1] == ' ');
        (void)strtoll(close + 2, &end, 10);
        if (end == close + 2 || *end != '\0') fail_msg("bad sample line: %s", p);
    }
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dead_letter_known_reasons),
        cmocka_unit_test(test_dead_letter_other),
        cmocka_unit_test(test_render_exact_lines),
        cmocka_unit_test(test_render_types),
        cmocka_unit_test(test_render_well_formed),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
