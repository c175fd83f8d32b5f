/* log.c — structured JSON logs on stderr (see log.h). */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static const char *log_service = "storypipe";
static sp_log_level log_min = SP_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *level_names[] = {"debug", "info", "warn", "error"};

void sp_log_init(const char *service) { log_service = service; }

int sp_log_set_level(const char *name) {
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            log_min = (sp_log_level)i;
            return 0;
        }
    }
    return -1;
}

int sp_log_enabled(sp_log_level level) { return level >= log_min; }

static void log_emit(sp_log_level level, const char *event, json_t *fields, const char *fmt,
                     va_list ap) {
    char msg[1024];
    char ts[40];
    json_t *o;
    char *line;

    if (level < log_min) {
        json_decref(fields);
        return;
    }
    vsnprintf(msg, sizeof msg, fmt, ap);
    sp_now_rfc3339(ts, sizeof ts);
    o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "ts", ts, "level", level_names[level],
                  "service", log_service, "event", event, "msg", msg);
    if (o == NULL) { /* msg was not valid UTF-8: keep the line, lose the text */
        o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "ts", ts, "level", level_names[level],
                      "service", log_service, "event", event, "msg", "(unprintable)");
    }
    if (fields) json_object_update_missing(o, fields);
    json_decref(fields);
    line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    if (line == NULL) return;
    pthread_mutex_lock(&log_lock);
    fputs(line, stderr);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
    free(line);
}

void sp_log(sp_log_level level, const char *event, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    log_emit(level, event, NULL, fmt, ap);
    va_end(ap);
}

void sp_logj(sp_log_level level, const char *event, json_t *fields, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    log_emit(level, event, fields, fmt, ap);
    va_end(ap);
}
