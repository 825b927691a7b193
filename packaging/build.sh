#!/usr/bin/env bash
# Build the one-folder client bundle with PyInstaller and smoke-test it offscreen:
# `--version`, no billing server inside, then the bundled GUI signs in to a billing
# server started from the source tree and saves a dashboard screenshot.
#
#   packaging/build.sh            # bundle in build/packaging/dist/billclient/
#
# BILLCLIENT_BUILD_DIR moves the build, dist and screenshot elsewhere.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BILLCLIENT_BUILD_DIR:-$ROOT/build/packaging}
PYTHON=${PYTHON:-$(command -v python || command -v python3)}
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"  # this checkout, not an installed copy
started=$(date +%s)

echo "build.sh: building the bundle in $OUT"
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$OUT/dist" --workpath "$OUT/work" "$ROOT/packaging/billclient.spec"
BUNDLE="$OUT/dist/billclient/billclient"
SHARE="$OUT/dist/billclient/share"
install -D -m 644 "$ROOT/packaging/org.billclient.Billing.desktop" \
    "$SHARE/applications/org.billclient.Billing.desktop"
install -D -m 644 "$ROOT/packaging/org.billclient.Billing.metainfo.xml" \
    "$SHARE/metainfo/org.billclient.Billing.metainfo.xml"
install -D -m 644 "$ROOT/resources/icons/app.svg" \
    "$SHARE/icons/hicolor/scalable/apps/org.billclient.Billing.svg"
built=$(date +%s)

TMP=$(mktemp -d)
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

# The bundle runs in an environment of its own: no PYTHONPATH, a throwaway home.
bundled() {
    env -u PYTHONPATH HOME="$TMP/home" BILLCLIENT_HOME="$TMP/client" \
        XDG_DATA_HOME="$TMP/data" XDG_CONFIG_HOME="$TMP/config" XDG_CACHE_HOME="$TMP/cache" \
        QT_QPA_PLATFORM=offscreen "$BUNDLE" "$@"
}

expected="billclient $("$PYTHON" -c 'import billclient; print(billclient.__version__)')"
version=$(bundled --version)
[ "$version" = "$expected" ] || { echo "build.sh: --version said '$version', not '$expected'" >&2; exit 1; }
echo "build.sh: $version"

if find "$OUT/dist/billclient" -path '*billserver*' | grep -q .; then
    echo "build.sh: the bundle contains the billing server" >&2
    exit 1
fi
if bundled demo > "$TMP/demo.out" 2>&1 || ! grep -q "needs the billing server" "$TMP/demo.out"; then
    echo "build.sh: the bundle's demo should say the server is missing: $(cat "$TMP/demo.out")" >&2
    exit 1
fi

PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
"$PYTHON" -m billserver serve --port "$PORT" --db "sqlite:///$TMP/billing.db" \
    --catalog "$ROOT/resources/demo-catalog.toml" > "$TMP/server.log" 2>&1 &
SERVER_PID=$!
"$PYTHON" - "$URL" <<'PY'
import sys, time, httpx
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        if httpx.get(sys.argv[1] + "/v1/health", timeout=1).status_code == 200:
            sys.exit(0)
    except httpx.HTTPError:
        pass
    time.sleep(0.2)
sys.exit("build.sh: the billing server did not start")
PY

SHOT="$OUT/dashboard.png"
rm -f "$SHOT"
echo alice-demo-password | bundled --smoke-screenshot --server "$URL" --user alice --output "$SHOT"
"$PYTHON" - "$SHOT" <<'PY'
import sys
from pathlib import Path
data = Path(sys.argv[1]).read_bytes()
if not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) < 10_000:
    sys.exit(f"build.sh: {sys.argv[1]} is not a dashboard screenshot ({len(data)} bytes)")
PY
done_at=$(date +%s)
size=$(du -sh "$OUT/dist/billclient" | cut -f1)
echo "build.sh: OK: bundle $OUT/dist/billclient ($size), screenshot $SHOT;" \
    "build $((built - started)) s, smoke test $((done_at - built)) s"
