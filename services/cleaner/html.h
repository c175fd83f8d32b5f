/* html.h — HTML to plain text, the cleaner's core.
 *
 * One pass over the bytes, no DOM: a tokenizer that follows the HTML5 rules
 * that matter for text (character references, raw-text elements, comments,
 * quoted attributes, bogus comments, CDATA) feeding a layout that puts one
 * blank line between blocks, a newline for <br>, "- " / "1. " before list
 * items, " | " between table cells, keeps <pre> verbatim, collapses white
 * space elsewhere, and drops what is not text (scripts, styles, embeds,
 * forms, WordPress shortcodes — keeping the text of [caption]). Nesting
 * cannot exhaust the stack: nothing recurses and every stack is bounded.
 * The text is always valid UTF-8 (invalid input bytes become U+FFFD). */
#ifndef HTML_H
#define HTML_H

#include <stddef.h>

typedef struct html_link {
    char *href; /* absolute http(s) URL, resolved against the base */
    char *text; /* the anchor text */
} html_link;

typedef struct html_text {
    char *text; /* NUL-terminated, valid UTF-8 */
    size_t len;
    html_link *links;
    size_t n_links;
} html_text;

typedef struct html_options {
    const char *base_url; /* for relative links; may be NULL */
} html_options;

/* Convert; 0 on success (the only failure is running out of memory,
 * which aborts). Free the result with html_text_free(). */
int html_to_text(const char *html, size_t len, const html_options *opt, html_text *out);
void html_text_free(html_text *t);

#endif
