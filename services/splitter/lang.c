/* lang.c — see lang.h. Han with no kana is Chinese, kana is Japanese,
 * Hangul is Korean (each when that script makes most of the letters);
 * Latin text is English when at least one word in eight is one of the
 * commonest English function words. */
#include "lang.h"

#include <string.h>

static const char *const english[] = {"the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "with",
                                      "as", "was", "on", "its", "by", "has", "are", "from", "at", "an", NULL};

static int is_english_word(const char *w, size_t n) {
    char low[8];
    if (n == 0 || n >= sizeof low) return 0;
    for (size_t i = 0; i < n; i++) low[i] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] + 32 : w[i]);
    for (int i = 0; english[i]; i++)
        if (strlen(english[i]) == n && memcmp(english[i], low, n) == 0) return 1;
    return 0;
}

const char *lang_guess(const char *text, size_t len) {
    size_t latin = 0, han = 0, kana = 0, hangul = 0, words = 0, common = 0, letters;
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    while (p < end) {
        if (*p < 0x80) {
            const unsigned char *w = p;
            while (p < end && ((*p | 32) >= 'a' && (*p | 32) <= 'z')) p++;
            if (p > w) {
                latin += (size_t)(p - w);
                words++;
                common += is_english_word((const char *)w, (size_t)(p - w));
            } else {
                p++;
            }
            continue;
        }
        if ((*p & 0xF0) == 0xE0 && end - p >= 3) {
            unsigned cp = (unsigned)(p[0] & 0x0F) << 12 | (unsigned)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
            if (cp >= 0x4E00 && cp <= 0x9FFF) han++;
            else if (cp >= 0x3040 && cp <= 0x30FF) kana++;
            else if (cp >= 0xAC00 && cp <= 0xD7AF) hangul++;
            p += 3;
            continue;
        }
        p++;
    }
    letters = latin + han + kana + hangul;
    if (letters == 0) return NULL;
    if (hangul * 2 > letters) return "ko";
    if (kana > 0 && (han + kana) * 2 > letters) return "ja";
    if (han * 2 > letters) return "zh";
    if (latin * 2 > letters && words >= 5 && common * 8 >= words) return "en";
    return NULL;
}
