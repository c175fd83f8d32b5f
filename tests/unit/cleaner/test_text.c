/* test_text.c — the cleaner's newsletter text normaliser (clean_plain_text
 * in services/cleaner/text.c): CRLF and lone CR become LF, a BOM goes,
 * trailing white space is trimmed from every line and from the end, and
 * more than two blank lines in a row fold into two; everything else,
 * including leading indentation and non-ASCII text, stays as it is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clean.h"

static void expect(const char *in, const char *want) {
    size_t n = (size_t)-1;
    char *got = clean_plain_text(in, strlen(in), &n);
    if (n != strlen(want) || strcmp(got, want) != 0) {
        fprintf(stderr, "in '%s': got '%s' (%zu bytes), want '%s'\n", in, got, n, want);
        fail();
    }
    free(got);
}

static void test_line_ends(void **state) {
    (void)state;
    expect("a\r\nb\r\n", "a\nb");
    expect("a\rb\r", "a\nb");
    expect("a\r\r\nb", "a\n\nb");
    expect("a\n\r\nb", "a\n\nb");
}

static void test_bom(void **state) {
    (void)state;
    expect("\xEF\xBB\xBFHeadline\nText", "Headline\nText");
    expect("Headline \xEF\xBB\xBF", "Headline \xEF\xBB\xBF"); /* only a leading BOM is one */
}

static void test_trailing_space(void **state) {
    (void)state;
    expect("a  \nb\t\n", "a\nb");
    expect("  indented\n\tkept", "  indented\n\tkept");
    expect("a \r\n \r\nb", "a\n\nb");
    expect("text\n\n\n   \n", "text");
}

static void test_blank_lines(void **state) {
    (void)state;
    expect("a\n\nb", "a\n\nb");
    expect("a\n\n\nb", "a\n\n\nb");         /* two blank lines stay */
    expect("a\n\n\n\n\n\nb", "a\n\n\nb");   /* more fold into two */
    expect("a\r\n\r\n\r\n\r\n\r\nb", "a\n\n\nb");
}

static void test_text_kept(void **state) {
    (void)state;
    expect("", "");
    expect("\n\n", "");
    expect("(1) 中国 – \xE2\x80\x9CSpace Race\xE2\x80\x9D", "(1) 中国 – \xE2\x80\x9CSpace Race\xE2\x80\x9D");
    expect("<p>not HTML here</p> &amp;", "<p>not HTML here</p> &amp;");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_ends),   cmocka_unit_test(test_bom),
        cmocka_unit_test(test_trailing_space), cmocka_unit_test(test_blank_lines),
        cmocka_unit_test(test_text_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
