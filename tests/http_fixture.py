#!/usr/bin/env python3
"""http_fixture.py — a local HTTP server for the fetcher's tests (standard library only).

    python3 tests/http_fixture.py --port 0 --posts N [options]
        prints "listening on http://127.0.0.1:PORT" on stdout, then serves until killed
    python3 tests/http_fixture.py --self-check
        starts a server in this process, exercises every endpoint, prints one line per check

It serves:

* A WordPress-6-like REST API: /wp-json/wp/v2/posts (and /posts/ID, /wp-json/), the same under
  /?rest_route=/wp/v2/posts and /index.php?rest_route=. Parameters as WordPress validates them:
  per_page (1-100, default 10), page, orderby (date|id|modified|title|slug|include|relevance),
  order, after, before, modified_after, modified_before (RFC 3339; WordPress compares whole
  seconds, strictly), include, exclude, offset, _fields. X-WP-Total, X-WP-TotalPages and
  Link rel=prev/next as WordPress builds them; 400 rest_post_invalid_page_number past the end;
  400 rest_invalid_param with WordPress's exact body. Unlike WordPress, collection and single
  responses carry ETag and Last-Modified, and answer 304 to If-None-Match / If-Modified-Since
  (WordPress's feed logic: when both are sent, both must match). --no-validators turns that
  off (real WordPress sends neither on REST).
* RSS 2.0 at /feed/, /feed/rss, /feed/rss2, /?feed=rss2 and Atom at /feed/atom, /?feed=atom
  (10 newest posts by date, ETag and Last-Modified as WordPress computes them, 304s).
* Admin: POST /_admin/edit?id=ID[&text=HTML][&modified=RFC3339], POST /_admin/publish[?title=],
  POST /_admin/delete?id=ID (trash), POST /_admin/reset (counters and fault state),
  GET /_admin/count[?path=/some/path] (requests seen per path, /_admin/ not counted).
  An edit or publish gets modified = max(now, newest modified + 1 s), so it is strictly later
  than anything a client has seen, without sleeping.
* Faults under /fault/: 429?retry_after=S&key=K[&date=1], 503-then-ok?fails=N&key=K
  [&retry_after=S], 500-then-ok?fails=N&key=K, slow?seconds=S[&mode=dribble|before|stall],
  big?mb=M[&chunked=1|&length=0], redirect-loop, redirect?n=N[&code=302][&to=URL],
  gzip, invalid-json[?kind=truncated|php-warning|bom|html], 401, auth[?user=&pass=],
  status?code=N, drop (close without answering).

Options: --no-pretty (/wp-json/ answers 404, clients must use ?rest_route=), --auth USER:PASS
(the REST API answers 401 rest_login_required without Basic auth), --gzip (gzip REST and feed
bodies for clients that accept it), --tz-offset H (site time zone: date/modified are local,
*_gmt are UTC), --same-second K (K consecutive posts share one date/modified second),
--feed-items N, --no-validators.
"""

import argparse
import base64
import email.utils
import gzip
import hashlib
import html
import json
import math
import re
import socket
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, socket.timeout)

WORDS = ('council budget river harbour festival election school bridge museum library railway hospital '
         'market storm drought vaccine orchestra satellite telescope glacier parliament startup airline '
         'factory vineyard stadium marathon volcano archive ferry tariff pension housing reservoir wildfire '
         'research robot tunnel forest coastline').split()
CITIES = ('Zürich', 'Kraków', 'São Paulo', 'Malmö', 'Reykjavík', 'Bogotá', 'Montréal', 'Düsseldorf')
CATEGORIES = (2, 3, 4, 5)
TAGS = (6, 7, 8, 9, 10)
ORDERBY = ('author', 'date', 'id', 'include', 'modified', 'parent', 'relevance', 'slug', 'include_slugs', 'title')
RFC3339 = re.compile(r'^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$')


def wp_json(obj):
    """json_encode() as WordPress calls it: ASCII only, and "/" escaped as "\\/"."""
    return json.dumps(obj, ensure_ascii=True, separators=(',', ':')).replace('/', '\\/')


def http_date(ts):
    return email.utils.formatdate(ts, usegmt=True)


def slugify(title):
    s = re.sub(r'&#?\w+;', '', title.lower())
    return re.sub(r'[^a-z0-9]+', '-', s).strip('-')


def texturize(s):
    """The few wptexturize substitutions our generated titles need."""
    return s.replace("'", '&#8217;').replace(' & ', ' &amp; ')


class Post:
    __slots__ = ('id', 'date', 'modified', 'title', 'content', 'status', 'categories', 'tags')

    def __init__(self, pid, date, title, content, categories, tags):
        self.id, self.date, self.modified = pid, date, date
        self.title, self.content, self.status = title, content, 'publish'
        self.categories, self.tags = categories, tags


def make_story(n, salt=''):
    def w(k):
        return WORDS[int(hashlib.md5(f'{salt}/{n}/{k}'.encode()).hexdigest(), 16) % len(WORDS)]
    city = CITIES[n % len(CITIES)]
    title = texturize(f"Story {n}: {w(1).capitalize()}'s {w(2)} plan for the {w(3)} & {w(8)}")
    content = (
        f'<p>The {w(4)} committee in {city} said on Tuesday that the {w(5)} project would go ahead, '
        f'after months of debate about the cost of the {w(6)}. &#8220;We listened,&#8221; a spokesperson said.</p>\n'
        f'<h2>What changes for the {w(7)}</h2>\n'
        f'<p>Work starts next spring. Residents can read <a href="https://example.org/reports/{n}">the full report</a> '
        f'and comment until the end of the month &amp; a public meeting follows.</p>\n'
        f'<ul>\n<li>Budget: {10 + n % 90} million</li>\n<li>Story number {n}{(" (" + salt + ")") if salt else ""}</li>\n</ul>\n'
        f'<p>Reporting by the <em>storypipe</em> test desk.</p>\n')
    return title, content


def excerpt_of(content):
    """wp_trim_excerpt(): 55 words of the text, then " [&hellip;]"."""
    text = re.sub(r'<[^>]+>', ' ', content)
    words = text.split()
    out = ' '.join(words[:55])
    if len(words) > 55:
        out += ' [&hellip;]'
    return f'<p>{out}</p>\n'


class Site:
    """The posts and all mutable state; every access holds self.lock."""

    def __init__(self, n, tz_offset=0.0, same_second=1, now=None):
        self.lock = threading.RLock()
        self.tz = timezone(timedelta(hours=tz_offset))
        self.gmt_offset = tz_offset
        self.posts = {}
        self.next_id = 7
        now = int(now if now is not None else time.time())
        # published one per hour up to two hours ago (ties when --same-second > 1);
        # every fifth post was also edited later, half an hour after it appeared
        same_second = max(1, same_second)
        for i in range(n):
            slot = (n - 1 - i) // same_second
            date = now - 7200 - slot * 3600
            title, content = make_story(i + 1)
            p = Post(self.next_id, date, title, content,
                     [CATEGORIES[i % len(CATEGORIES)]], sorted({TAGS[i % len(TAGS)], TAGS[(i * 7) % len(TAGS)]}))
            if (i + 1) % 5 == 0 and same_second == 1:
                p.modified = date + 1800
            self.posts[p.id] = p
            self.next_id += 3   # revisions, pages and attachments take ids on a real site
        self.counts = {}
        self.fault_state = {}

    def published(self):
        return [p for p in self.posts.values() if p.status == 'publish']

    def last_modified(self):
        pub = self.published()
        return max((p.modified for p in pub), default=0)

    def bump(self):
        """A modified time strictly later than every existing one, and not in the past."""
        return max(int(time.time()), max((p.modified for p in self.posts.values()), default=0) + 1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'storypipe-fixture/1'
    timeout = 120

    # ---- plumbing --------------------------------------------------------------------------

    def log_message(self, fmt, *args):   # the per-request line is written by finish_log()
        pass

    def log_error(self, fmt, *args):
        sys.stderr.write('%s - %s\n' % (self.address_string(), fmt % args))

    def handle_one_request(self):
        self._t0 = time.monotonic()
        self._status, self._sent = None, 0
        try:
            super().handle_one_request()
        except DISCONNECTS:
            self.close_connection = True
            if self._status is not None or getattr(self, 'requestline', ''):
                self.finish_log(note='client went away')

    def finish_log(self, note=''):
        if not getattr(self, 'requestline', ''):
            return
        sys.stderr.write('%s "%s" %s %d %.3fs%s\n' % (
            self.client_address[0], self.requestline, self._status or '-', self._sent,
            time.monotonic() - self._t0, (' ' + note) if note else ''))
        sys.stderr.flush()

    def send_response(self, code, message=None):
        self._status = code
        self.send_response_only(code, message)
        self.send_header('Server', self.version_string())
        self.send_header('Date', self.date_time_string())

    def write(self, data):
        self.wfile.write(data)
        self._sent += len(data)

    def reply(self, status, body=b'', ctype='application/json; charset=UTF-8', headers=(), compress=False):
        if isinstance(body, str):
            body = body.encode('utf-8')
        if compress and self.server.opts.gzip and 'gzip' in self.headers.get('Accept-Encoding', ''):
            body = gzip.compress(body)
            headers = list(headers) + [('Content-Encoding', 'gzip'), ('Vary', 'Accept-Encoding')]
        self.send_response(status)
        if ctype:
            self.send_header('Content-Type', ctype)
        for k, v in headers:
            self.send_header(k, v)
        if status != 304:
            self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD' and status != 304:
            self.write(body)
        self.finish_log()

    def rest_error(self, status, code, message, data=None, headers=()):
        d = {'status': status}
        if data:
            d.update(data)
        self.reply(status, wp_json({'code': code, 'message': message, 'data': d}), headers=headers)

    def not_found_html(self):
        self.reply(404, '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n'
                        '</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n'
                        '</body></html>\n', ctype='text/html; charset=iso-8859-1')

    @property
    def site(self):
        return self.server.site

    @property
    def base(self):
        return self.server.base

    def rest_url(self, route):
        if self.server.opts.no_pretty:
            return self.base + '/index.php?rest_route=' + route
        return self.base + '/wp-json' + route

    def api_link(self):
        return ('Link', '<%s>; rel="https://api.w.org/"' % self.rest_url('/'))

    # ---- dispatch --------------------------------------------------------------------------

    def do_GET(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def do_POST(self):
        n = int(self.headers.get('Content-Length') or 0)
        self.post_body = self.rfile.read(n) if n > 0 else b''
        self.dispatch()

    do_PUT = do_DELETE = do_PATCH = do_POST

    def dispatch(self):
        u = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(u.path) or '/'
        self.query = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        self.raw_query = u.query
        if not path.startswith('/_admin/'):
            with self.site.lock:
                self.site.counts[path] = self.site.counts.get(path, 0) + 1
        try:
            if path.startswith('/_admin/'):
                return self.admin(path)
            if path.startswith('/fault/'):
                return self.fault(path[len('/fault/'):])
            if path in ('/', '/index.php') and 'rest_route' in self.query:
                return self.rest(self.q('rest_route') or '/', via_query=True)
            if path == '/wp-json' or path.startswith('/wp-json/'):
                if self.server.opts.no_pretty:
                    return self.not_found_html()
                return self.rest(path[len('/wp-json'):] or '/', via_query=False)
            if path in ('/', '/index.php') and 'feed' in self.query:
                return self.feed('atom' if self.q('feed') == 'atom' else 'rss2')
            m = re.fullmatch(r'/feed(?:/(rss|rss2|atom))?/?', path)
            if m:
                return self.feed('atom' if m.group(1) == 'atom' else 'rss2')
            if path in ('/', '/index.php'):
                return self.home()
            return self.not_found_html()
        except DISCONNECTS:
            raise
        except Exception as e:  # a bug in the fixture: answer 500 and say why, once
            sys.stderr.write('http_fixture: internal error on %s: %r\n' % (self.path, e))
            import traceback
            traceback.print_exc()
            if self._status is None:
                self.reply(500, wp_json({'code': 'fixture_error', 'message': repr(e), 'data': {'status': 500}}))

    def q(self, name, default=None):
        v = self.query.get(name)
        return v[-1] if v else default

    def qint(self, name, default):
        try:
            return int(self.q(name, default))
        except (TypeError, ValueError):
            return default

    def home(self):
        page = ('<!DOCTYPE html>\n<html lang="en-US"><head><meta charset="UTF-8">\n<title>storypipe fixture site</title>\n'
                '<link rel="alternate" type="application/rss+xml" title="Feed" href="%s/feed/" />\n'
                '<link rel="https://api.w.org/" href="%s" />\n</head><body><h1>storypipe fixture site</h1></body></html>\n'
                % (self.base, self.rest_url('/')))
        self.reply(200, page, ctype='text/html; charset=UTF-8', headers=[self.api_link()])

    # ---- REST ------------------------------------------------------------------------------

    def authorized(self):
        want = self.server.opts.auth
        if not want:
            return True
        got = self.headers.get('Authorization', '')
        return got.startswith('Basic ') and got[6:].strip() == base64.b64encode(want.encode()).decode()

    def rest(self, route, via_query):
        route = '/' + route.strip('/') if route.strip('/') else '/'
        common = [self.api_link(), ('X-Robots-Tag', 'noindex'), ('X-Content-Type-Options', 'nosniff'),
                  ('Access-Control-Expose-Headers', 'X-WP-Total, X-WP-TotalPages, Link'),
                  ('Access-Control-Allow-Headers', 'Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type'),
                  ('Vary', 'Origin')]
        if not self.authorized():
            return self.rest_error(401, 'rest_login_required', 'REST API restricted to authenticated users.', headers=common)
        if route == '/':
            return self.rest_index(common)
        if route == '/wp/v2/posts':
            if self.command in ('GET', 'HEAD'):
                return self.rest_posts(common, via_query)
            if self.command == 'POST':
                return self.rest_error(401, 'rest_cannot_create', 'Sorry, you are not allowed to create posts as this user.', headers=common)
        m = re.fullmatch(r'/wp/v2/posts/(\d+)', route)
        if m and self.command in ('GET', 'HEAD'):
            return self.rest_post(int(m.group(1)), common)
        return self.rest_error(404, 'rest_no_route', 'No route was found matching the URL and request method.', headers=common)

    def rest_index(self, common):
        body = {'name': 'storypipe fixture site', 'description': '', 'url': self.base, 'home': self.base,
                'gmt_offset': ('%g' % self.site.gmt_offset), 'timezone_string': '',
                'namespaces': ['oembed/1.0', 'wp/v2', 'wp-site-health/v1', 'wp-block-editor/v1'],
                'authentication': [],
                'routes': {'/': {'namespace': '', 'methods': ['GET']},
                           '/wp/v2/posts': {'namespace': 'wp/v2', 'methods': ['GET', 'POST']}},
                '_links': {'help': [{'href': 'https://developer.wordpress.org/rest-api/'}]}}
        self.reply(200, wp_json(body), headers=common + [('Allow', 'GET')], compress=True)

    def parse_date(self, s):
        """rest_parse_date() and then what WP_Date_Query does with it: local time, whole seconds."""
        m = RFC3339.match(s or '')
        if not m:
            return None
        y, mo, d, h, mi, sec = (int(x) for x in m.groups()[:6])
        zone = m.group(8)
        try:
            if zone is None:
                tz = self.site.tz          # no offset: the site's time zone
            elif zone in ('Z', 'z'):
                tz = timezone.utc
            else:
                sign = -1 if zone[0] == '-' else 1
                digits = zone[1:].replace(':', '')
                tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0)))
            return int(datetime(y, mo, d, h, mi, sec, tzinfo=tz).timestamp())   # fraction dropped
        except ValueError:
            return None

    def rest_posts(self, common, via_query):
        errors = {}

        def bad(name, code, message, data=None):
            errors[name] = (code, message, data)

        def integer(name, default, lo=None, hi=None):
            raw = self.q(name)
            if raw is None:
                return default
            try:
                f = float(raw.strip())
                if not math.isfinite(f) or f != int(f):
                    raise ValueError
                v = int(f)
            except ValueError:
                bad(name, 'rest_invalid_type', f'{name} is not of type integer.', {'param': name})
                return default
            if hi is not None and (v < lo or v > hi):
                bad(name, 'rest_out_of_bounds', f'{name} must be between {lo} (inclusive) and {hi} (inclusive)')
            elif v < lo:
                bad(name, 'rest_out_of_bounds', f'{name} must be greater than or equal to {lo}')
            return v

        def date(name):
            raw = self.q(name)
            if raw is None:
                return None
            t = self.parse_date(raw)
            if t is None:
                bad(name, 'rest_invalid_date', 'Invalid date.')
            return t

        def idlist(name):
            vals = self.query.get(name, [])
            out = []
            for v in vals:
                for part in v.split(','):
                    part = part.strip()
                    if part:
                        if not part.isdigit():
                            bad(name, 'rest_invalid_type', f'{name}[0] is not of type integer.', {'param': f'{name}[0]'})
                            return []
                        out.append(int(part))
            return out

        context = self.q('context', 'view')
        if context not in ('view', 'embed', 'edit'):
            bad('context', 'rest_not_in_enum', 'context is not one of view, embed, and edit.')
        page = integer('page', 1, lo=1)
        per_page = integer('per_page', 10, lo=1, hi=100)
        after = date('after')
        modified_after = date('modified_after')
        before = date('before')
        modified_before = date('modified_before')
        exclude = idlist('exclude')
        include = idlist('include')
        offset = integer('offset', None, lo=-10**9) if self.q('offset') is not None else None
        order = self.q('order', 'desc')
        if order not in ('asc', 'desc'):
            bad('order', 'rest_not_in_enum', 'order is not one of asc and desc.')
        orderby = self.q('orderby', 'date')
        if orderby not in ORDERBY:
            bad('orderby', 'rest_not_in_enum', 'orderby is not one of %s, and %s.' % (', '.join(ORDERBY[:-1]), ORDERBY[-1]))
        if errors:
            return self.rest_error(400, 'rest_invalid_param', 'Invalid parameter(s): ' + ', '.join(errors), {
                'params': {k: v[1] for k, v in errors.items()},
                'details': {k: {'code': v[0], 'message': v[1], 'data': v[2]} for k, v in errors.items()}},
                headers=common)
        if context == 'edit':
            return self.rest_error(401, 'rest_forbidden_context', 'Sorry, you are not allowed to edit posts in this post type.', headers=common)
        if orderby == 'relevance' and not self.q('search'):
            return self.rest_error(400, 'rest_no_search_term_defined', 'You need to define a search term to order by relevance.', headers=common)
        if orderby == 'include' and not include:
            return self.rest_error(400, 'rest_orderby_include_missing_include', 'You need to define an include parameter to order by include.', headers=common)

        with self.site.lock:
            posts = self.site.published()
            last_modified = self.site.last_modified()
        # WP_Date_Query: 'after' is strictly later, 'before' strictly earlier, whole seconds
        if after is not None:
            posts = [p for p in posts if p.date > after]
        if before is not None:
            posts = [p for p in posts if p.date < before]
        if modified_after is not None:
            posts = [p for p in posts if p.modified > modified_after]
        if modified_before is not None:
            posts = [p for p in posts if p.modified < modified_before]
        if include:
            posts = [p for p in posts if p.id in include]
        if exclude:
            posts = [p for p in posts if p.id not in exclude]
        keys = {'date': lambda p: (p.date, p.id), 'modified': lambda p: (p.modified, p.id), 'id': lambda p: p.id,
                'title': lambda p: (p.title, p.id), 'slug': lambda p: (slugify(p.title), p.id),
                'include': lambda p: include.index(p.id)}
        posts.sort(key=keys.get(orderby, keys['date']), reverse=(order == 'desc' and orderby != 'include'))
        total = len(posts)
        start = offset if offset is not None else (page - 1) * per_page
        chunk = posts[max(start, 0):max(start, 0) + per_page]
        max_pages = math.ceil(total / per_page)   # offset does not change the totals (found_posts)
        if page > max_pages and total > 0:
            return self.rest_error(400, 'rest_post_invalid_page_number',
                                   'The page number requested is larger than the number of pages available.', headers=common)
        fields = self.fields()
        body = wp_json([self.filter_fields(self.post_json(p), fields) for p in chunk])

        headers = list(common) + [('X-WP-Total', str(total)), ('X-WP-TotalPages', str(max_pages))]
        links = []
        norm = {'page': page, 'per_page': per_page, 'offset': offset}   # sanitized values, as WordPress links them
        base_url = self.rest_url('/wp/v2/posts')
        if page > 1:
            links.append('<%s>; rel="prev"' % self.page_link(base_url, min(page - 1, max_pages), norm))
        if max_pages > page:
            links.append('<%s>; rel="next"' % self.page_link(base_url, page + 1, norm))
        if links:   # WordPress's header() replaces the api.w.org Link header with this one
            headers = [h for h in headers if h[0] != 'Link'] + [('Link', ', '.join(links))]
        headers.append(('Allow', 'GET'))
        self.conditional(200, body, headers, last_modified)

    def rest_post(self, pid, common):
        with self.site.lock:
            p = self.site.posts.get(pid)
            last_modified = p.modified if p else 0
        if p is None or p.status != 'publish':
            return self.rest_error(404, 'rest_post_invalid_id', 'Invalid post ID.', headers=common)
        body = wp_json(self.filter_fields(self.post_json(p), self.fields()))
        self.conditional(200, body, list(common) + [('Allow', 'GET')], last_modified)

    def conditional(self, status, body, headers, last_modified, ctype='application/json; charset=UTF-8',
                    etag=None, validators=None):
        """ETag / Last-Modified, and 304 with WordPress's send_headers() rule for feeds."""
        if validators is None:
            validators = not self.server.opts.no_validators
        if not validators:
            return self.reply(status, body, ctype=ctype, headers=headers, compress=True)
        if etag is None:
            etag = '"%s"' % hashlib.md5(body.encode('utf-8')).hexdigest()
        lm = http_date(last_modified)
        headers = list(headers) + [('Last-Modified', lm), ('ETag', etag)]
        inm = self.headers.get('If-None-Match')
        ims = self.headers.get('If-Modified-Since')
        etag_ok = inm is not None and any(t.strip().removeprefix('W/') in (etag, '*') for t in inm.split(','))
        ims_ok = False
        if ims:
            try:
                ims_ok = email.utils.parsedate_to_datetime(ims).timestamp() >= last_modified
            except (TypeError, ValueError):
                ims_ok = False
        hit = (etag_ok and ims_ok) if (inm and ims) else (etag_ok or ims_ok)
        self.reply(304 if hit else status, body, ctype=ctype, headers=headers, compress=True)

    def page_link(self, base_url, page, norm):
        """add_query_arg(urlencode_deep($request_params), $base) with page replaced."""
        params = []
        seen_page = False
        for k, v in urllib.parse.parse_qsl(self.raw_query, keep_blank_values=True):
            if k in norm and norm[k] is not None:
                v = str(norm[k])
            if any(k == k2 for k2, _ in params):   # a repeated key: PHP keeps the last value
                params = [(k2, v2) for k2, v2 in params if k2 != k]
            if k == 'page':
                if seen_page:
                    continue
                v, seen_page = str(page), True
            params.append((k, v))
        if not seen_page:
            params.append(('page', str(page)))
        if self.server.opts.no_pretty:   # the base already has rest_route; the request's replaces it
            base_url = base_url.split('?')[0]
            if not any(k == 'rest_route' for k, _ in params):
                params.insert(0, ('rest_route', '/wp/v2/posts'))
        return base_url + '?' + '&'.join('%s=%s' % (urllib.parse.quote(k, safe='[]'), urllib.parse.quote(v, safe=''))
                                         for k, v in params)

    def fields(self):
        vals = self.query.get('_fields') or self.query.get('_fields[]')
        if not vals:
            return None
        out = []
        for v in vals:
            out += [f.strip() for f in v.split(',') if f.strip()]
        return out

    @staticmethod
    def filter_fields(obj, fields):
        """rest_filter_response_fields(): keep the response's key order; "a.b" keeps a nested key."""
        if fields is None:
            return obj
        out = {}
        for k, v in obj.items():
            if k in fields:
                out[k] = v
                continue
            sub = [f[len(k) + 1:] for f in fields if f.startswith(k + '.')]
            if sub and isinstance(v, dict):
                out[k] = Handler.filter_fields(v, sub)
        return out

    def local(self, ts):
        return datetime.fromtimestamp(ts, self.site.tz).strftime('%Y-%m-%dT%H:%M:%S')

    @staticmethod
    def gmt(ts):
        return datetime.fromtimestamp(ts, timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')

    def permalink(self, p):
        if self.server.opts.no_pretty:
            return f'{self.base}/?p={p.id}'
        d = datetime.fromtimestamp(p.date, self.site.tz)
        return f'{self.base}/{d:%Y/%m/%d}/{slugify(p.title)}/'

    def post_json(self, p):
        r = self.rest_url
        return {
            'id': p.id, 'date': self.local(p.date), 'date_gmt': self.gmt(p.date),
            'guid': {'rendered': f'{self.base}/?p={p.id}'},
            'modified': self.local(p.modified), 'modified_gmt': self.gmt(p.modified),
            'slug': slugify(p.title), 'status': p.status, 'type': 'post', 'link': self.permalink(p),
            'title': {'rendered': p.title},
            'content': {'rendered': p.content, 'protected': False},
            'excerpt': {'rendered': excerpt_of(p.content), 'protected': False},
            'author': 1, 'featured_media': 0, 'comment_status': 'open', 'ping_status': 'open',
            'sticky': False, 'template': '', 'format': 'standard', 'meta': [],
            'categories': p.categories, 'tags': p.tags,
            '_links': {
                'self': [{'href': r(f'/wp/v2/posts/{p.id}')}],
                'collection': [{'href': r('/wp/v2/posts')}],
                'about': [{'href': r('/wp/v2/types/post')}],
                'author': [{'embeddable': True, 'href': r('/wp/v2/users/1')}],
                'replies': [{'embeddable': True, 'href': r('/wp/v2/comments') + ('&' if '?' in r('/') else '?') + f'post={p.id}'}],
                'version-history': [{'count': 0, 'href': r(f'/wp/v2/posts/{p.id}/revisions')}],
                'wp:attachment': [{'href': r('/wp/v2/media') + ('&' if '?' in r('/') else '?') + f'parent={p.id}'}],
                'wp:term': [{'taxonomy': 'category', 'embeddable': True, 'href': r('/wp/v2/categories') + ('&' if '?' in r('/') else '?') + f'post={p.id}'},
                            {'taxonomy': 'post_tag', 'embeddable': True, 'href': r('/wp/v2/tags') + ('&' if '?' in r('/') else '?') + f'post={p.id}'}],
                'curies': [{'name': 'wp', 'href': 'https://api.w.org/{rel}', 'templated': True}]},
        }

    # ---- feeds -----------------------------------------------------------------------------

    def feed(self, kind):
        n = self.server.opts.feed_items
        with self.site.lock:
            posts = sorted(self.site.published(), key=lambda p: (p.date, p.id), reverse=True)[:n]
            last = self.site.last_modified()
        lm = http_date(last)
        etag = '"%s"' % hashlib.md5(lm.encode()).hexdigest()   # WordPress: md5 of Last-Modified
        cats = {2: 'Politics', 3: 'Business', 4: 'Science', 5: 'Culture'}
        tags = {6: 'storypipe', 7: 'economy', 8: 'climate', 9: 'transport', 10: 'health'}
        esc = html.escape
        if kind == 'atom':
            entries = []
            for p in posts:
                link = self.permalink(p)
                terms = ''.join(f'<category scheme="{self.base}" term="{esc(t)}" />'
                                for t in [cats[c] for c in p.categories] + [tags[t] for t in p.tags])
                entries.append(
                    f'\t<entry>\n\t\t<author>\n\t\t\t<name>admin</name>\n\t\t</author>\n\n'
                    f'\t\t<title type="html"><![CDATA[{p.title}]]></title>\n'
                    f'\t\t<link rel="alternate" type="text/html" href="{link}" />\n\n'
                    f'\t\t<id>{self.base}/?p={p.id}</id>\n'
                    f'\t\t<updated>{self.gmt(p.modified)}Z</updated>\n\t\t<published>{self.gmt(p.date)}Z</published>\n'
                    f'\t\t{terms}\n'
                    f'\t\t<summary type="html"><![CDATA[{excerpt_of(p.content)[3:-5]}]]></summary>\n\n'
                    f'\t\t<content type="html" xml:base="{link}"><![CDATA[{p.content}]]></content>\n\t</entry>\n')
            body = ('<?xml version="1.0" encoding="UTF-8"?><feed\n\txmlns="http://www.w3.org/2005/Atom"\n'
                    '\txmlns:thr="http://purl.org/syndication/thread/1.0"\n\txml:lang="en-US"\n\t>\n'
                    '\t<title type="text">storypipe fixture site</title>\n\t<subtitle type="text"></subtitle>\n\n'
                    f'\t<updated>{self.gmt(last)}Z</updated>\n\n'
                    f'\t<link rel="alternate" type="text/html" href="{self.base}" />\n'
                    f'\t<id>{self.base}/feed/atom/</id>\n'
                    f'\t<link rel="self" type="application/atom+xml" href="{self.base}/feed/atom/" />\n\n'
                    '\t<generator uri="https://wordpress.org/" version="6.1.9">WordPress</generator>\n'
                    + ''.join(entries) + '</feed>\n')
            ctype = 'application/atom+xml; charset=UTF-8'
        else:
            items = []
            for p in posts:
                link = self.permalink(p)
                terms = ''.join(f'\t\t<category><![CDATA[{t}]]></category>\n'
                                for t in [cats[c] for c in p.categories] + [tags[t] for t in p.tags])
                items.append(
                    f'\t<item>\n\t\t<title>{p.title}</title>\n\t\t<link>{link}</link>\n'
                    f'\t\t<comments>{link}#respond</comments>\n\n'
                    f'\t\t<dc:creator><![CDATA[admin]]></dc:creator>\n'
                    f'\t\t<pubDate>{email.utils.formatdate(p.date, usegmt=False)}</pubDate>\n{terms}'
                    f'\t\t<guid isPermaLink="false">{self.base}/?p={p.id}</guid>\n\n'
                    f'\t\t<description><![CDATA[{excerpt_of(p.content)[3:-5]}]]></description>\n'
                    f'\t\t<content:encoded><![CDATA[{p.content}]]></content:encoded>\n\n'
                    f'\t\t<slash:comments>0</slash:comments>\n\t</item>\n')
            body = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n'
                    '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
                    '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
                    '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
                    '\txmlns:atom="http://www.w3.org/2005/Atom"\n'
                    '\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"\n'
                    '\txmlns:slash="http://purl.org/rss/1.0/modules/slash/"\n\t>\n\n<channel>\n'
                    '\t<title>storypipe fixture site</title>\n'
                    f'\t<atom:link href="{self.base}/feed/" rel="self" type="application/rss+xml" />\n'
                    f'\t<link>{self.base}</link>\n\t<description></description>\n'
                    f'\t<lastBuildDate>{email.utils.formatdate(last, usegmt=False)}</lastBuildDate>\n'
                    '\t<language>en-US</language>\n\t<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>\n'
                    '\t<sy:updateFrequency>\n\t1\t</sy:updateFrequency>\n'
                    '\t<generator>https://wordpress.org/?v=6.1.9</generator>\n'
                    + ''.join(items) + '</channel>\n</rss>\n')
            ctype = 'application/rss+xml; charset=UTF-8'
        self.conditional(200, body, [self.api_link()], last, ctype=ctype, etag=etag, validators=True)

    # ---- admin -----------------------------------------------------------------------------

    def admin(self, path):
        site = self.site
        if path == '/_admin/count':
            with site.lock:
                if self.q('path') is not None:
                    p = self.q('path')
                    return self.reply(200, json.dumps({'path': p, 'count': site.counts.get(p, 0)}))
                return self.reply(200, json.dumps({'total': sum(site.counts.values()), 'counts': site.counts}))
        if self.command != 'POST':
            return self.reply(405, json.dumps({'error': 'use POST'}), headers=[('Allow', 'POST')])
        if path == '/_admin/reset':
            with site.lock:
                site.counts.clear()
                site.fault_state.clear()
            return self.reply(200, json.dumps({'ok': True}))
        if path == '/_admin/publish':
            with site.lock:
                n = len(site.posts) + 1
                title, content = make_story(n, salt=hashlib.md5(str(time.time()).encode()).hexdigest()[:6])
                if self.q('title'):
                    title = self.q('title')
                if self.q('text'):
                    content = self.q('text')
                t = site.bump()
                p = Post(site.next_id, t, title, content, [CATEGORIES[n % 4]], [TAGS[n % 5]])
                site.next_id += 3
                site.posts[p.id] = p
            return self.reply(200, json.dumps({'id': p.id, 'date_gmt': self.gmt(p.date), 'modified_gmt': self.gmt(p.modified)}))
        if path in ('/_admin/edit', '/_admin/delete'):
            pid = self.qint('id', -1)
            with site.lock:
                p = site.posts.get(pid)
                if p is None:
                    return self.reply(404, json.dumps({'error': f'no post {pid}'}))
                if path == '/_admin/delete':
                    p.status = 'trash'
                    p.modified = site.bump()
                else:
                    text = self.q('text')
                    if text is None and self.post_body:
                        text = self.post_body.decode('utf-8', 'replace')
                    if text is None:
                        text = p.content + '<p><strong>Update</strong> %s UTC: the story was revised.</p>\n' % \
                            time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())
                    p.content = text
                    if self.q('title'):
                        p.title = self.q('title')
                    explicit = self.q('modified')
                    p.modified = self.parse_date(explicit) if explicit else site.bump()
                    if p.modified is None:
                        return self.reply(400, json.dumps({'error': 'bad modified'}))
            return self.reply(200, json.dumps({'id': p.id, 'status': p.status, 'modified_gmt': self.gmt(p.modified)}))
        return self.reply(404, json.dumps({'error': 'unknown admin endpoint'}))

    # ---- faults ----------------------------------------------------------------------------

    def ok(self, default):
        """A fault's successful answer: the post ?post=ID as the REST API gives
        it (so a fetcher test can fetch a real post through a fault), else
        `default`."""
        pid = self.qint('post', 0)
        p = self.site.posts.get(pid) if pid else None
        return wp_json(self.post_json(p)) if p else json.dumps(default)

    def fault(self, name):
        site = self.site
        key = self.q('key', 'default')
        if name == '429':
            wait = self.qint('retry_after', 2)
            with site.lock:
                t0 = site.fault_state.setdefault(('429', key), time.time())
            if time.time() - t0 < wait:
                ra = http_date(t0 + wait) if self.q('date') else str(wait)
                return self.reply(429, wp_json({'code': 'too_many_requests', 'message': 'Too Many Requests',
                                                'data': {'status': 429}}), headers=[('Retry-After', ra)])
            return self.reply(200, self.ok({'ok': True, 'after_seconds': wait}))
        if name in ('503-then-ok', '500-then-ok'):
            fails = self.qint('fails', 2)
            with site.lock:
                k = (name, key)
                site.fault_state[k] = n = site.fault_state.get(k, 0) + 1
            if n <= fails:
                if name == '503-then-ok':
                    hdrs = [('Retry-After', self.q('retry_after'))] if self.q('retry_after') else []
                    return self.reply(503, '<!DOCTYPE html>\n<html><head><title>Maintenance</title></head><body>'
                                           '<h1>Briefly unavailable for scheduled maintenance. Check back in a minute.</h1>'
                                           '</body></html>\n', ctype='text/html; charset=utf-8', headers=hdrs)
                return self.reply(500, wp_json({'code': 'internal_server_error',
                                                'message': '<p>There has been a critical error on this website.</p>'
                                                           '<p><a href="https://wordpress.org/support/article/faq-troubleshooting/">'
                                                           'Learn more about troubleshooting WordPress.</a></p>',
                                                'data': {'status': 500}, 'additional_errors': []}))
            return self.reply(200, self.ok({'ok': True, 'attempt': n}))
        if name == 'slow':
            return self.slow(float(self.q('seconds', '30')), self.q('mode', 'dribble'))
        if name == 'big':
            return self.big(float(self.q('mb', '20')))
        if name == 'redirect-loop':
            return self.reply(302, '', ctype='text/html', headers=[('Location', self.path)])
        if name == 'redirect':
            n = self.qint('n', 1)
            code = self.qint('code', 302)
            if n <= 0:
                return self.reply(200, self.ok({'ok': True, 'redirected': True}))
            if self.q('to') and n == 1:
                loc = self.q('to')
            else:
                rest = [(k, v) for k, v in urllib.parse.parse_qsl(self.raw_query, keep_blank_values=True) if k != 'n']
                loc = '/fault/redirect?' + urllib.parse.urlencode([('n', n - 1)] + rest)
            return self.reply(code, '', ctype='text/html', headers=[('Location', loc)])
        if name == 'gzip':
            body = self.ok(None) if self.qint('post', 0) else wp_json([{'id': i, 'title': {'rendered': f'Gzipped {i}'}} for i in (1, 2, 3)])
            return self.reply(200, gzip.compress(body.encode()), headers=[('Content-Encoding', 'gzip'), ('Vary', 'Accept-Encoding')])
        if name == 'invalid-json':
            kind = self.q('kind', 'truncated')
            good = wp_json([{'id': 1, 'title': {'rendered': 'Fine'}}])
            body = {'truncated': '[{"id":1,"title":{"rendered":"Broken',
                    'php-warning': '<br />\n<b>Warning</b>:  Undefined array key "x" in <b>/var/www/html/wp-content/'
                                   'plugins/some-plugin/plugin.php</b> on line <b>42</b><br />\n' + good,
                    'bom': '\ufeff' + good,
                    'html': '<!DOCTYPE html><html><body><p>Just a moment...</p></body></html>'}.get(kind, '{"id":')
            return self.reply(200, body)
        if name == '401':
            return self.rest_error(401, 'rest_login_required', 'REST API restricted to authenticated users.')
        if name == 'auth':
            want = '%s:%s' % (self.q('user', 'user'), self.q('pass', 'pass'))
            got = self.headers.get('Authorization', '')
            if got.startswith('Basic ') and got[6:].strip() == base64.b64encode(want.encode()).decode():
                return self.reply(200, self.ok({'ok': True, 'user': want.split(':')[0]}))
            return self.rest_error(401, 'rest_not_logged_in', 'You are not currently logged in.',
                                   headers=[('WWW-Authenticate', 'Basic realm="storypipe fixture"')])
        if name == 'status':
            code = self.qint('code', 500)
            return self.reply(code, json.dumps({'status': code}))
        if name == 'drop':
            self.close_connection = True
            self._status = 'dropped'
            self.finish_log()
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        return self.reply(404, json.dumps({'error': 'unknown fault', 'faults': [
            '429', '503-then-ok', '500-then-ok', 'slow', 'big', 'redirect-loop', 'redirect', 'gzip',
            'invalid-json', '401', 'auth', 'status', 'drop']}))

    def slow(self, seconds, mode):
        self.close_connection = True
        deadline = time.monotonic() + seconds
        body = json.dumps({'ok': True, 'slow': seconds}).encode()
        if mode == 'before':       # nothing at all until the time is up
            time.sleep(max(0.0, seconds))
            return self.reply(200, body)
        n = max(1, int(math.ceil(seconds)))
        payload = (b' ' * n + body) if mode == 'dribble' else body   # leading spaces: still valid JSON
        self.send_response(200)
        self.send_header('Content-Type', 'application/json; charset=UTF-8')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.flush()
        if mode == 'stall':        # half the body, then nothing until the time is up
            self.write(payload[:len(payload) // 2])
            self.wfile.flush()
            time.sleep(max(0.0, deadline - time.monotonic()))
            self.write(payload[len(payload) // 2:])
        else:                      # dribble: one byte a second until the time is up, then the rest
            i = 0
            while i < n and time.monotonic() < deadline:
                self.write(payload[i:i + 1])
                self.wfile.flush()
                i += 1
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
            self.write(payload[i:])
        self.finish_log()

    def big(self, mb):
        total = int(mb * 1024 * 1024)
        chunked = self.q('chunked') == '1'
        no_length = self.q('length') == '0'
        self.close_connection = chunked is False and no_length
        self.send_response(200)
        self.send_header('Content-Type', 'application/json; charset=UTF-8')
        if chunked:
            self.send_header('Transfer-Encoding', 'chunked')
        elif no_length:
            self.send_header('Connection', 'close')
        else:
            self.send_header('Content-Length', str(total))
        self.end_headers()
        if self.command == 'HEAD':
            return self.finish_log()
        # a JSON array of strings, exactly `total` bytes
        item = b'"' + b'x' * 1022 + b'",'
        sent = 0
        head = b'['
        while sent < total:
            left = total - sent
            if left <= 64 * 1024:
                tail = b'"' + b'y' * max(0, left - (len(head) + 3)) + b'"]' if left >= len(head) + 3 else b' ' * left
                block = (head + tail)[:left]
            else:
                k = (64 * 1024 - len(head)) // len(item)
                block = head + item * k
            head = b''
            if chunked:
                self.write(b'%x\r\n' % len(block) + block + b'\r\n')
            else:
                self.write(block)
            sent += len(block)
        if chunked:
            self.write(b'0\r\n\r\n')
        self.finish_log()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, DISCONNECTS):
            return
        sys.stderr.write('http_fixture: error with %s: %r\n' % (client_address, exc))


def make_server(opts):
    srv = Server((opts.host, opts.port), Handler)
    srv.opts = opts
    srv.site = Site(opts.posts, tz_offset=opts.tz_offset, same_second=opts.same_second)
    srv.base = 'http://%s:%d' % (opts.host, srv.server_address[1])
    return srv


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--posts', type=int, default=25, help='number of generated posts (default 25)')
    ap.add_argument('--no-pretty', action='store_true', help='/wp-json/ answers 404; use ?rest_route=')
    ap.add_argument('--auth', metavar='USER:PASS', help='REST API requires this Basic auth')
    ap.add_argument('--gzip', action='store_true', help='gzip REST and feed bodies when the client accepts it')
    ap.add_argument('--no-validators', action='store_true', help='no ETag/Last-Modified on REST (like WordPress)')
    ap.add_argument('--tz-offset', type=float, default=0.0, help='site time zone, hours from UTC')
    ap.add_argument('--same-second', type=int, default=1, help='K consecutive posts share a timestamp')
    ap.add_argument('--feed-items', type=int, default=10)
    ap.add_argument('--self-check', action='store_true', help='run the built-in checks and exit')
    return ap.parse_args(argv)


def main(argv=None):
    opts = parse_args(argv if argv is not None else sys.argv[1:])
    if opts.self_check:
        return self_check()
    srv = make_server(opts)
    print('listening on %s' % srv.base, flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
    return 0


# ---- self-check ------------------------------------------------------------------------------

def self_check():
    import http.client
    import xml.etree.ElementTree as ET

    results = []

    def check(name, ok, detail=''):
        results.append(ok)
        print('%s %s%s' % ('ok  ' if ok else 'FAIL', name, (' — ' + detail) if detail else ''), flush=True)

    def start(*args):
        o = parse_args(['--port', '0', *args])
        s = make_server(o)
        threading.Thread(target=s.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True).start()
        return s

    def req(srv, path, method='GET', headers=None, timeout=10, body=None):
        c = http.client.HTTPConnection('127.0.0.1', srv.server_address[1], timeout=timeout)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def js(data):
        return json.loads(data.decode('utf-8'))

    s = start('--posts', '250')
    st, h, d = req(s, '/wp-json/wp/v2/posts?per_page=100&page=1')
    posts = js(d)
    check('posts page 1', st == 200 and len(posts) == 100 and h['x-wp-total'] == '250' and h['x-wp-totalpages'] == '3',
          f"{st} total={h.get('x-wp-total')} pages={h.get('x-wp-totalpages')}")
    keys = list(posts[0])
    want = ['id', 'date', 'date_gmt', 'guid', 'modified', 'modified_gmt', 'slug', 'status', 'type', 'link', 'title',
            'content', 'excerpt', 'author', 'featured_media', 'comment_status', 'ping_status', 'sticky', 'template',
            'format', 'meta', 'categories', 'tags', '_links']
    check('post shape', keys == want, ','.join(keys))
    check('slashes escaped like json_encode', b'\\/' in d and b'\\u00' in d)
    check('Link next', h.get('link', '').count('rel="next"') == 1 and 'page=2' in h['link'], h.get('link', ''))
    ids = set()
    for page in (1, 2, 3):
        ids |= {p['id'] for p in js(req(s, f'/wp-json/wp/v2/posts?per_page=100&page={page}')[2])}
    check('3 pages cover every post once', len(ids) == 250)
    check('distinct titles and contents', len({p['title']['rendered'] for p in posts}) == 100 and
          len({p['content']['rendered'] for p in posts}) == 100)
    st, h, d = req(s, '/wp-json/wp/v2/posts?per_page=100&page=4')
    check('page past the end', st == 400 and js(d)['code'] == 'rest_post_invalid_page_number', f'{st} {d[:80]}')
    st, h, d = req(s, '/wp-json/wp/v2/posts?per_page=101')
    check('per_page 101', st == 400 and js(d)['code'] == 'rest_invalid_param' and
          js(d)['data']['params']['per_page'] == 'per_page must be between 1 (inclusive) and 100 (inclusive)', f'{st}')
    st, h, d = req(s, '/wp-json/wp/v2/posts')
    check('default per_page 10', st == 200 and len(js(d)) == 10 and h['x-wp-totalpages'] == '25')
    st, h, d = req(s, '/wp-json/wp/v2/posts?per_page=5&_fields=id,modified_gmt')
    check('_fields', st == 200 and all(list(p) == ['id', 'modified_gmt'] for p in js(d)), d[:60].decode())
    st, h, d = req(s, '/wp-json/wp/v2/posts?per_page=2&_fields=id,title.rendered')
    check('_fields nested', list(js(d)[0]) == ['id', 'title'] and list(js(d)[0]['title']) == ['rendered'])
    st, h, d = req(s, '/?rest_route=/wp/v2/posts&per_page=100&page=1')
    check('?rest_route= equivalence', st == 200 and js(d) == posts)
    st, h, d = req(s, '/index.php?rest_route=%2Fwp%2Fv2%2Fposts&per_page=3')
    check('/index.php?rest_route=', st == 200 and len(js(d)) == 3)
    mod = sorted(p['modified_gmt'] for p in js(req(s, '/wp-json/wp/v2/posts?per_page=100&orderby=modified&order=asc')[2]))
    st, h, d = req(s, '/wp-json/wp/v2/posts?per_page=100&orderby=modified&order=asc&_fields=id,modified_gmt')
    got = [p['modified_gmt'] for p in js(d)]
    check('orderby=modified&order=asc', got == sorted(got) and got == mod)
    cut = got[49]
    st, h, d = req(s, f'/wp-json/wp/v2/posts?per_page=100&orderby=modified&order=asc&modified_after={cut}Z&_fields=id,modified_gmt')
    after = [p['modified_gmt'] for p in js(d)]
    check('modified_after is strict', after and min(after) > cut and int(h['x-wp-total']) == sum(1 for m in mod if m > cut) + 150,
          f"{h['x-wp-total']} after {cut}")
    st, h, d = req(s, f'/wp-json/wp/v2/posts?per_page=100&modified_after={cut}.9%2B00:00&_fields=id')
    check('modified_after drops fractions', int(h['x-wp-total']) == sum(1 for m in
          [p['modified_gmt'] for p in js(req(s, '/wp-json/wp/v2/posts?per_page=100&page=1&_fields=modified_gmt')[2])]
          + [p['modified_gmt'] for p in js(req(s, '/wp-json/wp/v2/posts?per_page=100&page=2&_fields=modified_gmt')[2])]
          + [p['modified_gmt'] for p in js(req(s, '/wp-json/wp/v2/posts?per_page=100&page=3&_fields=modified_gmt')[2])]
          if m > cut))
    st, h, d = req(s, '/wp-json/wp/v2/posts?modified_after=2020-01-01')
    check('modified_after date only is invalid', st == 400 and js(d)['data']['details']['modified_after']['code'] == 'rest_invalid_date')
    st, h, d = req(s, f'/wp-json/wp/v2/posts?after={posts[5]["date_gmt"]}Z&_fields=id&per_page=100')
    check('after', st == 200 and len(js(d)) == 5, f'{len(js(d))}')
    st, h, d = req(s, '/wp-json/wp/v2/posts?modified_after=2999-01-01T00:00:00&page=3')
    check('empty result, page past end is 200 []', st == 200 and js(d) == [] and h['x-wp-totalpages'] == '0')
    st, h, d = req(s, '/wp-json/wp/v2/posts?orderby=foo')
    check('orderby enum', st == 400 and 'orderby is not one of author' in js(d)['message'] + js(d)['data']['params']['orderby'])
    st, h, d = req(s, '/wp-json/wp/v2/posts/%d' % posts[0]['id'])
    check('single post', st == 200 and js(d)['id'] == posts[0]['id'])
    st, h, d = req(s, '/wp-json/wp/v2/posts/1')
    check('single post 404', st == 404 and js(d)['code'] == 'rest_post_invalid_id')
    st, h, d = req(s, '/wp-json/wp/v2/nope')
    check('rest_no_route', st == 404 and js(d)['code'] == 'rest_no_route')
    st, h, d = req(s, '/wp-json/')
    check('/wp-json/ index', st == 200 and 'wp/v2' in js(d)['namespaces'])

    st, h, d = req(s, '/wp-json/wp/v2/posts?per_page=3')
    etag, lm = h.get('etag'), h.get('last-modified')
    check('ETag and Last-Modified', bool(etag and lm), f'{etag} {lm}')
    st2, _, d2 = req(s, '/wp-json/wp/v2/posts?per_page=3', headers={'If-None-Match': etag})
    check('If-None-Match → 304', st2 == 304 and d2 == b'', str(st2))
    st2, _, _ = req(s, '/wp-json/wp/v2/posts?per_page=3', headers={'If-Modified-Since': lm})
    check('If-Modified-Since → 304', st2 == 304, str(st2))
    st2, _, _ = req(s, '/wp-json/wp/v2/posts?per_page=3', headers={'If-None-Match': '"other"', 'If-Modified-Since': lm})
    check('both sent, ETag differs → 200', st2 == 200, str(st2))

    # edits and publishing
    top = js(req(s, '/wp-json/wp/v2/posts?per_page=1&orderby=modified&_fields=modified_gmt')[2])[0]['modified_gmt']
    st, _, d = req(s, '/_admin/edit?id=%d' % posts[50]['id'], method='POST')
    e = js(d)
    check('edit bumps modified', st == 200 and e['modified_gmt'] > top, f"{e.get('modified_gmt')} > {top}")
    st, _, d = req(s, '/_admin/publish', method='POST')
    pub = js(d)
    check('publish', st == 200 and pub['modified_gmt'] > e['modified_gmt'], str(pub))
    st, h, d = req(s, f'/wp-json/wp/v2/posts?orderby=modified&order=asc&modified_after={top}&_fields=id')
    check('incremental poll sees edit then publish', [p['id'] for p in js(d)] == [posts[50]['id'], pub['id']], d.decode())
    st2, _, _ = req(s, '/wp-json/wp/v2/posts?per_page=3', headers={'If-None-Match': etag, 'If-Modified-Since': lm})
    check('304 no longer after an edit', st2 == 200, str(st2))
    st, _, d = req(s, '/_admin/edit?id=%d&text=%s' % (posts[1]['id'], urllib.parse.quote('<p>New</p>')), method='POST')
    st, _, d = req(s, '/wp-json/wp/v2/posts/%d?_fields=content' % posts[1]['id'])
    check('edit with text', js(d)['content']['rendered'] == '<p>New</p>')
    st, _, d = req(s, '/_admin/delete?id=%d' % posts[2]['id'], method='POST')
    st, h, d = req(s, '/wp-json/wp/v2/posts?per_page=1')
    check('delete hides the post', h['x-wp-total'] == '250')   # 250 + 1 published - 1 trashed

    # feeds
    for path, root in (('/feed/rss', 'rss'), ('/feed/', 'rss'), ('/?feed=rss2', 'rss'), ('/feed/atom', '{http://www.w3.org/2005/Atom}feed')):
        st, h, d = req(s, path)
        try:
            tree = ET.fromstring(d)
            n = len(tree.findall('./channel/item')) or len(tree.findall('{http://www.w3.org/2005/Atom}entry'))
            ok = st == 200 and tree.tag == root and n == 10
        except ET.ParseError as ex:
            ok, n = False, repr(ex)
        check(f'feed {path}', ok, f'{st} {h.get("content-type")} items={n}')
    st, h, d = req(s, '/feed/atom')
    st2, _, _ = req(s, '/feed/atom', headers={'If-None-Match': h['etag']})
    check('feed 304', st2 == 304)

    # faults
    st, h, _ = req(s, '/fault/429?retry_after=1&key=a')
    st2, _, _ = req(s, '/fault/429?retry_after=1&key=a')
    time.sleep(1.05)
    st3, _, _ = req(s, '/fault/429?retry_after=1&key=a')
    check('429 then 200', (st, st2, st3) == (429, 429, 200) and h.get('retry-after') == '1', f'{st} {st2} {st3} {h.get("retry-after")}')
    codes = [req(s, '/fault/503-then-ok?fails=2&key=b')[0] for _ in range(3)]
    check('503-then-ok', codes == [503, 503, 200], str(codes))
    codes = [req(s, '/fault/500-then-ok?fails=1&key=b')[0] for _ in range(2)]
    check('500-then-ok', codes == [500, 200], str(codes))
    t = time.monotonic()
    st, _, d = req(s, '/fault/slow?seconds=3', timeout=1.5)   # a byte a second: no read timeout fires
    check('slow dribble (3 s, per-read timeout 1.5 s never fires)', st == 200 and time.monotonic() - t >= 2.9 and
          js(d)['ok'], '%.1fs' % (time.monotonic() - t))
    t = time.monotonic()
    try:
        req(s, '/fault/slow?seconds=5&mode=stall', timeout=1)
        check('slow mode=stall', False, 'no timeout')
    except (socket.timeout, TimeoutError):
        check('slow mode=stall (read timeout fires)', time.monotonic() - t < 2)
    t = time.monotonic()
    st, _, d = req(s, '/fault/slow?seconds=1.5&mode=before')
    check('slow mode=before', st == 200 and time.monotonic() - t >= 1.4)
    st, h, d = req(s, '/fault/big?mb=17')
    check('big 17 MB, valid JSON', st == 200 and len(d) == 17 * 1024 * 1024 == int(h['content-length']) and
          isinstance(json.loads(d), list))
    st, h, d = req(s, '/fault/big?mb=1&chunked=1')
    check('big chunked', st == 200 and len(d) == 1024 * 1024 and h.get('transfer-encoding') == 'chunked')
    st, h, _ = req(s, '/fault/redirect-loop')
    check('redirect-loop', st == 302 and h['location'] == '/fault/redirect-loop')
    hops, path = 0, '/fault/redirect?n=7'
    while hops < 20:
        st, h, d = req(s, path)
        if st != 302:
            break
        hops, path = hops + 1, h['location']
    check('redirect chain of 7', hops == 7 and st == 200, f'{hops} hops')
    st, h, _ = req(s, '/fault/redirect?n=1&to=http://169.254.169.254/latest/')
    check('redirect to another host', st == 302 and h['location'] == 'http://169.254.169.254/latest/')
    st, h, d = req(s, '/fault/gzip')
    check('gzip', st == 200 and h.get('content-encoding') == 'gzip' and js(gzip.decompress(d))[0]['id'] == 1)
    st, h, d = req(s, '/fault/invalid-json')
    try:
        json.loads(d)
        check('invalid-json', False)
    except ValueError:
        check('invalid-json', st == 200 and h['content-type'].startswith('application/json'))
    st, h, d = req(s, '/fault/401')
    check('401', st == 401 and js(d)['code'] == 'rest_login_required')
    st, h, _ = req(s, '/fault/auth')
    st2, _, _ = req(s, '/fault/auth', headers={'Authorization': 'Basic ' + base64.b64encode(b'user:pass').decode()})
    check('auth', st == 401 and 'www-authenticate' in h and st2 == 200, f'{st} {st2}')
    try:
        req(s, '/fault/drop')
        check('drop', False)
    except (http.client.RemoteDisconnected, ConnectionError):
        check('drop (connection closed, no answer)', True)
    st, _, d = req(s, '/_admin/count?path=/fault/503-then-ok')
    check('count', js(d)['count'] == 3, d.decode())
    req(s, '/_admin/reset', method='POST')
    check('reset', js(req(s, '/_admin/count?path=/fault/503-then-ok')[2])['count'] == 0)
    # a client that goes away mid-body must not upset the server
    c = socket.create_connection(('127.0.0.1', s.server_address[1]))
    c.sendall(b'GET /fault/big?mb=20 HTTP/1.1\r\nHost: x\r\n\r\n')
    c.recv(1000)
    c.close()
    time.sleep(0.2)
    check('server alive after a disconnect', req(s, '/wp-json/wp/v2/posts?per_page=1')[0] == 200)
    s.shutdown()

    s = start('--no-pretty', '--posts', '12')
    st, _, _ = req(s, '/wp-json/wp/v2/posts')
    st2, h, d = req(s, '/?rest_route=/wp/v2/posts&per_page=5&page=2')
    check('--no-pretty: /wp-json 404, rest_route works', st == 404 and st2 == 200 and len(js(d)) == 5, f'{st} {st2}')
    check('--no-pretty Link', '/index.php?rest_route=%2Fwp%2Fv2%2Fposts&per_page=5&page=1>; rel="prev"' in h.get('link', ''), h.get('link'))
    s.shutdown()

    s = start('--auth', 'ann:secret', '--gzip', '--tz-offset', '2', '--no-validators', '--posts', '3')
    st, _, d = req(s, '/wp-json/wp/v2/posts')
    auth = {'Authorization': 'Basic ' + base64.b64encode(b'ann:secret').decode(), 'Accept-Encoding': 'gzip'}
    st2, h, d2 = req(s, '/wp-json/wp/v2/posts', headers=auth)
    p = js(gzip.decompress(d2))[0] if h.get('content-encoding') == 'gzip' else {}
    check('--auth', st == 401 and js(d)['code'] == 'rest_login_required' and st2 == 200, f'{st} {st2}')
    check('--gzip', h.get('content-encoding') == 'gzip')
    check('--tz-offset 2', p and datetime.fromisoformat(p['date']) - datetime.fromisoformat(p['date_gmt']) == timedelta(hours=2))
    check('--no-validators', 'etag' not in h and 'last-modified' not in h)
    s.shutdown()

    bad = results.count(False)
    print('%d checks, %d failed' % (len(results), bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
