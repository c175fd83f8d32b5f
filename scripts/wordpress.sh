#!/usr/bin/env bash
# wordpress.sh — a real, throw-away WordPress (Debian's package) on a free
# loopback port, for the fetcher's tests. Everything lives in DIR: a private
# mariadbd (its own datadir, unix socket only, never the system instance), a
# copy of /usr/share/wordpress's entry points with their own wp-config.php
# (nothing under /etc/wordpress is read or written), and `php -S` with a
# router that does what WordPress's .htaccess does (pretty /wp-json/ paths).
#
#   scripts/wordpress.sh start DIR [--plain]   install and serve a site; prints its
#                                        base URL (http://127.0.0.1:PORT). --plain keeps
#                                        plain permalinks: /wp-json/ answers 404 and
#                                        only /?rest_route= works
#   scripts/wordpress.sh stop DIR        stop the php and mariadbd started for DIR
#   scripts/wordpress.sh posts DIR N     insert N published posts (one PHP process);
#                                        prints their ids, one a line
#   scripts/wordpress.sh publish DIR     publish one new post now; prints its id
#   scripts/wordpress.sh edit DIR ID [TEXT]
#                                        replace post ID's content with TEXT (default:
#                                        append an "Update" paragraph); prints its new
#                                        modified_gmt
#   scripts/wordpress.sh php DIR FILE    run FILE with WordPress loaded (wp-load.php)
#
# `modified` has one-second resolution, so publish and edit first wait for the
# next wall-clock second: the new modified time is strictly later than any poll
# that finished before the command was run. Posts from `posts` are back-dated
# one minute apart, ending a minute before now (modified = date, as for any
# new post with an explicit date).
# Needs: wordpress mariadb-server-core mariadb-client-core php-cli php-mysql curl
# (scripts/install-deps.sh --test). Restarting a stopped DIR keeps its posts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WP_SRC=${WP_SRC:-/usr/share/wordpress}

die() { echo "wordpress.sh: $*" >&2; exit "${rc:-69}"; }
usage() { sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 64; }

need() {
  local c
  for c in mariadb-install-db mariadbd mariadb php curl; do
    command -v "$c" >/dev/null || PATH=$PATH:/usr/sbin command -v "$c" >/dev/null ||
      die "$c not found (scripts/install-deps.sh --test)"
  done
  [ -f "$WP_SRC/wp-settings.php" ] || die "$WP_SRC/wp-settings.php not found (apt-get install wordpress)"
  php -r 'exit(extension_loaded("mysqli") ? 0 : 1);' || die "php has no mysqli (apt-get install php-mysql)"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# the unix socket path must fit in sun_path (108 bytes): long DIRs get a short
# directory under /tmp, recorded in DIR/sockdir and removed by stop
socket_path() {
  local dir=$1
  if [ -f "$dir/sockdir" ]; then echo "$(cat "$dir/sockdir")/mysqld.sock"
  elif [ ${#dir} -le 80 ]; then echo "$dir/mysqld.sock"
  else
    local s; s=$(mktemp -d /tmp/storypipe-wpdb.XXXXXX)
    echo "$s" > "$dir/sockdir"; echo "$s/mysqld.sock"
  fi
}

sql() { mariadb --no-defaults --socket="$(socket_path "$1")" -uroot -N -B -e "$2"; }

start_mariadb() {
  local dir=$1 sock user=()
  sock=$(socket_path "$dir")
  [ "$(id -u)" -eq 0 ] && user=(--user=root)
  local opts=(--no-defaults "${user[@]}" --datadir="$dir/db" --socket="$sock" --skip-networking
              --pid-file="$dir/db/mariadbd.pid" --log-error="$dir/mariadb.log" --skip-log-bin
              --innodb-log-file-size=8M --innodb-buffer-pool-size=32M --innodb-flush-log-at-trx-commit=0
              --innodb-doublewrite=0 --skip-name-resolve --character-set-server=utf8mb4
              --collation-server=utf8mb4_unicode_ci --tmpdir="$dir/tmp")
  mkdir -p "$dir/tmp"
  if [ ! -d "$dir/db/mysql" ]; then
    rm -rf "$dir/db"
    mariadb-install-db --no-defaults "${user[@]}" --datadir="$dir/db" --tmpdir="$dir/tmp" --auth-root-authentication-method=normal \
      --skip-test-db --skip-name-resolve --innodb-log-file-size=8M --innodb-buffer-pool-size=32M \
      >"$dir/mariadb-install.log" 2>&1 || { tail -20 "$dir/mariadb-install.log" >&2; die "mariadb-install-db failed; see $dir/mariadb-install.log"; }
  fi
  local mariadbd; mariadbd=$(PATH=$PATH:/usr/sbin command -v mariadbd)
  setsid "$mariadbd" "${opts[@]}" </dev/null >>"$dir/mariadb.log" 2>&1 &
  echo $! > "$dir/mariadb.pid"
  local i
  for i in $(seq 1 200); do
    sql "$dir" 'select 1' >/dev/null 2>&1 && return 0
    alive "$dir/mariadb.pid" || break
    sleep 0.05
  done
  tail -20 "$dir/mariadb.log" >&2 || true
  die "mariadbd did not start; see $dir/mariadb.log"
}

# The site: WordPress's entry points copied into DIR/site (PHP resolves
# symlinks in __DIR__, so wp-load.php and wp-admin must be real copies for
# ABSPATH to be DIR/site and our wp-config.php to be the one loaded);
# wp-includes, the bulk, is a symlink.
make_site() {
  local dir=$1 port=$2 sock=$3 plain=$4 site=$1/site f
  if [ ! -f "$site/wp-load.php" ]; then
    rm -rf "$site"; mkdir -p "$site/wp-content/plugins" "$site/wp-content/themes" "$site/wp-content/uploads"
    for f in "$WP_SRC"/*.php; do
      [ "$(basename "$f")" = wp-config.php ] || cp "$f" "$site/"
    done
    cp -r "$WP_SRC/wp-admin" "$site/wp-admin"
    ln -s "$WP_SRC/wp-includes" "$site/wp-includes"
    echo '<?php // Silence is golden.' > "$site/wp-content/index.php"
  fi
  local salt; salt=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
  cat > "$site/wp-config.php" <<PHP
<?php
/* written by scripts/wordpress.sh for a throw-away test site */
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:$sock');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
\$table_prefix = 'wp_';
foreach (array('AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY',
               'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT') as \$k)
    define(\$k, '$salt' . \$k);
define('WP_HOME', 'http://127.0.0.1:$port');
define('WP_SITEURL', 'http://127.0.0.1:$port');
define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_DEBUG', false);
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
PHP
  # what Apache does with WordPress's .htaccess: existing files are served,
  # everything else goes to index.php with REQUEST_URI untouched. A --plain
  # site has no such rewrite: other paths are the web server's 404.
  { echo '<?php'; echo "\$plain = $([ -n "$plain" ] && echo true || echo false);"; cat <<'PHP'; } > "$dir/router.php"
$root = $_SERVER['DOCUMENT_ROOT'];
$path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');
if ($path !== '/' && $path !== '/index.php') {
    $f = $root . $path;
    if (strpos($path, '..') === false) {
        if (is_file($f)) return false;
        if (is_dir($f) && is_file(rtrim($f, '/') . '/index.php')) return false;
    }
    if ($plain) {
        http_response_code(404);
        header('Content-Type: text/html; charset=iso-8859-1');
        echo "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>404 Not Found</title>\n" .
             "</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n";
        return true;
    }
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
unset($_SERVER['PATH_INFO'], $_SERVER['PATH_TRANSLATED']);
chdir($root);
require $root . '/index.php';
PHP
  write_tool "$dir"
}

# tool.php: WordPress loaded from the CLI; install, posts, publish, edit, run
write_tool() {
  cat > "$1/tool.php" <<'PHP'
<?php
$site = __DIR__ . '/site';
$port = trim(file_get_contents(__DIR__ . '/port'));
$_SERVER['HTTP_HOST'] = "127.0.0.1:$port";
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['SERVER_PORT'] = $port;
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$cmd = $argv[1] ?? '';
if ($cmd === 'install') {
    define('WP_INSTALLING', true);
    // no mail (there is no MTA): wp_install's notification is pluggable
    function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}
}
require $site . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

function fail($msg) { fwrite(STDERR, "wordpress.sh: $msg\n"); exit(70); }

// wait for the next wall-clock second, so that a new `modified` is strictly
// later than anything a client has seen before this command started
function next_second() {
    $t = microtime(true);
    usleep((int) ((floor($t) + 1 - $t) * 1e6) + 5000);
}

$words = explode(' ', 'council budget river harbour festival election school bridge museum library ' .
    'railway hospital market storm drought vaccine orchestra satellite telescope glacier ' .
    'parliament startup airline factory vineyard stadium marathon volcano archive ferry ' .
    'tariff pension housing reservoir wildfire research robot tunnel forest coastline');

// A paragraph of 72 words of its own, so that no two stories are near
// duplicates of each other (the template around it is shared).
function background($w) {
    $out = array();
    for ($i = 0; $i < 72; $i++) {
        $word = $w("b$i");
        $out[] = $i % 12 == 0 ? ucfirst($word) : ($i % 12 == 11 ? "$word." : $word);
    }
    return implode(' ', $out);
}

function story($n, $salt) {
    global $words;
    $w = function ($k) use ($words, $n, $salt) { return $words[crc32("$salt/$n/$k") % count($words)]; };
    $title = sprintf('Story %d: %s %s plan for the %s', $n, ucfirst($w(1)), $w(2), $w(3));
    $content = sprintf(
        "<p>The %s committee said on Tuesday that the %s project would go ahead, after months of debate " .
        "about the cost of the %s. &#8220;We listened,&#8221; a spokesperson said.</p>\n" .
        "<h2>What changes for the %s</h2>\n" .
        "<p>Work starts next spring. Residents can read <a href=\"https://example.org/reports/%d\">the full report</a> " .
        "and comment until the end of the month &amp; a public meeting follows.</p>\n" .
        "<ul>\n<li>Budget: %d million</li>\n<li>Story number %d (%s)</li>\n</ul>\n" .
        "<p>%s</p>\n" .
        "<p>Reporting by the <em>storypipe</em> test desk.</p>",
        $w(4), $w(5), $w(6), $w(7), $n, 10 + crc32("$salt/$n") % 90, $n, $salt, background($w));
    return array($title, $content);
}

function terms() {
    static $cats = null;
    if ($cats === null) {
        $cats = array();
        foreach (array('Politics', 'Business', 'Science', 'Culture') as $name) {
            $t = term_exists($name, 'category') ?: wp_insert_term($name, 'category');
            $cats[] = (int) (is_array($t) ? $t['term_id'] : $t);
        }
    }
    return $cats;
}

function new_post($n, $salt, $date_gmt = null) {
    $cats = terms();
    list($title, $content) = story($n, $salt);
    $p = array(
        'post_title' => $title, 'post_content' => $content, 'post_status' => 'publish',
        'post_author' => 1, 'post_type' => 'post',
        'post_excerpt' => '',
        'post_category' => array($cats[$n % count($cats)]),
        'tags_input' => array('storypipe', 'batch-' . $salt),
    );
    if ($date_gmt !== null) {
        $p['post_date_gmt'] = gmdate('Y-m-d H:i:s', $date_gmt);
        $p['post_date'] = get_date_from_gmt($p['post_date_gmt']);
    }
    $id = wp_insert_post($p, true);
    if (is_wp_error($id)) fail('wp_insert_post: ' . $id->get_error_message());
    return $id;
}

if ($cmd !== 'install') wp_set_current_user(1);
switch ($cmd) {
case 'install':
    $plain = ($argv[2] ?? '') === 'plain';
    if (!is_blog_installed()) {
        $r = wp_install('storypipe test site', 'admin', 'admin@example.org', true, '', 'admin-password');
        if (empty($r['user_id'])) fail('wp_install failed');
        wp_delete_post(1, true);   // "Hello world!"
        wp_delete_post(2, true);   // "Sample Page"
        wp_delete_post(3, true);   // draft privacy policy
    }
    global $wp_rewrite;
    $wp_rewrite->set_permalink_structure($plain ? '' : '/%year%/%monthnum%/%day%/%postname%/');
    $wp_rewrite->flush_rules(false);
    break;
case 'posts':
    $n = (int) ($argv[2] ?? 0);
    if ($n < 1) fail('posts: N must be a positive integer');
    wp_defer_term_counting(true);
    wp_defer_comment_counting(true);
    $salt = substr(md5(uniqid('', true)), 0, 6);
    $base = (int) $wpdb->get_var("SELECT COUNT(*) FROM $wpdb->posts WHERE post_type = 'post'");
    $now = time() - 60;
    $wpdb->query('START TRANSACTION');
    $ids = array();
    for ($i = 1; $i <= $n; $i++) $ids[] = new_post($base + $i, $salt, $now - ($n - $i) * 60);
    $wpdb->query('COMMIT');
    wp_defer_term_counting(false);
    echo implode("\n", $ids), "\n";
    break;
case 'publish':
    next_second();
    $base = (int) $wpdb->get_var("SELECT COUNT(*) FROM $wpdb->posts WHERE post_type = 'post'");
    echo new_post($base + 1, substr(md5(uniqid('', true)), 0, 6)), "\n";
    break;
case 'edit':
    $id = (int) ($argv[2] ?? 0);
    $post = get_post($id);
    if (!$post || $post->post_type !== 'post') fail("edit: no post $id");
    $text = $argv[3] ?? null;
    next_second();
    if ($text === null)
        $text = $post->post_content . "\n<p><strong>Update</strong> " . gmdate('Y-m-d H:i:s') . " UTC: the story was revised.</p>";
    $r = wp_update_post(array('ID' => $id, 'post_content' => $text), true);
    if (is_wp_error($r)) fail('wp_update_post: ' . $r->get_error_message());
    clean_post_cache($id);
    echo mysql_to_rfc3339(get_post($id)->post_modified_gmt), "\n";
    break;
case 'run':
    require $argv[2];
    break;
default:
    fail("tool.php: unknown command $cmd");
}
PHP
}

port_is_free() {
  /usr/bin/python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(("127.0.0.1",int(sys.argv[1])))' "$1" 2>/dev/null
}

start() {
  local dir=${1:?usage: wordpress.sh start DIR [--plain]} plain=
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --plain) plain=plain ;;
      *) rc=64 die "unknown option $1" ;;
    esac
    shift
  done
  need
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  if alive "$dir/php.pid" || alive "$dir/mariadb.pid"; then
    rc=64 die "a site is already running in $dir (wordpress.sh stop $dir)"
  fi
  # whatever fails from here on, stop what was started
  trap "stop $(printf %q "$dir")" EXIT
  local port=
  # a restarted site keeps its port when it can (links stored in posts name it)
  if [ -f "$dir/port" ] && port_is_free "$(cat "$dir/port")"; then port=$(cat "$dir/port"); fi
  [ -n "$port" ] || port=$("$here/free-port.sh")
  echo "$port" > "$dir/port"
  start_mariadb "$dir"
  sql "$dir" 'CREATE DATABASE IF NOT EXISTS wordpress CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci'
  make_site "$dir" "$port" "$(socket_path "$dir")" "$plain"
  php "$dir/tool.php" install $plain >"$dir/install.log" 2>&1 ||
    { tail -20 "$dir/install.log" >&2; die "WordPress install failed; see $dir/install.log"; }
  # PHP_CLI_SERVER_WORKERS: concurrent requests (the fetcher polls in parallel)
  PHP_CLI_SERVER_WORKERS=${WP_PHP_WORKERS:-4} setsid php -d display_errors=stderr -d log_errors=0 \
    -S "127.0.0.1:$port" -t "$dir/site" "$dir/router.php" </dev/null >>"$dir/php.log" 2>&1 &
  echo $! > "$dir/php.pid"
  local url="http://127.0.0.1:$port" i
  for i in $(seq 1 200); do
    if curl -fsS -o /dev/null "$url/?rest_route=/" 2>/dev/null; then
      echo "$url" > "$dir/url"; echo "$url"; trap - EXIT; return 0
    fi
    alive "$dir/php.pid" || break
    sleep 0.05
  done
  tail -20 "$dir/php.log" >&2 || true
  die "php -S did not answer on $url; see $dir/php.log"
}

# stop a process we started with setsid (it leads its own process group, so
# php -S's workers go with it); SIGTERM, then SIGKILL after a while
stop_pid() {
  local pidfile=$1 tries=$2 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 "$tries"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop() {
  local dir=${1:?usage: wordpress.sh stop DIR}
  [ -d "$dir" ] || return 0
  stop_pid "$dir/php.pid" 40
  stop_pid "$dir/mariadb.pid" 400
  if [ -f "$dir/sockdir" ]; then rm -rf "$(cat "$dir/sockdir")"; rm -f "$dir/sockdir"; fi
  return 0
}

running() {
  local dir=${1:?DIR missing}
  [ -f "$dir/tool.php" ] && alive "$dir/mariadb.pid" || rc=64 die "no site running in $dir (wordpress.sh start $dir)"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  posts) [ $# -eq 3 ] || usage; running "$2"; php "$2/tool.php" posts "$3" ;;
  publish) [ $# -eq 2 ] || usage; running "$2"; php "$2/tool.php" publish ;;
  edit) [ $# -ge 3 ] && [ $# -le 4 ] || usage; running "$2"; php "$2/tool.php" edit "$3" ${4+"$4"} ;;
  php) [ $# -eq 3 ] || usage; running "$2"; php "$2/tool.php" run "$(cd "$(dirname "$3")" && pwd)/$(basename "$3")" ;;
  *) usage ;;
esac
