/* html5lib.h — reading the html5lib tokenizer tests (tests/fixtures/
 * html5lib, copied from the html5lib-tests project): their files and their
 * strings. Shared by test_entities.c (the character reference decoder) and
 * test_html.c (the whole converter), which each include it once: the
 * functions are static. */
#ifndef TEST_HTML5LIB_H
#define TEST_HTML5LIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "util.h"

/* The three files about character references. */
static const char *const h5_files[] = {"namedEntities.test", "numericEntities.test", "entities.test"};
#define H5_FILES (sizeof h5_files / sizeof *h5_files)

static int h5_hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 32;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The "tests" array of fixture file `name` into *root (json_decref it);
 * NULL, said on stderr, when it cannot be read. The fixtures are found from
 * STORYPIPE_SOURCE (ctest sets it), else from where this file is. */
static json_t *h5_load(const char *name, json_t **root) {
    const char *src = getenv("STORYPIPE_SOURCE"), *file = __FILE__, *slash = strrchr(file, '/');
    char path[4200];
    json_error_t err;
    json_t *tests;
    if (src && *src) snprintf(path, sizeof path, "%s/tests/fixtures/html5lib/%s", src, name);
    else if (slash) snprintf(path, sizeof path, "%.*s/../../fixtures/html5lib/%s", (int)(slash - file), file, name);
    else snprintf(path, sizeof path, "../../fixtures/html5lib/%s", name); /* compiled from within tests/unit/cleaner */
    if ((*root = json_load_file(path, JSON_ALLOW_NUL, &err)) == NULL) {
        fprintf(stderr, "%s: %s (line %d)\n", path, err.text, err.line);
        return NULL;
    }
    tests = json_object_get(*root, "tests");
    if (!json_is_array(tests) || json_array_size(tests) == 0) {
        fprintf(stderr, "%s: no \"tests\" array\n", path);
        return NULL;
    }
    return tests;
}

/* doubleEscaped: \uHHHH -> UTF-8 (a surrogate pair combined; a lone
 * surrogate written as its 3-byte form, which is not valid UTF-8 and which
 * the decoder passes through). */
static void h5_unescape_u(sp_buf *b, const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned cp = 0;
        int ok = i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u';
        for (int k = 0; ok && k < 4; k++) {
            int h = h5_hex_value((unsigned char)s[i + 2 + k]);
            if (h < 0) ok = 0;
            else cp = cp * 16 + (unsigned)h;
        }
        if (!ok) {
            sp_buf_put(b, s + i, 1);
            i++;
            continue;
        }
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u') {
            unsigned lo = 0;
            int ok2 = 1;
            for (int k = 0; k < 4; k++) {
                int h = h5_hex_value((unsigned char)s[i + 2 + k]);
                if (h < 0) ok2 = 0;
                else lo = lo * 16 + (unsigned)h;
            }
            if (ok2 && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
        }
        char u[4];
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            u[0] = (char)(0xE0 | cp >> 12);
            u[1] = (char)(0x80 | ((cp >> 6) & 63));
            u[2] = (char)(0x80 | (cp & 63));
            sp_buf_put(b, u, 3);
        } else {
            sp_buf_put(b, u, sp_utf8_encode(cp, u));
        }
    }
}

/* A JSON string's text into b (emptied first), unescaped again if the test
 * is doubleEscaped. */
static void h5_get_text(sp_buf *b, json_t *str, int double_escaped) {
    b->len = 0;
    sp_buf_put(b, "", 0);
    if (double_escaped) h5_unescape_u(b, json_string_value(str), json_string_length(str));
    else sp_buf_put(b, json_string_value(str), json_string_length(str));
}

#endif
