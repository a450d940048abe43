# Shared by scripts/demo and scripts/test: install what is missing, start PostgreSQL.
# Every step checks first and does nothing when the thing is already there.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION="0.3.5"
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"
# Build output outside the clone keeps repeated runs (and CI) fast.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export LASTMILE_SITE_ROOT="${LASTMILE_SITE_ROOT:-$ROOT/target/site}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root to run: $*"; fi
}

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The Rust side of the build: the wasm target, cargo-leptos, wasm-bindgen (the version in
# Cargo.lock), and wasm-opt (npm's binaryen; Debian's is too old).
ensure_build_tools() {
  command -v cargo >/dev/null || die "cargo is not installed (install Rust with rustup first)"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    log "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes, once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  fi
  local wbg
  wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")
  [ -n "$wbg" ] || die "cannot find the wasm-bindgen version in Cargo.lock"
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $wbg\$"; then
    log "installing wasm-bindgen-cli $wbg (matches Cargo.lock)"
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

build_release() {
  log "building the portal (release: server and WebAssembly)"
  (cd "$ROOT" && cargo leptos build --release)
}

lastmile_bin() { echo "$CARGO_TARGET_DIR/release/lastmile"; }
