/* redis.h — connecting to Redis from a redis:// URL
 * (redis://[:password@]host[:port][/db]), with AUTH and SELECT done; and
 * reading a server setting. */
#ifndef SP_REDIS_H
#define SP_REDIS_H

#include <hiredis/hiredis.h>

/* Connect; NULL (after a log line) when the URL is bad or Redis is down. */
redisContext *sp_redis_connect(const char *url);

/* A numeric server setting (CONFIG GET name), or `dflt` when CONFIG is
 * refused (a managed Redis) or the server does not know the name. */
long long sp_redis_config_int(redisContext *c, const char *name, long long dflt);

/* The next reply when it is an integer: 0, and its value in *value. When
 * it is something else: 1, and the reply in *other (free it). -1 when the
 * connection failed. Like redisGetReply() (what is buffered to send is
 * sent when no reply has arrived yet), but a one-digit integer already read
 * from the connection (":0\r\n", ":1\r\n": HSETNX's answers, most of
 * what the deduper reads) is taken from hiredis's buffer with no reply
 * object made and freed. */
int sp_redis_get_integer(redisContext *c, long long *value, redisReply **other);

/* 1 if `url` parses as a redis:// URL, else 0. */
int sp_redis_url_valid(const char *url);

#endif
