/* test_redis.c — sp_redis_get_integer (common/redis.c) against a real
 * redis-server this test starts on a free port (scripts/redis.sh) and
 * stops at the end: every answer of a long pipeline read back in order,
 * whichever way it is read (one-digit integers from hiredis's buffer, the
 * others through redisGetReply); integers of more than one digit and below
 * 0; a reply that is not an integer handed back (a string, nil, an error),
 * and the ones after it still right; hiredis's buffer not growing with the
 * replies read from it; a connection gone: -1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "redis.h"
#include "redis_server.h"

static int setup(void **state) {
    (void)state;
    return redis_server_start("redis");
}

static int teardown(void **state) {
    (void)state;
    return redis_server_stop();
}

static redisContext *connect_flushed(void) {
    redisContext *c = sp_redis_connect(redis_url);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "FLUSHALL");
    assert_non_null(r);
    freeReplyObject(r);
    return c;
}

/* The next reply is the integer want. */
static void expect_integer(redisContext *c, long long want) {
    long long v = want + 1;
    redisReply *other = NULL;
    assert_int_equal(sp_redis_get_integer(c, &v, &other), 0);
    assert_null(other);
    assert_int_equal(v, want);
}

/* The next reply is not an integer: handed back, of type `type`. */
static void expect_other(redisContext *c, int type, const char *str) {
    long long v;
    redisReply *r = NULL;
    assert_int_equal(sp_redis_get_integer(c, &v, &r), 1);
    assert_non_null(r);
    assert_int_equal(r->type, type);
    if (str) assert_string_equal(r->str, str);
    freeReplyObject(r);
}

/* 20,000 HSETNX in one pipeline, each field twice in a row: 1, 0, 1, 0,
 * ... read back in order. Far more bytes than one read of the socket, and
 * than the 1024 after which hiredis drops what was read from its buffer. */
static void test_pipeline(void **state) {
    (void)state;
    redisContext *c = connect_flushed();
    enum { N = 20000 };
    for (int i = 0; i < N; i++) redisAppendCommand(c, "HSETNX h f%d v", i / 2);
    for (int i = 0; i < N; i++) {
        expect_integer(c, i % 2 ? 0 : 1);
        assert_true(c->reader->pos <= c->reader->len);
        assert_true(c->reader->pos < 1024 + 4); /* the buffer does not keep what was read */
    }
    redisFree(c);
}

/* Integers of more than one digit and below 0, a status, a string, nil and
 * an error among one-digit integers: each read right, in order. */
static void test_mixed(void **state) {
    (void)state;
    redisContext *c = connect_flushed();
    redisAppendCommand(c, "SET n 7");         /* +OK */
    redisAppendCommand(c, "INCR n");          /* 8: one digit */
    redisAppendCommand(c, "INCRBY n 12345");  /* 12353 */
    redisAppendCommand(c, "INCRBY n -20000"); /* -7647 */
    redisAppendCommand(c, "GET n");           /* a string */
    redisAppendCommand(c, "GET none");        /* nil */
    redisAppendCommand(c, "HSETNX n f v");    /* an error: n is a string */
    redisAppendCommand(c, "EXISTS n");        /* 1 */
    redisAppendCommand(c, "EXISTS none");     /* 0 */
    expect_other(c, REDIS_REPLY_STATUS, "OK");
    expect_integer(c, 8);
    expect_integer(c, 12353);
    expect_integer(c, -7647);
    expect_other(c, REDIS_REPLY_STRING, "-7647");
    expect_other(c, REDIS_REPLY_NIL, NULL);
    expect_other(c, REDIS_REPLY_ERROR, NULL);
    expect_integer(c, 1);
    expect_integer(c, 0);
    redisFree(c);
}

/* The server gone: -1, not a value. */
static void test_connection_gone(void **state) {
    (void)state;
    redisContext *c = connect_flushed();
    redisReply *r = redisCommand(c, "CLIENT KILL SKIPME no");
    if (r) freeReplyObject(r);
    long long v;
    redisAppendCommand(c, "EXISTS x");
    assert_int_equal(sp_redis_get_integer(c, &v, &r), -1);
    assert_null(r);
    redisFree(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_connection_gone),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
