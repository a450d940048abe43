# Shared by scripts/demo and scripts/test: install what is missing, start PostgreSQL.
# Every step checks first and does nothing when the thing is already there.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"
# Build output outside the clone keeps repeated runs (and CI) fast.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export LASTMILE_SITE_ROOT="${LASTMILE_SITE_ROOT:-$ROOT/target/site}"

log() { printf '\033[1m==> [%s] %s\033[0m\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root to run: $*"; fi
}

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The Rust side of the build: the wasm target, wasm-bindgen (the version in Cargo.lock) and
# wasm-opt (npm's binaryen; Debian's is too old). scripts/build does what cargo-leptos would,
# so no build tool is compiled from source but wasm-bindgen's CLI (about 2 minutes).
ensure_build_tools() {
  command -v cargo >/dev/null || die "cargo is not installed (install Rust with rustup first)"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  local wbg
  wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")
  [ -n "$wbg" ] || die "cannot find the wasm-bindgen version in Cargo.lock"
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $wbg\$"; then
    log "installing wasm-bindgen-cli $wbg (matches Cargo.lock; about 2 minutes, once)"
    cargo install wasm-bindgen-cli --version "$wbg" --force
  fi
  ensure_node_packages
}

ensure_node_packages() {
  command -v npm >/dev/null || apt_install nodejs npm
  local stamp="$ROOT/end2end/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$ROOT/end2end/package-lock.json" -nt "$stamp" ]; then
    log "installing the end-to-end tools (npm ci)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_chromium() {
  if ! [ -x /usr/bin/chromium ]; then
    log "installing Debian's Chromium for the browser tests"
    apt_install chromium
  fi
}

# FreeRADIUS 3.2 with its PostgreSQL driver, and radclient: the network tests start one per
# test (engine/tests/common/freeradius.rs); no daemon is started here.
ensure_freeradius() {
  if ! command -v freeradius >/dev/null || ! command -v radclient >/dev/null \
     || ! [ -e /usr/lib/freeradius/rlm_sql_postgresql.so ]; then
    log "installing FreeRADIUS (freeradius, freeradius-postgresql, freeradius-utils) for the network tests"
    apt_install freeradius freeradius-postgresql freeradius-utils
  fi
  # The package enables and starts its own daemon on the standard ports; the tests do not
  # need it (each starts its own on free ports).
}

# Makes sure PostgreSQL answers at $DATABASE_URL, starting (or installing) the local server
# when it does not, then creates the URL's database if it is missing.
ensure_postgres() {
  command -v psql >/dev/null || apt_install postgresql postgresql-client
  if ! pg_isready -q -d "$DATABASE_URL" -t 3; then
    log "PostgreSQL does not answer at $(redact "$DATABASE_URL"); starting the local server"
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$version" ]; then
      version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
      as_root pg_createcluster "$version" main
    fi
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_isready -q -d "$DATABASE_URL" -t 1 && break; sleep 1; done
    pg_isready -q -d "$DATABASE_URL" -t 3 || die "PostgreSQL still does not answer at $(redact "$DATABASE_URL"); check that the URL's user may connect"
  fi
  local db admin
  db=$(python3 -c 'import sys,urllib.parse as u; print(u.urlparse(sys.argv[1]).path.lstrip("/") or "postgres")' "$DATABASE_URL")
  admin=$(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path="/postgres").geturl())' "$DATABASE_URL")
  if [ "$(psql "$admin" -Atqc "select 1 from pg_database where datname = '$db'")" != 1 ]; then
    log "creating the database $db"
    psql "$admin" -qc "create database \"$db\"" >/dev/null
  fi
}

redact() { python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(netloc=(p.username or "")+("@" if p.username else "")+(p.hostname or "")+(":"+str(p.port) if p.port else "")).geturl())' "$1"; }

# The browser bundles, each only with its own pages' islands (see app/src/lib.rs):
#   lastmile          the subscriber's portal (feature: hydrate)
#   lastmile-pay      the card payment pages (feature: payments)
#   lastmile-console  the staff console (feature: console)
#   lastmile-account  the sign-in security page (feature: account)
# Each is compiled with the size-first `wasm-release` profile, bound by wasm-bindgen and shrunk
# by wasm-opt, into $LASTMILE_SITE_ROOT/pkg with the stylesheet. The server serves that folder.
# Runs in a subshell, so that a failed step removes its half-built staging folder on the way out.
build_site() (
  local pkg="$LASTMILE_SITE_ROOT/pkg" wasm_dir="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release"
  local staging
  staging=$(mktemp -d)
  trap 'rm -rf "$staging" "$pkg.new"' EXIT
  log "building the browser bundles (WebAssembly, size-optimised)"
  local bundle name features
  for bundle in "lastmile:hydrate" "lastmile-pay:payments" "lastmile-console:console" \
                "lastmile-account:account"; do
    name=${bundle%%:*} features=${bundle#*:}
    (cd "$ROOT" && cargo build -p app --lib --target wasm32-unknown-unknown --profile wasm-release \
      --no-default-features --features "$features" --locked)
    wasm-bindgen "$wasm_dir/app.wasm" --target web --no-typescript --out-dir "$staging" --out-name "$name"
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      "$staging/${name}_bg.wasm" -o "$staging/${name}_bg.opt.wasm"
    mv "$staging/${name}_bg.opt.wasm" "$staging/${name}_bg.wasm"
  done
  cp "$ROOT/style/main.css" "$staging/lastmile.css"
  rm -rf "$pkg.new" && mkdir -p "$(dirname "$pkg")" && mv "$staging" "$pkg.new"
  chmod 755 "$pkg.new"
  rm -rf "$pkg" && mv "$pkg.new" "$pkg"
)

# The server binary. `dev` (the default) shares its compiled crates with `cargo test` and
# builds in a fraction of the release time (dependencies are still optimised, see
# Cargo.toml); `release` is what production and the benchmarks run.
build_server() {
  local profile="${1:-dev}"
  log "building the server ($profile profile)"
  (cd "$ROOT" && cargo build -p lastmile --profile "$profile" --locked)
}

# Everything the portal needs to serve: the bundles and the server.
build_all() {
  build_site
  build_server "${1:-dev}"
}

# The server binary built by build_server for a profile (dev builds land in "debug").
lastmile_bin() {
  local profile="${1:-dev}"
  [ "$profile" = dev ] && profile=debug
  echo "$CARGO_TARGET_DIR/$profile/lastmile"
}

# localstripe, a stateful fake Stripe server (and Stripe.js stand-in) for tests and the demo,
# lives in a virtualenv outside the clone, so CI keeps it between runs and the system Python
# stays untouched.
LOCALSTRIPE_VERSION="1.15.10"
LASTMILE_CACHE="${LASTMILE_CACHE:-/var/tmp/lastmile-cache}"
LOCALSTRIPE_VENV="$LASTMILE_CACHE/localstripe-venv"

# Installs PACKAGE==VERSION from PyPI into a new virtualenv at VENV (made again from nothing),
# installing Debian's python3 and python3-venv first when they are missing.
pip_into_venv() {
  local venv="$1" package="$2" version="$3"
  command -v python3 >/dev/null || apt_install python3
  log "installing $package $version into $venv"
  rm -rf "$venv"
  mkdir -p "$LASTMILE_CACHE"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    apt_install python3-venv
    python3 -m venv "$venv" || die "cannot create a Python virtualenv at $venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check "$package==$version" \
    || die "cannot install $package $version from PyPI"
}

ensure_localstripe() {
  local py="$LOCALSTRIPE_VENV/bin/python"
  if [ -x "$py" ] && [ "$("$py" -c 'import importlib.metadata as m; print(m.version("localstripe"))' 2>/dev/null)" = "$LOCALSTRIPE_VERSION" ]; then
    patch_localstripe_js
    return
  fi
  pip_into_venv "$LOCALSTRIPE_VENV" localstripe "$LOCALSTRIPE_VERSION"
  patch_localstripe_js
}

# Schemathesis (PyPI) checks the integration API against its own OpenAPI document: no server
# error, every answer documented and of its schema. In a virtualenv of its own, like localstripe.
SCHEMATHESIS_VERSION="4.32.5"
API_TOOLS_VENV="$LASTMILE_CACHE/api-tools-venv"

ensure_api_tools() {
  local st="$API_TOOLS_VENV/bin/st"
  if [ -x "$st" ] && [ "$("$st" --version 2>/dev/null)" = "st, version $SCHEMATHESIS_VERSION" ]; then
    return
  fi
  pip_into_venv "$API_TOOLS_VENV" schemathesis "$SCHEMATHESIS_VERSION"
}

# aiosmtpd, a real SMTP server, for the tests of the email outbox against a mail server that
# is down and comes back (server/tests/portal/faults.rs); the tests start and stop it.
AIOSMTPD_VENV="$LASTMILE_CACHE/aiosmtpd-venv"
AIOSMTPD_VERSION="1.4.6"

ensure_mail_server() {
  local program="$AIOSMTPD_VENV/bin/aiosmtpd"
  if ! [ -x "$program" ] || ! "$program" --version 2>/dev/null | grep -q " $AIOSMTPD_VERSION\$"; then
    pip_into_venv "$AIOSMTPD_VENV" aiosmtpd "$AIOSMTPD_VERSION"
  fi
  export LASTMILE_TEST_AIOSMTPD="$program"
}

# localstripe's Stripe.js stand-in, made to behave as Stripe.js does where the product needs it.
# Rebuilt from the installed original each time, so a change to the patch reaches a cached venv:
# - it declares a top-level `class Element`, which shadows the DOM's Element for every script
#   of the page (real Stripe.js keeps to itself) and breaks the WebAssembly's `instanceof
#   Element` checks: the class is renamed;
# - its `confirmCardPayment` cannot confirm an intent with a card: the project's version is
#   appended (scripts/localstripe/confirm-card-payment.js). Its API side is scripts/localstripe/serve.py.
patch_localstripe_js() {
  local js
  js=$(find "$LOCALSTRIPE_VENV" -name localstripe-v3.js | head -n 1)
  [ -n "$js" ] || die "localstripe-v3.js is missing from $LOCALSTRIPE_VENV"
  [ -f "$js.orig" ] || cp "$js" "$js.orig"
  sed -e 's/^class Element {/class LocalstripeCardElement {/' \
      -e 's/new Element(this)/new LocalstripeCardElement(this)/' \
      -e 's/instanceof Element)/instanceof LocalstripeCardElement)/g' "$js.orig" >"$js.new"
  cat "$ROOT/scripts/localstripe/confirm-card-payment.js" >>"$js.new"
  mv "$js.new" "$js"
}

# Makes sure localstripe answers on 127.0.0.1:$LASTMILE_STRIPE_PORT (default 8420), starting it
# in the background when nothing does; its log goes to $LASTMILE_STRIPE_LOG. Arguments are passed
# to localstripe (e.g. --from-scratch: forget the objects it saved in /tmp/localstripe.pickle).
# Sets LOCALSTRIPE_PID to the process it started (empty when one was already running).
start_localstripe() {
  local port="${LASTMILE_STRIPE_PORT:-8420}"
  local url="http://127.0.0.1:$port/js.stripe.com/v3/"
  local logfile="${LASTMILE_STRIPE_LOG:-$LASTMILE_CACHE/localstripe-$port.log}"
  LOCALSTRIPE_PID=""
  ensure_localstripe
  if curl -fsS -o /dev/null "$url" 2>/dev/null; then
    # One already runs: it must be started by serve.py (a PaymentIntent confirmed with the
    # publishable key is looked up, 404, not refused, 401).
    local probe
    probe=$(curl -s -o /dev/null -w '%{http_code}' -d key=pk_test_probe -d client_secret=probe \
      "http://127.0.0.1:$port/v1/payment_intents/pi_probe/confirm" 2>/dev/null || true)
    [ "$probe" = 404 ] || die "the localstripe on 127.0.0.1:$port runs without Lastmile's changes (scripts/localstripe/serve.py): stop it (pkill -f localstripe) and run this again"
    return
  fi
  if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "something other than localstripe listens on 127.0.0.1:$port (set LASTMILE_STRIPE_PORT)"
  fi
  log "starting localstripe on 127.0.0.1:$port (log: $logfile)"
  mkdir -p "$(dirname "$logfile")"
  nohup "$LOCALSTRIPE_VENV/bin/python" "$ROOT/scripts/localstripe/serve.py" --port "$port" "$@" \
    >"$logfile" 2>&1 </dev/null &
  LOCALSTRIPE_PID=$!
  for _ in $(seq 1 40); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return
    kill -0 "$LOCALSTRIPE_PID" 2>/dev/null || break
    sleep 0.25
  done
  tail -n 20 "$logfile" >&2 || true
  die "localstripe did not answer on 127.0.0.1:$port (log: $logfile)"
}

# Card payments against localstripe, for the demo and the browser tests. These keys and
# secrets are made-up test values that only localstripe accepts; production sets its own.
use_localstripe() {
  local port="${LASTMILE_STRIPE_PORT:-8420}"
  export LASTMILE_STRIPE_SECRET_KEY="sk_test_lastmile_local"
  export LASTMILE_STRIPE_PUBLISHABLE_KEY="pk_test_lastmile_local"
  export LASTMILE_STRIPE_API_URL="http://127.0.0.1:$port"
  export LASTMILE_STRIPE_JS_URL="http://127.0.0.1:$port/js.stripe.com/v3/"
  export LASTMILE_STRIPE_WEBHOOK_SECRETS="whsec_lastmile_local"
  export LASTMILE_PAY_LINK_SECRET="${LASTMILE_PAY_LINK_SECRET:-local-only-pay-link-secret-not-for-production}"
}

# The key that encrypts the staff's authenticator secrets, for the demo, the tests and the
# benchmarks: a made-up local value (production sets its own, see the README). The seed and the
# server must share it, so it is exported before either runs.
use_local_totp_key() {
  export LASTMILE_TOTP_KEY="${LASTMILE_TOTP_KEY:-local:bG9jYWwtb25seS10b3RwLWtleS1ub3QtYS1zZWNyZXQ=}"
}

# Tells localstripe to send its webhooks to the portal at $1 (it forgets them when restarted).
register_localstripe_webhook() {
  local port="${LASTMILE_STRIPE_PORT:-8420}"
  curl -fsS -o /dev/null "http://127.0.0.1:$port/_config/webhooks/lastmile" \
    -d "url=$1/webhooks/stripe" -d "secret=$LASTMILE_STRIPE_WEBHOOK_SECRETS" \
    || die "could not register the webhook with localstripe"
}

# Benchmarks: makes sure the database at $DATABASE_URL holds the demo ISP with $1 accounts,
# seeding it once (later runs reuse it) and noting the seed's time on the database; with
# BENCH_RESEED=1 the database (whose name must contain "bench") is dropped and made again.
# `bin` is the lastmile binary to seed with.
bench_seeded_database() {
  local bin=$1 accounts=$2 db admin have t0 t1 seconds
  db=$(python3 -c 'import sys,urllib.parse as u; print(u.urlparse(sys.argv[1]).path.lstrip("/"))' "$DATABASE_URL")
  admin=$(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path="/postgres").geturl())' "$DATABASE_URL")
  ensure_postgres
  if [ "${BENCH_RESEED:-0}" = 1 ]; then
    case "$db" in *bench*) ;; *) die "BENCH_RESEED=1 drops the database; refusing for '$db' (its name must contain 'bench')" ;; esac
    log "BENCH_RESEED=1: dropping and recreating the database $db"
    psql "$admin" -v ON_ERROR_STOP=1 -qc "drop database if exists \"$db\" with (force)" >/dev/null
  fi
  if [ "$(psql "$admin" -Atqc "select count(*) from pg_database where datname = '$db'")" = 0 ]; then
    psql "$admin" -v ON_ERROR_STOP=1 -qc "create database \"$db\"" >/dev/null
  fi
  # Also adds what a newer build brings to a database seeded before it.
  "$bin" migrate >/dev/null
  have=$(psql "$DATABASE_URL" -Atqc "select count(*) from accounts")
  if [ "$have" = 0 ]; then
    log "seeding $accounts accounts into $db (once; later runs reuse them)"
    t0=$(date +%s.%N)
    "$bin" seed --demo --accounts "$accounts" --seed 1 >&2
    t1=$(date +%s.%N)
    seconds=$(python3 -c "print(round($t1 - $t0, 1))")
    # Kept with the database (and dropped with it), so later runs still report it.
    psql "$DATABASE_URL" -qc "comment on database \"$db\" is 'lastmile bench seed: accounts=$accounts seconds=$seconds at=$(date -u +%Y-%m-%dT%H:%M:%SZ)'" >/dev/null
    psql "$DATABASE_URL" -qc "vacuum analyze" >/dev/null
  elif [ "$have" != "$accounts" ]; then
    die "$db already holds $have accounts, not $accounts: set BENCH_RESEED=1 to drop and recreate it, or BENCH_ACCOUNTS=$have to use it as it is"
  else
    log "reusing the $have seeded accounts in $db"
  fi
}
