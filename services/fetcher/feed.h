/* feed.h — news sites publish their posts as RSS or Atom feeds; this turns
 * one feed document into its items (id, link, title, dates, author,
 * content), so the fetcher can poll a site's feed instead of scraping its
 * pages. XML is parsed by libxml2, hardened against hostile documents:
 * no network, no external entities or DTDs, libxml2's size limits, entity
 * expansion bounded, nothing printed to stderr.
 *
 * What comes from where:
 *   RSS 2.0 (and 0.9x)   <rss><channel><item>: guid, link, title, pubDate or
 *                        dc:date, dc:creator or author, content:encoded or
 *                        description (both "text/html", as RSS defines
 *                        description as entity-encoded HTML);
 *   RSS 1.0 / RDF        <rdf:RDF><item rdf:about>: the same elements, the
 *                        id is rdf:about;
 *   Atom 1.0             <feed><entry> (or a lone <entry> document): id,
 *                        link rel="alternate", title, published, updated,
 *                        author (the feed's when the entry has none),
 *                        content or summary ("text" is "text/plain", "html"
 *                        and "xhtml" are "text/html", xhtml written as HTML).
 * Strings are trimmed; titles and authors have their white space runs
 * collapsed to one space. An entity the document uses but does not declare
 * (an HTML entity such as &nbsp; under an undeclared DTD) is kept as written,
 * "&nbsp;", for the HTML stage to decode. */
#ifndef FEED_H
#define FEED_H

#include <stddef.h>

typedef struct feed_item {
    char *id;          /* guid / atom:id, or the link when absent; never NULL */
    char *link;        /* absolute URL, or NULL */
    char *title;       /* text (entities decoded; may contain HTML tags if the feed put them there), or NULL */
    char *published;   /* RFC 3339 UTC, or NULL */
    char *modified;    /* RFC 3339 UTC, or NULL */
    char *author;      /* or NULL */
    char *content;     /* content:encoded, atom content, or description/summary; never NULL ("" when none) */
    const char *content_type; /* "text/html" or "text/plain" (static) */
} feed_item;

typedef struct feed {
    char *title;       /* the feed's title, or NULL */
    char *link;        /* the feed's site link, or NULL */
    feed_item *items;
    size_t n_items;
} feed;

/* Parse an RSS 2.0, RSS 1.0/RDF or Atom 1.0 document (any encoding libxml2
 * knows; the result is UTF-8). base_url (may be NULL) resolves relative
 * links (use curl's URL API, curl_url, for resolving, as the project does).
 * 0, or -1 with a reason code in err ("invalid_xml", "not_a_feed") and
 * details in detail.
 *
 * Details:
 *  - links: only http(s) URLs are kept (others, and relative links that
 *    cannot be resolved, are NULL). A relative link is resolved against the
 *    xml:base attributes in scope, and below them against the feed's own
 *    site link (which names the site the items belong to, also when the
 *    feed is served from elsewhere), or base_url when the feed has none.
 *    The feed's link itself is resolved against xml:base and base_url;
 *  - an item with neither id nor link gets a stable made-up id,
 *    "urn:storypipe:feed-item:" and 16 hex digits of the hash of its title,
 *    published date and content;
 *  - an RSS item without <link> takes its guid as link when the guid is a
 *    permalink (isPermaLink not "false") and an absolute http(s) URL;
 *  - dates: RFC 822/2822 (day names and seconds optional, 2-digit years,
 *    numeric zones with or without a colon, the US zone names and common
 *    others; an unknown zone name counts as UTC, as RFC 2822 says) and
 *    RFC 3339/ISO 8601 (fractions dropped, date alone is midnight, no zone
 *    is UTC), either in either place; written "YYYY-MM-DDTHH:MM:SSZ".
 *    An unparseable date is NULL, not an error;
 *  - "invalid_xml": not well-formed (the detail is libxml2's first fatal
 *    error with its line), an encoding libxml2 cannot convert, a text node
 *    above libxml2's 10 MB limit, an entity loop or exponential entities
 *    (libxml2), or internal entities that would expand to more than the
 *    document's size (at least 1 MiB) in total;
 *  - "not_a_feed": well-formed XML whose root is none of the above (the
 *    detail names the root element), or an <rss> without <channel>.
 * On failure *out is left empty (feed_free() on it is harmless).
 * Thread-safe: any number of threads may parse at once. */
int feed_parse(const char *data, size_t len, const char *base_url, feed *out, char err[48], char detail[256]);
void feed_free(feed *f);

#endif
