/* test_config.c — sp_config_parse (common/config.c) for a small stage
 * ("cleaner": raw -> clean): the defaults; the environment variables
 * (STORYPIPE_BROKERS, STORYPIPE_TOPIC_PREFIX, STORYPIPE_CLEANER_GROUP over
 * STORYPIPE_GROUP, STORYPIPE_DELIVERY, STORYPIPE_BATCH_SIZE); flags over
 * environment; topic overrides; side-output files and service options;
 * -X properties and their consumer./producer. scopes; exit code 64 for bad
 * values and stray arguments, 0 for --help and --version. Every test starts
 * with no STORYPIPE_* variable set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

extern char **environ;

static const sp_stage_def cleaner = {
    .name = "cleaner",
    .summary = "test stage",
    .input = "raw",
    .outputs = {"clean"},
};

static const char *redis_url;
static const char *dry_run;
static const sp_option dedup_opts[] = {
    {"redis-url", "URL", "STORYPIPE_REDIS_URL", "Redis to use", &redis_url},
    {"dry-run", NULL, NULL, "do not write", &dry_run},
    {0},
};
static const sp_stage_def deduper = {
    .name = "deduper",
    .summary = "test stage with two outputs and service options",
    .input = "stories",
    .outputs = {"unique", "duplicates"},
    .options = dedup_opts,
};

static void clear_env(void) {
    for (int again = 1; again;) {
        again = 0;
        for (char **e = environ; *e; e++) {
            if (strncmp(*e, "STORYPIPE_", 10) == 0) {
                char name[256];
                size_t n = strcspn(*e, "=");
                snprintf(name, sizeof name, "%.*s", (int)n, *e);
                unsetenv(name);
                again = 1;
                break;
            }
        }
    }
}

static int setup(void **state) {
    (void)state;
    clear_env();
    redis_url = NULL;
    dry_run = NULL;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    clear_env();
    return 0;
}

/* Parse a NULL-terminated list of arguments (after the program name). */
static int parse(sp_config *cfg, const sp_stage_def *def, ...) {
    char *argv[40];
    int argc = 0;
    va_list ap;
    argv[argc++] = (char *)"storypipe-test";
    va_start(ap, def);
    for (char *a; (a = va_arg(ap, char *)) != NULL;) argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    return sp_config_parse(cfg, def, argc, argv);
}

/* Parse and expect `rc`; the config is freed in any case. */
#define EXPECT_RC(rc, ...)                                  \
    do {                                                    \
        sp_config c_;                                       \
        int r_ = parse(&c_, &cleaner, __VA_ARGS__, NULL);   \
        sp_config_free(&c_);                                \
        assert_int_equal(r_, (rc));                         \
    } while (0)

static void test_defaults(void **state) {
    sp_config cfg;
    (void)state;
    assert_int_equal(parse(&cfg, &cleaner, NULL), -1);
    assert_string_equal(cfg.brokers, "127.0.0.1:9092");
    assert_string_equal(cfg.group, "storypipe-cleaner");
    assert_string_equal(cfg.prefix, "news.");
    assert_string_equal(cfg.input_topic, "news.raw");
    assert_int_equal(cfg.n_outputs, 1);
    assert_string_equal(cfg.output_topics[0], "news.clean");
    assert_null(cfg.output_topics[1]);
    assert_string_equal(cfg.dlq_topic, "news.dlq");
    assert_int_equal(cfg.exactly_once, 1);
    assert_int_equal(cfg.batch_size, 10000);
    assert_int_equal(cfg.batch_ms, 100);
    assert_int_equal(cfg.max_in_flight, 10000);
    assert_int_equal(cfg.max_message_bytes, 16u << 20);
    assert_int_equal(cfg.partitions, 6);
    assert_int_equal(cfg.create_topics, 1);
    assert_int_equal(cfg.transaction_timeout_ms, 60000);
    assert_int_equal(cfg.stdio, 0);
    assert_null(cfg.dlq_file);
    assert_string_equal(cfg.metrics_addr, "0.0.0.0");
    assert_int_equal(cfg.metrics_port, 0);
    assert_int_equal(cfg.n_props, 0);
    assert_non_null(cfg.instance_id);
    assert_true(cfg.instance_id[0] != '\0');
    sp_config_free(&cfg);
}

static void test_env(void **state) {
    sp_config cfg;
    (void)state;
    setenv("STORYPIPE_BROKERS", "kafka-1:9092,kafka-2:9092", 1);
    setenv("STORYPIPE_TOPIC_PREFIX", "test.", 1);
    setenv("STORYPIPE_GROUP", "shared-group", 1);
    setenv("STORYPIPE_DELIVERY", "at-least-once", 1);
    setenv("STORYPIPE_BATCH_SIZE", "42", 1);
    setenv("STORYPIPE_INSTANCE_ID", "worker-3", 1);
    assert_int_equal(parse(&cfg, &cleaner, NULL), -1);
    assert_string_equal(cfg.brokers, "kafka-1:9092,kafka-2:9092");
    assert_string_equal(cfg.group, "shared-group");
    assert_string_equal(cfg.input_topic, "test.raw");
    assert_string_equal(cfg.output_topics[0], "test.clean");
    assert_string_equal(cfg.dlq_topic, "test.dlq");
    assert_int_equal(cfg.exactly_once, 0);
    assert_int_equal(cfg.batch_size, 42);
    assert_string_equal(cfg.instance_id, "worker-3");
    sp_config_free(&cfg);
}

static void test_stage_group_env_beats_shared(void **state) {
    sp_config cfg;
    (void)state;
    setenv("STORYPIPE_GROUP", "shared-group", 1);
    setenv("STORYPIPE_CLEANER_GROUP", "cleaner-group", 1);
    assert_int_equal(parse(&cfg, &cleaner, NULL), -1);
    assert_string_equal(cfg.group, "cleaner-group");
    sp_config_free(&cfg);
    /* another stage's variable does not apply */
    unsetenv("STORYPIPE_CLEANER_GROUP");
    setenv("STORYPIPE_SPLITTER_GROUP", "splitter-group", 1);
    assert_int_equal(parse(&cfg, &cleaner, NULL), -1);
    assert_string_equal(cfg.group, "shared-group");
    sp_config_free(&cfg);
    /* an empty variable counts as unset */
    setenv("STORYPIPE_CLEANER_GROUP", "", 1);
    setenv("STORYPIPE_BROKERS", "", 1);
    assert_int_equal(parse(&cfg, &cleaner, NULL), -1);
    assert_string_equal(cfg.group, "shared-group");
    assert_string_equal(cfg.brokers, "127.0.0.1:9092");
    sp_config_free(&cfg);
}

static void test_flags_beat_env(void **state) {
    sp_config cfg;
    (void)state;
    setenv("STORYPIPE_BROKERS", "env:9092", 1);
    setenv("STORYPIPE_TOPIC_PREFIX", "env.", 1);
    setenv("STORYPIPE_CLEANER_GROUP", "env-group", 1);
    setenv("STORYPIPE_DELIVERY", "at-least-once", 1);
    setenv("STORYPIPE_BATCH_SIZE", "7", 1);
    assert_int_equal(parse(&cfg, &cleaner, "-b", "flag:9092", "--group", "flag-group",
                           "--topic-prefix", "flag.", "--delivery", "exactly-once",
                           "--batch-size", "9", NULL), -1);
    assert_string_equal(cfg.brokers, "flag:9092");
    assert_string_equal(cfg.group, "flag-group");
    assert_string_equal(cfg.input_topic, "flag.raw");
    assert_int_equal(cfg.exactly_once, 1);
    assert_int_equal(cfg.batch_size, 9);
    sp_config_free(&cfg);

    assert_int_equal(parse(&cfg, &cleaner, "--brokers=b:1", "-gshort-group",
                           "--delivery=at-least-once", NULL), -1);
    assert_string_equal(cfg.brokers, "b:1");
    assert_string_equal(cfg.group, "short-group");
    assert_int_equal(cfg.exactly_once, 0);
    sp_config_free(&cfg);
}

static void test_other_flags(void **state) {
    sp_config cfg;
    (void)state;
    assert_int_equal(parse(&cfg, &cleaner, "--input-topic", "in.t", "--output-topic", "out.t",
                           "--dlq-topic", "dead.t", "--batch-ms", "250", "--max-in-flight", "3",
                           "--max-message-bytes", "1000", "--partitions", "12", "--no-create-topics",
                           "--transaction-timeout-ms", "30000", "--stdio", "--dlq-file", "dlq.jsonl",
                           "--metrics-port", "9100", "--metrics-addr", "127.0.0.1",
                           "--instance-id", "i-1", NULL), -1);
    assert_string_equal(cfg.input_topic, "in.t");
    assert_string_equal(cfg.output_topics[0], "out.t");
    assert_string_equal(cfg.dlq_topic, "dead.t");
    assert_int_equal(cfg.batch_ms, 250);
    assert_int_equal(cfg.max_in_flight, 3);
    assert_int_equal(cfg.max_message_bytes, 1000);
    assert_int_equal(cfg.partitions, 12);
    assert_int_equal(cfg.create_topics, 0);
    assert_int_equal(cfg.transaction_timeout_ms, 30000);
    assert_int_equal(cfg.stdio, 1);
    assert_string_equal(cfg.dlq_file, "dlq.jsonl");
    assert_int_equal(cfg.metrics_port, 9100);
    assert_string_equal(cfg.metrics_addr, "127.0.0.1");
    assert_string_equal(cfg.instance_id, "i-1");
    sp_config_free(&cfg);
}

static void test_side_outputs_and_service_options(void **state) {
    sp_config cfg;
    (void)state;
    setenv("STORYPIPE_REDIS_URL", "redis://env:6379", 1);
    assert_int_equal(parse(&cfg, &deduper, NULL), -1);
    assert_int_equal(cfg.n_outputs, 2);
    assert_string_equal(cfg.input_topic, "news.stories");
    assert_string_equal(cfg.output_topics[0], "news.unique");
    assert_string_equal(cfg.output_topics[1], "news.duplicates");
    assert_string_equal(cfg.group, "storypipe-deduper");
    assert_null(cfg.side_files[1]);
    assert_string_equal(redis_url, "redis://env:6379");
    assert_null(dry_run);
    sp_config_free(&cfg);

    assert_int_equal(parse(&cfg, &deduper, "--duplicates-file", "dups.jsonl", "--redis-url",
                           "redis://flag:6379", "--dry-run", "--output-topic", "u2", NULL), -1);
    assert_string_equal(cfg.side_files[1], "dups.jsonl");
    assert_string_equal(redis_url, "redis://flag:6379");
    assert_string_equal(dry_run, "1");
    assert_string_equal(cfg.output_topics[0], "u2");          /* --output-topic: the first only */
    assert_string_equal(cfg.output_topics[1], "news.duplicates");
    sp_config_free(&cfg);
}

static void test_x_props(void **state) {
    sp_config cfg;
    (void)state;
    assert_int_equal(parse(&cfg, &cleaner, "-X", "acks=all", "-X", "consumer.fetch.max.bytes=1000",
                           "-Xproducer.linger.ms=5", "-X", "client.id=a=b", "-X", "debug=", NULL), -1);
    assert_int_equal(cfg.n_props, 5);
    assert_int_equal(cfg.props[0].scope, 'b');
    assert_string_equal(cfg.props[0].key, "acks");
    assert_string_equal(cfg.props[0].value, "all");
    assert_int_equal(cfg.props[1].scope, 'c');
    assert_string_equal(cfg.props[1].key, "fetch.max.bytes");
    assert_string_equal(cfg.props[1].value, "1000");
    assert_int_equal(cfg.props[2].scope, 'p');
    assert_string_equal(cfg.props[2].key, "linger.ms");
    assert_string_equal(cfg.props[2].value, "5");
    assert_int_equal(cfg.props[3].scope, 'b');                /* split at the first '=' */
    assert_string_equal(cfg.props[3].key, "client.id");
    assert_string_equal(cfg.props[3].value, "a=b");
    assert_string_equal(cfg.props[4].key, "debug");
    assert_string_equal(cfg.props[4].value, "");
    sp_config_free(&cfg);
}

static void test_x_props_limit(void **state) {
    sp_config cfg;
    char *argv[2 * SP_MAX_PROPS + 4];
    int argc = 0;
    (void)state;
    argv[argc++] = (char *)"storypipe-test";
    for (int i = 0; i <= SP_MAX_PROPS; i++) {
        argv[argc++] = (char *)"-X";
        argv[argc++] = (char *)"a=b";
    }
    argv[argc] = NULL;
    /* SP_MAX_PROPS + 1 properties: one too many */
    assert_int_equal(sp_config_parse(&cfg, &cleaner, argc, argv), SP_EXIT_USAGE);
    assert_int_equal(cfg.n_props, SP_MAX_PROPS);
    sp_config_free(&cfg);
    /* exactly SP_MAX_PROPS is fine */
    assert_int_equal(sp_config_parse(&cfg, &cleaner, argc - 2, argv), -1);
    assert_int_equal(cfg.n_props, SP_MAX_PROPS);
    sp_config_free(&cfg);
}

static void test_bad_values(void **state) {
    (void)state;
    EXPECT_RC(SP_EXIT_USAGE, "--delivery", "nonsense");
    EXPECT_RC(SP_EXIT_USAGE, "--delivery", "");
    EXPECT_RC(SP_EXIT_USAGE, "--batch-size", "0");
    EXPECT_RC(SP_EXIT_USAGE, "--batch-size", "-5");
    EXPECT_RC(SP_EXIT_USAGE, "--batch-size", "12abc");
    EXPECT_RC(SP_EXIT_USAGE, "--batch-size", "");
    EXPECT_RC(SP_EXIT_USAGE, "--batch-size", "99999999999999999999");
    EXPECT_RC(SP_EXIT_USAGE, "--metrics-port", "65536");
    EXPECT_RC(SP_EXIT_USAGE, "--transaction-timeout-ms", "999");
    EXPECT_RC(SP_EXIT_USAGE, "--log-level", "verbose");
    EXPECT_RC(SP_EXIT_USAGE, "-X", "noequals");
    EXPECT_RC(SP_EXIT_USAGE, "-X", "=value");
    EXPECT_RC(SP_EXIT_USAGE, "-X", "consumer.noequals");
    EXPECT_RC(SP_EXIT_USAGE, "stray");
    EXPECT_RC(SP_EXIT_USAGE, "--stdio", "stray");
    EXPECT_RC(SP_EXIT_USAGE, "--no-such-flag");
    EXPECT_RC(SP_EXIT_USAGE, "--batch-size");                  /* missing argument */
    EXPECT_RC(SP_EXIT_USAGE, "-X", "acks=all", "--delivery", "x"); /* after a -X: freed by sp_config_free */
}

static void test_bad_env_values(void **state) {
    sp_config cfg;
    (void)state;
    setenv("STORYPIPE_DELIVERY", "sometimes", 1);
    assert_int_equal(parse(&cfg, &cleaner, NULL), SP_EXIT_USAGE);
    sp_config_free(&cfg);
    /* a valid flag overrides the bad variable */
    assert_int_equal(parse(&cfg, &cleaner, "--delivery", "at-least-once", NULL), -1);
    assert_int_equal(cfg.exactly_once, 0);
    sp_config_free(&cfg);
    unsetenv("STORYPIPE_DELIVERY");
    setenv("STORYPIPE_BATCH_SIZE", "lots", 1);
    assert_int_equal(parse(&cfg, &cleaner, NULL), SP_EXIT_USAGE);
    sp_config_free(&cfg);
    unsetenv("STORYPIPE_BATCH_SIZE");
    setenv("STORYPIPE_METRICS_PORT", "-1", 1);
    assert_int_equal(parse(&cfg, &cleaner, NULL), SP_EXIT_USAGE);
    sp_config_free(&cfg);
}

/* "-X consumer.=v" names no property, like "-X =v" which is rejected. */
static void test_x_empty_scoped_key(void **state) {
    (void)state;
    EXPECT_RC(SP_EXIT_USAGE, "-X", "consumer.=value");
    EXPECT_RC(SP_EXIT_USAGE, "-X", "producer.=value");
}

static void test_help_and_version(void **state) {
    (void)state;
    EXPECT_RC(SP_EXIT_OK, "--help");
    EXPECT_RC(SP_EXIT_OK, "-h");
    EXPECT_RC(SP_EXIT_OK, "--version");
    EXPECT_RC(SP_EXIT_OK, "-V");
    EXPECT_RC(SP_EXIT_OK, "--batch-size", "5", "--help");
    fflush(stdout);
}

/* sp_config_parse resets getopt with optind = 1, which in glibc does not
 * forget a half-read cluster of short options: after "-hV" stopped at -h,
 * the next parse starts with the stale "V" from the previous argv. */
static void test_reparse_after_short_option_cluster(void **state) {
    sp_config cfg;
    int rc;
    (void)state;
    EXPECT_RC(SP_EXIT_OK, "-hV");
    fflush(stdout);
    rc = parse(&cfg, &cleaner, "--batch-size", "7", NULL);
    if (rc == -1) {
        assert_int_equal(cfg.batch_size, 7);
        sp_config_free(&cfg);
        return;
    }
    sp_config_free(&cfg);
    fail_msg("second parse returned %d, expected -1 (stale getopt state from the previous argv)", rc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stage_group_env_beats_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flags_beat_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_side_outputs_and_service_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_x_props, setup, teardown),
        cmocka_unit_test_setup_teardown(test_x_props_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_env_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_x_empty_scoped_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_and_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reparse_after_short_option_cluster, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
