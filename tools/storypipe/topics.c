/* topics.c — `storypipe topics create`: the pipeline's topics, with a
 * partition count chosen for the cluster (more partitions, more instances). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kafka.h"
#include "stage.h"
#include "util.h"

static void usage(FILE *f) {
    fprintf(f, "Usage: storypipe topics create [OPTIONS]\n"
               "Create <prefix>{sources,raw,clean,stories,unique,duplicates,dlq} if missing.\n\n"
               "  -b, --brokers LIST     [STORYPIPE_BROKERS, 127.0.0.1:9092]\n"
               "      --topic-prefix P   [STORYPIPE_TOPIC_PREFIX, news.]\n"
               "      --partitions N     [6]\n"
               "  -X KEY=VALUE           librdkafka property\n"
               "  -h, --help\n");
}

int cmd_topics(int argc, char **argv) {
    static const struct option opts[] = {{"brokers", required_argument, 0, 'b'},
                                         {"topic-prefix", required_argument, 0, 'P'},
                                         {"partitions", required_argument, 0, 'p'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    cli_kafka k;
    long partitions = 6;
    char *names[16];
    int c, n = 0, rc;
    rd_kafka_t *rk;

    cli_kafka_defaults(&k);
    while ((c = getopt_long(argc, argv, "b:X:h", opts, NULL)) != -1) {
        int h = cli_kafka_option(&k, c, optarg);
        if (h == 1) continue;
        if (c == 'p' && sp_parse_int(optarg, 1, 10000, &partitions) == 0) continue;
        if (c == 'h') { usage(stdout); return SP_EXIT_OK; }
        usage(stderr);
        return SP_EXIT_USAGE;
    }
    if (optind >= argc || strcmp(argv[optind], "create") != 0) {
        usage(stderr);
        return SP_EXIT_USAGE;
    }
    if ((rk = cli_kafka_client(&k, RD_KAFKA_PRODUCER, NULL, NULL)) == NULL) {
        sp_config_free(&k.props);
        return SP_EXIT_CONFIG;
    }
    for (int i = 0; cli_pipeline_topics[i]; i++) {
        size_t len = strlen(k.prefix) + strlen(cli_pipeline_topics[i]) + 1;
        names[n] = sp_xmalloc(len);
        snprintf(names[n++], len, "%s%s", k.prefix, cli_pipeline_topics[i]);
    }
    rc = sp_kafka_create_topics(rk, names, n, (int)partitions, 15000) == 0 ? SP_EXIT_OK : SP_EXIT_UNAVAILABLE;
    for (int i = 0; i < n; i++) free(names[i]);
    rd_kafka_destroy(rk);
    sp_config_free(&k.props);
    return rc;
}
