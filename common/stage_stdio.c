/* stage_stdio.c — the --stdio loop: the same transform as in Kafka mode, as
 * a Unix filter. JSON Lines on stdin; the first output on stdout, the other
 * outputs on their --NAME-file, dead letters on --dlq-file or stderr. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "runtime.h"
#include "util.h"

static int write_line(FILE *f, const sp_out *o) {
    return fwrite(o->raw, 1, o->raw_len, f) != o->raw_len || fputc('\n', f) == EOF ? -1 : 0;
}

int sp_run_stdio(sp_runtime *rt) {
    FILE *outs[SP_MAX_OUTPUTS] = {stdout};
    FILE *dlq = stderr;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    uint64_t dead = 0, dropped = 0;
    int rc = SP_EXIT_OK, i;

    for (i = 1; i < rt->cfg.n_outputs; i++) {
        if (rt->cfg.side_files[i] && (outs[i] = fopen(rt->cfg.side_files[i], "w")) == NULL) {
            sp_log(SP_LOG_ERROR, "open_failed", "%s: %s", rt->cfg.side_files[i], strerror(errno));
            rc = SP_EXIT_UNAVAILABLE;
            goto done;
        }
    }
    if (rt->cfg.dlq_file && (dlq = fopen(rt->cfg.dlq_file, "w")) == NULL) {
        sp_log(SP_LOG_ERROR, "open_failed", "%s: %s", rt->cfg.dlq_file, strerror(errno));
        dlq = NULL;
        rc = SP_EXIT_UNAVAILABLE;
        goto done;
    }
    atomic_store(&sp_stats.ready, 1);
    while (!sp_stop_requested && (len = getline(&line, &cap, stdin)) != -1) {
        sp_input in = {NULL, -1, -1, ++lineno, line, 0, NULL, 0};
        if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
        if (len == 0) continue; /* blank lines separate nothing in JSON Lines */
        in.len = (size_t)len;
        if (sp_runtime_process(rt, line, (size_t)len, NULL, 0, &in) == SP_TRANSIENT) break;
        for (size_t k = 0; k < rt->out.n; k++) {
            sp_out *o = &rt->out.v[k];
            FILE *f = o->output == SP_OUTPUT_DLQ ? dlq : outs[o->output];
            if (o->output == SP_OUTPUT_DLQ) dead++;
            if (f == NULL) {
                dropped++;
                continue;
            }
            if (write_line(f, o) != 0) {
                sp_log(SP_LOG_ERROR, "write_failed", "cannot write output: %s", strerror(errno));
                rc = SP_EXIT_UNAVAILABLE;
                sp_outbox_clear(&rt->out);
                goto done;
            }
            if (o->output >= 0) atomic_fetch_add(&sp_stats.produced[o->output], 1);
        }
        sp_outbox_clear(&rt->out);
        atomic_store(&sp_stats.heartbeat_ms, sp_mono_ms());
    }
    if (ferror(stdin)) {
        sp_log(SP_LOG_ERROR, "read_failed", "cannot read stdin: %s", strerror(errno));
        rc = SP_EXIT_UNAVAILABLE;
    }
done:
    free(line);
    for (i = 0; i < rt->cfg.n_outputs; i++)
        if (outs[i] && fflush(outs[i]) != 0 && rc == SP_EXIT_OK) rc = SP_EXIT_UNAVAILABLE;
    for (i = 1; i < rt->cfg.n_outputs; i++)
        if (outs[i]) fclose(outs[i]);
    if (dlq && dlq != stderr) fclose(dlq);
    sp_logj(SP_LOG_INFO, "stdio_done",
            json_pack("{s:I, s:I, s:I}", "lines", (json_int_t)lineno, "dead_letters", (json_int_t)dead,
                      "dropped", (json_int_t)dropped),
            "read %ld lines, %llu dead letters", lineno, (unsigned long long)dead);
    if (rc == SP_EXIT_OK && dead > 0) rc = SP_EXIT_DATAERR;
    return rc;
}
