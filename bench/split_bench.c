/* split_bench.c — the splitter's throughput in-process, for bench/splitter.sh.
 *
 *   split_bench corpus OUTDIR MB SEED...   write a corpus of >= MB * 10^6
 *                                          bytes of digest text to OUTDIR
 *   split_bench run RUNS DIR               time digest_split over DIR's files
 *
 * corpus: each SEED (a plain-text digest: a numbered bulletin, a brief or an
 * insight list; digest_split says which) is varied again and again, round
 * robin, into one document per file, OUTDIR/<rule>-NNNNNN.txt, until the
 * corpus has MB * 10^6 bytes. A variation keeps the digest's structure and
 * changes its bytes: the stories are shuffled and a random subset of them
 * kept (bulletin: index entries and sections alike, renumbered 1..m, the
 * issue line tagged with the copy number; brief: the title-to-URL blocks,
 * the header and the trailing boilerplate in place; insight list: the items
 * after the heading, the lead and the heading in place), and every third
 * copy has CRLF line ends. The random numbers come from a fixed xorshift
 * generator: the same arguments give the same bytes. Prints "key value"
 * lines: files, bytes, and files per rule.
 *
 * run: reads every file of DIR into memory (not timed), then RUNS times
 * calls digest_split (hints NULL, as for --text) and digest_free on each
 * document in turn, timed with CLOCK_MONOTONIC around the whole pass; the
 * best pass is reported. Checks that each document is split by the rule its
 * file name says (else the corpus measures the wrong thing: exit 1). Prints
 * "key value" lines: docs, bytes, stories (per pass), best_s, median_s,
 * cpu_s (the best pass's CPU time, this thread), mismatched. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "digest.h"
#include "util.h"

/* ---- helpers ------------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static size_t below(size_t n) { return n ? (size_t)(next_rand() % n) : 0; }
static void shuffle(size_t *v, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = below(i), t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* A seed as lines (LF or CRLF ends, the ends not kept); blank lines kept. */
typedef struct doc {
    const char **s;
    size_t *n;
    size_t count;
} doc;
static void doc_lines(const char *text, size_t len, doc *d) {
    size_t cap = 64;
    const char *p = text, *end = text + len;
    d->s = sp_xmalloc(cap * sizeof *d->s);
    d->n = sp_xmalloc(cap * sizeof *d->n);
    d->count = 0;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p)), *next;
        if (e == NULL) e = end;
        next = e < end ? e + 1 : end;
        if (e > p && e[-1] == '\r') e--;
        if (d->count == cap) {
            cap *= 2;
            d->s = sp_xrealloc(d->s, cap * sizeof *d->s);
            d->n = sp_xrealloc(d->n, cap * sizeof *d->n);
        }
        d->s[d->count] = p;
        d->n[d->count++] = (size_t)(e - p);
        p = next;
    }
}
static void put_line(sp_buf *b, const doc *d, size_t i, const char *eol) {
    sp_buf_put(b, d->s[i], d->n[i]);
    sp_buf_puts(b, eol);
}
static void put_lines(sp_buf *b, const doc *d, size_t from, size_t to, const char *eol) {
    for (size_t i = from; i < to; i++) put_line(b, d, i, eol);
}
static int blank(const doc *d, size_t i) {
    for (size_t k = 0; k < d->n[i]; k++)
        if (d->s[i][k] != ' ' && d->s[i][k] != '\t') return 0;
    return 1;
}

/* "(N) ": N, and *rest = the offset of the title; 0 if not numbered. */
static unsigned numbered(const doc *d, size_t i, size_t *rest) {
    const char *s = d->s[i];
    size_t n = d->n[i], k = 1;
    unsigned v = 0;
    if (n < 4 || s[0] != '(') return 0;
    while (k < n && k < 5 && s[k] >= '0' && s[k] <= '9') v = v * 10 + (unsigned)(s[k++] - '0');
    if (k == 1 || k + 1 >= n || s[k] != ')' || (s[k + 1] != ' ' && s[k + 1] != '\t')) return 0;
    for (k++; k < n && (s[k] == ' ' || s[k] == '\t');) k++;
    *rest = k;
    return v;
}

/* Keep m of n stories (at least min, all when n <= min), shuffled. */
static size_t pick(size_t *order, size_t n, size_t min) {
    for (size_t i = 0; i < n; i++) order[i] = i;
    shuffle(order, n);
    return n <= min ? n : min + below(n - min + 1);
}

/* ---- the variations ------------------------------------------------------ */

/* A numbered bulletin: header, index (1)..(k), sections (1)..(k). Falls
 * back to the seed as it is when it is not exactly that. */
static void vary_bulletin(const doc *d, sp_buf *b, const char *eol, unsigned copy) {
    size_t at[2048], rest[2048], n = 0, k, order[1024], m;
    char tag[48];
    for (size_t i = 0; i < d->count && n < 2048; i++) {
        size_t r;
        unsigned v = numbered(d, i, &r);
        if (v == 0) continue;
        at[n] = i;
        rest[n++] = r;
    }
    /* index = first k numbered lines, sections = the next k, numbers 1..k each */
    k = n / 2;
    if (n < 4 || n % 2 != 0 || k > 1024) {
        put_lines(b, d, 0, d->count, eol);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t r;
        if (numbered(d, at[i], &r) != (unsigned)(i % k) + 1) {
            put_lines(b, d, 0, d->count, eol);
            return;
        }
    }
    m = pick(order, k, 3);
    /* the header, its first line tagged */
    for (size_t i = 0; i < at[0]; i++) {
        sp_buf_put(b, d->s[i], d->n[i]);
        if (i == 0) {
            snprintf(tag, sizeof tag, " (copy %u)", copy);
            sp_buf_puts(b, tag);
        }
        sp_buf_puts(b, eol);
    }
    for (int g = 0; g < 2; g++) {
        for (size_t j = 0; j < m; j++) {
            size_t e = g * k + order[j], end = e + 1 < n ? at[e + 1] : d->count;
            char num[32];
            snprintf(num, sizeof num, "(%zu) ", j + 1);
            sp_buf_puts(b, num);
            sp_buf_put(b, d->s[at[e]] + rest[e], d->n[at[e]] - rest[e]);
            sp_buf_puts(b, eol);
            put_lines(b, d, at[e] + 1, end, eol);
        }
    }
}

static int url_line(const doc *d, size_t i) {
    if (d->n[i] < 9 || (strncmp(d->s[i], "http://", 7) != 0 && strncmp(d->s[i], "https://", 8) != 0)) return 0;
    return memchr(d->s[i], ' ', d->n[i]) == NULL;
}

/* A brief: header lines (the seed's, as digest_split skipped them), blocks
 * that end at a URL line, then boilerplate. */
static void vary_brief(const doc *d, size_t header, sp_buf *b, const char *eol) {
    size_t from[1024], to[1024], k = 0, start = header, order[1024], m;
    for (size_t i = header; i < d->count && k < 1024; i++) {
        if (!url_line(d, i)) continue;
        from[k] = start;
        to[k++] = i + 1;
        start = i + 1;
    }
    put_lines(b, d, 0, header, eol);
    m = pick(order, k, 2);
    for (size_t j = 0; j < m; j++) put_lines(b, d, from[order[j]], to[order[j]], eol);
    put_lines(b, d, start, d->count, eol);
}

/* An insight list: lead paragraph(s) and the heading, then one item per
 * paragraph, then boilerplate. `heading` is the heading's line. */
static void vary_insights(const doc *d, size_t heading, sp_buf *b, const char *eol) {
    size_t from[1024], to[1024], k = 0, order[1024], m, tail = d->count;
    while (tail > heading + 1 && (blank(d, tail - 1) || digest_boilerplate(&(line){d->s[tail - 1], d->n[tail - 1], 0})))
        tail--;
    for (size_t i = heading + 1; i < tail && k < 1024;) {
        while (i < tail && blank(d, i)) i++;
        if (i == tail) break;
        from[k] = i;
        while (i < tail && !blank(d, i)) i++;
        to[k++] = i;
    }
    put_lines(b, d, 0, heading + 1, eol);
    m = pick(order, k, 3);
    /* the last item must not read as boilerplate (an insight that mentions
     * copyright, say): rule_insights would take it for the trailer */
    for (size_t j = 0; j < k; j++) { /* j >= m brings in an item left out */
        size_t last = to[order[m - 1]] - 1, x;
        if (!digest_boilerplate(&(line){d->s[last], d->n[last], 0})) break;
        x = order[m - 1];
        order[m - 1] = order[j];
        order[j] = x;
    }
    for (size_t j = 0; j < m; j++) {
        sp_buf_puts(b, eol);
        put_lines(b, d, from[order[j]], to[order[j]], eol);
    }
    if (tail < d->count) sp_buf_puts(b, eol);
    put_lines(b, d, tail, d->count, eol);
}

typedef struct seed {
    char *text;
    size_t len;
    doc lines;
    const char *rule;
    size_t header, heading; /* brief: header lines; insights: the heading's line */
} seed;

static int make_corpus(const char *dir, double mb, char **paths, int n_paths) {
    seed *seeds = sp_xmalloc((size_t)n_paths * sizeof *seeds);
    size_t total = 0, files = 0, per[3] = {0, 0, 0};
    const char *rules[3] = {"bulletin", "brief", "insights"};
    sp_buf b = {0};
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "split_bench: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    for (int i = 0; i < n_paths; i++) {
        seed *s = &seeds[i];
        digest d;
        s->text = sp_read_file(paths[i], 64u << 20, &s->len);
        if (s->text == NULL) {
            fprintf(stderr, "split_bench: %s: %s\n", paths[i], strerror(errno));
            return 1;
        }
        doc_lines(s->text, s->len, &s->lines);
        digest_split(s->text, s->len, NULL, &d);
        s->rule = d.rule;
        s->header = s->heading = 0;
        for (size_t j = 0; j < d.n_skipped; j++) {
            if (strcmp(d.skipped_why[j], "header") == 0) s->header++;
            if (strcmp(d.skipped_why[j], "heading") == 0)
                for (size_t k = 0; k < s->lines.count; k++)
                    if (s->lines.s[k] == d.skipped[j].s) s->heading = k;
        }
        digest_free(&d);
        if (strcmp(s->rule, "bulletin") != 0 && strcmp(s->rule, "brief") != 0 && strcmp(s->rule, "insights") != 0) {
            fprintf(stderr, "split_bench: %s is not a digest (digest_split: %s)\n", paths[i], s->rule);
            return 1;
        }
    }
    for (unsigned copy = 0; total < mb * 1e6; copy++) {
        seed *s = &seeds[copy % (unsigned)n_paths];
        const char *eol = copy % 3 == 2 ? "\r\n" : "\n";
        char path[4096];
        FILE *f;
        b.len = 0;
        if (strcmp(s->rule, "bulletin") == 0) vary_bulletin(&s->lines, &b, eol, copy), per[0]++;
        else if (strcmp(s->rule, "brief") == 0) vary_brief(&s->lines, s->header, &b, eol), per[1]++;
        else vary_insights(&s->lines, s->heading, &b, eol), per[2]++;
        snprintf(path, sizeof path, "%s/%s-%06u.txt", dir, s->rule, copy);
        if ((f = fopen(path, "wb")) == NULL || fwrite(b.s, 1, b.len, f) != b.len || fclose(f) != 0) {
            fprintf(stderr, "split_bench: %s: %s\n", path, strerror(errno));
            return 1;
        }
        total += b.len;
        files++;
    }
    printf("files %zu\nbytes %zu\n", files, total);
    for (int i = 0; i < 3; i++) printf("files_%s %zu\n", rules[i], per[i]);
    for (int i = 0; i < n_paths; i++) {
        free(seeds[i].text);
        free(seeds[i].lines.s);
        free(seeds[i].lines.n);
    }
    free(seeds);
    sp_buf_free(&b);
    return 0;
}

/* ---- timing ---------------------------------------------------------------- */

static double now(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int run(int runs, const char *dir) {
    DIR *dp = opendir(dir);
    struct dirent *e;
    char **names = NULL, **text;
    size_t n = 0, cap = 0, *len, bytes = 0, stories = 0, mismatched = 0;
    double *t, best = 0, best_cpu = 0;
    if (dp == NULL) {
        fprintf(stderr, "split_bench: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    while ((e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) names = sp_xrealloc(names, (cap = cap ? cap * 2 : 1024) * sizeof *names);
        names[n++] = sp_xstrdup(e->d_name);
    }
    closedir(dp);
    if (n == 0) {
        fprintf(stderr, "split_bench: %s: no files\n", dir);
        return 1;
    }
    qsort(names, n, sizeof *names, by_name);
    text = sp_xmalloc(n * sizeof *text);
    len = sp_xmalloc(n * sizeof *len);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if ((text[i] = sp_read_file(path, 64u << 20, &len[i])) == NULL) {
            fprintf(stderr, "split_bench: %s: %s\n", path, strerror(errno));
            return 1;
        }
        bytes += len[i];
    }
    /* one untimed pass: the rules, and the story count */
    for (size_t i = 0; i < n; i++) {
        digest d;
        size_t rl;
        digest_split(text[i], len[i], NULL, &d);
        rl = strlen(d.rule);
        if (strncmp(names[i], d.rule, rl) != 0 || names[i][rl] != '-') {
            if (mismatched++ < 5) fprintf(stderr, "split_bench: %s: split by the %s rule\n", names[i], d.rule);
        }
        stories += d.n;
        digest_free(&d);
    }
    t = sp_xmalloc((size_t)runs * sizeof *t);
    for (int r = 0; r < runs; r++) {
        double c0 = now(CLOCK_THREAD_CPUTIME_ID), t0 = now(CLOCK_MONOTONIC), c1;
        size_t check = 0;
        for (size_t i = 0; i < n; i++) {
            digest d;
            digest_split(text[i], len[i], NULL, &d);
            check += d.n;
            digest_free(&d);
        }
        t[r] = now(CLOCK_MONOTONIC) - t0;
        c1 = now(CLOCK_THREAD_CPUTIME_ID) - c0;
        if (check != stories) {
            fprintf(stderr, "split_bench: pass %d gave %zu stories, not %zu\n", r + 1, check, stories);
            return 1;
        }
        if (r == 0 || t[r] < best) {
            best = t[r];
            best_cpu = c1;
        }
    }
    printf("docs %zu\nbytes %zu\nstories %zu\nbest_s %.6f\ncpu_s %.6f\n", n, bytes, stories, best, best_cpu);
    qsort(t, (size_t)runs, sizeof *t, by_value);
    printf("median_s %.6f\nmismatched %zu\n", t[runs / 2], mismatched);
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
        free(text[i]);
    }
    free(names);
    free(text);
    free(len);
    free(t);
    return mismatched ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "corpus") == 0) return make_corpus(argv[2], atof(argv[3]), argv + 4, argc - 4);
    if (argc == 4 && strcmp(argv[1], "run") == 0 && atoi(argv[2]) > 0) return run(atoi(argv[2]), argv[3]);
    fprintf(stderr, "usage: split_bench corpus OUTDIR MB SEED...\n       split_bench run RUNS DIR\n");
    return 64;
}
