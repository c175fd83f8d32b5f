/* replay.c — `storypipe replay`: move a stage's consumer group back (or
 * forward) on its input topic, so that the stage reprocesses it after a fix.
 * It follows kafka-consumer-groups.sh --reset-offsets: a dry run unless
 * --execute, refused by the broker while the group has active members, and
 * every new offset clamped to the partition's range. */
#define _XOPEN_SOURCE 700 /* strptime */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "log.h"
#include "stage.h"
#include "util.h"

typedef enum { TO_EARLIEST, TO_LATEST, TO_OFFSET, SHIFT_BY, TO_TIME } target_kind;

static void usage(FILE *f) {
    fprintf(f, "Usage: storypipe replay --group G --topic T TARGET [--execute]\n"
               "Reset consumer group G's offsets on topic T, e.g. to reprocess it after a fix.\n"
               "Stop the group's instances first: the broker refuses while they run.\n\n"
               "Targets (one):\n"
               "      --to-earliest         the start of every partition\n"
               "      --to-latest           the end of every partition (skip the backlog)\n"
               "      --to-offset N         offset N in every partition\n"
               "      --shift-by N          N more (or, negative, fewer) than the committed offset\n"
               "      --to-datetime TIME    the first message at or after TIME (RFC 3339, UTC)\n"
               "      --by-duration SECS    the first message of the last SECS seconds\n"
               "Options:\n"
               "      --execute             apply the plan (without it: print the plan only)\n"
               "  -b, --brokers LIST        [STORYPIPE_BROKERS, 127.0.0.1:9092]\n"
               "  -X KEY=VALUE              librdkafka property\n"
               "  -h, --help\n"
               "Prints one line per partition: partition, committed offset, new offset.\n");
}

/* "2025-02-03T10:00:00Z" (or without the Z) -> milliseconds since the epoch. */
static int parse_time(const char *s, int64_t *ms) {
    struct tm tm;
    const char *end;
    memset(&tm, 0, sizeof tm);
    end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == NULL || (*end != '\0' && strcmp(end, "Z") != 0)) return -1;
    *ms = (int64_t)timegm(&tm) * 1000;
    return 0;
}

/* The new offsets, one per partition of `topic`, clamped to each
 * partition's [low, high]. NULL after a log line on failure. */
static rd_kafka_topic_partition_list_t *plan(rd_kafka_t *rk, const char *topic, target_kind kind,
                                             int64_t arg, rd_kafka_topic_partition_list_t **committed) {
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_topic_partition_list_t *cur, *want;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    if (err || md->topic_cnt != 1 || md->topics[0].err) {
        sp_log(SP_LOG_ERROR, "metadata_failed", "%s: %s", topic, rd_kafka_err2str(err ? err : md->topics[0].err));
        if (!err) rd_kafka_metadata_destroy(md);
        return NULL;
    }
    cur = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
        rd_kafka_topic_partition_list_add(cur, topic, md->topics[0].partitions[i].id);
    rd_kafka_metadata_destroy(md);
    if ((err = rd_kafka_committed(rk, cur, 10000))) {
        sp_log(SP_LOG_ERROR, "committed_failed", "%s", rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(cur);
        return NULL;
    }
    want = rd_kafka_topic_partition_list_copy(cur);
    if (kind == TO_TIME) {
        for (int i = 0; i < want->cnt; i++) want->elems[i].offset = arg;
        if ((err = rd_kafka_offsets_for_times(rk, want, 10000))) {
            sp_log(SP_LOG_ERROR, "offsets_for_times_failed", "%s", rd_kafka_err2str(err));
            goto fail;
        }
    }
    for (int i = 0; i < want->cnt; i++) {
        int64_t low, high, o = 0, c = cur->elems[i].offset;
        if ((err = rd_kafka_query_watermark_offsets(rk, topic, want->elems[i].partition, &low, &high, 10000))) {
            sp_log(SP_LOG_ERROR, "watermarks_failed", "partition %d: %s", want->elems[i].partition,
                   rd_kafka_err2str(err));
            goto fail;
        }
        switch (kind) {
        case TO_EARLIEST: o = low; break;
        case TO_LATEST: o = high; break;
        case TO_OFFSET: o = arg; break;
        case SHIFT_BY: o = (c >= 0 ? c : low) + arg; break;
        case TO_TIME: o = want->elems[i].offset >= 0 ? want->elems[i].offset : high; break;
        }
        want->elems[i].offset = o < low ? low : o > high ? high : o;
    }
    *committed = cur;
    return want;
fail:
    rd_kafka_topic_partition_list_destroy(cur);
    rd_kafka_topic_partition_list_destroy(want);
    return NULL;
}

/* Commit the plan with the Admin API. 0 ok, else an exit code. */
static int apply(rd_kafka_t *rk, const char *group, rd_kafka_topic_partition_list_t *want) {
    rd_kafka_AlterConsumerGroupOffsets_t *alter = rd_kafka_AlterConsumerGroupOffsets_new(group, want);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_event_t *ev;
    int rc = SP_EXIT_OK;

    rd_kafka_AlterConsumerGroupOffsets(rk, &alter, 1, NULL, q);
    ev = rd_kafka_queue_poll(q, 30000);
    if (ev == NULL || rd_kafka_event_error(ev)) {
        fprintf(stderr, "storypipe replay: %s\n", ev ? rd_kafka_event_error_string(ev) : "no answer from the broker");
        rc = SP_EXIT_UNAVAILABLE;
    } else {
        size_t n;
        const rd_kafka_group_result_t **res = rd_kafka_AlterConsumerGroupOffsets_result_groups(
            rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
        for (size_t i = 0; i < n && rc == SP_EXIT_OK; i++) {
            const rd_kafka_error_t *e = rd_kafka_group_result_error(res[i]);
            const rd_kafka_topic_partition_list_t *parts = rd_kafka_group_result_partitions(res[i]);
            if (e) {
                fprintf(stderr, "storypipe replay: %s\n", rd_kafka_error_string(e));
                rc = SP_EXIT_UNAVAILABLE;
            }
            for (int k = 0; parts && k < parts->cnt && rc == SP_EXIT_OK; k++) {
                if (parts->elems[k].err) {
                    fprintf(stderr, "storypipe replay: partition %d: %s%s\n", parts->elems[k].partition,
                            rd_kafka_err2str(parts->elems[k].err),
                            " (is the group still running? stop its instances first)");
                    rc = SP_EXIT_UNAVAILABLE;
                }
            }
        }
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_AlterConsumerGroupOffsets_destroy(alter);
    rd_kafka_queue_destroy(q);
    return rc;
}

int cmd_replay(int argc, char **argv) {
    enum { O_EARLIEST = 1000, O_LATEST, O_OFFSET, O_SHIFT, O_TIME, O_DURATION, O_EXECUTE, O_GROUP, O_TOPIC };
    static const struct option opts[] = {
        {"brokers", required_argument, 0, 'b'}, {"group", required_argument, 0, O_GROUP},
        {"topic", required_argument, 0, O_TOPIC}, {"to-earliest", no_argument, 0, O_EARLIEST},
        {"to-latest", no_argument, 0, O_LATEST}, {"to-offset", required_argument, 0, O_OFFSET},
        {"shift-by", required_argument, 0, O_SHIFT}, {"to-datetime", required_argument, 0, O_TIME},
        {"by-duration", required_argument, 0, O_DURATION}, {"execute", no_argument, 0, O_EXECUTE},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    cli_kafka k;
    const char *group = NULL, *topic = NULL;
    int c, targets = 0, execute = 0, rc = SP_EXIT_OK;
    target_kind kind = TO_EARLIEST;
    int64_t arg = 0;
    long v;
    rd_kafka_t *rk;
    rd_kafka_topic_partition_list_t *want, *committed = NULL;
    const char *extra[] = {"group.id", NULL, "enable.auto.commit", "false", NULL};

    cli_kafka_defaults(&k);
    while ((c = getopt_long(argc, argv, "b:X:h", opts, NULL)) != -1) {
        int h = cli_kafka_option(&k, c, optarg);
        if (h == 1) continue;
        switch (c) {
        case O_GROUP: group = optarg; break;
        case O_TOPIC: topic = optarg; break;
        case O_EARLIEST: kind = TO_EARLIEST; targets++; break;
        case O_LATEST: kind = TO_LATEST; targets++; break;
        case O_OFFSET: case O_SHIFT: case O_DURATION:
            if (sp_parse_int(optarg, c == O_OFFSET || c == O_DURATION ? 0 : -(1L << 62), 1L << 62, &v)) goto bad;
            kind = c == O_OFFSET ? TO_OFFSET : c == O_SHIFT ? SHIFT_BY : TO_TIME;
            arg = c == O_DURATION ? ((int64_t)time(NULL) - v) * 1000 : v;
            targets++;
            break;
        case O_TIME:
            if (parse_time(optarg, &arg)) goto bad;
            kind = TO_TIME;
            targets++;
            break;
        case O_EXECUTE: execute = 1; break;
        case 'h': usage(stdout); sp_config_free(&k.props); return SP_EXIT_OK;
        default: goto bad;
        }
    }
    if (group == NULL || topic == NULL || targets != 1 || optind != argc) goto bad;
    extra[1] = group;
    if ((rk = cli_kafka_client(&k, RD_KAFKA_CONSUMER, extra, NULL)) == NULL) {
        sp_config_free(&k.props);
        return SP_EXIT_CONFIG;
    }
    want = plan(rk, topic, kind, arg, &committed);
    if (want == NULL) {
        rc = SP_EXIT_UNAVAILABLE;
    } else {
        printf("%-10s %12s %12s\n", "partition", "committed", "new");
        for (int i = 0; i < want->cnt; i++) {
            char cur[32];
            int64_t o = committed->elems[i].offset;
            snprintf(cur, sizeof cur, "%lld", (long long)o);
            printf("%-10d %12s %12lld\n", want->elems[i].partition, o >= 0 ? cur : "-", (long long)want->elems[i].offset);
        }
        if (execute) {
            rc = apply(rk, group, want);
            if (rc == SP_EXIT_OK) printf("applied to group %s\n", group);
        } else {
            printf("dry run: nothing changed (add --execute to apply)\n");
        }
        rd_kafka_topic_partition_list_destroy(want);
        rd_kafka_topic_partition_list_destroy(committed);
    }
    rd_kafka_destroy(rk);
    sp_config_free(&k.props);
    return rc;
bad:
    usage(stderr);
    sp_config_free(&k.props);
    return SP_EXIT_USAGE;
}
