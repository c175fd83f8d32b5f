/* kafka.c — librdkafka set-up shared by the runtime and the CLI (see kafka.h). */
#include "kafka.h"

#include <string.h>

#include "log.h"
#include "util.h"

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    sp_log_level l = level <= 3 ? SP_LOG_ERROR : level <= 4 ? SP_LOG_WARN : level <= 6 ? SP_LOG_INFO : SP_LOG_DEBUG;
    if (!sp_log_enabled(l)) return;
    sp_logj(l, "librdkafka", json_pack("{s:s, s:s}", "client", rd_kafka_name(rk), "facility", fac), "%s", buf);
}

int sp_kafka_set(rd_kafka_conf_t *conf, const char *key, const char *value) {
    char errstr[512];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        sp_log(SP_LOG_ERROR, "config_rejected", "%s=%s: %s", key, value, errstr);
        return -1;
    }
    return 0;
}

rd_kafka_conf_t *sp_kafka_conf(const char *brokers, const sp_prop *props, int n_props, char scope) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, log_cb);
    if (sp_kafka_set(conf, "bootstrap.servers", brokers) ||
        sp_kafka_set(conf, "message.max.bytes", SP_KAFKA_MAX_MESSAGE_BYTES))
        goto fail;
    for (int i = 0; i < n_props; i++) {
        if (props[i].scope != 'b' && props[i].scope != scope) continue;
        if (sp_kafka_set(conf, props[i].key, props[i].value)) goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* Whether every one of `topics` is in the cluster's metadata with its
 * partitions. A new topic reaches the brokers' metadata caches a moment
 * after CreateTopics answers; a client that asks in that moment is told
 * the topic does not exist. */
static int topics_visible(rd_kafka_t *rk, char *const *topics, int n) {
    const rd_kafka_metadata_t *md;
    int seen = 0;
    if (rd_kafka_metadata(rk, 1, NULL, &md, 2000) != RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < md->topic_cnt; k++)
            if (strcmp(md->topics[k].topic, topics[i]) == 0 && !md->topics[k].err && md->topics[k].partition_cnt > 0) {
                seen++;
                break;
            }
    rd_kafka_metadata_destroy(md);
    return seen == n;
}

int sp_kafka_create_topics(rd_kafka_t *rk, char *const *topics, int n, int partitions,
                           int timeout_ms) {
    rd_kafka_NewTopic_t **nt = calloc((size_t)n, sizeof *nt);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_event_t *ev;
    char errstr[512];
    int rc = 0, i;

    rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, errstr, sizeof errstr);
    for (i = 0; i < n; i++) {
        size_t len = strlen(topics[i]);
        nt[i] = rd_kafka_NewTopic_new(topics[i], partitions, -1, errstr, sizeof errstr);
        rd_kafka_NewTopic_set_config(nt[i], "max.message.bytes", SP_KAFKA_MAX_MESSAGE_BYTES);
        /* keyed by what they describe, the latest record of each is what
         * counts: sources by source id, unique stories by story_id (their
         * latest revision), so a new consumer can bootstrap from them */
        if ((len >= 7 && strcmp(topics[i] + len - 7, "sources") == 0) ||
            (len >= 6 && strcmp(topics[i] + len - 6, "unique") == 0))
            rd_kafka_NewTopic_set_config(nt[i], "cleanup.policy", "compact");
    }
    rd_kafka_CreateTopics(rk, nt, (size_t)n, opts, q);
    ev = rd_kafka_queue_poll(q, timeout_ms + 2000);
    if (ev == NULL) {
        sp_log(SP_LOG_ERROR, "create_topics_failed", "no answer from the brokers in %d ms", timeout_ms);
        rc = -1;
    } else if (rd_kafka_event_error(ev)) {
        sp_log(SP_LOG_ERROR, "create_topics_failed", "%s", rd_kafka_event_error_string(ev));
        rc = -1;
    } else {
        size_t cnt;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        for (size_t k = 0; k < cnt; k++) {
            rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[k]);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
                sp_log(SP_LOG_INFO, "topic_created", "created %s with %d partitions",
                       rd_kafka_topic_result_name(res[k]), partitions);
            else if (e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                sp_log(SP_LOG_ERROR, "create_topics_failed", "%s: %s", rd_kafka_topic_result_name(res[k]),
                       rd_kafka_topic_result_error_string(res[k]));
                rc = -1;
            }
        }
    }
    if (ev) rd_kafka_event_destroy(ev);
    if (rc == 0) { /* created is not yet usable: wait until every broker's metadata has them */
        int64_t end = sp_mono_ms() + timeout_ms;
        while (!topics_visible(rk, topics, n) && sp_mono_ms() < end) sp_sleep_ms(100);
    }
    rd_kafka_NewTopic_destroy_array(nt, (size_t)n);
    free(nt);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_queue_destroy(q);
    return rc;
}
