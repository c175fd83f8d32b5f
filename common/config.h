/* config.h — the runtime configuration of a stage, from flags, then
 * environment variables, then defaults (12-factor). One struct, filled once
 * by sp_config_parse() and read everywhere else. */
#ifndef SP_CONFIG_H
#define SP_CONFIG_H

#include <stddef.h>

#include "stage.h"

#define SP_MAX_PROPS 64

/* A librdkafka property given with -X; `scope` is 'c' (consumer only),
 * 'p' (producer only) or 'b' (both). */
typedef struct sp_prop {
    char scope;
    const char *key;
    const char *value;
} sp_prop;

typedef struct sp_config {
    const char *brokers;
    const char *group;
    const char *prefix;
    const char *instance_id;
    int exactly_once;
    char *input_topic;
    char *output_topics[SP_MAX_OUTPUTS];
    char *dlq_topic;
    int n_outputs;
    int batch_size;
    int batch_ms;
    int max_in_flight;
    size_t max_message_bytes;
    int partitions;
    int create_topics;
    int transaction_timeout_ms;
    int stdio;
    const char *dlq_file;
    const char *side_files[SP_MAX_OUTPUTS]; /* --stdio: files for outputs 1.. */
    const char *metrics_addr;
    int metrics_port;
    sp_prop props[SP_MAX_PROPS];
    int n_props;
} sp_config;

/* Parse argv and the environment for `def`. Returns -1 to go on, or an exit
 * code (0 after --help/--version, SP_EXIT_USAGE on bad flags). */
int sp_config_parse(sp_config *cfg, const sp_stage_def *def, int argc, char **argv);
void sp_config_free(sp_config *cfg);

/* Parse "-X key=value" (with optional consumer./producer. prefix) into cfg. */
int sp_config_add_prop(sp_config *cfg, const char *kv);

/* Read an integer from a flag/env string; -1 on garbage or out of [min,max]. */
int sp_parse_int(const char *s, long min, long max, long *out);

#endif
