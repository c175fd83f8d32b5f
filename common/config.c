/* config.c — flags, environment and defaults for a stage (see config.h). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "log.h"
#include "url.h"
#include "util.h"
#include "version.h"

enum {
    OPT_GROUP = 1000, OPT_PREFIX, OPT_DELIVERY, OPT_INSTANCE, OPT_BATCH, OPT_BATCH_MS,
    OPT_INFLIGHT, OPT_MAXBYTES, OPT_PARTITIONS, OPT_NO_CREATE, OPT_STDIO, OPT_DLQ_FILE,
    OPT_METRICS_PORT, OPT_METRICS_ADDR, OPT_LOG_LEVEL, OPT_INPUT, OPT_OUTPUT, OPT_DLQ_TOPIC,
    OPT_TXN_TIMEOUT, OPT_URL_TRACKING, OPT_SIDE_FILE, OPT_SERVICE = 2000
};

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

int sp_parse_int(const char *s, long min, long max, long *out) {
    char *end;
    long v;
    if (s == NULL || *s == '\0') return -1;
    v = strtol(s, &end, 10);
    if (*end != '\0' || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int sp_config_add_prop(sp_config *cfg, const char *kv) {
    const char *eq = strchr(kv, '=');
    char scope = 'b';
    if (eq == NULL || cfg->n_props >= SP_MAX_PROPS) return -1;
    if (strncmp(kv, "consumer.", 9) == 0) { scope = 'c'; kv += 9; }
    else if (strncmp(kv, "producer.", 9) == 0) { scope = 'p'; kv += 9; }
    if (eq <= kv) return -1; /* no key, with or without a scope */
    cfg->props[cfg->n_props].scope = scope;
    cfg->props[cfg->n_props].key = sp_xstrndup(kv, (size_t)(eq - kv));
    cfg->props[cfg->n_props].value = eq + 1;
    cfg->n_props++;
    return 0;
}

static int bad(const char *what, const char *val) {
    fprintf(stderr, "storypipe: invalid %s: '%s' (see --help)\n", what, val ? val : "");
    return SP_EXIT_USAGE;
}

/* Read an integer env var into *out when set; non-zero (after a message) when invalid. */
static int env_int(const char *name, long min, long max, int *out) {
    const char *e = getenv(name);
    long v;
    if (e == NULL || *e == '\0') return 0;
    if (sp_parse_int(e, min, max, &v)) return bad(name, e);
    *out = (int)v;
    return 0;
}

static char *topic_name(const char *prefix, const char *name) {
    size_t n = strlen(prefix) + strlen(name) + 1;
    char *t = sp_xmalloc(n);
    snprintf(t, n, "%s%s", prefix, name);
    return t;
}

static void usage(const sp_stage_def *def, FILE *f) {
    char upper[32];
    size_t i;
    for (i = 0; def->name[i] && i < sizeof upper - 1; i++)
        upper[i] = (char)(def->name[i] >= 'a' && def->name[i] <= 'z' ? def->name[i] - 32 : def->name[i]);
    upper[i] = '\0';
    fprintf(f,
        "Usage: storypipe-%s [OPTIONS]\n"
        "%s\n\n"
        "Consumes <prefix>%s, produces", def->name, def->summary, def->input);
    for (i = 0; i < SP_MAX_OUTPUTS && def->outputs[i]; i++) fprintf(f, " <prefix>%s", def->outputs[i]);
    fprintf(f, " and <prefix>dlq.\n\n"
        "Kafka:\n"
        "  -b, --brokers LIST        bootstrap servers [STORYPIPE_BROKERS, 127.0.0.1:9092]\n"
        "  -g, --group ID            consumer group [STORYPIPE_%s_GROUP or STORYPIPE_GROUP,\n"
        "                            storypipe-%s]\n"
        "      --topic-prefix P      topic name prefix [STORYPIPE_TOPIC_PREFIX, news.]\n"
        "      --input-topic T       override the input topic name\n"
        "      --output-topic T      override the (first) output topic name\n"
        "      --dlq-topic T         override the dead-letter topic name\n"
        "      --delivery MODE       exactly-once | at-least-once [STORYPIPE_DELIVERY,\n"
        "                            exactly-once]\n"
        "      --instance-id ID      stable id of this instance, part of the transactional.id;\n"
        "                            give each instance on one host its own\n"
        "                            [STORYPIPE_INSTANCE_ID, the host name]\n"
        "      --batch-size N        most inputs per transaction [STORYPIPE_BATCH_SIZE, 10000]\n"
        "      --batch-ms MS         longest a transaction stays open [STORYPIPE_BATCH_MS, 100]\n"
        "      --transaction-timeout-ms MS  [STORYPIPE_TRANSACTION_TIMEOUT_MS, 60000]\n"
        "      --max-in-flight N     inputs awaiting acknowledgement before consuming\n"
        "                            pauses (at-least-once) [STORYPIPE_MAX_IN_FLIGHT, 10000]\n"
        "      --partitions N        partitions for topics this stage creates [STORYPIPE_PARTITIONS, 6]\n"
        "      --no-create-topics    do not create missing topics at start\n"
        "  -X KEY=VALUE              librdkafka property for both clients; prefix the key with\n"
        "                            consumer. or producer. for one only (repeatable)\n"
        "Input:\n"
        "      --max-message-bytes N larger inputs are dead-lettered (too_large)\n"
        "                            [STORYPIPE_MAX_MESSAGE_BYTES, 16777216]\n"
        "      --stdio               run as a filter: JSON Lines on stdin -> stdout, no Kafka\n"
        "      --dlq-file FILE       --stdio: dead letters go here, not to stderr\n"
        "                            (this and each --OUTPUT-file: a FILE is emptied first;\n"
        "                            /dev/fd/N is descriptor N as given, written from where it\n"
        "                            stands, not emptied)\n",
        upper, def->name);
    for (i = 1; i < SP_MAX_OUTPUTS && def->outputs[i]; i++)
        fprintf(f, "      --%s-file FILE%*s--stdio: where %s go (default: dropped, counted)\n",
                def->outputs[i], (int)(12 - strlen(def->outputs[i])), "", def->outputs[i]);
    fprintf(f,
        "Operations:\n"
        "      --metrics-port PORT   serve /metrics, /healthz on PORT (0: off)\n"
        "                            [STORYPIPE_METRICS_PORT, 0]\n"
        "      --metrics-addr ADDR   [STORYPIPE_METRICS_ADDR, 0.0.0.0]\n"
        "      --log-level LEVEL     debug|info|warn|error [STORYPIPE_LOG_LEVEL, info]\n"
        "URLs:\n"
        "      --url-tracking LIST   query parameters that are tracking, beyond utm_*, fbclid,\n"
        "                            gclid and the like: name or name@host, comma-separated\n"
        "                            [STORYPIPE_URL_TRACKING, " SP_URL_TRACKING_DEFAULT "]\n"
        "  -h, --help                this help\n"
        "  -V, --version             print the version\n");
    if (def->options && def->options[0].name) {
        fprintf(f, "Service:\n");
        for (const sp_option *o = def->options; o->name; o++) {
            char left[64];
            snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
            fprintf(f, "      %-22s%s", left, o->help);
            if (o->env) fprintf(f, " [%s%s%s]", o->env, *o->value ? ", " : "", *o->value ? *o->value : "");
            fputc('\n', f);
        }
    }
    if (def->usage_extra) fputs(def->usage_extra, f);
    fprintf(f,
        "\nLogs are JSON lines on stderr. Exit codes: 0 ok, 64 usage, 65 --stdio input was\n"
        "dead-lettered, 69 a dependency unavailable, 70 fatal error, 78 bad configuration.\n");
}

int sp_config_parse(sp_config *cfg, const sp_stage_def *def, int argc, char **argv) {
    static const struct option base[] = {
        {"brokers", required_argument, 0, 'b'}, {"group", required_argument, 0, 'g'},
        {"topic-prefix", required_argument, 0, OPT_PREFIX},
        {"delivery", required_argument, 0, OPT_DELIVERY},
        {"instance-id", required_argument, 0, OPT_INSTANCE},
        {"batch-size", required_argument, 0, OPT_BATCH},
        {"batch-ms", required_argument, 0, OPT_BATCH_MS},
        {"transaction-timeout-ms", required_argument, 0, OPT_TXN_TIMEOUT},
        {"max-in-flight", required_argument, 0, OPT_INFLIGHT},
        {"max-message-bytes", required_argument, 0, OPT_MAXBYTES},
        {"partitions", required_argument, 0, OPT_PARTITIONS},
        {"no-create-topics", no_argument, 0, OPT_NO_CREATE},
        {"input-topic", required_argument, 0, OPT_INPUT},
        {"output-topic", required_argument, 0, OPT_OUTPUT},
        {"dlq-topic", required_argument, 0, OPT_DLQ_TOPIC},
        {"stdio", no_argument, 0, OPT_STDIO}, {"dlq-file", required_argument, 0, OPT_DLQ_FILE},
        {"metrics-port", required_argument, 0, OPT_METRICS_PORT},
        {"metrics-addr", required_argument, 0, OPT_METRICS_ADDR},
        {"log-level", required_argument, 0, OPT_LOG_LEVEL},
        {"url-tracking", required_argument, 0, OPT_URL_TRACKING},
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'},
    };
    const size_t nbase = sizeof base / sizeof base[0];
    struct option longopts[64];
    char side_names[SP_MAX_OUTPUTS][48];
    size_t n = 0, nsvc = 0;
    const char *group_env, *delivery, *input = NULL, *output = NULL, *dlq = NULL;
    const char *log_level, *tracking;
    char envname[64], hostname[256];
    long v;
    int c, i;

    memset(cfg, 0, sizeof *cfg);
    memcpy(longopts, base, sizeof base);
    n = nbase;
    for (i = 1; i < SP_MAX_OUTPUTS && def->outputs[i]; i++) {
        snprintf(side_names[i], sizeof side_names[i], "%s-file", def->outputs[i]);
        longopts[n++] = (struct option){side_names[i], required_argument, 0, OPT_SIDE_FILE + 100 * i};
    }
    if (def->options) {
        for (const sp_option *o = def->options; o->name; o++, nsvc++) {
            if (o->env && getenv(o->env) && *getenv(o->env)) *o->value = getenv(o->env);
            longopts[n++] = (struct option){o->name, o->arg ? required_argument : no_argument, 0,
                                            OPT_SERVICE + (int)nsvc};
        }
    }
    longopts[n] = (struct option){0, 0, 0, 0};

    snprintf(envname, sizeof envname, "STORYPIPE_%s_GROUP", def->name);
    for (char *p = envname; *p; p++) if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 32);
    group_env = getenv(envname);
    cfg->brokers = env_or("STORYPIPE_BROKERS", "127.0.0.1:9092");
    cfg->group = group_env && *group_env ? group_env : env_or("STORYPIPE_GROUP", NULL);
    cfg->prefix = env_or("STORYPIPE_TOPIC_PREFIX", "news.");
    delivery = env_or("STORYPIPE_DELIVERY", "exactly-once");
    cfg->instance_id = env_or("STORYPIPE_INSTANCE_ID", NULL);
    cfg->dlq_file = NULL;
    cfg->metrics_addr = env_or("STORYPIPE_METRICS_ADDR", "0.0.0.0");
    log_level = env_or("STORYPIPE_LOG_LEVEL", "info");
    tracking = env_or("STORYPIPE_URL_TRACKING", NULL);
    cfg->batch_size = 10000; /* --batch-ms bounds a busy stage's transactions first */
    cfg->batch_ms = 100;
    cfg->max_in_flight = 10000;
    cfg->max_message_bytes = 16u << 20;
    cfg->partitions = 6;
    cfg->create_topics = 1;
    cfg->transaction_timeout_ms = 60000;
    if (env_int("STORYPIPE_BATCH_SIZE", 1, 1000000, &cfg->batch_size) ||
        env_int("STORYPIPE_BATCH_MS", 1, 3600000, &cfg->batch_ms) ||
        env_int("STORYPIPE_MAX_IN_FLIGHT", 1, 10000000, &cfg->max_in_flight) ||
        env_int("STORYPIPE_PARTITIONS", 1, 10000, &cfg->partitions) ||
        env_int("STORYPIPE_METRICS_PORT", 0, 65535, &cfg->metrics_port) ||
        env_int("STORYPIPE_TRANSACTION_TIMEOUT_MS", 1000, 900000, &cfg->transaction_timeout_ms))
        return SP_EXIT_USAGE;
    {
        const char *e = getenv("STORYPIPE_MAX_MESSAGE_BYTES");
        if (e && *e) {
            if (sp_parse_int(e, 1, 1L << 31, &v)) return bad("STORYPIPE_MAX_MESSAGE_BYTES", e);
            cfg->max_message_bytes = (size_t)v;
        }
    }

    optind = 0; /* 0, not 1: glibc then also forgets a half-read "-hV" */
    while ((c = getopt_long(argc, argv, "b:g:X:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': cfg->brokers = optarg; break;
        case 'g': cfg->group = optarg; break;
        case 'X': if (sp_config_add_prop(cfg, optarg)) return bad("-X property (want key=value)", optarg); break;
        case OPT_PREFIX: cfg->prefix = optarg; break;
        case OPT_DELIVERY: delivery = optarg; break;
        case OPT_INSTANCE: cfg->instance_id = optarg; break;
        case OPT_BATCH: if (sp_parse_int(optarg, 1, 1000000, &v)) return bad("--batch-size", optarg); cfg->batch_size = (int)v; break;
        case OPT_BATCH_MS: if (sp_parse_int(optarg, 1, 3600000, &v)) return bad("--batch-ms", optarg); cfg->batch_ms = (int)v; break;
        case OPT_TXN_TIMEOUT: if (sp_parse_int(optarg, 1000, 900000, &v)) return bad("--transaction-timeout-ms", optarg); cfg->transaction_timeout_ms = (int)v; break;
        case OPT_INFLIGHT: if (sp_parse_int(optarg, 1, 10000000, &v)) return bad("--max-in-flight", optarg); cfg->max_in_flight = (int)v; break;
        case OPT_MAXBYTES: if (sp_parse_int(optarg, 1, 1L << 31, &v)) return bad("--max-message-bytes", optarg); cfg->max_message_bytes = (size_t)v; break;
        case OPT_PARTITIONS: if (sp_parse_int(optarg, 1, 10000, &v)) return bad("--partitions", optarg); cfg->partitions = (int)v; break;
        case OPT_NO_CREATE: cfg->create_topics = 0; break;
        case OPT_INPUT: input = optarg; break;
        case OPT_OUTPUT: output = optarg; break;
        case OPT_DLQ_TOPIC: dlq = optarg; break;
        case OPT_STDIO: cfg->stdio = 1; break;
        case OPT_DLQ_FILE: cfg->dlq_file = optarg; break;
        case OPT_METRICS_PORT: if (sp_parse_int(optarg, 0, 65535, &v)) return bad("--metrics-port", optarg); cfg->metrics_port = (int)v; break;
        case OPT_METRICS_ADDR: cfg->metrics_addr = optarg; break;
        case OPT_LOG_LEVEL: log_level = optarg; break;
        case OPT_URL_TRACKING: tracking = optarg; break;
        case 'h': usage(def, stdout); return SP_EXIT_OK;
        case 'V': printf("storypipe-%s %s (librdkafka %s, jansson %s)\n", def->name, STORYPIPE_VERSION,
                         rd_kafka_version_str(), JANSSON_VERSION);
                  return SP_EXIT_OK;
        default:
            if (c >= OPT_SERVICE && c < OPT_SERVICE + (int)nsvc) {
                *def->options[c - OPT_SERVICE].value = optarg ? optarg : "1";
            } else if (c >= OPT_SIDE_FILE && c < OPT_SIDE_FILE + 100 * SP_MAX_OUTPUTS) {
                cfg->side_files[(c - OPT_SIDE_FILE) / 100] = optarg;
            } else {
                fprintf(stderr, "Try 'storypipe-%s --help'.\n", def->name);
                return SP_EXIT_USAGE;
            }
        }
    }
    if (optind < argc) return bad("argument", argv[optind]);
    if (sp_log_set_level(log_level)) return bad("--log-level", log_level);
    if (tracking && sp_url_set_tracking(tracking) != 0) return bad("--url-tracking", tracking);
    if (strcmp(delivery, "exactly-once") == 0) cfg->exactly_once = 1;
    else if (strcmp(delivery, "at-least-once") == 0) cfg->exactly_once = 0;
    else return bad("--delivery", delivery);

    if (cfg->exactly_once && cfg->batch_ms * 2 > cfg->transaction_timeout_ms) {
        fprintf(stderr, "storypipe: --batch-ms %d must be at most half of --transaction-timeout-ms %d, "
                        "or every transaction times out\n", cfg->batch_ms, cfg->transaction_timeout_ms);
        return SP_EXIT_USAGE;
    }
    if (cfg->group == NULL) {
        static char groupbuf[64];
        snprintf(groupbuf, sizeof groupbuf, "storypipe-%s", def->name);
        cfg->group = groupbuf;
    }
    if (cfg->instance_id == NULL) {
        static char inst[256];
        if (gethostname(hostname, sizeof hostname) != 0) strcpy(hostname, "local");
        hostname[sizeof hostname - 1] = '\0';
        snprintf(inst, sizeof inst, "%s", hostname);
        cfg->instance_id = inst;
    }
    cfg->input_topic = input ? sp_xstrdup(input) : topic_name(cfg->prefix, def->input);
    for (i = 0; i < SP_MAX_OUTPUTS && def->outputs[i]; i++)
        cfg->output_topics[i] = i == 0 && output ? sp_xstrdup(output) : topic_name(cfg->prefix, def->outputs[i]);
    cfg->n_outputs = i;
    cfg->dlq_topic = dlq ? sp_xstrdup(dlq) : topic_name(cfg->prefix, "dlq");
    return -1;
}

void sp_config_free(sp_config *cfg) {
    free(cfg->input_topic);
    for (int i = 0; i < cfg->n_outputs; i++) free(cfg->output_topics[i]);
    free(cfg->dlq_topic);
    for (int i = 0; i < cfg->n_props; i++) free((char *)cfg->props[i].key);
}
