/* redis_server.h — a real redis-server for the unit tests that need one
 * (test_redis.c, deduper/test_decide.c): started on a free loopback port by
 * scripts/redis.sh in the group's setup, stopped and its directory removed
 * in the teardown. Header-only (static), as each test is one file. */
#ifndef SP_TEST_REDIS_SERVER_H
#define SP_TEST_REDIS_SERVER_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char redis_dir[256], redis_url[128], redis_script[4096];
static int redis_port;

/* scripts/redis.sh ARGS: fmt has a %s for the script and one for arg; the
 * first line it prints into out (cap bytes), when out is not NULL. */
static void redis_sh(const char *fmt, const char *arg, char *out, size_t cap) {
    char cmd[8192];
    FILE *p;
    snprintf(cmd, sizeof cmd, fmt, redis_script, arg);
    p = popen(cmd, "r");
    assert_non_null(p);
    if (out) {
        out[0] = '\0';
        if (fgets(out, (int)cap, p) == NULL) out[0] = '\0';
    }
    pclose(p);
}

/* A group setup: the server started, redis_url and redis_port set; `name`
 * names its directory (/tmp/storypipe-test-NAME.PID). */
static int redis_server_start(const char *name) {
    const char *src = getenv("STORYPIPE_SOURCE");
    char out[64];
    snprintf(redis_script, sizeof redis_script, "%s/scripts/redis.sh", src && *src ? src : ".");
    snprintf(redis_dir, sizeof redis_dir, "/tmp/storypipe-test-%s.%d", name, (int)getpid());
    redis_sh("%s start %s", redis_dir, out, sizeof out);
    redis_port = atoi(out);
    if (redis_port <= 0) fprintf(stderr, "could not start redis-server with %s\n", redis_script);
    assert_true(redis_port > 0);
    snprintf(redis_url, sizeof redis_url, "redis://127.0.0.1:%d/0", redis_port);
    return 0;
}

/* A group teardown: the server stopped, its directory removed. */
static int redis_server_stop(void) {
    char cmd[512];
    redis_sh("%s stop %s", redis_dir, NULL, 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", redis_dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
