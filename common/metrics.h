/* metrics.h — process-wide counters and the HTTP endpoint that serves them.
 *
 * Counters are plain atomics bumped on the hot path; an optional
 * libmicrohttpd thread serves them as Prometheus text on /metrics, plus
 * /healthz (the stage loop ran recently) and /readyz (the stage has started
 * consuming). */
#ifndef SP_METRICS_H
#define SP_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "stage.h"

#define SP_METRICS_REASONS 16

typedef struct sp_metrics {
    atomic_uint_fast64_t consumed;            /* inputs taken from the input */
    atomic_uint_fast64_t produced[SP_MAX_OUTPUTS]; /* outputs acknowledged, by output */
    atomic_uint_fast64_t dead_letters;        /* inputs sent to the DLQ */
    atomic_uint_fast64_t dlq_by_reason[SP_METRICS_REASONS];
    atomic_uint_fast64_t retries;             /* transient transform failures */
    atomic_uint_fast64_t txn_committed;
    atomic_uint_fast64_t txn_aborted;
    atomic_uint_fast64_t rebalances;
    atomic_int_fast64_t in_flight;            /* inputs not yet acknowledged */
    atomic_int_fast64_t heartbeat_ms;         /* monotonic time of the last loop turn */
    atomic_int ready;
} sp_metrics;

extern sp_metrics sp_stats;

/* Add n to a counter, or d to a gauge, on the hot path. Each has one
 * writer, the stage's loop thread (librdkafka serves the delivery reports
 * there too, in rd_kafka_poll() and rd_kafka_flush()), and the HTTP thread
 * only loads: so a relaxed load and store, not a locked add. A locked add
 * is a full barrier, waiting for every store before it: counting each input
 * and output so took 2% of the deduper's time (perf, 200,000 bench
 * stories). Rare events (retries, transactions) use atomic_fetch_add. */
static inline void sp_count(atomic_uint_fast64_t *c, uint64_t n) {
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}
static inline void sp_gauge_add(atomic_int_fast64_t *g, int64_t d) {
    atomic_store_explicit(g, atomic_load_explicit(g, memory_order_relaxed) + d, memory_order_relaxed);
}

/* Count a dead letter under its reason code. */
void sp_metrics_dead_letter(const char *reason);

/* Start the HTTP endpoint (port 0: do nothing). Returns 0 or -1. */
int sp_metrics_start(const char *stage, const char *const *outputs, int n_outputs,
                     const char *addr, int port);
void sp_metrics_stop(void);

/* A stage's own series: render(arg) returns malloc'ed Prometheus text to
 * append (called from the HTTP thread: it must lock what it reads). */
void sp_metrics_extra(char *(*render)(void *arg), void *arg);

/* Render the Prometheus text into a malloc'ed string (for tests and --stdio). */
char *sp_metrics_render(void);

#endif
