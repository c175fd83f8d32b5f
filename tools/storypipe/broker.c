/* broker.c — `storypipe broker`: librdkafka's mock cluster as an embedded
 * Kafka broker, so the pipeline can be tried with nothing installed. It
 * speaks the real protocol on loopback but keeps data in memory only and
 * does not implement transaction isolation: for demos, never production.
 *
 * It also injects faults for tests, as librdkafka's own tests do: each line
 * "fail REQUEST COUNT [ERROR]" on its stdin makes the next COUNT requests
 * of that kind (Produce, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn,
 * TxnOffsetCommit, OffsetCommit) fail with the Kafka error code ERROR
 * (default 19, NOT_ENOUGH_REPLICAS); "clear REQUEST" drops the failures
 * of that kind still to come (a test restarting a stage "once the fault is
 * gone" cannot know how many of them the stage used before it stopped); a
 * line "rtt MS" delays every answer of the broker by MS milliseconds (0
 * again: no delay). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h> /* after rdkafka.h, as it requires */

#include "cli.h"
#include "config.h"
#include "log.h"
#include "stage.h"

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static const struct {
    const char *name;
    int16_t api_key;
} requests[] = {{"Produce", 0}, {"OffsetCommit", 8}, {"AddPartitionsToTxn", 24},
                {"AddOffsetsToTxn", 25}, {"EndTxn", 26}, {"TxnOffsetCommit", 28}};

/* One stdin command: "fail REQUEST COUNT [ERROR]", "clear REQUEST" or "rtt MS". */
static void command(rd_kafka_mock_cluster_t *mc, char *line) {
    char req[64];
    int count = 0, code = RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, ms, clear = 0;
    if (sscanf(line, "rtt %d", &ms) == 1 && ms >= 0 && ms <= 60000) {
        rd_kafka_mock_broker_set_rtt(mc, 1, ms); /* the cluster's one broker */
        sp_log(SP_LOG_INFO, "fault_injected", "the broker answers after %d ms", ms);
        return;
    }
    if (sscanf(line, "clear %63s", req) == 1) {
        clear = 1;
    } else if (sscanf(line, "fail %63s %d %d", req, &count, &code) < 2 || count < 1 || count > 10000) {
        sp_log(SP_LOG_WARN, "broker_command",
               "ignored: want \"fail REQUEST COUNT [ERROR]\", \"clear REQUEST\" or \"rtt MS\"");
        return;
    }
    for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
        if (strcmp(req, requests[i].name) != 0) continue;
        if (clear) {
            rd_kafka_mock_clear_request_errors(mc, requests[i].api_key);
            sp_log(SP_LOG_INFO, "fault_cleared", "no more %s requests fail", req);
        } else {
            rd_kafka_resp_err_t *errs = calloc((size_t)count, sizeof *errs);
            for (int k = 0; k < count; k++) errs[k] = (rd_kafka_resp_err_t)code;
            rd_kafka_mock_push_request_errors_array(mc, requests[i].api_key, (size_t)count, errs);
            free(errs);
            sp_log(SP_LOG_INFO, "fault_injected", "the next %d %s requests fail with %s", count, req,
                   rd_kafka_err2name((rd_kafka_resp_err_t)code));
        }
        return;
    }
    sp_log(SP_LOG_WARN, "broker_command", "unknown request %s", req);
}

static void usage(FILE *f) {
    fprintf(f, "Usage: storypipe broker [OPTIONS]\n"
               "Run an embedded in-memory Kafka broker on loopback until SIGINT/SIGTERM.\n"
               "Prints the bootstrap address on stdout. Not durable: demos only.\n"
               "Fault injection for tests: a line \"fail REQUEST COUNT [ERROR]\" on stdin fails\n"
               "the next COUNT requests of that kind (Produce, OffsetCommit, AddPartitionsToTxn,\n"
               "AddOffsetsToTxn, EndTxn, TxnOffsetCommit) with Kafka error code ERROR [19];\n"
               "\"clear REQUEST\" drops those of that kind still to come;\n"
               "a line \"rtt MS\" delays the broker's every answer by MS milliseconds.\n\n"
               "      --partitions N       partitions of the pipeline topics it creates [6]\n"
               "      --topic-prefix P     [STORYPIPE_TOPIC_PREFIX, news.]\n"
               "      --bootstrap-file F   also write the bootstrap address to F\n"
               "  -h, --help\n");
}

int cmd_broker(int argc, char **argv) {
    static const struct option opts[] = {{"partitions", required_argument, 0, 'p'},
                                         {"topic-prefix", required_argument, 0, 'P'},
                                         {"bootstrap-file", required_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *prefix = getenv("STORYPIPE_TOPIC_PREFIX"), *file = NULL;
    long partitions = 6;
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;
    char errstr[256];
    int c;

    if (prefix == NULL || *prefix == '\0') prefix = "news.";
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': if (sp_parse_int(optarg, 1, 1000, &partitions)) { usage(stderr); return SP_EXIT_USAGE; } break;
        case 'P': prefix = optarg; break;
        case 'f': file = optarg; break;
        case 'h': usage(stdout); return SP_EXIT_OK;
        default: usage(stderr); return SP_EXIT_USAGE;
        }
    }
    conf = rd_kafka_conf_new();
    /* this client only hosts the cluster: it has no brokers to talk to */
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (rk == NULL) {
        sp_log(SP_LOG_ERROR, "broker_failed", "%s", errstr);
        return SP_EXIT_SOFTWARE;
    }
    mc = rd_kafka_mock_cluster_new(rk, 1);
    if (mc == NULL) {
        sp_log(SP_LOG_ERROR, "broker_failed", "cannot create the mock cluster");
        rd_kafka_destroy(rk);
        return SP_EXIT_SOFTWARE;
    }
    for (int i = 0; cli_pipeline_topics[i]; i++) {
        char topic[256];
        snprintf(topic, sizeof topic, "%s%s", prefix, cli_pipeline_topics[i]);
        rd_kafka_mock_topic_create(mc, topic, (int)partitions, 1);
    }
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    if (file) { /* write then rename, so a reader never sees half an address */
        char tmp[4096];
        FILE *f;
        snprintf(tmp, sizeof tmp, "%s.tmp", file);
        if ((f = fopen(tmp, "w")) == NULL || fprintf(f, "%s\n", rd_kafka_mock_cluster_bootstraps(mc)) < 0 ||
            fclose(f) != 0 || rename(tmp, file) != 0) {
            sp_log(SP_LOG_ERROR, "broker_failed", "cannot write %s", file);
            rd_kafka_mock_cluster_destroy(mc);
            rd_kafka_destroy(rk);
            return SP_EXIT_UNAVAILABLE;
        }
    }
    sp_log(SP_LOG_INFO, "broker_started", "embedded broker at %s", rd_kafka_mock_cluster_bootstraps(mc));
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    {
        char line[256];
        size_t n = 0;
        int eof = 0;
        while (!stop) {
            struct pollfd pfd = {0, POLLIN, 0};
            ssize_t r;
            if (eof || poll(&pfd, 1, 1000) <= 0) {
                if (eof) pause();
                continue;
            }
            r = read(0, line + n, sizeof line - 1 - n);
            if (r <= 0) {
                eof = r == 0 || errno != EINTR;
                continue;
            }
            n += (size_t)r;
            line[n] = '\0';
            for (char *nl; (nl = strchr(line, '\n')) != NULL;) {
                *nl = '\0';
                command(mc, line);
                memmove(line, nl + 1, strlen(nl + 1) + 1);
                n = strlen(line);
            }
            if (n == sizeof line - 1) n = 0; /* an overlong line: drop it */
        }
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return SP_EXIT_OK;
}
