/* stage.h — the stage runtime every storypipe service is built on.
 *
 * A service is a transform from one input message to 0..N output messages.
 * The runtime owns everything around it, written once here:
 *
 *   consume -> check the envelope -> transform -> produce -> commit
 *
 * in three modes: Kafka exactly-once (transactions, the default), Kafka
 * at-least-once (idempotent producer, offsets stored behind a per-partition
 * watermark of acknowledged outputs) and --stdio (JSON Lines filter).
 * Input that is empty, too large, not UTF-8, not JSON, not an object, or of
 * an unknown schema_version never reaches the transform: it goes to the
 * dead-letter output with a reason code, as does input the transform rejects.
 *
 * A service's main() fills an sp_stage_def and calls sp_stage_main(). */
#ifndef SP_STAGE_H
#define SP_STAGE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonscan.h"

#define SP_SCHEMA_VERSION 1
#define SP_MAX_OUTPUTS 4
/* Most inputs the runtime hands over as one batch: a stage's per-batch work
 * (the deduper's Redis round trips, a Kafka flush) is spread over this many;
 * --stdio also stops a batch at SP_BATCH_BYTES of input. (The deduper waits
 * for Redis about 1 ms a batch: with 2048 rather than 1024 it ran 4% faster
 * on the bench corpus, with no more CPU; 4096 took more CPU.) */
#define SP_BATCH_MAX 2048
#define SP_BATCH_BYTES (8u << 20)

/* What the transform gets to know about where its input came from. */
typedef struct sp_input {
    const char *topic;  /* NULL in --stdio mode */
    int32_t partition;  /* -1 in --stdio mode */
    int64_t offset;     /* -1 in --stdio mode */
    long line;          /* line number in --stdio mode, else 0 */
    const char *data;   /* the input's bytes (valid during the transform) */
    size_t len;
    const char *key;    /* the input's key, or NULL */
    size_t key_len;
    /* a raw stage's input (sp_stage_def.raw): its top-level members, as the
     * envelope check found them while it checked the bytes; else NULL */
    const sp_members *members;
} sp_input;

/* One message a transform emits. */
typedef struct sp_out {
    int output;      /* index into sp_stage_def.outputs */
    char *key;       /* partitioning key (owned), or NULL */
    size_t key_len;
    json_t *value;   /* the message, or NULL when `raw` is */
    const char *raw; /* the bytes to send: borrowed (sp_emit_raw), or `owned` */
    size_t raw_len;
    char *owned;     /* `value` serialised by the runtime */
} sp_out;

/* The messages a transform emits for one input; reset by the runtime. */
typedef struct sp_outbox {
    sp_out *v;
    size_t n, cap;
} sp_outbox;

/* Append a message to output `output`, keyed by `key` (copied).
 * `value` is stolen. */
void sp_emit(sp_outbox *ob, int output, const char *key, json_t *value);
/* Append bytes to send unchanged, e.g. the input's own in->data (borrowed:
 * valid until the input is done), keyed by key[0..key_len) (copied). */
void sp_emit_raw(sp_outbox *ob, int output, const char *key, size_t key_len, const char *data,
                 size_t len);
/* Append bytes the transform built (malloc'ed: the outbox frees them). */
void sp_emit_owned(sp_outbox *ob, int output, const char *key, size_t key_len, char *data, size_t len);
void sp_outbox_clear(sp_outbox *ob);
/* Drop the outputs after the first n. */
void sp_outbox_truncate(sp_outbox *ob, size_t n);

/* 1 when the stage runs as a --stdio filter (for init and the hooks). */
int sp_stage_stdio(void);

/* Why an input is dead-lettered: a machine-readable reason code
 * ([a-z][a-z0-9_]*) and a human-readable detail. */
typedef struct sp_fail {
    char reason[48];
    char detail[512];
} sp_fail;

void sp_fail_set(sp_fail *f, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append a dead letter for `orig` (the bytes the failure is about, e.g. a
 * source record), keyed by `key`, for work that is not an input's
 * transform (a tick). */
void sp_emit_dead_letter(sp_outbox *ob, const char *stage, const sp_fail *fail, const char *key, const void *orig,
                         size_t len);

/* What a transform returns. */
typedef enum {
    SP_OK = 0,         /* outbox holds the outputs (possibly none) */
    SP_REJECT = 1,     /* the input is bad: dead-letter it with `fail` */
    SP_TRANSIENT = 2,  /* a dependency is down: retry the same input later */
} sp_result;

typedef sp_result (*sp_transform_fn)(void *state, json_t *msg, const sp_input *in,
                                     sp_outbox *out, sp_fail *fail);

/* A service-specific command-line option, also read from `env`. */
typedef struct sp_option {
    const char *name;      /* long option name, without "--" */
    const char *arg;       /* argument name for --help, or NULL for a flag */
    const char *env;       /* environment variable, or NULL */
    const char *help;
    const char **value;    /* where the value goes (flags get "1") */
} sp_option;

typedef struct sp_stage_def {
    const char *name;        /* "cleaner": service, default group and DLQ stage name */
    const char *summary;     /* one line for --help */
    const char *input;       /* input topic name without prefix, e.g. "raw" */
    const char *outputs[SP_MAX_OUTPUTS]; /* output topic names without prefix */
    const sp_option *options;            /* extra options, {0}-terminated, or NULL */
    const char *usage_extra;             /* extra --help text, or NULL */
    /* 1: the transform works on in->data and gets msg == NULL; the envelope
     * is checked without building a DOM (a stage that routes or forwards
     * bytes should not pay for parsing them). */
    int raw;
    /* Called after options are parsed; return 0 or a process exit code. */
    int (*init)(void **state);
    sp_transform_fn transform;
    /* Optional: a batch of inputs, in order, before each is transformed
     * (ins[i] NULL for one already dead-lettered; msgs[i] its DOM, or
     * json_null() for a raw stage), so that what the transforms will look
     * up can be fetched for all of them at once (pipelined round trips to
     * Redis). SP_TRANSIENT is retried with backoff, as for a transform;
     * SP_REJECT is not an answer here. */
    sp_result (*prepare)(void *state, json_t *const *msgs, const sp_input *const *ins, size_t n, sp_fail *fail);
    /* Optional, with prepare: input `in` of a batch of n passed its check
     * (msg its DOM, or json_null() for a raw stage), called for each such
     * input in order as soon as it is checked, before the next is; prepare
     * then gets the whole batch. In --stdio, which checks a batch's inputs
     * as it reads them, n is the most the batch can have (SP_BATCH_MAX):
     * it may end before. What prepare would start for the input
     * can start here, so that a dependency works on it while the next
     * inputs are checked (the deduper sends its Redis claims). Not called
     * again when prepare is retried. In --stdio two batches overlap: a
     * batch's inputs may be checked while the batch before it is prepared
     * and not yet transformed; its prepare comes after that batch's
     * transforms and commit (runtime.h). */
    void (*checked)(void *state, json_t *msg, const sp_input *in, size_t n);
    /* Optional: everything emitted so far is durable: the transaction
     * committed (exactly-once), every output acknowledged (at-least-once),
     * written out (--stdio). */
    void (*committed)(void *state);
    /* Optional: what was emitted since the last commit was thrown away (an
     * aborted transaction); those inputs will be transformed again. */
    void (*aborted)(void *state);
    /* Optional: work of the stage's own (polling a source), called when the
     * input is idle, and in --stdio mode after the input ends until it
     * returns 0. It may emit into `out`; those outputs are sent like an
     * input's (in the open transaction), with no input offset. Returns 1
     * while it has work under way (the runtime then does not wait for
     * input), 0 when it has none. */
    int (*tick)(void *state, sp_outbox *out);
    /* Optional: a tombstone (a record with a key and no value) on the input,
     * as a compacted topic has when an entry is removed. Without this hook a
     * tombstone is dead-lettered as empty. */
    void (*tombstone)(void *state, const char *key, size_t key_len);
    /* 1: read the input partitions from the beginning at every assignment,
     * for a compacted topic the stage keeps a table of (news.sources). */
    int input_from_start;
    /* Optional: the input partitions were taken away (a rebalance; what was
     * done is committed by then). A stage keeping a table of its input
     * forgets it here: the next assignment reads it again, and entries of
     * partitions now another instance's are that instance's work. */
    void (*revoked)(void *state);
    void (*fini)(void *state);
    /* Optional: handles modes that bypass the runtime (e.g. --html FILE).
     * Return -1 to go on with the runtime, else the exit code. */
    int (*direct)(void);
} sp_stage_def;

/* Parse options and env, run the stage until SIGINT/SIGTERM (or EOF in
 * --stdio mode). Returns the process exit code (see sp_exit codes). */
int sp_stage_main(const sp_stage_def *def, int argc, char **argv);

/* Exit codes (sysexits.h values, documented in --help and README). */
enum {
    SP_EXIT_OK = 0,
    SP_EXIT_USAGE = 64,       /* bad flags */
    SP_EXIT_DATAERR = 65,     /* --stdio: some input went to the dead-letter output */
    SP_EXIT_UNAVAILABLE = 69, /* broker, Redis or a file could not be reached */
    SP_EXIT_SOFTWARE = 70,    /* a fatal error (e.g. the producer was fenced) */
    SP_EXIT_CONFIG = 78,      /* a configuration value was rejected */
};

/* Helpers for transforms: fetch a member of an object, with type checks
 * that fill `fail` (missing_field / wrong_type) on error. */
const char *sp_json_string(json_t *obj, const char *key, int required, sp_fail *fail);
json_t *sp_json_member(json_t *obj, const char *key, json_type type, int required,
                       sp_fail *fail);

#endif
