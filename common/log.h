/* log.h — structured JSON logs on stderr.
 *
 * Every line is one JSON object: {"ts":..., "level":..., "service":...,
 * "event":..., "msg":...} plus optional key/value fields, so logs can be
 * shipped and queried without parsing prose. */
#ifndef SP_LOG_H
#define SP_LOG_H

#include <jansson.h>

typedef enum { SP_LOG_DEBUG, SP_LOG_INFO, SP_LOG_WARN, SP_LOG_ERROR } sp_log_level;

void sp_log_init(const char *service);
int sp_log_set_level(const char *name); /* 0 ok, -1 unknown name */
int sp_log_enabled(sp_log_level level);

/* Log `event` with a printf-style message. */
void sp_log(sp_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like sp_log, with extra fields taken from `fields` (a JSON object, stolen). */
void sp_logj(sp_log_level level, const char *event, json_t *fields, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
