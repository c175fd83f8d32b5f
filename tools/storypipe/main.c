/* storypipe — the operator's command line.
 *
 *   storypipe broker    an embedded Kafka broker (librdkafka's mock cluster)
 *                       for the zero-dependency demo
 *   storypipe topics    create the pipeline's topics
 *   storypipe produce   JSON Lines from stdin into a topic
 *   storypipe consume   a topic's messages to stdout as JSON Lines
 *   storypipe replay    reset a stage's consumer group to reprocess a topic
 *   storypipe sources   the fetcher's sources on news.sources: add, list, remove
 *   storypipe ingest    local files (text, HTML, .eml) into news.sources
 *   storypipe seen      the deduper's seen-state in Redis: stats, lookup, forget
 *
 * Each subcommand lives in its own file; this one only dispatches. */
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "cli.h"
#include "log.h"
#include "stage.h"
#include "version.h"

int cmd_seen(int argc, char **argv); /* seen.c: Redis, not Kafka, so not in cli.h */

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"broker", cmd_broker, "run an embedded Kafka broker for demos (not for production)"},
    {"topics", cmd_topics, "create the pipeline's topics"},
    {"produce", cmd_produce, "send JSON Lines from stdin to a topic"},
    {"consume", cmd_consume, "print a topic's messages as JSON Lines"},
    {"replay", cmd_replay, "reset a consumer group's offsets to reprocess a topic"},
    {"sources", cmd_sources, "the fetcher's sources: add (JSON Lines), list, remove"},
    {"ingest", cmd_ingest, "send local files (text, HTML, .eml) to the pipeline as sources"},
    {"seen", cmd_seen, "the deduper's seen-state in Redis: stats, lookup URL, forget URL"},
};

static void usage(FILE *f) {
    fprintf(f, "Usage: storypipe COMMAND [OPTIONS]\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'storypipe COMMAND --help' for a command's options.\n"
               "Common environment: STORYPIPE_BROKERS, STORYPIPE_TOPIC_PREFIX (seen: STORYPIPE_REDIS_URL).\n"
               "Exit codes: 0 ok, 64 usage, 69 broker (seen: Redis) unreachable, 70 fatal error.\n");
}

int main(int argc, char **argv) {
    sp_log_init("storypipe");
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SP_EXIT_USAGE : SP_EXIT_OK;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("storypipe %s (librdkafka %s)\n", STORYPIPE_VERSION, rd_kafka_version_str());
        return SP_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "storypipe: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return SP_EXIT_USAGE;
}
