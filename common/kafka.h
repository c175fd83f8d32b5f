/* kafka.h — librdkafka set-up shared by the stage runtime and the
 * storypipe CLI: configuration with -X pass-through, logs routed to the JSON
 * logger, and topic creation. */
#ifndef SP_KAFKA_H
#define SP_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "config.h"

/* Largest message storypipe topics and clients accept: a 16 MiB input's
 * dead letter carries it base64-encoded, so leave room for that. */
#define SP_KAFKA_MAX_MESSAGE_BYTES "33554432"

/* A configuration for a client of `scope` ('c' consumer, 'p' producer)
 * with bootstrap.servers, JSON logging, then each -X property of that
 * scope applied last so the user always wins. NULL (after a log line) when
 * librdkafka rejects a property. */
rd_kafka_conf_t *sp_kafka_conf(const char *brokers, const sp_prop *props, int n_props,
                               char scope);

/* Set one property or log why not. 0 ok, -1 rejected. */
int sp_kafka_set(rd_kafka_conf_t *conf, const char *key, const char *value);

/* Create the topics that do not exist yet (an existing topic is fine).
 * Topics named ...sources and ...unique are compacted (cleanup.policy=
 * compact): the latest record of each key is what counts.
 * 0 ok, -1 on error or timeout (logged). */
int sp_kafka_create_topics(rd_kafka_t *rk, char *const *topics, int n, int partitions,
                           int timeout_ms);

#endif
