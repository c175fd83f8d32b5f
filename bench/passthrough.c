/* storypipe-passthrough — the smallest possible stage, for benchmarks: every
 * input object goes to output 0 unchanged, keyed by its string "id" when it
 * has one. What it costs above a bare consume+produce is the stage runtime's
 * overhead (envelope checks, JSON parse and re-serialisation, transactions or
 * the at-least-once offset watermark); see bench/stage-overhead.sh. */
#include "stage.h"

static sp_result passthrough(void *state, json_t *msg, const sp_input *in, sp_outbox *out,
                             sp_fail *fail) {
    json_t *id = json_object_get(msg, "id");
    (void)state; (void)in; (void)fail;
    sp_emit(out, 0, json_is_string(id) ? json_string_value(id) : NULL, json_incref(msg));
    return SP_OK;
}

static const sp_stage_def passthrough_def = {
    .name = "passthrough",
    .summary = "Benchmark stage: copy every input object to the output unchanged, keyed by \"id\".",
    .input = "bench.in",
    .outputs = {"bench.out"},
    .transform = passthrough,
};

int main(int argc, char **argv) { return sp_stage_main(&passthrough_def, argc, argv); }
