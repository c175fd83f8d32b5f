/* lines.h — a plain-text document as the splitter's rules see it: its
 * non-blank lines, trimmed, each with the number of the paragraph (run of
 * lines between blank lines) it belongs to. Digests put one paragraph on a
 * line or separate paragraphs by blank lines; the rules look at both. */
#ifndef LINES_H
#define LINES_H

#include <stddef.h>

typedef struct line {
    const char *s; /* into the text, not NUL-terminated */
    size_t n;
    size_t para;   /* paragraph number, 0-based */
} line;

typedef struct text_lines {
    line *v;
    size_t n;
    size_t n_paras;
} text_lines;

/* Split text[0..len): LF, CRLF or CR end a line; a leading BOM, and white
 * space (ASCII and no-break space) around each line, are not part of it. */
void lines_split(const char *text, size_t len, text_lines *out);
void lines_free(text_lines *l);

/* Words (runs of non-space bytes) in a line. */
size_t line_words(const line *l);
/* 1 if the line starts with prefix, ignoring ASCII case. */
int line_starts_with(const line *l, const char *prefix);
/* 1 if the line is one http(s) URL and nothing else. */
int line_is_url(const line *l);
/* The last byte of the line, or 0 for an empty one. */
char line_last(const line *l);

#endif
