/* entities.h — HTML5 character references (&amp; &notin; &#233; &#x1F600;),
 * decoded exactly as the HTML5 tokenizer's "character reference state" does.
 *
 * The converter calls html_charref() when it meets a '&' in text (data or
 * RCDATA state: in_attribute = 0) or in an attribute value (in_attribute = 1);
 * no references are decoded in RAWTEXT, script data, PLAINTEXT or CDATA. The
 * input is expected to be preprocessed already (CR LF / CR -> LF) if the caller
 * wants that; nothing here looks at line ends.
 *
 * Rules (https://html.spec.whatwg.org/#character-reference-state):
 *  - Named: the LONGEST name in the table that is a prefix of the input after
 *    the '&' wins, with or without its ';' — but the bare form only for the
 *    106 legacy names that allow it ("&notit;" -> "¬it;", "&notin;" -> "∉",
 *    "&ampx" -> "&x", "&lang" -> literal). In an attribute, a match that does
 *    not end in ';' and is followed by '=' or an ASCII alphanumeric is not a
 *    reference ("<a href=?x=1&not=2>" keeps "&not=2").
 *  - Numeric: &#DDD; &#xHHH; &#XHHH; — the ';' may be missing; no digits
 *    ("&#;", "&#x;", "&#xg") is not a reference. 0, > U+10FFFF and surrogates
 *    give U+FFFD; 0x80..0x9F go through the spec's Windows-1252 table (those it
 *    has no entry for — 81 8D 8F 90 9D — stay C1 code points); noncharacters
 *    and other controls (incl. CR) are kept. Any number of digits is fine:
 *    the value is clamped, never overflows.
 *
 * Not a reference (return 0): the caller emits the '&' as text and carries on
 * at the byte after it. That is exactly what the spec produces in every such
 * case (it flushes the consumed characters as text, and they are ASCII
 * letters, digits, '#', 'x' or 'X' — never another '&').
 *
 * Output size: a reference's UTF-8 is never longer than the reference itself
 * EXCEPT for "&nGt;" and "&nLt;" (5 bytes -> 6: U+226B/U+226A + U+20D2), so a
 * decoded buffer can grow by 1 byte per 5 input bytes. Size html_decode()'s
 * output with HTML_DECODE_BOUND(len). */
#ifndef ENTITIES_H
#define ENTITIES_H

#include <stddef.h>
#include <stdint.h>

/* Longest UTF-8 one reference can produce (named: 6, numeric: 4). */
#define HTML_CHARREF_MAX_UTF8 6
/* Room html_decode() may need for `len` input bytes (see above). */
#define HTML_DECODE_BOUND(len) ((len) + (len) / 5)

/* Decode the character reference at s (s[0] must be '&'; at most `len` bytes
 * are read, and the end of the buffer is treated as the end of the input).
 * Returns the number of input bytes it consumed (incl. the '&' and any ';')
 * and writes its UTF-8 to out (*out_len bytes, 1..6, not NUL-terminated);
 * returns 0 if there is no reference here (see above), leaving out and
 * *out_len untouched. */
size_t html_charref(const char *s, size_t len, int in_attribute, char out[8], size_t *out_len);

/* Decode every reference in s[0..len) into out, which must have room for
 * HTML_DECODE_BOUND(len) bytes and must not overlap s. Returns the number of
 * bytes written (no NUL is added). Bytes other than references are copied
 * unchanged (no UTF-8 validation, no line-end or NUL handling). */
size_t html_decode(const char *s, size_t len, int in_attribute, char *out);

/* ---- The generated table (entities_table.c, by scripts/gen_entities.py) ----
 * One row per name without its ';', sorted bytewise; every row's name may be
 * written with a ';', and rows flagged HTML_ENTITY_LEGACY also without. */
#define HTML_ENTITY_LEGACY 1u

struct html_entity {
    uint16_t name_off;    /* into html_entity_names */
    uint8_t name_len;     /* without the ';' */
    uint8_t flags;        /* HTML_ENTITY_LEGACY */
    uint8_t utf8_len;     /* 1..HTML_CHARREF_MAX_UTF8 */
    char utf8[7];         /* the replacement, NUL-padded */
};

extern const struct html_entity html_entities[];
extern const size_t html_entity_count;      /* rows: 2,125 */
extern const size_t html_entity_name_count; /* names with and without ';': 2,231 */
extern const char html_entity_names[];

/* The row whose name is the longest match at s (just past the '&', `len`
 * bytes readable), honouring the ';' rule; *consumed gets the bytes matched
 * (name, plus the ';' if there was one). NULL if none matches. */
const struct html_entity *html_entity_match(const char *s, size_t len, size_t *consumed);

#endif
