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
    /* what the runtime keeps of two batches (sp_batch), so that a mode can
     * overlap them (--stdio; Kafka mode has only the first, the second
     * NULL) */
    struct sp_batch *batches[2];
} sp_runtime;

extern volatile sig_atomic_t sp_stop_requested;

/* One input of a batch. */
typedef struct sp_item {
    const void *buf;
    size_t len;
    const void *key;
    size_t key_len;
    sp_input in;
    void *opaque; /* the caller's, e.g. the Kafka message */
} sp_item;

/* A batch of inputs between the runtime's steps: each input's DOM (or
 * json_null() for a raw stage, NULL once dead-lettered), its failure, and
 * a raw stage's members the envelope check found (which sp_input.members
 * points at). SP_BATCH_MAX of each: too large for the stack. */
typedef struct sp_batch {
    sp_item *items;
    size_t n;
    json_t **msgs;
    const sp_input **ins;
    sp_fail *fails;
    sp_members *members; /* NULL unless the stage is raw */
} sp_batch;

/* Check, parse and transform a batch of inputs, in order (calling the
 * stage's prepare hook first). For each input, rt->out holds its outputs,
 * every one serialised (raw/raw_len set), or its one SP_OUTPUT_DLQ entry
 * when it was rejected, when emit(arg, item) is called; emit returns 0 to
 * go on, -1 to stop there. A transient failure is retried with backoff
 * until it passes. Returns the number of inputs done (emitted); fewer than
 * n when emit stopped or a stop was requested while retrying (the inputs
 * after the last one done must then not be committed). */
size_t sp_runtime_batch(sp_runtime *rt, sp_item *items, size_t n, int (*emit)(void *arg, sp_item *item),
                        void *arg);

/* sp_runtime_batch in its three steps, on batch b (rt->batches[0] or [1]):
 * check (each input checked or parsed, the checked hook called), prepare
 * (the prepare hook, retried while transient: 0, or -1 when a stop came
 * first, the batch released), transform (each input transformed and
 * emitted: the number done).
 * Check takes the inputs items[b->n .. n): a mode may check a batch as it
 * reads it, a few inputs a call, while their bytes are still in the
 * processor's cache (b holds none before the first: a batch released has
 * none); `most` is how many the batch can have in all, or n when n is all
 * (the checked hook's n).
 * A mode may overlap two batches: check the next, then transform this one,
 * then prepare the next (the deduper's Redis round trips then go on while
 * this one's outputs are made and written). sp_runtime_release frees what
 * a batch holds (transform does, at its end). */
void sp_runtime_check(sp_runtime *rt, sp_batch *b, sp_item *items, size_t n, size_t most);
int sp_runtime_prepare(sp_runtime *rt, sp_batch *b);
size_t sp_runtime_transform(sp_runtime *rt, sp_batch *b, int (*emit)(void *arg, sp_item *item), void *arg);
void sp_runtime_release(sp_batch *b);

/* Run the stage's tick hook once; its outputs (serialised, an oversized one
 * replaced by its dead letter) are handed to emit with an item whose
 * opaque is NULL (no input). Returns the hook's answer (1 busy, 0 idle),
 * -1 when emit stopped. */
int sp_runtime_tick(sp_runtime *rt, int (*emit)(void *arg, sp_item *item), void *arg);

int sp_run_stdio(sp_runtime *rt);
int sp_run_kafka(sp_runtime *rt);

#endif
