/* storypipe-passthrough — the smallest possible stage, for benchmarks: every
 * input goes to output 0 unchanged, keyed by its "id" when it has one. What
 * it costs above a bare consume+produce is the stage runtime's overhead
 * (envelope checks, transactions or the at-least-once offset watermark);
 * see bench/stage-overhead.sh.
 *
 * Built twice: storypipe-passthrough is a raw stage (the envelope is checked
 * without a DOM and the bytes are forwarded), storypipe-passthrough-dom
 * (PASSTHROUGH_DOM) parses every input with jansson and serialises it again,
 * as a stage that works on the JSON pays. */
#include <string.h>

#include "stage.h"

#ifdef PASSTHROUGH_DOM
static sp_result passthrough(void *state, json_t *msg, const sp_input *in, sp_outbox *out,
                             sp_fail *fail) {
    json_t *id = json_object_get(msg, "id");
    (void)state; (void)in; (void)fail;
    sp_emit(out, 0, json_is_string(id) ? json_string_value(id) : NULL, json_incref(msg));
    return SP_OK;
}
#else
static sp_result passthrough(void *state, json_t *msg, const sp_input *in, sp_outbox *out,
                             sp_fail *fail) {
    (void)state; (void)msg; (void)fail;
    sp_emit_raw(out, 0, in->key, in->key_len, in->data, in->len); /* the input's key, too */
    return SP_OK;
}
#endif

static const sp_stage_def passthrough_def = {
    .name = "passthrough",
    .summary = "Benchmark stage: copy every input to the output unchanged.",
    .input = "bench.in",
    .outputs = {"bench.out"},
    .transform = passthrough,
#ifndef PASSTHROUGH_DOM
    .raw = 1,
#endif
};

int main(int argc, char **argv) { return sp_stage_main(&passthrough_def, argc, argv); }
