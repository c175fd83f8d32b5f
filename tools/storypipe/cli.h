/* cli.h — the storypipe CLI's subcommands and what they share. */
#ifndef CLI_H
#define CLI_H

#include <librdkafka/rdkafka.h>

#include "config.h"

int cmd_broker(int argc, char **argv);
int cmd_topics(int argc, char **argv);
int cmd_produce(int argc, char **argv);
int cmd_consume(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_sources(int argc, char **argv);
int cmd_ingest(int argc, char **argv);

/* The pipeline's topic names without prefix, NULL-terminated. */
extern const char *const cli_pipeline_topics[];

/* Options every Kafka subcommand takes: -b/--brokers, --topic-prefix, -X. */
typedef struct cli_kafka {
    const char *brokers;
    const char *prefix;
    sp_config props; /* only props/n_props are used */
} cli_kafka;

void cli_kafka_defaults(cli_kafka *k);
/* Handle one of the common options; 1 handled, 0 not ours, -1 bad value. */
int cli_kafka_option(cli_kafka *k, int opt, const char *arg);
/* A client of `type` with the common options applied (and `extra` pairs,
 * NULL-terminated key, value, ...) and, for a producer, a delivery report
 * callback (or NULL); NULL after a message on failure. */
rd_kafka_t *cli_kafka_client(cli_kafka *k, rd_kafka_type_t type, const char *const *extra,
                             void (*on_delivery)(rd_kafka_t *, const rd_kafka_message_t *, void *));
/* Produce one message (copied; a NULL value is a tombstone), waiting while
 * the producer's queue is full; the error of rd_kafka_producev otherwise. */
rd_kafka_resp_err_t cli_produce(rd_kafka_t *rk, const char *topic, const char *key, size_t key_len,
                                const char *value, size_t len, void *opaque);

#endif
