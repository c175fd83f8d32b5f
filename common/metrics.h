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
