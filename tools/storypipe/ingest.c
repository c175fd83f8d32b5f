/* ingest.c — `storypipe ingest FILE...`: local documents into the
 * pipeline, each as a source record on <prefix>sources that carries its
 * content, so that the fetcher needs no access to the file.
 *
 *   an e-mail message    {"kind": "eml", "content_base64": <the bytes>}
 *   anything else        {"kind": "inline", "format": "auto", "content": <the text>}
 *                        (UTF-8 without NUL bytes, else the file is refused)
 *
 * A file is an e-mail message when its name ends in .eml (any case), or when
 * it starts with an RFC 5322 header block: from its first line, header fields
 * ("Name: value", the name printable ASCII without ':' or space) and folded
 * continuation lines up to an empty line or the end, among them From: and at
 * least one of Date:, Subject:, Message-ID:. --format forces the choice.
 *
 * The id is "ingest:" and the first 16 hex digits of the 64-bit XXH3 of the
 * file's bytes: the same bytes always give the same source id, so ingesting
 * a file again replaces its record instead of adding a second one (and gives
 * the same document downstream). All or nothing: every file is read and
 * checked before anything is sent. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cli.h"
#include "ids.h"
#include "stage.h"
#include "util.h"

/* sources.c */
char *sources_topic(const cli_kafka *k);
int sources_send(cli_kafka *k, const char *cmd, size_t n, char *const *keys, char *const *values);

/* Largest record, as sources.c: the fetcher's default --max-message-bytes. */
#define INGEST_MAX_RECORD (16u << 20)

static void usage(FILE *f) {
    fprintf(f, "Usage: storypipe ingest [OPTIONS] FILE...\n"
               "Send each FILE (- for stdin) to <prefix>sources as a source record that carries the\n"
               "file's content, keyed by its id: \"ingest:\" and 16 hex digits of a hash of the bytes,\n"
               "so the same file always gets the same id (ingesting it again replaces its record).\n"
               "An e-mail message becomes {\"kind\":\"eml\",\"content_base64\":...}, any other file\n"
               "{\"kind\":\"inline\",\"format\":\"auto\",\"content\":...} (it must be UTF-8 text).\n"
               "A file is an e-mail message when its name ends in .eml, or when it starts with\n"
               "RFC 5322 header fields up to an empty line, with From: and one of Date:, Subject:,\n"
               "Message-ID:. If any FILE is refused, nothing is sent.\n\n"
               "  -f, --format F         eml, text, html, or auto (the default: detect as above)\n"
               "  -n, --name NAME        the records' name (the source's human-readable name)\n"
               "      --dry-run          print the records (JSON Lines) instead of sending them\n"
               "  -b, --brokers LIST     [STORYPIPE_BROKERS, 127.0.0.1:9092]\n"
               "      --topic-prefix P   [STORYPIPE_TOPIC_PREFIX, news.]\n"
               "  -X KEY=VALUE           librdkafka property\n"
               "  -h, --help\n"
               "Prints ID KIND FILE for each file sent. Remove one with 'storypipe sources remove ID'.\n"
               "Exit codes: 0 ok, 64 usage, 65 a file refused (not UTF-8, empty, too large; nothing\n"
               "sent), 69 a file unreadable, the broker unreachable, the topic missing or a record\n"
               "not acknowledged, 78 a rejected -X property.\n");
}

static int ends_with_eml(const char *path) {
    size_t n = strlen(path);
    return n >= 4 && strcasecmp(path + n - 4, ".eml") == 0;
}

/* 1 when buf starts with an RFC 5322 header block holding From: and one of
 * Date:, Subject:, Message-ID: (the rule in the header comment). */
static int looks_like_eml(const char *buf, size_t len) {
    size_t i = 0;
    int fields = 0, from = 0, other = 0;
    while (i < len) {
        size_t e = i, l, k = 0;
        while (e < len && buf[e] != '\n') e++;
        l = e - i;
        if (l > 0 && buf[i + l - 1] == '\r') l--;
        if (l == 0) break; /* the empty line that ends the header block */
        if (buf[i] == ' ' || buf[i] == '\t') {
            if (fields == 0) return 0; /* a continuation of nothing */
        } else {
            while (k < l && buf[i + k] > ' ' && buf[i + k] <= '~' && buf[i + k] != ':') k++;
            if (k == 0 || k == l || buf[i + k] != ':') return 0;
            fields++;
            if (k == 4 && strncasecmp(buf + i, "From", 4) == 0) from = 1;
            if ((k == 4 && strncasecmp(buf + i, "Date", 4) == 0) ||
                (k == 7 && strncasecmp(buf + i, "Subject", 7) == 0) ||
                (k == 10 && strncasecmp(buf + i, "Message-ID", 10) == 0))
                other = 1;
        }
        i = e + 1;
    }
    return fields > 0 && from && other;
}

typedef enum { F_AUTO, F_EML, F_TEXT, F_HTML } ingest_format;

/* The record for one file's bytes; NULL after a message (why) if refused. */
static json_t *make_record(const char *path, const char *buf, size_t len, ingest_format fmt, const char *name,
                           char *why, size_t n) {
    char hex[SP_ID_LEN], id[sizeof "ingest:" + SP_ID_LEN];
    int eml = fmt == F_EML || (fmt == F_AUTO && (ends_with_eml(path) || looks_like_eml(buf, len)));
    json_t *rec;

    if (len == 0) {
        snprintf(why, n, "empty file");
        return NULL;
    }
    if (!eml && !sp_utf8_text(buf, len)) {
        snprintf(why, n, "not UTF-8 text (an e-mail message? use --format eml)");
        return NULL;
    }
    sp_id_hex(sp_hash64(buf, len), hex);
    snprintf(id, sizeof id, "ingest:%s", hex);
    rec = json_pack("{s:i, s:s, s:s}", "schema_version", 1, "id", id, "kind", eml ? "eml" : "inline");
    if (name) json_object_set_new(rec, "name", json_string(name));
    if (eml) {
        char *b64 = sp_base64_encode(buf, len);
        json_object_set_new(rec, "content_base64", json_string(b64));
        free(b64);
    } else {
        json_object_set_new(rec, "format", json_string(fmt == F_TEXT ? "text" : fmt == F_HTML ? "html" : "auto"));
        json_object_set_new(rec, "content", json_stringn(buf, len));
    }
    return rec;
}

int cmd_ingest(int argc, char **argv) {
    enum { O_DRY_RUN = 1000 };
    static const struct option opts[] = {{"brokers", required_argument, 0, 'b'},
                                         {"topic-prefix", required_argument, 0, 'P'},
                                         {"format", required_argument, 0, 'f'},
                                         {"name", required_argument, 0, 'n'},
                                         {"dry-run", no_argument, 0, O_DRY_RUN},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    cli_kafka k;
    ingest_format fmt = F_AUTO;
    const char *name = NULL;
    char **keys, **values, **kinds;
    int c, dry_run = 0, nfiles, rc = SP_EXIT_OK;

    cli_kafka_defaults(&k);
    while ((c = getopt_long(argc, argv, "b:f:n:X:h", opts, NULL)) != -1) {
        int h = cli_kafka_option(&k, c, optarg);
        if (h == 1) continue;
        if (h == -1) goto bad;
        switch (c) {
        case 'f':
            if (strcmp(optarg, "auto") == 0) fmt = F_AUTO;
            else if (strcmp(optarg, "eml") == 0) fmt = F_EML;
            else if (strcmp(optarg, "text") == 0) fmt = F_TEXT;
            else if (strcmp(optarg, "html") == 0) fmt = F_HTML;
            else {
                fprintf(stderr, "storypipe ingest: unknown --format '%s' (eml, text, html, auto)\n", optarg);
                goto bad;
            }
            break;
        case 'n': name = optarg; break;
        case O_DRY_RUN: dry_run = 1; break;
        case 'h': usage(stdout); sp_config_free(&k.props); return SP_EXIT_OK;
        default: goto bad;
        }
    }
    if (optind >= argc) goto bad;
    if (name && !sp_utf8_valid(name, strlen(name))) {
        fprintf(stderr, "storypipe ingest: --name is not UTF-8\n");
        goto bad;
    }
    nfiles = argc - optind;
    keys = calloc((size_t)nfiles, sizeof *keys);
    values = calloc((size_t)nfiles, sizeof *values);
    kinds = calloc((size_t)nfiles, sizeof *kinds);
    for (int i = 0; i < nfiles; i++) {
        const char *path = argv[optind + i], *label = strcmp(path, "-") == 0 ? "stdin" : path;
        char why[256];
        size_t len;
        char *buf = sp_read_file(path, INGEST_MAX_RECORD, &len);
        json_t *rec;
        if (buf == NULL) {
            if (errno == EFBIG) {
                fprintf(stderr, "storypipe ingest: %s: larger than %u bytes\n", label, INGEST_MAX_RECORD);
                if (rc == SP_EXIT_OK) rc = SP_EXIT_DATAERR;
            } else {
                fprintf(stderr, "storypipe ingest: %s: %s\n", label, strerror(errno));
                rc = SP_EXIT_UNAVAILABLE;
            }
            continue;
        }
        rec = make_record(path, buf, len, fmt, name, why, sizeof why);
        free(buf);
        if (rec == NULL) {
            fprintf(stderr, "storypipe ingest: %s: %s\n", label, why);
            if (rc == SP_EXIT_OK) rc = SP_EXIT_DATAERR;
            continue;
        }
        values[i] = json_dumps(rec, JSON_COMPACT);
        keys[i] = sp_xstrdup(json_string_value(json_object_get(rec, "id")));
        kinds[i] = sp_xstrdup(json_string_value(json_object_get(rec, "kind")));
        json_decref(rec);
        if (strlen(values[i]) > INGEST_MAX_RECORD) {
            fprintf(stderr, "storypipe ingest: %s: its record would be %zu bytes, more than the %u a source may have%s\n",
                    label, strlen(values[i]), INGEST_MAX_RECORD,
                    strcmp(kinds[i], "eml") == 0 ? " (base64 makes an e-mail a third larger)" : "");
            if (rc == SP_EXIT_OK) rc = SP_EXIT_DATAERR;
        }
    }
    if (rc != SP_EXIT_OK) {
        fprintf(stderr, "storypipe ingest: nothing was sent\n");
    } else if (dry_run) {
        for (int i = 0; i < nfiles; i++) puts(values[i]);
        if (fflush(stdout) != 0) rc = SP_EXIT_UNAVAILABLE;
    } else if ((rc = sources_send(&k, "ingest", (size_t)nfiles, keys, values)) == SP_EXIT_OK) {
        for (int i = 0; i < nfiles; i++) printf("%s  %-6s  %s\n", keys[i], kinds[i], argv[optind + i]);
    }
    for (int i = 0; i < nfiles; i++) free(keys[i]), free(values[i]), free(kinds[i]);
    free(keys);
    free(values);
    free(kinds);
    sp_config_free(&k.props);
    return rc;
bad:
    usage(stderr);
    sp_config_free(&k.props);
    return SP_EXIT_USAGE;
}
