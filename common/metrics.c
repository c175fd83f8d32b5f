/* metrics.c — counters and the /metrics, /healthz, /readyz endpoint
 * (see metrics.h). */
#include "metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "util.h"
#include "version.h"

sp_metrics sp_stats;

/* The reason codes the runtime itself produces get their own series;
 * anything a transform invents is counted under "other". */
static const char *const known_reasons[SP_METRICS_REASONS] = {
    "empty", "too_large", "invalid_utf8", "invalid_json", "not_object", "missing_field",
    "wrong_type", "unknown_schema_version", "transform_failed", "unsupported", "not_found",
    "fetch_failed", "invalid_value", "forbidden", "output_too_large", "other"};

static struct MHD_Daemon *daemon_handle;
static const char *m_stage;
static const char *const *m_outputs;
static int m_n_outputs;

void sp_metrics_dead_letter(const char *reason) {
    int i;
    atomic_fetch_add(&sp_stats.dead_letters, 1);
    for (i = 0; i < SP_METRICS_REASONS - 1; i++)
        if (known_reasons[i] && strcmp(known_reasons[i], reason) == 0) break;
    atomic_fetch_add(&sp_stats.dlq_by_reason[i], 1);
}

static char *(*m_extra)(void *arg);
static void *m_extra_arg;

void sp_metrics_extra(char *(*render)(void *arg), void *arg) {
    m_extra = render;
    m_extra_arg = arg;
}

static void counter(sp_buf *b, const char *name, const char *help, uint64_t v) {
    sp_buf_printf(b, "# HELP storypipe_%s %s\n# TYPE storypipe_%s counter\nstorypipe_%s{stage=\"%s\"} %llu\n",
                  name, help, name, name, m_stage, (unsigned long long)v);
}

char *sp_metrics_render(void) {
    sp_buf b = {0};
    int i;
    sp_buf_printf(&b, "# HELP storypipe_build_info Version of this service.\n# TYPE storypipe_build_info gauge\n"
                  "storypipe_build_info{stage=\"%s\",version=\"%s\"} 1\n", m_stage, STORYPIPE_VERSION);
    counter(&b, "messages_consumed_total", "Input messages taken from the input topic.",
            atomic_load(&sp_stats.consumed));
    sp_buf_printf(&b, "# HELP storypipe_messages_produced_total Output messages acknowledged by Kafka.\n"
                  "# TYPE storypipe_messages_produced_total counter\n");
    for (i = 0; i < m_n_outputs; i++)
        sp_buf_printf(&b, "storypipe_messages_produced_total{stage=\"%s\",output=\"%s\"} %llu\n", m_stage,
                      m_outputs[i], (unsigned long long)atomic_load(&sp_stats.produced[i]));
    sp_buf_printf(&b, "# HELP storypipe_dead_letters_total Inputs sent to the dead-letter topic, by reason.\n"
                  "# TYPE storypipe_dead_letters_total counter\n");
    for (i = 0; i < SP_METRICS_REASONS; i++)
        if (known_reasons[i])
            sp_buf_printf(&b, "storypipe_dead_letters_total{stage=\"%s\",reason=\"%s\"} %llu\n", m_stage,
                          known_reasons[i], (unsigned long long)atomic_load(&sp_stats.dlq_by_reason[i]));
    counter(&b, "transform_retries_total", "Transient transform failures retried.",
            atomic_load(&sp_stats.retries));
    counter(&b, "transactions_committed_total", "Kafka transactions committed.",
            atomic_load(&sp_stats.txn_committed));
    counter(&b, "transactions_aborted_total", "Kafka transactions aborted and rewound.",
            atomic_load(&sp_stats.txn_aborted));
    counter(&b, "rebalances_total", "Consumer group rebalances seen.", atomic_load(&sp_stats.rebalances));
    sp_buf_printf(&b, "# HELP storypipe_in_flight Inputs consumed but not yet acknowledged.\n"
                  "# TYPE storypipe_in_flight gauge\nstorypipe_in_flight{stage=\"%s\"} %lld\n",
                  m_stage, (long long)atomic_load(&sp_stats.in_flight));
    if (m_extra) { /* the stage's own series */
        char *x = m_extra(m_extra_arg);
        if (x) sp_buf_puts(&b, x);
        free(x);
    }
    return sp_buf_take(&b);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls) {
    struct MHD_Response *resp;
    enum MHD_Result ret;
    unsigned status = MHD_HTTP_OK;
    char *body;
    const char *ctype = "text/plain; charset=utf-8";
    (void)cls; (void)version; (void)upload; (void)upload_size; (void)con_cls;

    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        body = sp_xstrdup("method not allowed\n");
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
    } else if (strcmp(url, "/metrics") == 0) {
        body = sp_metrics_render();
        ctype = "text/plain; version=0.0.4; charset=utf-8";
    } else if (strcmp(url, "/healthz") == 0) {
        int64_t age = sp_mono_ms() - atomic_load(&sp_stats.heartbeat_ms);
        int ok = age < 60000;
        body = sp_xstrdup(ok ? "ok\n" : "stalled\n");
        status = ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
    } else if (strcmp(url, "/readyz") == 0) {
        int ok = atomic_load(&sp_stats.ready);
        body = sp_xstrdup(ok ? "ready\n" : "starting\n");
        status = ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
    } else {
        body = sp_xstrdup("not found\n");
        status = MHD_HTTP_NOT_FOUND;
    }
    resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", ctype);
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

int sp_metrics_start(const char *stage, const char *const *outputs, int n_outputs,
                     const char *addr, int port) {
    struct sockaddr_in sin;
    m_stage = stage;
    m_outputs = outputs;
    m_n_outputs = n_outputs;
    atomic_store(&sp_stats.heartbeat_ms, sp_mono_ms());
    if (port == 0) return 0;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
        sp_log(SP_LOG_ERROR, "metrics_failed", "--metrics-addr %s is not an IPv4 address", addr);
        return -1;
    }
    daemon_handle = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
                                     answer, NULL, MHD_OPTION_SOCK_ADDR, &sin,
                                     MHD_OPTION_CONNECTION_LIMIT, 32u, MHD_OPTION_END);
    if (daemon_handle == NULL) {
        sp_log(SP_LOG_ERROR, "metrics_failed", "cannot serve metrics on %s:%d", addr, port);
        return -1;
    }
    sp_log(SP_LOG_INFO, "metrics_listening", "serving /metrics on %s:%d", addr, port);
    return 0;
}

void sp_metrics_stop(void) {
    if (daemon_handle) MHD_stop_daemon(daemon_handle);
    daemon_handle = NULL;
}
