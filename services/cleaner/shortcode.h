/* shortcode.h — WordPress shortcodes left in post content ([caption ...],
 * [embed]URL[/embed], [gallery ids="1,2"], [vc_row]...[/vc_row], [divider /]),
 * told apart from bracketed text ("[1]", "[Reuters]", "[sic]").
 *
 * A bracket is a shortcode tag when it has a shortcode's shape (a name of
 * letters, digits, '_' and '-' starting with a letter, then attributes, up
 * to ']' on the same stretch of text) and one of: it is a closing tag
 * ("[/name]"), it closes itself ("[name /]"), it has attributes
 * ("[name a=1]"), its name is a well-known one, or a "[/name]" follows later
 * in the document. Bracketed words never have a closing tag, so they stay. */
#ifndef SHORTCODE_H
#define SHORTCODE_H

#include <stddef.h>

typedef struct sc_tag {
    const char *name;
    size_t name_len;
    int closing;       /* "[/name]" */
    int self_closing;  /* "[name ... /]" */
    int has_attrs;     /* "[name a=b]" */
    const char *end;   /* just past the ']' */
    const char *caption;    /* the raw value of a caption="..." attribute, or NULL */
    size_t caption_len;
} sc_tag;

/* 1 when p (at a '[') starts something of a shortcode tag's shape; fills t. */
int sc_parse(const char *p, const char *end, sc_tag *t);

/* 1 for names WordPress and the common plugins use (caption, embed,
 * gallery, vc_*, et_pb_*...). */
int sc_known(const char *name, size_t n);

/* Where each name's last closing tag is in a document: built with one pass
 * over it, so that asking costs no further scanning. */
typedef struct sc_index sc_index;
sc_index *sc_index_new(const char *text, size_t len);
/* 1 if a "[/name]" starts after byte offset `pos`. */
int sc_closed_after(const sc_index *ix, const char *name, size_t n, size_t pos);
void sc_index_free(sc_index *ix);

#endif
