/* test_convert.c — the cleaner's HTML-to-text converter (services/cleaner/
 * html.c) on real and focused cases.
 *
 *  - seed 003, a real WordPress REST API post: the text's paragraphs are the
 *    article's <p> elements one-to-one (counted and compared with an
 *    independent tag stripper here), typographic quotes and dashes decoded,
 *    and the title exact;
 *  - focused cases for every construct the converter has a rule for
 *    (layout, dropped elements, shortcodes, references, tokenizer corners,
 *    links), each input with the exact text it must give;
 *  - every output valid UTF-8 without NUL;
 *  - html5lib's character-reference cases through the whole converter;
 *  - a million nested tags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "entities.h"
#include "html.h"
#include "util.h"

/* ---- helpers ------------------------------------------------------------ */

static void convert(const char *html, size_t len, const char *base, html_text *t) {
    html_options opt = {base};
    char *copy = malloc(len ? len : 1); /* exact size: ASan sees a read past the end */
    assert_non_null(copy);
    memcpy(copy, html, len);
    assert_int_equal(html_to_text(copy, len, &opt, t), 0);
    free(copy);
    assert_true(sp_utf8_valid(t->text, t->len));
    assert_null(memchr(t->text, '\0', t->len));
    assert_int_equal(strlen(t->text), t->len);
}

static const char *source_dir(void) {
    const char *s = getenv("STORYPIPE_SOURCE");
    return s && *s ? s : ".";
}

static char *read_fixture(const char *rel, size_t *len) {
    char path[4096];
    char *s;
    snprintf(path, sizeof path, "%s/%s", source_dir(), rel);
    s = sp_read_file(path, 1 << 26, len);
    if (s == NULL) fprintf(stderr, "cannot read %s (set STORYPIPE_SOURCE)\n", path);
    assert_non_null(s);
    return s;
}

/* ---- focused cases ------------------------------------------------------- */

static const struct {
    const char *name, *html, *want;
} cases[] = {
    /* layout */
    {"paragraphs", "<p>One.</p><p>Two.</p>", "One.\n\nTwo."},
    {"unclosed p", "<p>One.<p>Two.", "One.\n\nTwo."},
    {"headings", "<h2>Title</h2>Body <h3>Sub</h3>More", "Title\n\nBody\n\nSub\n\nMore"},
    {"br in p", "<p>line one<br>line two<br/>line three</p>", "line one\nline two\nline three"},
    {"br br", "<p>a<br><br>b</p>", "a\n\nb"},
    {"blockquote", "<p>He said:</p><blockquote><p>Quote.</p></blockquote><p>After.</p>",
     "He said:\n\nQuote.\n\nAfter."},
    {"div soup", "<div><div>a</div><div><span>b</span></div></div>c", "a\n\nb\n\nc"},
    {"hr", "a<hr>b", "a\n\nb"},
    {"dl", "<dl><dt>Term</dt><dd>Definition</dd></dl>", "Term\n\nDefinition"},
    {"whitespace collapsed", "<p>  a \n\t b   c  </p>", "a b c"},
    {"inline keeps words", "foo<b>bar</b> <em>baz</em>, <a href=x>qux</a>.", "foobar baz, qux."},
    {"span splits nothing", "<span>N</span>o", "No"},
    {"comment between digits", "$<!--x-->90", "$90"},
    {"inline spaces", "a <em> b </em> c", "a b c"},
    {"uppercase tags", "<P>Upper</P><BR><DIV>Case</DIV>", "Upper\n\nCase"},
    {"unquoted attributes", "<p class=lead id=x>Text</p>", "Text"},
    {"gt in quoted attribute", "<p title=\"a > b\" data-x='c>d'>Text</p>", "Text"},
    {"empty", "", ""},
    {"whitespace only", " \n\t \n", ""},
    {"lt as text", "a < b and 1<2", "a < b and 1<2"},
    /* lists */
    /* an item is a block; items of a nested list are lines of their parent's block */
    {"ul", "<ul><li>one</li><li>two</li></ul>", "- one\n\n- two"},
    {"ol", "<ol><li>one<li>two</ol>", "1. one\n\n2. two"},
    {"ol start", "<ol start=\"4\"><li>four</li><li>five</li></ol>", "4. four\n\n5. five"},
    {"nested lists", "<ul><li>a<ul><li>a1</li><li>a2</li></ul></li><li>b</li></ul>",
     "- a\n  - a1\n  - a2\n\n- b"},
    {"nested ordered", "<ol><li>x<ol><li>y</li></ol></li></ol>", "1. x\n  1. y"},
    {"list after paragraph", "<p>Intro</p><ul><li>item</li></ul><p>Outro</p>", "Intro\n\n- item\n\nOutro"},
    /* pre */
    {"pre", "<pre>\n  x = 1;\n  y = 2;\n</pre>", "  x = 1;\n  y = 2;"},
    {"pre keeps inner newline", "<pre>line1\nline2</pre>", "line1\nline2"},
    {"pre entities", "<pre>if (a &lt; b &amp;&amp; c)</pre>", "if (a < b && c)"},
    {"pre between paragraphs", "<p>a</p><pre>b  c</pre><p>d</p>", "a\n\nb  c\n\nd"},
    /* tables */
    {"table", "<table><tr><th>Team</th><th>Score</th></tr><tr><td>A</td><td>1</td></tr></table>",
     "Team | Score\nA | 1"},
    {"table in text", "<p>Before</p><table><tr><td>x</td></tr></table><p>After</p>", "Before\n\nx\n\nAfter"},
    /* figures, captions, embeds */
    {"figure figcaption",
     "<figure class=\"wp-block-image\"><img src=\"a.jpg\" alt=\"A\"><figcaption>Photo: Reuters</figcaption></figure><p>Text</p>",
     "Photo: Reuters\n\nText"},
    {"caption shortcode",
     "[caption id=\"attachment_7\" align=\"aligncenter\" width=\"800\"]<img src=\"x.jpg\" /> The caption text[/caption]<p>Body</p>",
     "The caption text\n\nBody"},
    {"tweet embed",
     "<blockquote class=\"twitter-tweet\"><p lang=\"en\" dir=\"ltr\">Huge news today <a href=\"https://t.co/x\">pic.twitter.com/x</a></p>&mdash; Reporter (@rep) <a href=\"https://twitter.com/rep/status/1\">February 20, 2026</a></blockquote>\n<script async src=\"https://platform.twitter.com/widgets.js\" charset=\"utf-8\"></script><p>After</p>",
     "Huge news today pic.twitter.com/x\n\n\xE2\x80\x94 Reporter (@rep) February 20, 2026\n\nAfter"},
    {"instagram embed",
     "<blockquote class=\"instagram-media\" data-instgrm-permalink=\"https://www.instagram.com/p/X/\"><div><p><a href=\"https://www.instagram.com/p/X/\">A post shared by Studio (@studio)</a></p></div></blockquote><script async src=\"//www.instagram.com/embed.js\"></script>",
     "A post shared by Studio (@studio)"},
    {"embed shortcode", "<p>Watch:</p>[embed]https://www.youtube.com/watch?v=x[/embed]<p>Next</p>", "Watch:\n\nNext"},
    {"gallery shortcode", "<p>a</p>[gallery ids=\"1,2,3\"]<p>b</p>", "a\n\nb"},
    {"plugin shortcodes keep text", "[vc_row][vc_column]Inside text[/vc_column][/vc_row]", "Inside text"},
    {"contact form", "<p>Write to us</p>[contact-form-7 id=\"12\" title=\"Contact\"]", "Write to us"},
    {"brackets are text", "A claim [1] by [Reuters] [sic].", "A claim [1] by [Reuters] [sic]."},
    {"block comments", "<!-- wp:paragraph -->\n<p>Block</p>\n<!-- /wp:paragraph -->", "Block"},
    /* dropped */
    {"script style", "a<script>var x = '<p>no</p>';</script>b<style>p{}</style>c", "abc"},
    {"script escape", "a<script><!-- document.write('<script>x</script>'); --></script>b", "ab"},
    {"noscript iframe", "a<noscript><img src=x>no</noscript><iframe src=y>no</iframe>b", "ab"},
    {"svg math template", "a<svg><text>no</text></svg>b<math><mi>x</mi></math>c<template><p>no</p></template>d",
     "abcd"},
    {"form controls", "a<select><option>no</option></select><button>no</button><textarea>no</textarea><input value=no>b",
     "ab"},
    {"title dropped", "<head><title>Page</title></head><body><p>Body</p></body>", "Body"},
    {"object", "<object data=x><p>fallback</p></object>after", "after"},
    /* tokenizer corners */
    {"unterminated comment", "kept<!-- lost <p>lost</p>", "kept"},
    {"cdata is a bogus comment", "a<![CDATA[x]]>b", "ab"}, /* up to the first '>' */
    {"cdata with markup", "a<![CDATA[x > y]]>b", "a y]]>b"},
    {"bogus comments", "a<?xml version=\"1.0\"?>b</ x>c<!DOCTYPE html>d", "abcd"},
    {"tag cut off at the end", "text<p class=\"x", "text"},
    {"plaintext", "a<plaintext><p>&amp;</p>", "a<p>&amp;</p>"},
    /* references and characters */
    {"typographic", "&#8220;Quote&#8221; &#8211; it&#8217;s &#8212; done&#8230;",
     "\xE2\x80\x9CQuote\xE2\x80\x9D \xE2\x80\x93 it\xE2\x80\x99s \xE2\x80\x94 done\xE2\x80\xA6"},
    {"named", "&eacute;t&eacute; &notin; &Abreve;", "\xC3\xA9t\xC3\xA9 \xE2\x88\x89 \xC4\x82"},
    {"legacy without semicolon", "&amp &copy 2026 &notit;", "& \xC2\xA9 2026 \xC2\xACit;"},
    {"not legacy", "&Abreve &lang", "&Abreve &lang"},
    {"bare ampersand", "AT&T & co", "AT&T & co"},
    {"windows-1252", "&#128;&#150;&#x92;", "\xE2\x82\xAC\xE2\x80\x93\xE2\x80\x99"},
    {"replacement", "a&#0;b&#xD800;c&#x110000;d", "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD" "d"},
    {"nbsp", "a&nbsp;b\xC2\xA0" "c", "a b c"},
    {"soft hyphen zero width", "co&shy;operate zero\xE2\x80\x8Bwidth\xEF\xBB\xBF", "cooperate zerowidth"},
    {"invalid utf-8", "a\xFF" "b\xC3" "c", "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c"},
    {"nul", "a\0b", "a\xEF\xBF\xBD" "b"},
    {"cjk", "<p>\xE4\xB8\xAD\xE5\x9B\xBD</p>", "\xE4\xB8\xAD\xE5\x9B\xBD"},
};

static void test_cases(void **state) {
    int failed = 0;
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        html_text t;
        size_t len = strlen(cases[i].html);
        if (strcmp(cases[i].name, "nul") == 0) len = 3;
        convert(cases[i].html, len, NULL, &t);
        if (strcmp(t.text, cases[i].want) != 0) {
            fprintf(stderr, "%s:\n  html: %s\n  want: '%s'\n  got:  '%s'\n", cases[i].name, cases[i].html,
                    cases[i].want, t.text);
            failed++;
        }
        html_text_free(&t);
    }
    assert_true(sizeof cases / sizeof cases[0] >= 40);
    assert_int_equal(failed, 0);
}

/* ---- links --------------------------------------------------------------- */

static void test_links(void **state) {
    const char *html =
        "<p>See <a href=\"/ca/tag/ai/\">  the AI tag </a>, <a href='https://example.com/x?a=1&amp;b=2'>this</a>,"
        " <a href=\"javascript:void(0)\">a button</a>, <a href=\"#top\">top</a>, <a>no href</a>,"
        " <a href=\"mailto:x@y.z\">mail</a> and <a href=\"https://example.com/?q=1&not=2\">attr rule</a>.</p>";
    html_text t;
    (void)state;
    convert(html, strlen(html), "https://www.newsbeep.com/ca/493939/", &t);
    /* the space before </a> is text, as a browser shows it */
    assert_string_equal(t.text, "See the AI tag , this, a button, top, no href, mail and attr rule.");
    assert_int_equal(t.n_links, 3);
    assert_string_equal(t.links[0].href, "https://www.newsbeep.com/ca/tag/ai/");
    assert_string_equal(t.links[0].text, "the AI tag");
    assert_string_equal(t.links[1].href, "https://example.com/x?a=1&b=2");
    assert_string_equal(t.links[1].text, "this");
    assert_string_equal(t.links[2].href, "https://example.com/?q=1&not=2");
    html_text_free(&t);
    /* without a base, a relative href is no link */
    convert(html, strlen(html), NULL, &t);
    assert_int_equal(t.n_links, 2);
    html_text_free(&t);
}

/* ---- seed 003 ------------------------------------------------------------ */

/* Inner text of each <p ...>...</p> of `html`, by a deliberately simple
 * route: strip tags, decode with html_decode, collapse white space. */
static size_t paragraphs_of(const char *html, char ***out) {
    size_t n = 0;
    char **v = NULL;
    const char *p = html;
    while ((p = strstr(p, "<p")) != NULL) {
        const char *start = strchr(p, '>'), *end;
        if (start == NULL || !(p[2] == ' ' || p[2] == '>')) { p += 2; continue; }
        end = strstr(start, "</p>");
        assert_non_null(end);
        char *raw = malloc((size_t)(end - start)), *dec = malloc(HTML_DECODE_BOUND((size_t)(end - start)) + 1);
        size_t r = 0, d, k = 0;
        int in_tag = 0, space = 0;
        for (const char *q = start + 1; q < end; q++) {
            if (*q == '<') in_tag = 1;
            else if (*q == '>') in_tag = 0;
            else if (!in_tag) raw[r++] = *q;
        }
        d = html_decode(raw, r, 0, dec);
        for (size_t i = 0; i < d; i++) { /* collapse white space, nbsp included */
            int ws = dec[i] == ' ' || dec[i] == '\n' || dec[i] == '\t' || dec[i] == '\r';
            if (i + 1 < d && (unsigned char)dec[i] == 0xC2 && (unsigned char)dec[i + 1] == 0xA0) ws = 1, i++;
            if (ws) { space = k > 0; continue; }
            if (space) dec[k++] = ' ', space = 0;
            dec[k++] = dec[i];
        }
        dec[k] = '\0';
        free(raw);
        if (k > 0) { /* an empty paragraph (an image alone) has no text */
            v = realloc(v, (n + 1) * sizeof *v);
            v[n++] = dec;
        } else {
            free(dec);
        }
        p = end;
    }
    *out = v;
    return n;
}

static void test_seed_003(void **state) {
    size_t len, n_want, n_got = 0;
    char *file = read_fixture("tests/fixtures/seeds/003_9d9fcb9bef2a428f.txt", &len), **want;
    json_error_t err;
    json_t *post = json_loadb(file, len, 0, &err);
    const char *content, *title;
    html_text t;
    (void)state;
    assert_non_null(post);
    content = json_string_value(json_object_get(json_object_get(post, "content"), "rendered"));
    title = json_string_value(json_object_get(json_object_get(post, "title"), "rendered"));
    assert_non_null(content);

    convert(content, strlen(content), json_string_value(json_object_get(post, "link")), &t);
    n_want = paragraphs_of(content, &want);
    assert_true(n_want >= 20);
    /* the text's paragraphs, one per <p>, in order */
    for (char *p = t.text, *q; p && *p; p = q) {
        q = strstr(p, "\n\n");
        size_t n = q ? (size_t)(q - p) : strlen(p);
        assert_true(n_got < n_want);
        if (strlen(want[n_got]) != n || memcmp(want[n_got], p, n) != 0) {
            fprintf(stderr, "paragraph %zu:\n  want '%s'\n  got  '%.*s'\n", n_got, want[n_got], (int)n, p);
            fail();
        }
        n_got++;
        if (q) q += 2;
    }
    assert_int_equal(n_got, n_want);
    /* decoded typography, verbatim */
    assert_non_null(strstr(t.text, "Hollywood\xE2\x80\x99s premier trade organization"));
    assert_non_null(strstr(t.text, "\xE2\x80\x9CThere\xE2\x80\x99s a kind of nationalist fervor around who\xE2\x80\x99s going to \xE2\x80\x98win\xE2\x80\x99 the space race of AI,\xE2\x80\x9D said Ramesh Srinivasan"));
    assert_non_null(strstr(t.text, "with one commonality \xE2\x80\x93\xE2\x80\x93 they were created"));
    assert_null(strstr(t.text, "&#"));
    assert_null(strstr(t.text, "<"));
    html_text_free(&t);

    convert(title, strlen(title), NULL, &t);
    assert_string_equal(t.text, "Seedance 2.0: China\xE2\x80\x99s latest AI is so good it\xE2\x80\x99s spooked Hollywood. "
                                "Will its tech sector pump the brakes?");
    html_text_free(&t);
    for (size_t i = 0; i < n_want; i++) free(want[i]);
    free(want);
    json_decref(post);
    free(file);
}

/* ---- html5lib character references, through the converter ---------------- */

/* What the converter's text rules make of a string of characters: nbsp is
 * a space, U+00AD/U+200B/U+2060/U+FEFF go, C0 controls other than white
 * space and DEL go, NUL is U+FFFD, white space collapses, ends trimmed. */
static char *text_rules(const char *s, size_t n) {
    char *o = malloc(n * 3 + 1);
    size_t k = 0;
    int space = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t step = 1;
        uint32_t cp = c;
        if (c >= 0xC0) {
            step = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            cp = c & (0x3F >> (step - 1));
            for (size_t j = 1; j < step; j++) cp = cp << 6 | ((unsigned char)s[i + j] & 0x3F);
        }
        if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == 0xA0) {
            space = k > 0;
        } else if (cp == 0xAD || cp == 0x200B || cp == 0x2060 || cp == 0xFEFF || (cp < 0x20 && cp != 0) || cp == 0x7F) {
            /* dropped */
        } else {
            if (space) o[k++] = ' ', space = 0;
            if (cp == 0) memcpy(o + k, "\xEF\xBF\xBD", 3), k += 3;
            else memcpy(o + k, s + i, step), k += step;
        }
        i += step;
    }
    o[k] = '\0';
    return o;
}

static void test_html5lib(void **state) {
    static const char *files[] = {"namedEntities.test", "numericEntities.test", "entities.test"};
    size_t passed = 0, skipped = 0, failed = 0;
    (void)state;
    for (size_t f = 0; f < 3; f++) {
        char rel[256];
        size_t len, i;
        json_t *root, *test;
        snprintf(rel, sizeof rel, "tests/fixtures/html5lib/%s", files[f]);
        char *data = read_fixture(rel, &len);
        root = json_loadb(data, len, 0, NULL);
        assert_non_null(root);
        json_array_foreach(json_object_get(root, "tests"), i, test) {
            json_t *states = json_object_get(test, "initialStates"), *output = json_object_get(test, "output"), *tok;
            const char *input = json_string_value(json_object_get(test, "input"));
            size_t j, want_len = 0;
            char want_raw[4096];
            int chars_only = 1;
            if (json_is_true(json_object_get(test, "doubleEscaped")) ||
                (states && !(json_array_size(states) == 1 &&
                             strcmp(json_string_value(json_array_get(states, 0)), "Data state") == 0))) {
                skipped++;
                continue;
            }
            json_array_foreach(output, j, tok) {
                const char *s;
                if (!json_is_array(tok) || strcmp(json_string_value(json_array_get(tok, 0)), "Character") != 0) {
                    chars_only = 0;
                    break;
                }
                s = json_string_value(json_array_get(tok, 1));
                assert_true(want_len + strlen(s) < sizeof want_raw);
                memcpy(want_raw + want_len, s, strlen(s));
                want_len += strlen(s);
            }
            /* '<' in the input would be markup here, not text */
            if (!chars_only || strchr(input, '<')) {
                skipped++;
                continue;
            }
            html_text t;
            char *want = text_rules(want_raw, want_len);
            convert(input, json_string_length(json_object_get(test, "input")), NULL, &t);
            if (strcmp(t.text, want) == 0) {
                passed++;
            } else {
                failed++;
                fprintf(stderr, "%s: %s: want '%s' got '%s'\n", files[f],
                        json_string_value(json_object_get(test, "description")), want, t.text);
            }
            free(want);
            html_text_free(&t);
        }
        json_decref(root);
        free(data);
    }
    fprintf(stderr, "html5lib through the converter: %zu passed, %zu failed, %zu not Data-state character cases\n",
            passed, failed, skipped);
    assert_int_equal(failed, 0);
    assert_true(passed >= 4000);
}

/* ---- nesting ------------------------------------------------------------ */

static char *repeat(const char *open, const char *middle, const char *close, size_t n, size_t *len) {
    size_t a = strlen(open), m = strlen(middle), c = strlen(close);
    char *s = malloc(n * (a + c) + m + 1), *p = s;
    for (size_t i = 0; i < n; i++, p += a) memcpy(p, open, a);
    memcpy(p, middle, m), p += m;
    for (size_t i = 0; i < n; i++, p += c) memcpy(p, close, c);
    *len = (size_t)(p - s);
    return s;
}

static void test_million_nested(void **state) {
    static const struct { const char *open, *close, *want; } nests[] = {
        {"<div>", "</div>", "deep"},
        {"<span>", "", "deep"},     /* unclosed */
        {"<b>", "", "deep"},
        {"<svg>", "</svg>", ""},
        {"<blockquote>", "", "deep"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof nests / sizeof nests[0]; i++) {
        size_t len;
        char *s = repeat(nests[i].open, "deep", nests[i].close, 1000000, &len);
        html_text t;
        convert(s, len, NULL, &t);
        assert_string_equal(t.text, nests[i].want);
        html_text_free(&t);
        free(s);
    }
    /* nested lists: the text is there, indentation is capped */
    size_t len;
    char *s = repeat("<ul><li>", "deep", "</li></ul>", 1000000, &len);
    html_text t;
    convert(s, len, NULL, &t);
    assert_non_null(strstr(t.text, "- deep"));
    assert_true(t.len < 200);
    html_text_free(&t);
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),    cmocka_unit_test(test_links),
        cmocka_unit_test(test_seed_003), cmocka_unit_test(test_html5lib),
        cmocka_unit_test(test_million_nested),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
