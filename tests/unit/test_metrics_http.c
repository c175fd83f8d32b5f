/* test_metrics_http.c — the metrics HTTP endpoint (common/metrics.c) on a
 * real port of 127.0.0.1: GET /metrics (200, Prometheus content type and
 * text), /healthz (200, 503 once the heartbeat is over 60 s old), /readyz
 * (503 until sp_stats.ready is set, then 200), anything else 404, POST 405;
 * a busy port or a bad address makes sp_metrics_start fail; after
 * sp_metrics_stop nothing listens and the endpoint can be started again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "metrics.h"
#include "util.h"

static const char *const outputs[] = {"clean"};

/* A port that was free a moment ago (bind 127.0.0.1:0, read it, close). */
static int free_port(void) {
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    assert_true(fd >= 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    port = ntohs(sin.sin_port);
    close(fd);
    return port;
}

/* Start on a free port (retrying if someone took it meanwhile). */
static int start(void) {
    for (int i = 0; i < 20; i++) {
        int port = free_port();
        if (sp_metrics_start("x", outputs, 1, "127.0.0.1", port) == 0) return port;
    }
    fail_msg("could not start the metrics endpoint");
    return -1;
}

typedef struct reply {
    long status;
    CURLcode rc;
    char body[65536];
    size_t len;
    char ctype[128];
} reply;

static size_t on_body(char *p, size_t size, size_t n, void *arg) {
    reply *r = arg;
    size_t len = size * n, room = sizeof r->body - 1 - r->len;
    memcpy(r->body + r->len, p, len < room ? len : room);
    r->len += len < room ? len : room;
    r->body[r->len] = '\0';
    return len;
}

static void request(int port, const char *method, const char *path, reply *r) {
    char url[128];
    char *ct = NULL;
    CURL *c = curl_easy_init();
    assert_non_null(c);
    memset(r, 0, sizeof *r);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (strcmp(method, "HEAD") == 0) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "POST") == 0) curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x=1");
    r->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
        snprintf(r->ctype, sizeof r->ctype, "%s", ct);
    curl_easy_cleanup(c);
}

static long get_status(int port, const char *path) {
    reply r;
    request(port, "GET", path, &r);
    if (r.rc != CURLE_OK) fail_msg("GET %s: %s", path, curl_easy_strerror(r.rc));
    return r.status;
}

static int group_setup(void **state) {
    (void)state;
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    curl_global_cleanup();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    sp_metrics_stop();
    atomic_store(&sp_stats.ready, 0);
    return 0;
}

static void test_metrics_endpoint(void **state) {
    reply r;
    int port;
    (void)state;
    port = start();
    atomic_store(&sp_stats.produced[0], 11);
    request(port, "GET", "/metrics", &r);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.ctype, "text/plain"));
    assert_non_null(strstr(r.ctype, "version=0.0.4"));
    assert_non_null(strstr(r.body, "# TYPE storypipe_dead_letters_total counter\n"));
    assert_non_null(strstr(r.body, "storypipe_messages_produced_total{stage=\"x\",output=\"clean\"} 11\n"));

    request(port, "HEAD", "/metrics", &r);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);
}

static void test_healthz(void **state) {
    reply r;
    int port;
    (void)state;
    port = start(); /* sets the heartbeat to now */
    request(port, "GET", "/healthz", &r);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok\n");
    atomic_store(&sp_stats.heartbeat_ms, sp_mono_ms() - 61000);
    request(port, "GET", "/healthz", &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.body, "stalled\n");
    atomic_store(&sp_stats.heartbeat_ms, sp_mono_ms());
    assert_int_equal(get_status(port, "/healthz"), 200);
}

static void test_readyz(void **state) {
    reply r;
    int port;
    (void)state;
    atomic_store(&sp_stats.ready, 0);
    port = start();
    request(port, "GET", "/readyz", &r);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.body, "starting\n");
    atomic_store(&sp_stats.ready, 1);
    request(port, "GET", "/readyz", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ready\n");
}

static void test_not_found_and_method(void **state) {
    reply r;
    int port;
    (void)state;
    port = start();
    assert_int_equal(get_status(port, "/nope"), 404);
    assert_int_equal(get_status(port, "/"), 404);
    assert_int_equal(get_status(port, "/metrics/extra"), 404);
    request(port, "POST", "/metrics", &r);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 405);
}

static void test_stop_and_restart(void **state) {
    reply r;
    int port;
    (void)state;
    port = start();
    assert_int_equal(get_status(port, "/healthz"), 200);
    sp_metrics_stop();
    request(port, "GET", "/healthz", &r);
    assert_int_equal(r.rc, CURLE_COULDNT_CONNECT);
    sp_metrics_stop(); /* twice is harmless */
    assert_int_equal(sp_metrics_start("x", outputs, 1, "127.0.0.1", port), 0);
    assert_int_equal(get_status(port, "/healthz"), 200);
}

static void test_start_failures(void **state) {
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    int fd, one = 1;
    (void)state;
    assert_int_equal(sp_metrics_start("x", outputs, 1, "not-an-address", free_port()), -1);
    assert_int_equal(sp_metrics_start("x", outputs, 1, "::1", free_port()), -1); /* IPv4 only */
    /* a port someone else listens on */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    assert_int_equal(sp_metrics_start("x", outputs, 1, "127.0.0.1", ntohs(sin.sin_port)), -1);
    close(fd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_metrics_endpoint, teardown),
        cmocka_unit_test_teardown(test_healthz, teardown),
        cmocka_unit_test_teardown(test_readyz, teardown),
        cmocka_unit_test_teardown(test_not_found_and_method, teardown),
        cmocka_unit_test_teardown(test_stop_and_restart, teardown),
        cmocka_unit_test_teardown(test_start_failures, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
