/* stage_kafka.c — the consume -> transform -> produce -> commit loop over
 * Kafka, in two delivery modes:
 *
 * exactly-once   Inputs are processed inside a Kafka transaction that also
 *                carries the consumed offsets (send_offsets_to_transaction),
 *                committed every --batch-size inputs or --batch-ms. Consumers
 *                read with isolation.level=read_committed. A transaction
 *                that must be aborted is aborted and the consumer rewound to
 *                the first offset of the batch, so the batch is redone.
 *
 * at-least-once  An idempotent producer; each input's offset is stored only
 *                when every message produced from it is acknowledged, and
 *                only behind a per-partition contiguous watermark (reports
 *                arrive out of order). Stored offsets are auto-committed.
 *
 * Both commit on partition revocation and on SIGINT/SIGTERM. */
#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "runtime.h"
#include "util.h"

/* at-least-once: one consumed input waiting for its outputs' acknowledgements. */
typedef struct pending {
    struct pending *next;
    int32_t partition;
    int64_t offset;
    int outstanding; /* outputs not yet acknowledged */
    int failed;      /* an output could not be delivered */
} pending;

typedef struct pqueue {
    pending *head, *tail;
} pqueue;

typedef struct kstage {
    sp_runtime *rt;
    sp_config *cfg;
    rd_kafka_t *consumer, *producer;
    int fatal;           /* stop now, commit nothing more */
    int busy;            /* the stage's tick has work under way: do not wait for input */
    /* exactly-once */
    int batch_n;
    int64_t batch_start;
    rd_kafka_topic_partition_list_t *txn_next;  /* next offset per partition */
    rd_kafka_topic_partition_list_t *txn_first; /* first offset per partition */
    rd_kafka_topic_partition_list_t *rewound;   /* partitions the last abort rewound */
    /* at-least-once */
    pqueue *queues;
    int n_queues;
} kstage;

static rd_kafka_resp_err_t txn_err(kstage *ks, rd_kafka_error_t *error, const char *what);

/* --- at-least-once watermark ------------------------------------------- */

static pqueue *queue_for(kstage *ks, int32_t partition) {
    if (partition >= ks->n_queues) {
        int n = partition + 16;
        ks->queues = sp_xrealloc(ks->queues, (size_t)n * sizeof *ks->queues);
        memset(ks->queues + ks->n_queues, 0, (size_t)(n - ks->n_queues) * sizeof *ks->queues);
        ks->n_queues = n;
    }
    return &ks->queues[partition];
}

/* Pop the acknowledged head of a partition's queue and store the offset
 * after the last one popped. */
static void advance(kstage *ks, int32_t partition) {
    pqueue *q = queue_for(ks, partition);
    int64_t last = -1;
    while (q->head && q->head->outstanding == 0 && !q->head->failed) {
        pending *p = q->head;
        last = p->offset;
        q->head = p->next;
        if (q->head == NULL) q->tail = NULL;
        free(p);
        sp_gauge_add(&sp_stats.in_flight, -1);
    }
    if (last >= 0) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_resp_err_t err;
        rd_kafka_topic_partition_list_add(l, ks->cfg->input_topic, partition)->offset = last + 1;
        err = rd_kafka_offsets_store(ks->consumer, l);
        if (err) sp_log(SP_LOG_WARN, "offset_store_failed", "partition %d: %s", partition, rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(l);
    }
}

static void drop_queues(kstage *ks) {
    for (int i = 0; i < ks->n_queues; i++) {
        while (ks->queues[i].head) {
            pending *p = ks->queues[i].head;
            ks->queues[i].head = p->next;
            free(p);
            sp_gauge_add(&sp_stats.in_flight, -1);
        }
        ks->queues[i].tail = NULL;
    }
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    kstage *ks = opaque;
    pending *p = m->_private;
    (void)rk;
    if (m->err) {
        static unsigned long failures;
        if (failures++ < 5 || failures % 1000 == 0) /* the first ones say it all */
            sp_logj(SP_LOG_ERROR, "delivery_failed",
                    json_pack("{s:s, s:I}", "topic", rd_kafka_topic_name(m->rkt), "failures", (json_int_t)failures),
                    "output not delivered: %s", rd_kafka_err2str(m->err));
        if (p) p->failed = 1;
        if (!ks->cfg->exactly_once) ks->fatal = 1; /* the input stays uncommitted; restart redoes it */
    } else {
        const char *t = rd_kafka_topic_name(m->rkt);
        for (int i = 0; i < ks->cfg->n_outputs; i++)
            if (strcmp(t, ks->cfg->output_topics[i]) == 0) sp_count(&sp_stats.produced[i], 1);
    }
    if (p && --p->outstanding == 0) advance(ks, p->partition);
}

/* --- exactly-once transactions ------------------------------------------ */

static void txn_reset(kstage *ks) {
    if (ks->txn_next) rd_kafka_topic_partition_list_destroy(ks->txn_next);
    if (ks->txn_first) rd_kafka_topic_partition_list_destroy(ks->txn_first);
    ks->txn_next = rd_kafka_topic_partition_list_new(16);
    ks->txn_first = rd_kafka_topic_partition_list_new(16);
    ks->batch_n = 0;
    ks->batch_start = sp_mono_ms();
}

static int txn_begin(kstage *ks) {
    rd_kafka_error_t *error = rd_kafka_begin_transaction(ks->producer);
    txn_reset(ks);
    if (error) return txn_err(ks, error, "begin_transaction") ? -1 : 0;
    return 0;
}

static rd_kafka_resp_err_t txn_err(kstage *ks, rd_kafka_error_t *error, const char *what) {
    rd_kafka_resp_err_t code = rd_kafka_error_code(error);
    sp_log(SP_LOG_ERROR, "transaction_failed", "%s: %s%s", what, rd_kafka_error_string(error),
           rd_kafka_error_is_fatal(error) ? " (fatal)" : "");
    if (rd_kafka_error_is_fatal(error)) ks->fatal = 1;
    rd_kafka_error_destroy(error);
    return code ? code : RD_KAFKA_RESP_ERR__FAIL;
}

/* Abort the open transaction and rewind every partition it read to the
 * first offset it read, so the batch is consumed and produced again. */
static int txn_abort_and_rewind(kstage *ks) {
    rd_kafka_error_t *error = rd_kafka_abort_transaction(ks->producer, -1);
    if (error) {
        txn_err(ks, error, "abort_transaction");
        return -1;
    }
    atomic_fetch_add(&sp_stats.txn_aborted, 1);
    if (ks->rt->def->aborted) ks->rt->def->aborted(ks->rt->state);
    if (ks->rewound) rd_kafka_topic_partition_list_destroy(ks->rewound);
    ks->rewound = rd_kafka_topic_partition_list_copy(ks->txn_first);
    if (ks->txn_first->cnt > 0) {
        error = rd_kafka_seek_partitions(ks->consumer, ks->txn_first, -1);
        if (error) {
            txn_err(ks, error, "seek");
            return -1;
        }
        sp_log(SP_LOG_WARN, "transaction_aborted", "aborted a batch of %d inputs; rewound %d partitions",
               ks->batch_n, ks->txn_first->cnt);
    }
    return txn_begin(ks);
}

/* Commit the open transaction with the consumed offsets, then begin the
 * next. 0 ok (or aborted and rewound), -1 fatal. */
static int txn_commit(kstage *ks) {
    rd_kafka_consumer_group_metadata_t *cgmd;
    rd_kafka_error_t *error;
    int attempt;

    if (ks->batch_n == 0) return 0;
    cgmd = rd_kafka_consumer_group_metadata(ks->consumer);
    for (attempt = 0; attempt < 10; attempt++) {
        /* (a transaction of a tick's outputs alone has no offsets to send) */
        error = ks->txn_next->cnt ? rd_kafka_send_offsets_to_transaction(ks->producer, ks->txn_next, cgmd, -1) : NULL;
        if (error == NULL) error = rd_kafka_commit_transaction(ks->producer, -1);
        if (error == NULL) break;
        if (rd_kafka_error_txn_requires_abort(error)) {
            txn_err(ks, error, "commit_transaction");
            rd_kafka_consumer_group_metadata_destroy(cgmd);
            return txn_abort_and_rewind(ks);
        }
        if (!rd_kafka_error_is_retriable(error)) {
            txn_err(ks, error, "commit_transaction");
            rd_kafka_consumer_group_metadata_destroy(cgmd);
            ks->fatal = 1;
            return -1;
        }
        txn_err(ks, error, "commit_transaction (retrying)");
        sp_sleep_ms(100 << (attempt < 5 ? attempt : 5));
    }
    rd_kafka_consumer_group_metadata_destroy(cgmd);
    if (attempt == 10) return txn_abort_and_rewind(ks);
    atomic_fetch_add(&sp_stats.txn_committed, 1);
    if (ks->rt->def->committed) ks->rt->def->committed(ks->rt->state);
    return txn_begin(ks);
}

static void txn_track(kstage *ks, int32_t partition, int64_t offset) {
    rd_kafka_topic_partition_t *tp =
        rd_kafka_topic_partition_list_find(ks->txn_next, ks->cfg->input_topic, partition);
    if (tp == NULL) {
        rd_kafka_topic_partition_list_add(ks->txn_first, ks->cfg->input_topic, partition)->offset = offset;
        tp = rd_kafka_topic_partition_list_add(ks->txn_next, ks->cfg->input_topic, partition);
    }
    tp->offset = offset + 1;
    ks->batch_n++;
}

/* --- rebalance ------------------------------------------------------------ */

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
    kstage *ks = opaque;
    atomic_fetch_add(&sp_stats.rebalances, 1);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        sp_log(SP_LOG_INFO, "partitions_assigned", "%d partitions assigned", parts->cnt);
        if (ks->rt->def->input_from_start) /* a table the stage rebuilds: all of it, every time */
            for (int i = 0; i < parts->cnt; i++) parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, parts);
        return;
    }
    sp_log(SP_LOG_INFO, "partitions_revoked", "%d partitions revoked; committing", parts->cnt);
    if (ks->cfg->exactly_once) {
        if (!ks->fatal && txn_commit(ks) != 0) ks->fatal = 1;
    } else {
        /* -1: every message ends, delivered or failed, within message.timeout.ms,
         * and no pending record may outlive its messages */
        rd_kafka_flush(ks->producer, -1);
        if (rd_kafka_assignment_lost(rk) == 0) {
            rd_kafka_resp_err_t e = rd_kafka_commit(rk, NULL, 0);
            if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
                sp_log(SP_LOG_WARN, "commit_failed", "on revoke: %s", rd_kafka_err2str(e));
        }
        drop_queues(ks);
    }
    rd_kafka_assign(rk, NULL);
    if (ks->rt->def->revoked) ks->rt->def->revoked(ks->rt->state);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    kstage *ks = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512];
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        sp_log(SP_LOG_ERROR, "kafka_fatal", "%s: %s", rd_kafka_name(rk), buf);
        ks->fatal = 1;
        return;
    }
    sp_log(SP_LOG_WARN, "kafka_error", "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* --- producing ------------------------------------------------------------ */

static int produce(kstage *ks, sp_out *o, const sp_input *in, pending *p) {
    const char *topic = o->output == SP_OUTPUT_DLQ ? ks->cfg->dlq_topic : ks->cfg->output_topics[o->output];
    /* the runtime's own buffer is handed over; borrowed bytes are copied */
    int flags = o->owned ? RD_KAFKA_MSG_F_FREE : RD_KAFKA_MSG_F_COPY;
    rd_kafka_headers_t *hdrs = NULL;
    rd_kafka_resp_err_t err;

    if (o->raw == NULL) return -1;
    if (o->output == SP_OUTPUT_DLQ) {
        char num[32];
        json_t *r = o->value;
        hdrs = rd_kafka_headers_new(5);
        rd_kafka_header_add(hdrs, "storypipe-stage", -1, ks->rt->def->name, -1);
        rd_kafka_header_add(hdrs, "storypipe-reason", -1, json_string_value(json_object_get(r, "reason")), -1);
        rd_kafka_header_add(hdrs, "storypipe-topic", -1, in->topic ? in->topic : "", -1);
        snprintf(num, sizeof num, "%d", (int)in->partition);
        rd_kafka_header_add(hdrs, "storypipe-partition", -1, num, -1);
        snprintf(num, sizeof num, "%lld", (long long)in->offset);
        rd_kafka_header_add(hdrs, "storypipe-offset", -1, num, -1);
    }
    for (;;) {
        err = rd_kafka_producev(ks->producer, RD_KAFKA_V_TOPIC(topic),
                                RD_KAFKA_V_KEY(o->key, o->key_len),
                                RD_KAFKA_V_VALUE((void *)o->raw, o->raw_len), RD_KAFKA_V_MSGFLAGS(flags),
                                RD_KAFKA_V_OPAQUE(p), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
        rd_kafka_poll(ks->producer, 50); /* backpressure: wait for acknowledgements */
    }
    if (err) {
        sp_log(SP_LOG_ERROR, "produce_failed", "%s: %s", topic, rd_kafka_err2str(err));
        if (hdrs) rd_kafka_headers_destroy(hdrs);
        return -1;
    }
    o->owned = NULL; /* librdkafka frees it now */
    return 0;
}

static void idle_poll(void *arg) {
    kstage *ks = arg;
    rd_kafka_poll(ks->producer, 50);
}

/* Produce one processed input's outputs (sp_runtime_batch's emit), or a
 * tick's (no message: nothing to track but the transaction's size).
 * 0 go on, -1 stop (fatal, or the batch was aborted and rewound). */
static int emit(void *arg, sp_item *it) {
    kstage *ks = arg;
    rd_kafka_message_t *m = it->opaque;
    pending *p = NULL;
    sp_outbox *out = &ks->rt->out;
    int aborted = 0;

    if (m == NULL) {
        if (ks->cfg->exactly_once && out->n > 0) ks->batch_n++; /* commits like an input would */
    } else if (!ks->cfg->exactly_once) {
        pqueue *q = queue_for(ks, m->partition);
        p = sp_xmalloc(sizeof *p);
        p->next = NULL;
        p->partition = m->partition;
        p->offset = m->offset;
        p->outstanding = (int)out->n + 1; /* +1 until every output is handed over */
        p->failed = 0;
        if (q->tail) q->tail->next = p;
        else q->head = p;
        q->tail = p;
        sp_gauge_add(&sp_stats.in_flight, 1);
    }
    /* exactly-once: in the batch before producing, so a rewind comes back to it */
    if (ks->cfg->exactly_once && m) txn_track(ks, m->partition, m->offset);
    for (size_t i = 0; i < out->n; i++) {
        if (produce(ks, &out->v[i], &it->in, p) == 0) continue;
        if (p) {
            p->failed = 1;
            p->outstanding -= (int)(out->n - i);
            ks->fatal = 1; /* at-least-once: stop before committing past it */
        } else if (rd_kafka_fatal_error(ks->producer, NULL, 0) || txn_abort_and_rewind(ks) != 0) {
            ks->fatal = 1;
        }
        aborted = 1; /* exactly-once: the batch, this input included, is redone */
        break;
    }
    sp_outbox_clear(out);
    if (p && --p->outstanding == 0) advance(ks, p->partition);
    return ks->fatal || aborted ? -1 : 0;
}

/* A tombstone (a key, no value) handed to the stage's hook and counted as
 * an input handled, with nothing to emit. */
static void tombstone(kstage *ks, rd_kafka_message_t *m) {
    ks->rt->def->tombstone(ks->rt->state, m->key, m->key_len);
    sp_count(&sp_stats.consumed, 1);
    if (ks->cfg->exactly_once) {
        txn_track(ks, m->partition, m->offset);
    } else {
        pqueue *q = queue_for(ks, m->partition);
        pending *p = sp_xmalloc(sizeof *p);
        *p = (pending){NULL, m->partition, m->offset, 0, 0};
        if (q->tail) q->tail->next = p;
        else q->head = p;
        q->tail = p;
        sp_gauge_add(&sp_stats.in_flight, 1);
        advance(ks, m->partition);
    }
    rd_kafka_message_destroy(m);
}

/* Consume a batch: the first message within `wait_ms`, then what is there
 * already, up to `max`. Returns how many messages are in ms[]. */
static size_t consume_batch(kstage *ks, rd_kafka_message_t **ms, size_t max, int wait_ms, int64_t *last_log) {
    size_t n = 0;
    rd_kafka_message_t *m = rd_kafka_consumer_poll(ks->consumer, wait_ms);
    while (m) {
        if (m->err) {
            int64_t now = sp_mono_ms();
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && now - *last_log > 5000) {
                sp_log(SP_LOG_WARN, "consume_error", "%s", rd_kafka_message_errstr(m));
                *last_log = now;
            }
            rd_kafka_message_destroy(m);
        } else if (m->payload == NULL && m->key && ks->rt->def->tombstone) {
            tombstone(ks, m);
        } else {
            ms[n++] = m;
        }
        if (n >= max) break;
        m = rd_kafka_consumer_poll(ks->consumer, 0);
    }
    return n;
}

/* The batch stopped before ms[0..n) (its transaction was aborted, or a
 * stop was requested): seek back to the first of them on each partition an
 * abort did not already rewind, so none is skipped. 0 ok, -1 failed. */
static int unread(kstage *ks, rd_kafka_message_t **ms, size_t n) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
    rd_kafka_error_t *error = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *t = rd_kafka_topic_name(ms[i]->rkt);
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(l, t, ms[i]->partition);
        if (ks->rewound && rd_kafka_topic_partition_list_find(ks->rewound, t, ms[i]->partition)) continue;
        if (tp == NULL) rd_kafka_topic_partition_list_add(l, t, ms[i]->partition)->offset = ms[i]->offset;
        else if (ms[i]->offset < tp->offset) tp->offset = ms[i]->offset;
    }
    if (l->cnt > 0) error = rd_kafka_seek_partitions(ks->consumer, l, -1);
    rd_kafka_topic_partition_list_destroy(l);
    if (error) {
        txn_err(ks, error, "seek");
        return -1;
    }
    return 0;
}

/* Transform and produce a batch of consumed messages, then destroy them.
 * 0 ok, -1 stop (fatal or stop requested). */
static int handle_batch(kstage *ks, rd_kafka_message_t **ms, size_t n) {
    sp_item items[SP_BATCH_MAX];
    size_t done;
    for (size_t i = 0; i < n; i++) {
        rd_kafka_message_t *m = ms[i];
        items[i] = (sp_item){m->payload, m->len, m->key, m->key_len,
                             {rd_kafka_topic_name(m->rkt), m->partition, m->offset, 0, m->payload, m->len,
                              m->key, m->key_len, NULL},
                             m};
    }
    if (ks->rewound) {
        rd_kafka_topic_partition_list_destroy(ks->rewound);
        ks->rewound = NULL;
    }
    done = sp_runtime_batch(ks->rt, items, n, emit, ks);
    if (done < n && !ks->fatal && ks->cfg->exactly_once && unread(ks, ms + done, n - done) != 0) ks->fatal = 1;
    for (size_t i = 0; i < n; i++) rd_kafka_message_destroy(ms[i]);
    if (ks->fatal) return -1;
    if (done < n && sp_stop_requested) return -1; /* stopped while retrying: the rest stays uncommitted */
    /* at-least-once: a stage that wants to know waits for the acknowledgements */
    if (!ks->cfg->exactly_once && ks->rt->def->committed) {
        rd_kafka_flush(ks->producer, -1);
        if (ks->fatal) return -1;
        ks->rt->def->committed(ks->rt->state);
    }
    return 0;
}

/* --- set-up and the loop -------------------------------------------------- */

static rd_kafka_t *make_client(kstage *ks, rd_kafka_type_t type) {
    sp_config *cfg = ks->cfg;
    rd_kafka_conf_t *conf = sp_kafka_conf(cfg->brokers, NULL, 0, 'b');
    rd_kafka_t *rk;
    char errstr[512], txnid[512], timeout[32];
    int ok;

    if (conf == NULL) return NULL;
    rd_kafka_conf_set_opaque(conf, ks);
    rd_kafka_conf_set_error_cb(conf, on_error);
    if (type == RD_KAFKA_CONSUMER) {
        ok = !sp_kafka_set(conf, "group.id", cfg->group) &&
             !sp_kafka_set(conf, "client.id", "storypipe-consumer") &&
             !sp_kafka_set(conf, "enable.auto.commit", cfg->exactly_once ? "false" : "true") &&
             !sp_kafka_set(conf, "enable.auto.offset.store", "false") &&
             !sp_kafka_set(conf, "auto.commit.interval.ms", "1000") &&
             !sp_kafka_set(conf, "auto.offset.reset", "earliest") &&
             !sp_kafka_set(conf, "isolation.level", "read_committed") &&
             !sp_kafka_set(conf, "enable.partition.eof", "false");
        rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    } else {
        snprintf(timeout, sizeof timeout, "%d", cfg->transaction_timeout_ms);
        ok = !sp_kafka_set(conf, "client.id", "storypipe-producer") &&
             !sp_kafka_set(conf, "linger.ms", "5") &&
             !sp_kafka_set(conf, "enable.idempotence", "true");
        if (ok && cfg->exactly_once) {
            snprintf(txnid, sizeof txnid, "%s.%s", cfg->group, cfg->instance_id);
            ok = !sp_kafka_set(conf, "transactional.id", txnid) &&
                 !sp_kafka_set(conf, "transaction.timeout.ms", timeout) &&
                 !sp_kafka_set(conf, "message.timeout.ms", timeout);
        }
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    }
    for (int i = 0; ok && i < cfg->n_props; i++) {
        char want = type == RD_KAFKA_CONSUMER ? 'c' : 'p';
        if (cfg->props[i].scope == 'b' || cfg->props[i].scope == want)
            ok = !sp_kafka_set(conf, cfg->props[i].key, cfg->props[i].value);
    }
    if (!ok) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (rk == NULL) {
        sp_log(SP_LOG_ERROR, "config_rejected", "%s", errstr);
        rd_kafka_conf_destroy(conf);
    }
    return rk;
}

int sp_run_kafka(sp_runtime *rt) {
    kstage ks;
    sp_config *cfg = &rt->cfg;
    rd_kafka_topic_partition_list_t *sub;
    rd_kafka_error_t *error;
    int rc = SP_EXIT_OK;
    int64_t last_log = 0;

    memset(&ks, 0, sizeof ks);
    ks.rt = rt;
    ks.cfg = cfg;
    rt->idle = idle_poll;
    rt->idle_arg = &ks;
    if ((ks.producer = make_client(&ks, RD_KAFKA_PRODUCER)) == NULL ||
        (ks.consumer = make_client(&ks, RD_KAFKA_CONSUMER)) == NULL) {
        rc = SP_EXIT_CONFIG;
        goto out;
    }
    rd_kafka_poll_set_consumer(ks.consumer);
    {   /* what the producer can send, less room for headers and framing */
        char v[32];
        size_t n = sizeof v;
        if (rd_kafka_conf_get(rd_kafka_conf(ks.producer), "message.max.bytes", v, &n) == RD_KAFKA_CONF_OK)
            rt->max_output_bytes = (size_t)strtoull(v, NULL, 10) > 4096 ? (size_t)strtoull(v, NULL, 10) - 4096 : 0;
    }
    sp_logj(SP_LOG_INFO, "starting",
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "brokers", cfg->brokers, "group", cfg->group,
                      "input", cfg->input_topic, "delivery", cfg->exactly_once ? "exactly-once" : "at-least-once",
                      "instance", cfg->instance_id),
            "%s consuming %s", rt->def->name, cfg->input_topic);
    if (cfg->create_topics) {
        char *topics[SP_MAX_OUTPUTS + 2];
        int n = 0;
        topics[n++] = cfg->input_topic;
        for (int i = 0; i < cfg->n_outputs; i++) topics[n++] = cfg->output_topics[i];
        topics[n++] = cfg->dlq_topic;
        if (sp_kafka_create_topics(ks.producer, topics, n, cfg->partitions, 15000) != 0) {
            rc = SP_EXIT_UNAVAILABLE;
            goto out;
        }
    }
    if (cfg->exactly_once) {
        error = rd_kafka_init_transactions(ks.producer, 60000);
        if (error) {
            txn_err(&ks, error, "init_transactions");
            rc = SP_EXIT_UNAVAILABLE;
            goto out;
        }
        if (txn_begin(&ks) != 0) {
            rc = SP_EXIT_SOFTWARE;
            goto out;
        }
    }
    sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, cfg->input_topic, RD_KAFKA_PARTITION_UA);
    if (rd_kafka_subscribe(ks.consumer, sub) != 0) {
        sp_log(SP_LOG_ERROR, "subscribe_failed", "cannot subscribe to %s", cfg->input_topic);
        rd_kafka_topic_partition_list_destroy(sub);
        rc = SP_EXIT_SOFTWARE;
        goto out;
    }
    rd_kafka_topic_partition_list_destroy(sub);
    atomic_store(&sp_stats.ready, 1);

    while (!sp_stop_requested && !ks.fatal) {
        rd_kafka_message_t *ms[SP_BATCH_MAX];
        size_t n, max = SP_BATCH_MAX;
        int64_t now;
        int busy;
        /* backpressure for at-least-once: serve acknowledgements first */
        while (!cfg->exactly_once && atomic_load(&sp_stats.in_flight) >= cfg->max_in_flight && !ks.fatal)
            rd_kafka_poll(ks.producer, 50);
        /* a batch stays within the transaction's --batch-size (exactly-once),
         * or within --max-in-flight unacknowledged inputs (at-least-once) */
        long room = cfg->exactly_once ? (long)cfg->batch_size - ks.batch_n
                                      : (long)cfg->max_in_flight - (long)atomic_load(&sp_stats.in_flight);
        if (room < (long)max) max = room > 0 ? (size_t)room : 1;
        n = consume_batch(&ks, ms, max, ks.busy ? 0 : 50, &last_log);
        rd_kafka_poll(ks.producer, 0);
        if (n > 0 && handle_batch(&ks, ms, n) != 0) break;
        /* the stage's own work (a poller), in the same transaction */
        if ((busy = sp_runtime_tick(rt, emit, &ks)) < 0) {
            if (ks.fatal) break;
            busy = 1;
        }
        ks.busy = busy;
        if (!cfg->exactly_once && rt->def->committed && busy >= 0) {
            rd_kafka_flush(ks.producer, -1);
            if (ks.fatal) break;
            rt->def->committed(rt->state);
        }
        now = sp_mono_ms();
        atomic_store(&sp_stats.heartbeat_ms, now);
        if (cfg->exactly_once && ks.batch_n > 0 &&
            (ks.batch_n >= cfg->batch_size || now - ks.batch_start >= cfg->batch_ms)) {
            if (txn_commit(&ks) != 0) break;
        }
    }

    sp_log(SP_LOG_INFO, "stopping", "%s; committing what is done", ks.fatal ? "fatal error" : "stop requested");
    if (cfg->exactly_once) {
        if (!ks.fatal) txn_commit(&ks);
        if (!ks.fatal) { /* nothing left in it: a clean abort of the empty transaction */
            error = rd_kafka_abort_transaction(ks.producer, 10000);
            if (error) rd_kafka_error_destroy(error);
        }
    } else {
        /* offsets stored so far stop before any failed input: safe to commit */
        rd_kafka_flush(ks.producer, -1);
        rd_kafka_commit(ks.consumer, NULL, 0);
    }
    rd_kafka_consumer_close(ks.consumer);
    if (ks.fatal) rc = rc ? rc : SP_EXIT_SOFTWARE;
out:
    if (ks.consumer) rd_kafka_destroy(ks.consumer);
    if (ks.producer) {
        rd_kafka_flush(ks.producer, 10000);
        rd_kafka_destroy(ks.producer);
    }
    drop_queues(&ks);
    free(ks.queues);
    if (ks.txn_next) rd_kafka_topic_partition_list_destroy(ks.txn_next);
    if (ks.txn_first) rd_kafka_topic_partition_list_destroy(ks.txn_first);
    if (ks.rewound) rd_kafka_topic_partition_list_destroy(ks.rewound);
    sp_log(SP_LOG_INFO, "stopped", "exit code %d", rc);
    return rc;
}
