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

/* 1 if `url` parses as a redis:// URL, else 0. */
int sp_redis_url_valid(const char *url);

#endif
