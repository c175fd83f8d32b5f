/* consume.c — `storypipe consume TOPIC`: every partition of a topic from
 * the beginning, committed messages only (read_committed), values printed
 * one per line; with -e it exits at the end of every partition. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "stage.h"
#include "util.h"

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static void usage(FILE *f) {
    fprintf(f, "Usage: storypipe consume [OPTIONS] TOPIC\n"
               "Print TOPIC's committed messages (from the beginning), one value per line.\n\n"
               "  -b, --brokers LIST     [STORYPIPE_BROKERS, 127.0.0.1:9092]\n"
               "  -e, --exit             exit at the end of every partition\n"
               "  -K, --key              print KEY<TAB>VALUE\n"
               "  -X KEY=VALUE           librdkafka property\n"
               "  -h, --help\n");
}

int cmd_consume(int argc, char **argv) {
    static const struct option opts[] = {{"brokers", required_argument, 0, 'b'},
                                         {"exit", no_argument, 0, 'e'}, {"key", no_argument, 0, 'K'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    static const char *const extra[] = {"group.id", "storypipe-consume-cli", "enable.auto.commit", "false",
                                        "isolation.level", "read_committed", "enable.partition.eof", "true",
                                        NULL};
    cli_kafka k;
    int c, exit_at_end = 0, with_key = 0, eofs = 0, rc = SP_EXIT_OK;
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_partition_list_t *parts;
    rd_kafka_topic_t *rkt;
    rd_kafka_t *rk;
    rd_kafka_resp_err_t err;

    cli_kafka_defaults(&k);
    while ((c = getopt_long(argc, argv, "b:eKX:h", opts, NULL)) != -1) {
        if (cli_kafka_option(&k, c, optarg) == 1) continue;
        if (c == 'e') { exit_at_end = 1; continue; }
        if (c == 'K') { with_key = 1; continue; }
        if (c == 'h') { usage(stdout); return SP_EXIT_OK; }
        usage(stderr);
        return SP_EXIT_USAGE;
    }
    if (optind != argc - 1) {
        usage(stderr);
        return SP_EXIT_USAGE;
    }
    if ((rk = cli_kafka_client(&k, RD_KAFKA_CONSUMER, extra, NULL)) == NULL) {
        sp_config_free(&k.props);
        return SP_EXIT_CONFIG;
    }
    rkt = rd_kafka_topic_new(rk, argv[optind], NULL);
    err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    if (err || md->topic_cnt != 1 || md->topics[0].err) {
        sp_log(SP_LOG_ERROR, "metadata_failed", "%s: %s", argv[optind],
               rd_kafka_err2str(err ? err : md->topics[0].err));
        if (!err) rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(rk);
        sp_config_free(&k.props);
        return SP_EXIT_UNAVAILABLE;
    }
    parts = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
        rd_kafka_topic_partition_list_add(parts, argv[optind], md->topics[0].partitions[i].id)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_assign(rk, parts);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    while (!stop && !(exit_at_end && eofs >= parts->cnt)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (m == NULL) continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eofs++;
        } else if (m->err) {
            sp_log(SP_LOG_WARN, "consume_error", "%s", rd_kafka_message_errstr(m));
        } else {
            /* a tombstone has no payload, a keyless record no key: NULL, not to be passed to fwrite */
            if (with_key) {
                if (m->key_len) fwrite(m->key, 1, m->key_len, stdout);
                fputc('\t', stdout);
            }
            if (m->len) fwrite(m->payload, 1, m->len, stdout);
            if (fputc('\n', stdout) == EOF) stop = 1, rc = SP_EXIT_UNAVAILABLE;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    sp_config_free(&k.props);
    return rc;
}
