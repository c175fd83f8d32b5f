/* runtime.h — internals shared by the stage runtime's files (stage.c,
 * stage_stdio.c, stage_kafka.c). Services include stage.h only. */
#ifndef SP_RUNTIME_H
#define SP_RUNTIME_H

#include <signal.h>

#include "config.h"
#include "stage.h"

/* Output index of a dead letter in an outbox. */
#define SP_OUTPUT_DLQ (-1)

typedef struct sp_runtime {
    const sp_stage_def *def;
    sp_config cfg;
    void *state;
    sp_outbox out;
    /* Called while a transient failure is retried (e.g. to serve Kafka
     * delivery reports); may be NULL. */
    void (*idle)(void *arg);
    void *idle_arg;
    /* Largest message the output can take (key included), 0 for no limit.
     * An input with a larger output is dead-lettered (output_too_large),
     * and a dead letter keeps only as much of the original as fits. */
    size_t max_output_bytes;
} sp_runtime;

extern volatile sig_atomic_t sp_stop_requested;

/* Check, parse and transform one input into rt->out, every output
 * serialised (raw/raw_len set). Rejected input becomes one SP_OUTPUT_DLQ
 * entry. A transient failure is retried with backoff until
 * it passes; SP_TRANSIENT is returned only when a stop was requested
 * meanwhile (the input must then not be committed). */
sp_result sp_runtime_process(sp_runtime *rt, const void *buf, size_t len, const void *key,
                             size_t key_len, const sp_input *in);

int sp_run_stdio(sp_runtime *rt);
int sp_run_kafka(sp_runtime *rt);

#endif
