/* stage_stdio.c — the --stdio loop: the same transform as in Kafka mode, as
 * a Unix filter. JSON Lines on stdin; the first output on stdout, the other
 * outputs on their --NAME-file, dead letters on --dlq-file or stderr. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "metrics.h"
#include "runtime.h"
#include "util.h"

static int write_line(FILE *f, const sp_out *o) {
    return fwrite(o->raw, 1, o->raw_len, f) != o->raw_len || fputc('\n', f) == EOF ? -1 : 0;
}

typedef struct stdio_run {
    sp_runtime *rt;
    FILE *outs[SP_MAX_OUTPUTS];
    FILE *dlq;
    uint64_t dead, dropped;
    int rc;
} stdio_run;

/* Write one processed input's outputs (sp_runtime_batch's emit). */
static int emit(void *arg, sp_item *it) {
    stdio_run *s = arg;
    sp_outbox *out = &s->rt->out;
    (void)it;
    for (size_t k = 0; k < out->n; k++) {
        sp_out *o = &out->v[k];
        FILE *f = o->output == SP_OUTPUT_DLQ ? s->dlq : s->outs[o->output];
        if (o->output == SP_OUTPUT_DLQ) s->dead++;
        if (f == NULL) {
            s->dropped++;
            continue;
        }
        if (write_line(f, o) != 0) {
            sp_log(SP_LOG_ERROR, "write_failed", "cannot write output: %s", strerror(errno));
            s->rc = SP_EXIT_UNAVAILABLE;
            return -1;
        }
        if (o->output >= 0) atomic_fetch_add(&sp_stats.produced[o->output], 1);
    }
    return 0;
}

/* 1 if stdin has more to read right now (or its end), so a batch can grow
 * without waiting on a slow writer; a regular file always has (no system
 * call per line then). */
static int more_input(int regular) {
    struct pollfd pfd = {fileno(stdin), POLLIN, 0};
    return regular || poll(&pfd, 1, 0) > 0;
}

static char in_buffer[1 << 16], out_buffers[SP_MAX_OUTPUTS][1 << 16];

int sp_run_stdio(sp_runtime *rt) {
    stdio_run s = {rt, {stdout}, stderr, 0, 0, SP_EXIT_OK};
    char *lines[SP_BATCH_MAX] = {NULL};
    size_t caps[SP_BATCH_MAX] = {0};
    sp_item items[SP_BATCH_MAX];
    long lineno = 0;
    int i, eof = 0, regular;
    struct stat st;

    for (i = 1; i < rt->cfg.n_outputs; i++) {
        if (rt->cfg.side_files[i] && (s.outs[i] = fopen(rt->cfg.side_files[i], "w")) == NULL) {
            sp_log(SP_LOG_ERROR, "open_failed", "%s: %s", rt->cfg.side_files[i], strerror(errno));
            s.rc = SP_EXIT_UNAVAILABLE;
            goto done;
        }
    }
    if (rt->cfg.dlq_file && (s.dlq = fopen(rt->cfg.dlq_file, "w")) == NULL) {
        sp_log(SP_LOG_ERROR, "open_failed", "%s: %s", rt->cfg.dlq_file, strerror(errno));
        s.dlq = NULL;
        s.rc = SP_EXIT_UNAVAILABLE;
        goto done;
    }
    regular = fstat(fileno(stdin), &st) == 0 && S_ISREG(st.st_mode);
    /* large buffers: a system call per 64 KiB, not per 4 KiB (glibc takes a
     * size only with a buffer); static, as the streams outlive this call */
    setvbuf(stdin, in_buffer, _IOFBF, sizeof in_buffer);
    for (i = 0; i < rt->cfg.n_outputs; i++)
        if (s.outs[i]) setvbuf(s.outs[i], out_buffers[i], _IOFBF, sizeof out_buffers[i]);
    atomic_store(&sp_stats.ready, 1);
    while (!sp_stop_requested && !eof && s.rc == SP_EXIT_OK) {
        size_t n = 0;
        /* a batch: one line (waiting for it), then what is there already */
        while (n < SP_BATCH_MAX && (n == 0 || more_input(regular))) {
            ssize_t len = getline(&lines[n], &caps[n], stdin);
            if (len == -1) {
                eof = 1;
                break;
            }
            lineno++;
            if (len > 0 && lines[n][len - 1] == '\n') lines[n][--len] = '\0';
            if (len == 0) continue; /* blank lines separate nothing in JSON Lines */
            items[n] = (sp_item){lines[n], (size_t)len, NULL, 0, {NULL, -1, -1, lineno, lines[n], (size_t)len, NULL, 0},
                                 NULL};
            n++;
        }
        if (n == 0) continue;
        if (sp_runtime_batch(rt, items, n, emit, &s) < n && s.rc == SP_EXIT_OK) break; /* stop requested */
        for (i = 0; i < rt->cfg.n_outputs; i++)
            if (s.outs[i] && fflush(s.outs[i]) != 0) s.rc = SP_EXIT_UNAVAILABLE;
        if (s.rc == SP_EXIT_OK && rt->def->committed) rt->def->committed(rt->state);
        atomic_store(&sp_stats.heartbeat_ms, sp_mono_ms());
    }
    /* the input has ended: the stage's own work (a poller) until it is done */
    while (!sp_stop_requested && s.rc == SP_EXIT_OK && rt->def->tick) {
        int busy = sp_runtime_tick(rt, emit, &s);
        for (i = 0; i < rt->cfg.n_outputs; i++)
            if (s.outs[i] && fflush(s.outs[i]) != 0) s.rc = SP_EXIT_UNAVAILABLE;
        if (s.rc == SP_EXIT_OK && rt->def->committed) rt->def->committed(rt->state);
        atomic_store(&sp_stats.heartbeat_ms, sp_mono_ms());
        if (busy <= 0) break;
    }
    if (ferror(stdin)) {
        sp_log(SP_LOG_ERROR, "read_failed", "cannot read stdin: %s", strerror(errno));
        s.rc = SP_EXIT_UNAVAILABLE;
    }
done:
    for (i = 0; i < SP_BATCH_MAX; i++) free(lines[i]);
    for (i = 0; i < rt->cfg.n_outputs; i++)
        if (s.outs[i] && fflush(s.outs[i]) != 0 && s.rc == SP_EXIT_OK) s.rc = SP_EXIT_UNAVAILABLE;
    for (i = 1; i < rt->cfg.n_outputs; i++)
        if (s.outs[i]) fclose(s.outs[i]);
    if (s.dlq && s.dlq != stderr) fclose(s.dlq);
    sp_logj(SP_LOG_INFO, "stdio_done",
            json_pack("{s:I, s:I, s:I}", "lines", (json_int_t)lineno, "dead_letters", (json_int_t)s.dead,
                      "dropped", (json_int_t)s.dropped),
            "read %ld lines, %llu dead letters", lineno, (unsigned long long)s.dead);
    if (s.rc == SP_EXIT_OK && s.dead > 0) s.rc = SP_EXIT_DATAERR;
    return s.rc;
}
