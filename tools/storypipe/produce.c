/* produce.c — `storypipe produce TOPIC`: each line of stdin becomes one
 * message, keyed by a top-level string field of the line's JSON object
 * (--key-field), waiting for every acknowledgement before it exits. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "log.h"
#include "stage.h"

static int failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    if (m->err) {
        failed++;
        sp_log(SP_LOG_ERROR, "delivery_failed", "%s", rd_kafka_err2str(m->err));
    }
}

static void usage(FILE *f) {
    fprintf(f, "Usage: storypipe produce [OPTIONS] TOPIC\n"
               "Send each line of stdin as one message to TOPIC (the full name).\n\n"
               "  -b, --brokers LIST     [STORYPIPE_BROKERS, 127.0.0.1:9092]\n"
               "  -k, --key-field F      key each message by the string field F of its JSON\n"
               "  -X KEY=VALUE           librdkafka property (e.g. -X acks=all)\n"
               "  -h, --help\n");
}

int cmd_produce(int argc, char **argv) {
    static const struct option opts[] = {{"brokers", required_argument, 0, 'b'},
                                         {"key-field", required_argument, 0, 'k'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    static const char *const extra[] = {"enable.idempotence", "true", "linger.ms", "10", NULL};
    cli_kafka k;
    const char *key_field = NULL, *topic;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long count = 0;
    int c;
    rd_kafka_t *rk;

    cli_kafka_defaults(&k);
    while ((c = getopt_long(argc, argv, "b:k:X:h", opts, NULL)) != -1) {
        if (cli_kafka_option(&k, c, optarg) == 1) continue;
        if (c == 'k') { key_field = optarg; continue; }
        if (c == 'h') { usage(stdout); return SP_EXIT_OK; }
        usage(stderr);
        return SP_EXIT_USAGE;
    }
    if (optind != argc - 1) {
        usage(stderr);
        return SP_EXIT_USAGE;
    }
    topic = argv[optind];
    if ((rk = cli_kafka_client(&k, RD_KAFKA_PRODUCER, extra, on_delivery)) == NULL) {
        sp_config_free(&k.props);
        return SP_EXIT_CONFIG;
    }
    while ((len = getline(&line, &cap, stdin)) != -1) {
        json_t *j = NULL;
        const char *key = NULL;
        rd_kafka_resp_err_t err;
        if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
        if (len == 0) continue;
        if (key_field && (j = json_loadb(line, (size_t)len, 0, NULL)) != NULL)
            key = json_string_value(json_object_get(j, key_field));
        err = cli_produce(rk, topic, key, key ? strlen(key) : 0, line, (size_t)len, NULL);
        json_decref(j);
        if (err) {
            sp_log(SP_LOG_ERROR, "produce_failed", "%s", rd_kafka_err2str(err));
            failed++;
            break;
        }
        count++;
    }
    free(line);
    rd_kafka_flush(rk, 60000);
    if (rd_kafka_outq_len(rk) > 0) failed += rd_kafka_outq_len(rk);
    rd_kafka_destroy(rk);
    sp_config_free(&k.props);
    sp_log(SP_LOG_INFO, "produced", "%ld messages to %s, %d failed", count, topic, failed);
    return failed ? SP_EXIT_UNAVAILABLE : SP_EXIT_OK;
}
