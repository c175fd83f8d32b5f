/* eml.c — newsletter e-mails into one UTF-8 text, with GMime 3 and iconv
 * (see eml.h). */
#include "eml.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gmime/gmime.h>

#include "util.h"

/* Deeper than GMime's own nesting limit (1024), so never reached on what
 * GMime builds; it only bounds pick_part's recursion. */
#define EML_MAX_DEPTH 1100
/* The longest charset name we hand to iconv_open. */
#define EML_MAX_CHARSET 40

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_init_once(void) { g_mime_init(); }

static void set_error(char *err, char *detail, const char *code, const char *fmt, ...) {
    if (err != NULL) snprintf(err, 48, "%s", code);
    if (detail != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, 256, fmt, ap);
        va_end(ap);
    }
}

/* A label from the input, fit for a detail message: at most 60 bytes,
 * anything but printable ASCII as '?'. */
static const char *printable(const char *s, char out[64]) {
    size_t n = 0;
    for (; s != NULL && s[n] != '\0' && n < 60; n++)
        out[n] = (s[n] >= 0x20 && s[n] < 0x7F) ? s[n] : '?';
    out[n] = '\0';
    return out;
}

/* ---- parser warnings ------------------------------------------------------ */

/* What GMime reported while parsing; the ones that make a message invalid. */
typedef struct parse_warnings {
    int truncated; /* EOF inside the headers or before a closing boundary */
    int nesting;   /* deeper than GMime's nesting limit */
    int malformed; /* the parser ended in its error state */
} parse_warnings;

static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user) {
    parse_warnings *w = user;
    (void)offset;
    (void)item;
    if (code == GMIME_WARN_TRUNCATED_MESSAGE) w->truncated = 1;
    else if (code == GMIME_CRIT_NESTING_OVERFLOW) w->nesting = 1;
    else if (code == GMIME_WARN_MALFORMED_MESSAGE) w->malformed = 1;
}

/* ---- UTF-8 ---------------------------------------------------------------- */

static const char fffd[3] = {'\xEF', '\xBF', '\xBD'};

/* Copy s[0..n) into a new buffer, each maximal invalid subsequence replaced
 * by one U+FFFD (the Unicode "best practice", as WHATWG decoders do), and
 * each NUL byte by U+FFFD too. The
 * rules are those of sp_utf8_valid: no overlongs, surrogates or code points
 * above U+10FFFF. */
static char *utf8_repair(const char *s, size_t n, size_t *out_len) {
    char *out = sp_xmalloc(n * 3 + 1);
    size_t i = 0, k = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t need, got = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c == 0) { /* NUL: text it is not (a JSON string would carry it as \u0000) */
            memcpy(out + k, fffd, 3);
            k += 3;
            i++;
            continue;
        }
        if (c < 0x80) {
            out[k++] = (char)c;
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) lo = 0xA0;      /* overlong */
            else if (c == 0xED) hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) lo = 0x90;      /* overlong */
            else if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
        } else {
            memcpy(out + k, fffd, 3);
            k += 3;
            i++;
            continue;
        }
        while (got < need && i + 1 + got < n) {
            unsigned char t = (unsigned char)s[i + 1 + got];
            if (got == 0 ? (t < lo || t > hi) : (t < 0x80 || t > 0xBF)) break;
            got++;
        }
        if (got == need) {
            memcpy(out + k, s + i, need + 1);
            k += need + 1;
        } else {
            memcpy(out + k, fffd, 3);
            k += 3;
        }
        i += 1 + got;
    }
    out[k] = '\0';
    *out_len = k;
    return out;
}

/* A malloc'ed valid UTF-8 copy of a NUL-terminated string from GMime, or
 * NULL when s is NULL or empty. */
static char *utf8_dup(const char *s) {
    size_t n, m;
    if (s == NULL || *s == '\0') return NULL;
    n = strlen(s);
    if (sp_utf8_text(s, n)) return sp_xstrndup(s, n);
    return utf8_repair(s, n, &m);
}

/* "\r\n" -> "\n" in place; returns the new length. */
static size_t crlf_to_lf(char *s, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') continue;
        s[k++] = s[i];
    }
    s[k] = '\0';
    return k;
}

/* ---- charsets ------------------------------------------------------------- */

enum cs_kind { CS_SNIFF, CS_UTF8, CS_ICONV };

/* Labels read as something other than iconv would: the WHATWG Encoding
 * Standard's choices for mail that is mislabelled more often than not. */
static const struct {
    const char *label, *iconv_name;
} cs_aliases[] = {
    /* iso-8859-1 and friends: windows-1252 (0x80..0x9F are its printable
     * quotes and dashes, C1 controls nobody sends) */
    {"iso-8859-1", "CP1252"}, {"iso8859-1", "CP1252"}, {"iso_8859-1", "CP1252"},
    {"iso_8859-1:1987", "CP1252"}, {"latin1", "CP1252"}, {"l1", "CP1252"},
    {"cp819", "CP1252"}, {"ibm819", "CP1252"}, {"iso-ir-100", "CP1252"},
    {"csisolatin1", "CP1252"}, {"windows-1252", "CP1252"}, {"x-cp1252", "CP1252"},
    {"iso-8859-9", "CP1254"}, {"iso8859-9", "CP1254"}, {"latin5", "CP1254"},
    {"iso-8859-11", "CP874"}, {"tis-620", "CP874"}, {"windows-874", "CP874"},
    /* GB2312 mail is often GBK; GB18030 is a superset of both */
    {"gb2312", "GB18030"}, {"gb_2312", "GB18030"}, {"gb_2312-80", "GB18030"},
    {"gb-2312", "GB18030"}, {"gb2312-80", "GB18030"}, {"euc-cn", "GB18030"},
    {"csgb2312", "GB18030"}, {"x-gbk", "GB18030"}, {"gbk", "GB18030"},
    {"cp936", "GB18030"}, {"ms936", "GB18030"}, {"windows-936", "GB18030"},
    {"chinese", "GB18030"}, {"iso-ir-58", "GB18030"}, {"csiso58gb231280", "GB18030"},
    /* Korean: EUC-KR mail is often UHC (cp949) */
    {"euc-kr", "CP949"}, {"ks_c_5601-1987", "CP949"}, {"ks_c_5601-1989", "CP949"},
    {"ksc5601", "CP949"}, {"ksc_5601", "CP949"}, {"korean", "CP949"},
    {"windows-949", "CP949"}, {"csksc56011987", "CP949"},
    /* Japanese and traditional Chinese: the Microsoft / HKSCS supersets */
    {"shift_jis", "CP932"}, {"shift-jis", "CP932"}, {"sjis", "CP932"},
    {"x-sjis", "CP932"}, {"ms_kanji", "CP932"}, {"csshiftjis", "CP932"},
    {"windows-31j", "CP932"}, {"big5", "BIG5-HKSCS"}, {"x-x-big5", "BIG5-HKSCS"},
    {"cn-big5", "BIG5-HKSCS"}, {"csbig5", "BIG5-HKSCS"},
    /* visual vs logical Hebrew is a rendering hint, not an encoding */
    {"iso-8859-8-i", "ISO-8859-8"}, {"csiso88598i", "ISO-8859-8"},
    {"iso-8859-6-i", "ISO-8859-6"}, {"iso-8859-6-e", "ISO-8859-6"},
    {"iso-8859-8-e", "ISO-8859-8"},
};

/* Labels that say nothing beyond "maybe ASCII". */
static const char *const cs_unlabelled[] = {
    "us-ascii", "ascii", "us", "ansi_x3.4-1968", "iso646-us", "csascii",
    "x-unknown", "unknown", "unknown-8bit", "x-user-defined", "8bit", "default",
};

static const char *const cs_utf8[] = {"utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8"};

/* Classify a charset label. For CS_ICONV, *name is the iconv name (static
 * or copied into buf). -1 when the label is not a plausible charset name. */
static int charset_kind(const char *label, char buf[EML_MAX_CHARSET + 1], const char **name) {
    size_t n = 0;
    const char *s = label;
    *name = NULL;
    if (s == NULL) return CS_SNIFF;
    while (*s == ' ' || *s == '\t' || *s == '"' || *s == '\'') s++;
    while (s[n] != '\0' && s[n] != '"' && s[n] != '\'' && s[n] != ' ' && s[n] != '\t') {
        unsigned char c = (unsigned char)s[n];
        /* no "/" (iconv's //TRANSLIT suffixes), no spaces, nothing odd */
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':' || c == '+'))
            return -1;
        if (n == EML_MAX_CHARSET) return -1;
        buf[n] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        n++;
    }
    buf[n] = '\0';
    if (n == 0) return CS_SNIFF;
    for (size_t i = 0; i < sizeof cs_unlabelled / sizeof cs_unlabelled[0]; i++)
        if (strcmp(buf, cs_unlabelled[i]) == 0) return CS_SNIFF;
    for (size_t i = 0; i < sizeof cs_utf8 / sizeof cs_utf8[0]; i++)
        if (strcmp(buf, cs_utf8[i]) == 0) return CS_UTF8;
    for (size_t i = 0; i < sizeof cs_aliases / sizeof cs_aliases[0]; i++)
        if (strcmp(buf, cs_aliases[i].label) == 0) {
            *name = cs_aliases[i].iconv_name;
            return CS_ICONV;
        }
    *name = buf; /* glibc's iconv knows most IANA names and aliases, in any case */
    return CS_ICONV;
}

/* Make room for at least `need` more bytes at *op. */
static void grow(char **buf, size_t *cap, char **op, size_t *ol, size_t need) {
    size_t used = (size_t)(*op - *buf);
    while (*cap - used < need) *cap *= 2;
    *buf = sp_xrealloc(*buf, *cap + 1);
    *op = *buf + used;
    *ol = *cap - used;
}

/* Convert in[0..n) from charset `name` to UTF-8 with iconv, each invalid or
 * incomplete sequence replaced by U+FFFD (GMime's own charset filter drops
 * invalid bytes silently, hence iconv here). -1 with errno set when iconv
 * does not know the charset. */
static int iconv_to_utf8(const char *name, const char *in, size_t n, char **out, size_t *out_len) {
    iconv_t cd = iconv_open("UTF-8", name);
    char *buf, *ip = (char *)in, *op;
    size_t cap, il = n, ol;
    if (cd == (iconv_t)-1) return -1;
    cap = n * 3 + 16; /* enough unless most bytes are invalid */
    buf = sp_xmalloc(cap + 1);
    op = buf;
    ol = cap;
    while (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
        int e = errno;
        if (e == E2BIG) {
            grow(&buf, &cap, &op, &ol, ol + 64);
            continue;
        }
        if (ol < sizeof fffd) grow(&buf, &cap, &op, &ol, sizeof fffd);
        memcpy(op, fffd, sizeof fffd);
        op += sizeof fffd;
        ol -= sizeof fffd;
        if (e == EINVAL) break; /* an incomplete sequence at the end */
        ip++;                   /* EILSEQ: skip one byte and go on */
        il--;
    }
    /* stateful encodings (ISO-2022-JP, UTF-7) may owe a final shift */
    while (iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1 && errno == E2BIG) grow(&buf, &cap, &op, &ol, ol + 64);
    iconv_close(cd);
    *op = '\0';
    *out = buf;
    *out_len = (size_t)(op - buf);
    return 0;
}

/* Decode `data` (the part's bytes, transfer encoding already undone) from
 * `charset` into valid UTF-8. -1 with the error set for an unknown charset. */
static int to_utf8(const char *charset, const char *data, size_t n, char **out, size_t *out_len,
                   char *err, char *detail) {
    char buf[EML_MAX_CHARSET + 1], shown[64];
    const char *name;
    int kind = charset_kind(charset, buf, &name);
    if (n == 0) data = ""; /* an empty GByteArray has no data pointer */
    if (kind < 0) {
        set_error(err, detail, "unsupported_charset", "charset label is not a charset name: \"%s\"",
                  printable(charset, shown));
        return -1;
    }
    if (kind == CS_SNIFF) {
        if (sp_utf8_valid(data, n)) kind = CS_UTF8; /* (NULs are repaired below) */
        else name = "CP1252";
    }
    if (kind == CS_UTF8) {
        if (sp_utf8_text(data, n)) {
            *out = sp_xstrndup(data, n);
            *out_len = n;
        } else {
            *out = utf8_repair(data, n, out_len);
        }
        return 0;
    }
    if (iconv_to_utf8(name, data, n, out, out_len) != 0) {
        set_error(err, detail, "unsupported_charset", "unknown charset \"%s\" (iconv has no converter for %s)",
                  printable(charset, shown), name);
        return -1;
    }
    if (!sp_utf8_text(*out, *out_len)) { /* iconv's UTF-8 is valid, but may hold NULs */
        size_t m;
        char *fixed = utf8_repair(*out, *out_len, &m);
        free(*out);
        *out = fixed;
        *out_len = m;
    }
    return 0;
}

/* ---- choosing the part ---------------------------------------------------- */

/* The text part a reader would read in `o`, or NULL (see eml.h). */
static GMimePart *pick_part(GMimeObject *o, int depth) {
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    if (depth > EML_MAX_DEPTH) return NULL;
    if (GMIME_IS_MULTIPART(o)) {
        GMimeMultipart *mp = GMIME_MULTIPART(o);
        int alternative = ct != NULL && g_mime_content_type_is_type(ct, "multipart", "alternative");
        GMimePart *best = NULL;
        int count = g_mime_multipart_get_count(mp);
        for (int i = 0; i < count; i++) {
            GMimePart *p = pick_part(g_mime_multipart_get_part(mp, i), depth + 1);
            if (p == NULL) continue;
            if (!alternative) return p;
            if (g_mime_content_type_is_type(g_mime_object_get_content_type(GMIME_OBJECT(p)), "text",
                                            "plain"))
                return p;
            if (best == NULL) best = p;
        }
        return best;
    }
    if (!GMIME_IS_PART(o) || ct == NULL) return NULL; /* message/rfc822 among others */
    if (g_mime_part_is_attachment(GMIME_PART(o))) return NULL;
    if (g_mime_content_type_is_type(ct, "text", "plain") || g_mime_content_type_is_type(ct, "text", "html"))
        return GMIME_PART(o);
    return NULL;
}

/* The part's content, transfer encoding undone, converted to UTF-8. */
static int part_text(GMimePart *part, char **out, size_t *out_len, char *err, char *detail) {
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *mem;
    GByteArray *bytes;
    int rc = 0;
    if (content == NULL) { /* a part with headers and no content */
        *out = sp_xstrdup("");
        *out_len = 0;
        return 0;
    }
    mem = g_mime_stream_mem_new();
    if (g_mime_data_wrapper_write_to_stream(content, mem) < 0) {
        set_error(err, detail, "invalid_mime", "cannot decode the part's content (transfer encoding %s)",
                  g_mime_content_encoding_to_string(g_mime_data_wrapper_get_encoding(content)));
        g_object_unref(mem);
        return -1;
    }
    bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    rc = to_utf8(g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset"),
                 (const char *)bytes->data, bytes->len, out, out_len, err, detail);
    g_object_unref(mem);
    if (rc != 0) return rc;
    if (*out_len >= 3 && memcmp(*out, "\xEF\xBB\xBF", 3) == 0) { /* a byte-order mark */
        memmove(*out, *out + 3, *out_len - 3 + 1);
        *out_len -= 3;
    }
    *out_len = crlf_to_lf(*out, *out_len);
    return 0;
}

/* ---- the message ---------------------------------------------------------- */

static char *rfc3339_utc(GDateTime *dt) {
    GDateTime *utc;
    char buf[32];
    int y, mo, d;
    if (dt == NULL || (utc = g_date_time_to_utc(dt)) == NULL) return NULL;
    g_date_time_get_ymd(utc, &y, &mo, &d);
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, g_date_time_get_hour(utc),
             g_date_time_get_minute(utc), g_date_time_get_second(utc));
    g_date_time_unref(utc);
    return sp_xstrdup(buf);
}

static char *from_display(GMimeMessage *msg) {
    InternetAddressList *list = g_mime_message_get_from(msg);
    char *s, *r;
    if (list == NULL || internet_address_list_length(list) == 0) return NULL;
    s = internet_address_list_to_string(list, NULL, FALSE);
    r = utf8_dup(s);
    g_free(s);
    return r;
}

int eml_parse(const char *data, size_t len, eml_message *out, char err[48], char detail[256]) {
    parse_warnings warn = {0, 0, 0};
    GMimeParserOptions *opts;
    GMimeStream *stream;
    GMimeParser *parser;
    GMimeMessage *msg;
    GMimeObject *top;
    GMimePart *part;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (err != NULL) err[0] = '\0';
    if (detail != NULL) detail[0] = '\0';
    if (data == NULL || len == 0) {
        set_error(err, detail, "invalid_mime", "empty input");
        return -1;
    }
    pthread_once(&gmime_once, gmime_init_once);

    /* Own options per call: the warning callback's state is ours alone. */
    opts = g_mime_parser_options_new();
    g_mime_parser_options_set_warning_callback(opts, on_warning, &warn);
    stream = g_mime_stream_mem_new_with_buffer(data, len); /* copies */
    parser = g_mime_parser_new_with_stream(stream);
    g_object_unref(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    msg = g_mime_parser_construct_message(parser, opts);
    g_object_unref(parser);

    if (msg == NULL) {
        set_error(err, detail, "invalid_mime", "not an RFC 5322 message: no header fields");
        goto done;
    }
    top = g_mime_message_get_mime_part(msg);
    /* GMime files the Content-* fields under the top part, the rest under the message */
    if (g_mime_header_list_get_count(g_mime_object_get_header_list(GMIME_OBJECT(msg))) +
            (top != NULL ? g_mime_header_list_get_count(g_mime_object_get_header_list(top)) : 0) ==
        0) {
        set_error(err, detail, "invalid_mime", "not an RFC 5322 message: no header fields");
        goto done;
    }
    if (warn.truncated) {
        set_error(err, detail, "invalid_mime",
                  "truncated message: input ends inside the header block or before a multipart's closing boundary");
        goto done;
    }
    if (warn.nesting) {
        set_error(err, detail, "invalid_mime", "MIME parts nested deeper than GMime's limit");
        goto done;
    }
    if (warn.malformed) {
        set_error(err, detail, "invalid_mime", "malformed message (GMime's parser failed)");
        goto done;
    }

    part = top != NULL ? pick_part(top, 0) : NULL;
    if (part == NULL) {
        GMimeContentType *ct = top != NULL ? g_mime_object_get_content_type(top) : NULL;
        char *mt = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL, shown[64];
        set_error(err, detail, "no_text_part", "no text/plain or text/html part that is not an attachment (top: %s)",
                  mt != NULL ? printable(mt, shown) : "none");
        g_free(mt);
        goto done;
    }
    if (part_text(part, &out->body, &out->body_len, err, detail) != 0) goto done;
    out->content_type =
        g_mime_content_type_is_type(g_mime_object_get_content_type(GMIME_OBJECT(part)), "text", "plain")
            ? "text/plain"
            : "text/html";

    out->message_id = utf8_dup(g_mime_message_get_message_id(msg));
    out->subject = utf8_dup(g_mime_message_get_subject(msg));
    out->from = from_display(msg);
    out->date = rfc3339_utc(g_mime_message_get_date(msg));
    rc = 0;

done:
    if (msg != NULL) g_object_unref(msg);
    g_mime_parser_options_free(opts);
    if (rc != 0) eml_free(out);
    return rc;
}

void eml_free(eml_message *m) {
    if (m == NULL) return;
    free(m->message_id);
    free(m->subject);
    free(m->from);
    free(m->date);
    free(m->body);
    memset(m, 0, sizeof *m);
}
