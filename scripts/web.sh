#!/usr/bin/env bash
# The web app: `scripts/web.sh build` writes dist/ (index.html, losscape.js, losscape_bg.wasm),
# `scripts/web.sh serve [PORT]` serves it on http://127.0.0.1:PORT (default 8000), and
# `scripts/web.sh test` runs the headless-Chromium test (tests/browser/test_page.py) on dist/.
#
# The build uses Debian's rustc-web (1.96, with the standard library's source: wasm32 std is
# compiled with -Zbuild-std, since rustup here cannot add the target), wasm-ld-16 and the
# wasm-bindgen CLI of the version in Cargo.lock; `build` installs what is missing. No wasm-opt:
# measured here, binaryen 108's -Oz made the module 22 % smaller but its gzip 3 % larger (10.6
# against 10.3 MB), npm's binaryen 132 ran for over 20 minutes without finishing, and the
# names section, 36 of the 82 MB, is dropped by wasm-bindgen itself. See README "In the
# browser" and the team's WEB_NOTES.md.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="${LOSSCAPE_WEB_TOOLS:-$HOME/.cache/losscape-web-tools}"
# Apart from the desktop's target dir: a second Bevy build with other flags.
TARGET_DIR="${LOSSCAPE_WEB_TARGET:-$HOME/.cache/losscape-web-target}"
BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
# Never two cargo builds at once on 2 cores: builds wait for this lock. Empty when the caller
# already runs one build at a time (.ci/run).
LOCK="${LOSSCAPE_CARGO_LOCK-/tmp/losscape-cargo.lock}"
locked() {
  if [[ -n "$LOCK" ]]; then flock "$LOCK" "$@"; else "$@"; fi
}

install_tools() {
  local missing=()
  for p in rustc-web cargo-web rust-web-src libstd-rust-web-dev lld-16; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "web: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  mkdir -p "$TOOLS"
  if [[ "$("$TOOLS/bin/wasm-bindgen" --version 2>/dev/null)" != "wasm-bindgen $BINDGEN_VERSION" ]]; then
    echo "web: installing wasm-bindgen-cli $BINDGEN_VERSION"
    # Not --locked: a locked dependency of the CLI is no longer served (WEB_NOTES.md).
    locked cargo install -q wasm-bindgen-cli --version "$BINDGEN_VERSION" --root "$TOOLS" --force
  fi
}

build() {
  install_tools
  local started=$SECONDS
  echo "web: cargo build --release (wasm32) into $TARGET_DIR"
  # Dependencies optimised for size (a page downloads them), losscape's own code for speed.
  locked env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-16 \
    RUSTFLAGS='--cfg getrandom_backend="wasm_js"' CARGO_TARGET_DIR="$TARGET_DIR" \
    /usr/bin/cargo build --release -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown --bin losscape \
      --config 'profile.release.opt-level="s"' --config 'profile.release.package.losscape.opt-level=3'
  local wasm="$TARGET_DIR/wasm32-unknown-unknown/release/losscape.wasm"
  rm -rf dist.tmp && mkdir -p dist.tmp
  "$TOOLS/bin/wasm-bindgen" --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir dist.tmp --out-name losscape "$wasm"
  cp web/index.html dist.tmp/
  rm -rf dist && mv dist.tmp dist
  local raw gz
  raw=$(stat -c %s dist/losscape_bg.wasm)
  gz=$(gzip -9 -c dist/losscape_bg.wasm | wc -c)
  awk -v t=$((SECONDS - started)) -v raw="$raw" -v gz="$gz" 'BEGIN {
    printf "web: dist/ ready in %d s: losscape_bg.wasm %.1f MB, %.2f MB gzipped (%.2f MiB)\n", t, raw / 1e6, gz / 1e6, gz / 1048576 }'
}

serve() {
  local port="${1:-8000}"
  [[ -f dist/index.html ]] || { echo "web: no dist/ yet; run scripts/web.sh build" >&2; exit 2; }
  echo "web: serving dist/ on http://127.0.0.1:$port/ (Ctrl-C stops)"
  exec python3 -m http.server --bind 127.0.0.1 --directory dist "$port"
}

browser_test() {
  [[ -f dist/index.html ]] || { echo "web: no dist/ yet; run scripts/web.sh build" >&2; exit 2; }
  python3 -c 'import playwright' 2>/dev/null || pip install -q playwright
  # PIL decodes the GIF that ● Record downloads.
  python3 -c 'import PIL' 2>/dev/null || pip install -q pillow
  dpkg -s chromium >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
  python3 tests/browser/test_page.py
}

case "${1:-}" in
  build) build ;;
  serve) shift; serve "$@" ;;
  test) browser_test ;;
  *) echo "usage: scripts/web.sh build | serve [PORT] | test" >&2; exit 2 ;;
esac
