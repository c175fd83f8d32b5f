/* stage_stdio.c — the --stdio loop: the same transform as in Kafka mode, as
 * a Unix filter. JSON Lines on stdin; the first output on stdout, the other
 * outputs on their --NAME-file, dead letters on --dlq-file or stderr. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "runtime.h"
#include "util.h"

static int write_line(FILE *f, const sp_out *o) {
    return fwrite(o->raw, 1, o->raw_len, f) != o->raw_len || fputc('\n', f) == EOF ? -1 : 0;
}

/* An output file: created or emptied; but /dev/fd/N is descriptor N as the
 * process was given it, not opened again (which would empty a regular file
 * behind it): written from where it stands, and left as long as it was
 * where the writing ends. A caller that opened a file read-write (bash's
 * N<>FILE) has it overwritten in place, in pages it already has: what
 * bench/deduper.sh does, as a fresh file's pages cost this VM more than the
 * deduper's own work (see there). NULL (errno set) when it cannot be had. */
static FILE *open_output(const char *path) {
    const char *digits = path + 8;
    char *end;
    if (strncmp(path, "/dev/fd/", 8) == 0 && *digits >= '0' && *digits <= '9') {
        long n = strtol(digits, &end, 10);
        int fd;
        FILE *f;
        if (*end != '\0' || n > INT_MAX) return fopen(path, "w");
        if ((fd = dup((int)n)) < 0) return NULL;
        if ((f = fdopen(fd, "w")) == NULL) close(fd);
        return f;
    }
    return fopen(path, "w");
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
        if (o->output >= 0) sp_count(&sp_stats.produced[o->output], 1);
    }
    return 0;
}

/* The input, read a block at a time into one of two buffers. A batch's
 * lines are read in place (each '\n' made a NUL), not copied out one by
 * one as getline would. Each batch begins in the other buffer (the bytes
 * read past the last batch moved there), with room after it for
 * SP_BATCH_BYTES and a block more: the lines of the batch before stay
 * valid while it is transformed, as the loop overlaps the two. */
typedef struct reader {
    int fd;
    int regular; /* a regular file: never waits, so a batch always fills */
    void *map;   /* a regular file mapped (reader_map()), or NULL */
    size_t map_len;
    char *buf;
    size_t cap, start, end; /* buf[start..end): read, not yet handed out */
    char *spare;            /* the other buffer (the batch before's lines), or NULL */
    size_t spare_cap;
    int eof, error;
} reader;

#define READ_BLOCK (1u << 16)
#define READ_ROOM (SP_BATCH_BYTES + READ_BLOCK)

enum { LINE, LINE_WAIT, LINE_END }; /* reader_line's answers */

/* 1 if the input has more to read right now (or its end), so a batch can
 * grow without waiting on a slow writer; a regular file always has (no
 * system call per read then). */
static int more_input(const reader *r) {
    struct pollfd pfd = {r->fd, POLLIN, 0};
    return r->regular || poll(&pfd, 1, 0) > 0;
}

/* A regular file on stdin is mapped, not read: its lines are used where
 * they lie in the page cache, as Kafka's payloads are (nothing needs a NUL
 * after a line), not copied into the buffer first. read() copied each byte
 * in from memory, into a buffer whose lines were out of the cache by then
 * (a batch of 4 MB and more went by between two uses): 6% of the deduper's
 * cycles on bench/deduper.sh's corpus. From the file's offset as it was
 * given to its end; the offset is left at the end, as reading it would. A
 * file cut shorter while it is mapped ends the process with SIGBUS (as it
 * does any program that maps its input): the lines it lost would
 * otherwise be missed without a word. st: the file's fstat() (the caller
 * has it: a regular file). 0, or -1 (then it is read). */
static int reader_map(reader *r, const struct stat *st) {
    off_t at = lseek(r->fd, 0, SEEK_CUR), page = (off_t)sysconf(_SC_PAGESIZE), base;
    void *m;
    if (at < 0 || page <= 0 || st->st_size <= at) return -1;
    base = at / page * page;
    if ((uintmax_t)(st->st_size - base) > SIZE_MAX) return -1;
    m = mmap(NULL, (size_t)(st->st_size - base), PROT_READ, MAP_PRIVATE, r->fd, base);
    if (m == MAP_FAILED) return -1;
    (void)madvise(m, (size_t)(st->st_size - base), MADV_SEQUENTIAL);
    (void)lseek(r->fd, st->st_size, SEEK_SET);
    r->map = m;
    r->map_len = (size_t)(st->st_size - base);
    r->buf = (char *)m + (at - base);
    r->start = 0;
    r->end = r->cap = (size_t)(st->st_size - at);
    r->eof = 1;
    return 0;
}

/* No line of this buffer is in use (reader_begin has left the batch
 * before it in the other): the bytes not handed out yet to the front, and
 * the buffer grown until READ_ROOM follows them. */
static void reader_room(reader *r) {
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
    while (r->cap - r->end < READ_ROOM) r->buf = sp_xrealloc(r->buf, r->cap *= 2);
}

/* A batch was read: the next begins in the other buffer (this one's
 * lines are read until it is transformed), the bytes not handed out yet
 * moved there, with READ_ROOM after them. */
static void reader_begin(reader *r) {
    if (r->map) return; /* every line stays where it is */
    size_t left = r->end - r->start, cap = r->spare ? r->spare_cap : r->cap;
    char *buf = r->spare ? r->spare : sp_xmalloc(cap);
    while (cap - left < READ_ROOM) buf = sp_xrealloc(buf, cap *= 2);
    memcpy(buf, r->buf + r->start, left);
    r->spare = r->buf;
    r->spare_cap = r->cap;
    r->buf = buf;
    r->cap = cap;
    r->start = 0;
    r->end = left;
}

/* Read what the input has, a block at most, after the bytes read: 0, or
 * -1 when a signal interrupted the read. */
static int reader_read(reader *r) {
    size_t want = r->cap - 1 - r->end < READ_BLOCK ? r->cap - 1 - r->end : READ_BLOCK;
    ssize_t got = read(r->fd, r->buf + r->end, want);
    if (got > 0) {
        r->end += (size_t)got;
    } else if (got == 0 || errno != EINTR) {
        r->eof = 1;
        r->error = got < 0 ? errno : 0;
    } else {
        return -1;
    }
    return 0;
}

/* 1 when the next line can be had without waiting: it is read already, or
 * the input has ended. What the input has ready is read to find out (past
 * the lines in use: there is room for a block after them, and none of
 * them moves). */
static int reader_ready(reader *r) {
    for (;;) {
        if (r->eof || memchr(r->buf + r->start, '\n', r->end - r->start)) return 1;
        if (r->cap - 1 - r->end < READ_BLOCK || !more_input(r) || reader_read(r) != 0) return 0;
    }
}

/* The next line into *line, *len (its '\n' cut off); `in_use`: lines of
 * the batch are still read from the buffer. LINE; LINE_WAIT when a line
 * would mean waiting for input, or moving the buffer (only with lines in
 * use: the batch ends there); LINE_END at the end of the input (r->error
 * set if it was an error), or when a stop is requested while waiting. */
static int reader_line(reader *r, int in_use, char **line, size_t *len) {
    if (!in_use && !r->map && r->cap - r->end < READ_ROOM) reader_room(r);
    for (;;) {
        char *from = r->buf + r->start, *nl = memchr(from, '\n', r->end - r->start);
        if (nl || (r->eof && r->end > r->start)) {
            /* a line, or the last one without its '\n' (a byte is kept
             * free after the bytes read for its NUL) */
            char *to = nl ? nl : r->buf + r->end;
            if (!r->map) *to = '\0'; /* a mapped file's bytes are read-only: no NUL there */
            *line = from;
            *len = (size_t)(to - from);
            r->start = (size_t)(to - r->buf) + (nl != NULL);
            return LINE;
        }
        if (r->eof) return LINE_END;
        if (in_use && !more_input(r)) return LINE_WAIT;
        if (r->end + 1 == r->cap) { /* a line as long as the buffer */
            if (in_use) return LINE_WAIT;
            reader_room(r);
        }
        if (reader_read(r) != 0 && sp_stop_requested) return LINE_END;
    }
}

static char out_buffers[SP_MAX_OUTPUTS][1 << 16];

/* The outputs written out (flushed) and, if they all are, the stage told
 * (its committed hook). */
static void flush_outputs(stdio_run *s) {
    for (int i = 0; i < s->rt->cfg.n_outputs; i++)
        if (s->outs[i] && fflush(s->outs[i]) != 0) s->rc = SP_EXIT_UNAVAILABLE;
    if (s->rc == SP_EXIT_OK && s->rt->def->committed) s->rt->def->committed(s->rt->state);
    atomic_store(&sp_stats.heartbeat_ms, sp_mono_ms());
}

/* Transform the batch prepared (*b, NULL after), write its outputs,
 * commit. -1 when it was not all done (a stop, a write that failed). */
static int finish(stdio_run *s, sp_batch **b) {
    size_t n = (*b)->n, done = sp_runtime_transform(s->rt, *b, emit, s);
    *b = NULL;
    if (done < n) return -1;
    flush_outputs(s);
    return s->rc == SP_EXIT_OK ? 0 : -1;
}

int sp_run_stdio(sp_runtime *rt) {
    stdio_run s = {rt, {stdout}, stderr, 0, 0, SP_EXIT_OK};
    reader in = {.fd = fileno(stdin), .cap = 2 * READ_ROOM};
    sp_item *items[2] = {NULL, NULL};
    sp_batch *prepared = NULL; /* a batch prepared, not yet transformed */
    long lineno = 0;
    int i, eof = 0, cur = 0, batch_read = 0;
    struct stat st;

    for (i = 1; i < rt->cfg.n_outputs; i++) {
        if (rt->cfg.side_files[i] && (s.outs[i] = open_output(rt->cfg.side_files[i])) == NULL) {
            sp_log(SP_LOG_ERROR, "open_failed", "%s: %s", rt->cfg.side_files[i], strerror(errno));
            s.rc = SP_EXIT_UNAVAILABLE;
            goto done;
        }
    }
    if (rt->cfg.dlq_file && (s.dlq = open_output(rt->cfg.dlq_file)) == NULL) {
        sp_log(SP_LOG_ERROR, "open_failed", "%s: %s", rt->cfg.dlq_file, strerror(errno));
        s.dlq = NULL;
        s.rc = SP_EXIT_UNAVAILABLE;
        goto done;
    }
    in.regular = fstat(in.fd, &st) == 0 && S_ISREG(st.st_mode);
    if (!in.regular || reader_map(&in, &st) != 0) in.buf = sp_xmalloc(in.cap);
    for (i = 0; i < 2; i++) items[i] = sp_xmalloc(SP_BATCH_MAX * sizeof *items[i]);
    /* large buffers: a system call per 64 KiB, not per 4 KiB (glibc takes a
     * size only with a buffer); static, as the streams outlive this call */
    for (i = 0; i < rt->cfg.n_outputs; i++)
        if (s.outs[i]) setvbuf(s.outs[i], out_buffers[i], _IOFBF, sizeof out_buffers[i]);
    atomic_store(&sp_stats.ready, 1);
    /* Two batches overlap: the next is read and checked, a line at a time
     * (sp_runtime_check; its checked hook sends the deduper's claims to
     * Redis), before the one prepared last is transformed and written, and
     * is prepared after that. When the next one's first line is not there
     * to read yet, the one prepared is finished first: its outputs do not
     * wait for input. */
    while (!sp_stop_requested && !eof && s.rc == SP_EXIT_OK) {
        size_t n = 0, bytes = 0;
        sp_batch *b = rt->batches[cur];
        if (prepared && !reader_ready(&in) && finish(&s, &prepared) != 0) break;
        if (batch_read) reader_begin(&in);
        batch_read = 0;
        /* a batch: one line (waiting for it), then what is there already,
         * up to SP_BATCH_MAX lines or SP_BATCH_BYTES */
        while (n < SP_BATCH_MAX && bytes < SP_BATCH_BYTES) {
            char *line;
            size_t len;
            int got = reader_line(&in, n > 0, &line, &len);
            if (got == LINE_WAIT) break;
            if (got == LINE_END) {
                eof = 1;
                break;
            }
            lineno++;
            if (len == 0) continue; /* blank lines separate nothing in JSON Lines */
            bytes += len;
            items[cur][n] = (sp_item){line, len, NULL, 0, {NULL, -1, -1, lineno, line, len, NULL, 0, NULL}, NULL};
            /* checked now, while its bytes are in the cache from the read:
             * after the whole batch (4 MB and more), they were not */
            sp_runtime_check(rt, b, items[cur], ++n, SP_BATCH_MAX);
        }
        if (n == 0) continue;
        batch_read = 1; /* the next begins in the other buffer */
        if (prepared && finish(&s, &prepared) != 0) {
            sp_runtime_release(b);
            break;
        }
        if (sp_runtime_prepare(rt, b) != 0) break; /* stop requested */
        prepared = b;
        cur = !cur;
    }
    if (prepared && s.rc == SP_EXIT_OK) finish(&s, &prepared);
    /* the input has ended: the stage's own work (a poller) until it is done */
    while (!sp_stop_requested && s.rc == SP_EXIT_OK && rt->def->tick) {
        int busy = sp_runtime_tick(rt, emit, &s);
        flush_outputs(&s);
        if (busy <= 0) break;
    }
    if (in.error) {
        sp_log(SP_LOG_ERROR, "read_failed", "cannot read stdin: %s", strerror(in.error));
        s.rc = SP_EXIT_UNAVAILABLE;
    }
done:
    if (in.map) munmap(in.map, in.map_len);
    else free(in.buf);
    free(in.spare);
    for (i = 0; i < 2; i++) free(items[i]);
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
