/* eml.h — newsletter e-mails (RFC 5322 / MIME) into one UTF-8 text.
 *
 * Why this file exists: some sources deliver their stories as e-mail
 * newsletter digests, not as WordPress posts. The fetcher turns each such
 * message into one raw document: its identity (Message-ID), subject, sender,
 * date, and the text of the one part a reader would read. The MIME structure
 * is parsed by GMime 3 (never by hand: boundaries, transfer encodings and
 * RFC 2047/2231 encoded words are GMime's job), and every charset is
 * converted to UTF-8 with iconv, so the stages after the fetcher only ever
 * see valid UTF-8.
 *
 * Which part is the body: in a multipart/alternative, text/plain wins over
 * text/html (at any depth: an alternative whose HTML sits inside a
 * multipart/related still offers its text/plain); in any other multipart
 * (mixed, related, signed, ...) the first child that holds a text part wins.
 * Parts with "Content-Disposition: attachment", forwarded messages
 * (message/rfc822) and every type other than text/plain and text/html are
 * ignored.
 *
 * Charsets: the part's charset parameter names the conversion. A missing
 * charset, us-ascii and the "unknown" labels mean UTF-8 when the bytes are
 * valid UTF-8, else windows-1252. Following the WHATWG Encoding Standard,
 * iso-8859-1 is read as its superset windows-1252 (Outlook's curly quotes),
 * and gb2312/gbk as GB18030 (GB2312 mail is often really GBK). Invalid
 * sequences become U+FFFD. Line ends in the body are normalised to "\n"
 * (a lone "\r" stays) and a leading byte-order mark is dropped.
 *
 * Thread-safe: GMime is initialised once (pthread_once) on the first call;
 * every call has its own parser and options. */
#ifndef EML_H
#define EML_H

#include <stddef.h>

typedef struct eml_message {
    char *message_id;    /* without <>, or NULL */
    char *subject;       /* UTF-8, decoded, or NULL */
    char *from;          /* UTF-8 display form, or NULL */
    char *date;          /* RFC 3339 UTC ("2025-02-03T08:00:00Z"), or NULL when absent/unparsable */
    char *body;          /* UTF-8 text of the chosen part, never NULL on success */
    size_t body_len;
    const char *content_type; /* "text/plain" or "text/html" (static string) */
} eml_message;

/* Parse one RFC 5322 message. text/plain is preferred over text/html in a
 * multipart/alternative; attachments and other types are ignored; the
 * part's charset is converted to UTF-8 (invalid sequences replaced by
 * U+FFFD: the body must always be valid UTF-8; an unknown charset is an
 * error). 0, or -1 with a reason code in err ("invalid_mime", "no_text_part",
 * "unsupported_charset") and details in detail.
 *
 * invalid_mime: empty input, no header fields (GMime finds no message),
 * a message cut off (EOF inside the header block or before a multipart's
 * closing boundary), or MIME nesting beyond GMime's limit.
 * On success every string is NUL-terminated (body also has body_len; it
 * may contain NUL bytes if the part did) and err/detail are "". On failure
 * *out holds nothing to free. err and detail may be NULL. Free with
 * eml_free(), which also accepts a zeroed or already freed message. */
int eml_parse(const char *data, size_t len, eml_message *out, char err[48], char detail[256]);
void eml_free(eml_message *m);

#endif
