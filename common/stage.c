/* stage.c — sp_stage_main(): option parsing, signals, and the one function
 * that turns an input into outputs or a dead letter, shared by the Kafka and
 * --stdio loops (see stage.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "envelope.h"
#include "log.h"
#include "metrics.h"
#include "runtime.h"
#include "util.h"

volatile sig_atomic_t sp_stop_requested;

static void on_signal(int sig) {
    (void)sig;
    sp_stop_requested = 1;
}

static sp_out *outbox_push(sp_outbox *ob, int output, const char *key, size_t key_len) {
    sp_out *o;
    if (ob->n == ob->cap) {
        ob->cap = ob->cap ? ob->cap * 2 : 8;
        ob->v = sp_xrealloc(ob->v, ob->cap * sizeof *ob->v);
    }
    o = &ob->v[ob->n++];
    memset(o, 0, sizeof *o);
    o->output = output;
    o->key = key ? sp_xstrndup(key, key_len) : NULL;
    o->key_len = key ? key_len : 0;
    return o;
}

void sp_emit(sp_outbox *ob, int output, const char *key, json_t *value) {
    outbox_push(ob, output, key, key ? strlen(key) : 0)->value = value;
}

void sp_emit_raw(sp_outbox *ob, int output, const char *key, size_t key_len, const char *data,
                 size_t len) {
    sp_out *o = outbox_push(ob, output, key, key_len);
    o->raw = data;
    o->raw_len = len;
}

void sp_emit_owned(sp_outbox *ob, int output, const char *key, size_t key_len, char *data, size_t len) {
    sp_out *o = outbox_push(ob, output, key, key_len);
    o->raw = o->owned = data;
    o->raw_len = len;
}

void sp_emit_dead_letter(sp_outbox *ob, const char *stage, const sp_fail *fail, const char *key, const void *orig,
                         size_t len) {
    sp_input in = {NULL, -1, -1, 0, orig, len, key, key ? strlen(key) : 0, NULL};
    sp_out *o = outbox_push(ob, SP_OUTPUT_DLQ, key, key ? strlen(key) : 0);
    o->value = sp_dlq_record(stage, fail, &in, key, key ? strlen(key) : 0, orig, len, len);
    sp_metrics_dead_letter(fail->reason);
}

void sp_outbox_truncate(sp_outbox *ob, size_t n) {
    for (size_t i = n; i < ob->n; i++) {
        free(ob->v[i].key);
        free(ob->v[i].owned);
        json_decref(ob->v[i].value);
    }
    if (n < ob->n) ob->n = n;
}

void sp_outbox_clear(sp_outbox *ob) { sp_outbox_truncate(ob, 0); }

static int stdio_mode;

int sp_stage_stdio(void) { return stdio_mode; }

void sp_fail_set(sp_fail *f, const char *reason, const char *fmt, ...) {
    va_list ap;
    int n;
    snprintf(f->reason, sizeof f->reason, "%s", reason);
    va_start(ap, fmt);
    n = vsnprintf(f->detail, sizeof f->detail, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof f->detail) { /* cut before a character the limit split */
        size_t len = sizeof f->detail - 1, lead = len;
        unsigned char c;
        while (lead > 0 && ((unsigned char)f->detail[lead - 1] & 0xC0) == 0x80) lead--;
        if (lead > 0) {
            c = (unsigned char)f->detail[lead - 1];
            size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            if (lead - 1 + need > len) f->detail[lead - 1] = '\0';
        }
    }
}

json_t *sp_json_member(json_t *obj, const char *key, json_type type, int required, sp_fail *fail) {
    json_t *v = json_object_get(obj, key);
    if (v == NULL || (json_is_null(v) && type != JSON_NULL)) {
        if (required) sp_fail_set(fail, "missing_field", "%s is missing", key);
        return NULL;
    }
    if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v))) {
        sp_fail_set(fail, "wrong_type", "%s has the wrong type", key);
        return NULL;
    }
    return v;
}

const char *sp_json_string(json_t *obj, const char *key, int required, sp_fail *fail) {
    json_t *v = sp_json_member(obj, key, JSON_STRING, required, fail);
    return v ? json_string_value(v) : NULL;
}

/* Serialise one output's value. -1 (fail set) when it is larger than the
 * output can take. */
static int serialise_one(sp_runtime *rt, sp_out *o, sp_fail *fail) {
    if (o->value && o->owned == NULL) {
        if ((o->owned = json_dumps(o->value, JSON_COMPACT)) == NULL) {
            sp_fail_set(fail, "transform_failed", "an output could not be serialised");
            return -1;
        }
        o->raw = o->owned;
        o->raw_len = strlen(o->owned);
    }
    if (rt->max_output_bytes && o->raw_len + o->key_len > rt->max_output_bytes) {
        sp_fail_set(fail, "output_too_large", "an output of %zu bytes exceeds the %zu byte limit",
                    o->raw_len + o->key_len, rt->max_output_bytes);
        return -1;
    }
    return 0;
}

/* Serialise the outbox's values. -1 (fail set) when one is larger than
 * the output can take. */
static int serialise(sp_runtime *rt, sp_fail *fail) {
    for (size_t i = 0; i < rt->out.n; i++)
        if (serialise_one(rt, &rt->out.v[i], fail) != 0) return -1;
    return 0;
}

/* Replace the outbox by the input's dead letter, keyed like the input, with
 * as much of the original as the output can take. */
static void dead_letter(sp_runtime *rt, const sp_fail *fail, const sp_input *in, const void *key,
                        size_t key_len, const void *buf, size_t len) {
    size_t keep = len;
    sp_out *o;
    if (key_len > SP_DLQ_MAX_KEY) key = NULL, key_len = 0;
    if (rt->max_output_bytes) { /* base64 is 4/3 of the bytes; leave 64 KiB for the rest */
        size_t room = rt->max_output_bytes > 65536 + key_len ? rt->max_output_bytes - 65536 - 2 * key_len : 0;
        if (room / 4 * 3 < keep) keep = room / 4 * 3;
    }
    sp_outbox_clear(&rt->out);
    o = outbox_push(&rt->out, SP_OUTPUT_DLQ, key, key_len);
    o->value = sp_dlq_record(rt->def->name, fail, in, key, key_len, buf, len, keep);
    o->owned = json_dumps(o->value, JSON_COMPACT);
    o->raw = o->owned;
    o->raw_len = o->owned ? strlen(o->owned) : 0;
    sp_metrics_dead_letter(fail->reason);
    if (sp_log_enabled(SP_LOG_DEBUG))
        sp_log(SP_LOG_DEBUG, "dead_letter", "%s: %s", fail->reason, fail->detail);
}

/* Wait `*backoff` ms before a retry (serving the idle hook), doubling it
 * up to 5 s. -1 when a stop is requested meanwhile. */
static int retry_wait(sp_runtime *rt, int64_t *backoff, const sp_fail *fail, const char *what) {
    atomic_fetch_add(&sp_stats.retries, 1);
    sp_log(SP_LOG_WARN, "transform_retry", "transient failure in %s (%s: %s); retrying in %lld ms", what,
           fail->reason, fail->detail, (long long)*backoff);
    for (int64_t until = sp_mono_ms() + *backoff; sp_mono_ms() < until && !sp_stop_requested;) {
        if (rt->idle) rt->idle(rt->idle_arg);
        else sp_sleep_ms(50);
        atomic_store(&sp_stats.heartbeat_ms, sp_mono_ms());
    }
    *backoff = *backoff * 2 > 5000 ? 5000 : *backoff * 2;
    return sp_stop_requested ? -1 : 0;
}

/* No failure: reason and detail empty. Not all 560 bytes cleared, as
 * for each input of a batch that would be. */
static void fail_clear(sp_fail *f) { f->reason[0] = f->detail[0] = '\0'; }

/* Check input i of batch b (and parse it, unless the stage is raw). */
static json_t *parse(sp_runtime *rt, sp_batch *b, size_t i, sp_fail *fail) {
    sp_item *it = &b->items[i];
    fail_clear(fail);
    sp_count(&sp_stats.consumed, 1);
    if (rt->def->raw) { /* the transform reads the bytes: check them, note the members, build nothing */
        if (sp_envelope_check(it->buf, it->len, rt->cfg.max_message_bytes, &b->members[i], fail) != 0) return NULL;
        it->in.members = &b->members[i];
        return json_null();
    }
    return sp_envelope_parse(it->buf, it->len, rt->cfg.max_message_bytes, fail);
}

void sp_runtime_check(sp_runtime *rt, sp_batch *b, sp_item *items, size_t n, size_t most) {
    b->items = items;
    if (n > SP_BATCH_MAX) n = SP_BATCH_MAX;
    for (size_t i = b->n; i < n; i = ++b->n) {
        b->msgs[i] = parse(rt, b, i, &b->fails[i]);
        b->ins[i] = b->msgs[i] ? &items[i].in : NULL;
        if (b->ins[i] && rt->def->checked) rt->def->checked(rt->state, b->msgs[i], b->ins[i], most);
    }
}

int sp_runtime_prepare(sp_runtime *rt, sp_batch *b) {
    sp_fail fail;
    int64_t backoff = 100;
    if (rt->def->prepare == NULL) return 0;
    memset(&fail, 0, sizeof fail);
    while (rt->def->prepare(rt->state, b->msgs, b->ins, b->n, &fail) == SP_TRANSIENT)
        if (retry_wait(rt, &backoff, &fail, "prepare") != 0) {
            sp_runtime_release(b);
            return -1;
        }
    return 0;
}

void sp_runtime_release(sp_batch *b) {
    for (size_t i = 0; i < b->n; i++) json_decref(b->msgs[i]);
    b->n = 0;
}

size_t sp_runtime_transform(sp_runtime *rt, sp_batch *b, int (*emit)(void *arg, sp_item *item), void *arg) {
    size_t done;
    sp_fail fail;
    for (done = 0; done < b->n; done++) {
        sp_item *it = &b->items[done];
        sp_result r = SP_REJECT;
        int64_t backoff = 100;
        if (b->msgs[done] == NULL) fail = b->fails[done]; /* why its check failed */
        else fail_clear(&fail);
        while (b->msgs[done]) {
            r = rt->def->transform(rt->state, rt->def->raw ? NULL : b->msgs[done], &it->in, &rt->out, &fail);
            if (r != SP_TRANSIENT) break;
            sp_outbox_clear(&rt->out);
            if (retry_wait(rt, &backoff, &fail, "transform") != 0) goto out;
        }
        if (r != SP_OK || serialise(rt, &fail) != 0) {
            if (fail.reason[0] == '\0') sp_fail_set(&fail, "transform_failed", "rejected by the %s", rt->def->name);
            dead_letter(rt, &fail, &it->in, it->key, it->key_len, it->buf, it->len);
        }
        if (emit(arg, it) != 0) {
            sp_outbox_clear(&rt->out);
            done++;
            break;
        }
        sp_outbox_clear(&rt->out);
    }
out:
    sp_runtime_release(b);
    return done;
}

size_t sp_runtime_batch(sp_runtime *rt, sp_item *items, size_t n, int (*emit)(void *arg, sp_item *item),
                        void *arg) {
    sp_batch *b = rt->batches[0];
    sp_runtime_check(rt, b, items, n, n);
    return sp_runtime_prepare(rt, b) == 0 ? sp_runtime_transform(rt, b, emit, arg) : 0;
}

int sp_runtime_tick(sp_runtime *rt, int (*emit)(void *arg, sp_item *item), void *arg) {
    sp_item it;
    int busy, rc = 0;
    if (rt->def->tick == NULL) return 0;
    busy = rt->def->tick(rt->state, &rt->out);
    if (rt->out.n == 0) return busy;
    for (size_t i = 0; i < rt->out.n; i++) {
        sp_out *o = &rt->out.v[i];
        sp_fail fail;
        memset(&fail, 0, sizeof fail);
        if (serialise_one(rt, o, &fail) == 0) continue;
        /* too large to send: its dead letter (with its first 64 KiB) instead */
        size_t keep = o->raw_len > 65536 ? 65536 : o->raw_len;
        sp_input in = {NULL, -1, -1, 0, o->raw, keep, o->key, o->key_len, NULL};
        json_t *dlq = sp_dlq_record(rt->def->name, &fail, &in, o->key, o->key_len, o->raw, o->raw_len, keep);
        json_decref(o->value);
        free(o->owned);
        o->value = dlq;
        o->owned = NULL;
        o->raw = NULL;
        o->output = SP_OUTPUT_DLQ;
        sp_metrics_dead_letter(fail.reason);
        serialise_one(rt, o, &fail);
    }
    memset(&it, 0, sizeof it);
    it.in = (sp_input){NULL, -1, -1, 0, NULL, 0, NULL, 0, NULL};
    rc = emit(arg, &it);
    sp_outbox_clear(&rt->out);
    return rc != 0 ? -1 : busy;
}

static sp_batch *batch_new(int raw) {
    sp_batch *b = sp_xmalloc(sizeof *b);
    memset(b, 0, sizeof *b);
    b->msgs = sp_xmalloc(SP_BATCH_MAX * sizeof *b->msgs);
    b->ins = sp_xmalloc(SP_BATCH_MAX * sizeof *b->ins);
    b->fails = sp_xmalloc(SP_BATCH_MAX * sizeof *b->fails);
    if (raw) {
        b->members = sp_xmalloc(SP_BATCH_MAX * sizeof *b->members);
        memset(b->members, 0, SP_BATCH_MAX * sizeof *b->members);
    }
    return b;
}

static void batch_free(sp_batch *b) {
    if (b == NULL) return;
    sp_runtime_release(b);
    for (size_t i = 0; b->members && i < SP_BATCH_MAX; i++) sp_members_free(&b->members[i]);
    free(b->members);
    free(b->fails);
    free(b->ins);
    free(b->msgs);
    free(b);
}

int sp_stage_main(const sp_stage_def *def, int argc, char **argv) {
    sp_runtime rt;
    struct sigaction sa;
    int rc;

    memset(&rt, 0, sizeof rt);
    rt.def = def;
    sp_log_init(def->name);
    rc = sp_config_parse(&rt.cfg, def, argc, argv);
    if (rc >= 0) {
        sp_config_free(&rt.cfg);
        return rc;
    }
    if (def->direct && (rc = def->direct()) >= 0) {
        sp_config_free(&rt.cfg);
        return rc;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    stdio_mode = rt.cfg.stdio;
    if (def->init && (rc = def->init(&rt.state)) != 0) {
        sp_config_free(&rt.cfg);
        return rc;
    }
    if (sp_metrics_start(def->name, (const char *const *)def->outputs, rt.cfg.n_outputs,
                         rt.cfg.metrics_addr, rt.cfg.metrics_port) != 0) {
        rc = SP_EXIT_CONFIG;
    } else {
        /* the second only where two batches overlap (--stdio) */
        for (int k = 0; k < (rt.cfg.stdio ? 2 : 1); k++) rt.batches[k] = batch_new(def->raw);
        rc = rt.cfg.stdio ? sp_run_stdio(&rt) : sp_run_kafka(&rt);
    }
    sp_metrics_stop();
    sp_outbox_clear(&rt.out);
    free(rt.out.v);
    for (int k = 0; k < 2; k++) batch_free(rt.batches[k]);
    if (def->fini) def->fini(rt.state);
    sp_config_free(&rt.cfg);
    return rc;
}
