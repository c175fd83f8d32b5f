/* wp_server.c — a fast stand-in for a WordPress site's REST API, for
 * bench/fetcher.sh: pages of posts (JSON files made beforehand by the
 * test fixture, tests/http_fixture.py) served from memory by libmicrohttpd,
 * so that the benchmark measures the fetcher and not a PHP or Python
 * server. Any path is answered as /wp-json/wp/v2/posts: ?page=N gives page
 * N (1..PAGES) with X-WP-Total and X-WP-TotalPages, as WordPress does, and
 * a page past the end gives WordPress's 400 rest_post_invalid_page_number.
 * Other parameters (per_page, orderby, modified_after, _fields) are ignored:
 * the pages were made with the ones the fetcher sends.
 *
 *   wp_server PORT DIR     DIR holds 1.json .. PAGES.json and total (the
 *                          number of posts); serves on 127.0.0.1:PORT until
 *                          SIGTERM or SIGINT */
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PAGES 10000

static struct MHD_Response *pages[MAX_PAGES + 1], *past_end;
static int n_pages;

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (f == NULL) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_len, void **state) {
    const char *p = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "page");
    long page = p ? strtol(p, NULL, 10) : 1;
    (void)cls, (void)url, (void)method, (void)version, (void)upload, (void)upload_len, (void)state;
    if (page >= 1 && page <= n_pages) return MHD_queue_response(c, MHD_HTTP_OK, pages[page]);
    return MHD_queue_response(c, MHD_HTTP_BAD_REQUEST, past_end);
}

int main(int argc, char **argv) {
    static const char err[] = "{\"code\":\"rest_post_invalid_page_number\",\"message\":\"The page number requested "
                              "is larger than the number of pages available.\",\"data\":{\"status\":400}}";
    char path[4096], total[32], npages[32];
    struct sockaddr_in sin;
    struct MHD_Daemon *d;
    size_t len;
    char *t;
    sigset_t set;
    int sig;

    if (argc != 3) {
        fprintf(stderr, "usage: wp_server PORT DIR\n");
        return 64;
    }
    snprintf(path, sizeof path, "%s/total", argv[2]);
    if ((t = slurp(path, &len)) == NULL) {
        fprintf(stderr, "wp_server: cannot read %s\n", path);
        return 66;
    }
    snprintf(total, sizeof total, "%ld", strtol(t, NULL, 10));
    free(t);
    for (n_pages = 0; n_pages < MAX_PAGES; n_pages++) {
        char *body;
        snprintf(path, sizeof path, "%s/%d.json", argv[2], n_pages + 1);
        if ((body = slurp(path, &len)) == NULL) break;
        pages[n_pages + 1] = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    }
    if (n_pages == 0) {
        fprintf(stderr, "wp_server: no pages (1.json ...) in %s\n", argv[2]);
        return 66;
    }
    snprintf(npages, sizeof npages, "%d", n_pages);
    for (int i = 1; i <= n_pages; i++) {
        MHD_add_response_header(pages[i], "Content-Type", "application/json; charset=UTF-8");
        MHD_add_response_header(pages[i], "X-WP-Total", total);
        MHD_add_response_header(pages[i], "X-WP-TotalPages", npages);
    }
    past_end = MHD_create_response_from_buffer(sizeof err - 1, (void *)err, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(past_end, "Content-Type", "application/json; charset=UTF-8");

    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)atoi(argv[1]));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the daemon's threads inherit the mask */
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, answer, NULL,
                         MHD_OPTION_SOCK_ADDR, &sin, MHD_OPTION_THREAD_POOL_SIZE, 2u,
                         MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "wp_server: cannot listen on 127.0.0.1:%s\n", argv[1]);
        return 69;
    }
    printf("serving %d pages (%s posts) on http://127.0.0.1:%s\n", n_pages, total, argv[1]);
    fflush(stdout);
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
