/* common.c — what the CLI's Kafka subcommands share (see cli.h). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kafka.h"
#include "log.h"

const char *const cli_pipeline_topics[] = {"sources", "raw", "clean", "stories", "unique",
                                           "duplicates", "dlq", NULL};

void cli_kafka_defaults(cli_kafka *k) {
    const char *b = getenv("STORYPIPE_BROKERS"), *p = getenv("STORYPIPE_TOPIC_PREFIX");
    k->brokers = b && *b ? b : "127.0.0.1:9092";
    k->prefix = p && *p ? p : "news.";
    memset(&k->props, 0, sizeof k->props);
}

int cli_kafka_option(cli_kafka *k, int opt, const char *arg) {
    switch (opt) {
    case 'b': k->brokers = arg; return 1;
    case 'P': k->prefix = arg; return 1;
    case 'X': return sp_config_add_prop(&k->props, arg) == 0 ? 1 : -1;
    default: return 0;
    }
}

rd_kafka_t *cli_kafka_client(cli_kafka *k, rd_kafka_type_t type, const char *const *extra,
                             void (*on_delivery)(rd_kafka_t *, const rd_kafka_message_t *, void *)) {
    char scope = type == RD_KAFKA_CONSUMER ? 'c' : 'p';
    rd_kafka_conf_t *conf = sp_kafka_conf(k->brokers, NULL, 0, scope);
    char errstr[512];
    rd_kafka_t *rk;
    if (conf == NULL) return NULL;
    if (on_delivery) rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    for (int i = 0; extra && extra[i]; i += 2)
        if (sp_kafka_set(conf, extra[i], extra[i + 1])) goto fail;
    for (int i = 0; i < k->props.n_props; i++)
        if ((k->props.props[i].scope == 'b' || k->props.props[i].scope == scope) &&
            sp_kafka_set(conf, k->props.props[i].key, k->props.props[i].value))
            goto fail;
    rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (rk) return rk;
    sp_log(SP_LOG_ERROR, "config_rejected", "%s", errstr);
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

rd_kafka_resp_err_t cli_produce(rd_kafka_t *rk, const char *topic, const char *key, size_t key_len,
                                const char *value, size_t len, void *opaque) {
    rd_kafka_resp_err_t err;
    while ((err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key_len),
                                    RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(rk, 100); /* deliveries make room */
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_poll(rk, 0);
    return err;
}
