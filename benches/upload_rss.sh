#!/bin/sh
# Peak RSS of `lvzhi serve` while a 2 GB attachment upload is refused (issue 16).
# Usage: benches/upload_rss.sh [path/to/lvzhi]   (default target/debug/lvzhi)
# Starts a server on a fresh SQLite file, logs in, creates a hazard, then
#  1. announces a 2 GB multipart body (Content-Length) -> 413 before any byte,
#  2. streams 2 GB with Transfer-Encoding: chunked -> refused at the 20 MB limit,
# sampling the server's VmRSS every 20 ms, and prints idle / peak RSS.
# With ACCEPT=1 the server runs with LVZHI_MAX_UPLOAD_MB=4096 and a third upload
# streams a 2 GB PDF that is accepted (hashed, written, sniffed, recorded): the
# memory of a 2 GB file that is kept, not refused (needs ~2 GB of free disk).
set -eu
BIN=${1:-target/debug/lvzhi}
if [ "${ACCEPT:-0}" = 1 ]; then export LVZHI_MAX_UPLOAD_MB=4096; fi
DIR=$(mktemp -d)
PORT=$((20000 + $$ % 20000))
trap 'kill $PID 2>/dev/null; rm -rf "$DIR"' EXIT
"$BIN" init --db "sqlite:$DIR/l.db" --admin-password 'Bench#county-2026' >/dev/null
# The office uploads (the admin's role needs a second factor, issue 18).
"$BIN" user add --db "sqlite:$DIR/l.db" --role office --password 'Bench#county-2026' office >/dev/null
# No forced first-login change for the bench's admin (as lvzhi-testkit's no_forced_change).
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('UPDATE users SET must_change = 0'); c.execute(\"INSERT INTO units (name, kind) VALUES ('应急管理局', '部门')\"); c.commit()" "$DIR/l.db"
"$BIN" serve --db "sqlite:$DIR/l.db" --listen 127.0.0.1:$PORT >"$DIR/log" 2>&1 &
PID=$!
python3 - "$PID" "$PORT" "$DIR" <<'PY'
import json, socket, sys, threading, time, http.client
pid, port, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close(); break
    except OSError: time.sleep(0.1)
def rss():
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1]) // 1024
def call(method, path, body=None, token=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = {"Content-Type": "application/json"}
    if token: h["Authorization"] = "Bearer " + token
    c.request(method, path, json.dumps(body) if body is not None else None, h)
    r = c.getresponse(); return r.status, r.read()
st, b = call("POST", "/api/v1/auth/login", {"username": "office", "password": "Bench#county-2026"})
tok = json.loads(b)["token"]
st, b = call("GET", "/api/v1/org/units", token=tok)
assert st == 200, b
units = json.loads(b)["items"]
st, b = call("POST", "/api/v1/ledgers/hazard/records", {"fields": {
    "description": "配电箱未接地", "company": "演示建材有限公司", "credit_code": "91350100M000100Y43",
    "industry": "工贸", "grade": "一般", "township": "620902100", "responsible_unit": units[0]["id"],
    "found_on": "2026-11-20"}}, tok)
assert st == 201, b
rid = json.loads(b)["id"]
for _ in range(20): call("GET", f"/api/v1/records/{rid}/attachments", token=tok)
idle = rss()
peak = [idle]; stop = [False]
def sample():
    while not stop[0]:
        peak[0] = max(peak[0], rss()); time.sleep(0.02)
t = threading.Thread(target=sample); t.start()
B = "lvzhi-bench-boundary"
head = (f"--{B}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n其他材料\r\n"
        f"--{B}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n\r\n%PDF-").encode()
ACCEPT = __import__("os").environ.get("ACCEPT") == "1"
def chunk(b): s.sendall(b"%x\r\n" % len(b) + b + b"\r\n")
mb = b"\0" * (1 << 20)
announced = chunked = "-"; sent = 0; t0 = time.time()
if not ACCEPT:
    # 1. announced
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall((f"POST /api/v1/records/{rid}/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n"
               f"Content-Type: multipart/form-data; boundary={B}\r\nContent-Length: {2<<30}\r\n\r\n").encode() + head)
    announced = s.recv(200).split(b" ")[1].decode(); s.close()
    # 2. chunked, 2 GB
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall((f"POST /api/v1/records/{rid}/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n"
               f"Content-Type: multipart/form-data; boundary={B}\r\nTransfer-Encoding: chunked\r\n\r\n").encode())
    chunk(head); t0 = time.time()
    try:
        while sent < (2 << 30):
            chunk(mb); sent += len(mb)
    except OSError: pass
    s.settimeout(30)
    try: chunked = s.recv(200).split(b" ")[1].decode()
    except Exception as e: chunked = f"connection closed ({e})"
accepted = "-"
if ACCEPT:
    # 3. a 2 GB PDF under the raised limit, chunked: accepted and stored.
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall((f"POST /api/v1/records/{rid}/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n"
               f"Content-Type: multipart/form-data; boundary={B}\r\nTransfer-Encoding: chunked\r\n\r\n").encode())
    chunk(head); t1 = time.time(); big = 0
    while big < (2 << 30):
        chunk(mb); big += len(mb)
    chunk(f"\r\n--{B}--\r\n".encode()); s.sendall(b"0\r\n\r\n")
    s.settimeout(600)
    accepted = s.recv(200).split(b" ")[1].decode() + f" after {big >> 20} MiB in {time.time()-t1:.1f} s"
stop[0] = True; t.join()
files = sum(len(f) for _, _, f in __import__("os").walk(f"{d}/l.db.files"))
print(f"announced 2 GB: HTTP {announced}; chunked 2 GB: HTTP {chunked} after {sent >> 20} MiB sent in {time.time()-t0:.1f} s")
print(f"accepted 2 GB (ACCEPT=1): HTTP {accepted}")
print(f"server RSS idle {idle} MiB, peak during the uploads {peak[0]} MiB (+{peak[0]-idle} MiB); files left in the attachment dir: {files}")
PY
