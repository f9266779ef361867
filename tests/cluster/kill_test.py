#!/usr/bin/env python3
"""Multi-node webhook durability test (issue 7).

Starts several `unicharge serve` nodes on one PostgreSQL database (and Redis,
when given), a local webhook receiver, and pays N sandbox charges through the
nodes. Halfway through, one node is killed with SIGKILL while it dispatches,
then restarted. The receiver must end with every charge's `charge.succeeded`
event at least once; duplicates are counted and reported.

Loopback only. Standard library only.
"""
import argparse, base64, json, os, signal, socket, subprocess, sys, tempfile, threading, time
import urllib.request, urllib.error
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, key=None, body=None, form=None, headers=None, timeout=30):
    h = dict(headers or {})
    data = None
    if key:
        h["Authorization"] = "Bearer " + key
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        h["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, json.loads(r.read() or b"null")


class Receiver(BaseHTTPRequestHandler):
    lock = threading.Lock()
    events = []  # (event id, charge id)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        evt = json.loads(body)
        with Receiver.lock:
            Receiver.events.append((evt["id"], evt["data"]["object"]["id"]))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


class Node:
    def __init__(self, n, binary, env, workdir):
        self.n, self.binary, self.port = n, binary, free_port()
        self.env = dict(env, UNICHARGE_LISTEN=f"127.0.0.1:{self.port}",
                        UNICHARGE_PUBLIC_URL=f"http://127.0.0.1:{self.port}",
                        UNICHARGE_NODE_ID=f"node{n}",
                        UNICHARGE_DATA_DIR=os.path.join(workdir, f"node{n}"))
        self.log = open(os.path.join(workdir, f"node{n}.log"), "ab")
        self.proc = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if http("GET", self.base + "/ready", timeout=2)[0] == 200:
                    return
            except Exception:
                time.sleep(0.1)
        raise SystemExit(f"node{self.n} did not become ready")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("UNICHARGE_BIN", "target/debug/unicharge"))
    ap.add_argument("--pg-admin", default=os.environ.get("UNICHARGE_TEST_POSTGRES_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--redis", default=None, help="redis://127.0.0.1:6379 to give the nodes Redis")
    ap.add_argument("--charges", type=int, default=2000)
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--timeout", type=int, default=180)
    args = ap.parse_args()

    db = "uc_test_kill_%d" % os.getpid()
    subprocess.run(["psql", args.pg_admin, "-qc", f"CREATE DATABASE {db}"], check=True)
    workdir = tempfile.mkdtemp(prefix="unicharge-kill-")
    nodes = []
    rx = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=rx.serve_forever, daemon=True).start()
    ok = False
    try:
        env = dict(os.environ,
                   UNICHARGE_DATABASE_URL=args.pg_admin.rsplit("/", 1)[0] + "/" + db,
                   UNICHARGE_MASTER_KEY=base64.b64encode(os.urandom(32)).decode(),
                   UNICHARGE_WEBHOOK_TIMEOUT_SECS="2", UNICHARGE_WEBHOOK_LEASE_SECS="5",
                   UNICHARGE_LOG="warn", UNICHARGE_DB_MAX_CONNECTIONS="8")
        if args.redis:
            env["UNICHARGE_REDIS_URL"] = args.redis
        out = subprocess.run([args.bin, "app", "create", "--name", "kill-test", "--json"], env=dict(env, UNICHARGE_DATA_DIR=workdir),
                             check=True, capture_output=True, text=True).stdout
        creds = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
        app, key = creds["app"], creds["secret_keys"]["test"]
        nodes = [Node(i + 1, args.bin, env, workdir) for i in range(args.nodes)]
        for n in nodes:
            n.start()
        hook = f"http://127.0.0.1:{rx.server_address[1]}/hook"
        http("POST", f"{nodes[0].base}/v1/apps/{app}/webhook_endpoints", key, {"url": hook, "enabled_events": ["charge.succeeded"]})
        victim = nodes[1]
        traffic = [n for n in nodes if n is not victim]
        charge_ids, lock = set(), threading.Lock()

        def pay(i):
            node = traffic[i % len(traffic)]
            body = {"order_no": "k%dn%d" % (os.getpid(), i), "app": {"id": app}, "channel": "sandbox", "amount": 100,
                    "currency": "cny", "client_ip": "127.0.0.1", "subject": "kill test", "body": "kill test"}
            _, ch = http("POST", node.base + "/v1/charges", key, body)
            _, res = http("POST", ch["credential"]["sandbox"]["pay_url"], form={"result": "paid"}, headers={"Accept": "application/json"})
            assert res["status"] == "paid", res
            with lock:
                charge_ids.add(ch["id"])

        started = time.time()
        half = args.charges // 2
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(pay, range(half)))
        # Kill the node while the dispatchers are busy with the first half.
        victim.kill()
        killed_at = time.time()
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(pay, range(half, args.charges)))
        victim.start()
        print(f"kill-test: paid {len(charge_ids)} charges in {time.time() - started:.1f}s; node{victim.n} killed at "
              f"{killed_at - started:.1f}s and restarted")
        deadline = time.time() + args.timeout
        while time.time() < deadline:
            with Receiver.lock:
                got = {c for _, c in Receiver.events}
            if charge_ids <= got:
                break
            time.sleep(0.25)
        with Receiver.lock:
            events = list(Receiver.events)
        got = {c for _, c in events}
        missing = charge_ids - got
        dupes = len(events) - len({e for e, _ in events})
        print(f"kill-test: received {len(events)} webhooks for {len(got & charge_ids)}/{len(charge_ids)} charges, "
              f"{dupes} duplicates, {len(missing)} missing, all in {time.time() - started:.1f}s")
        ok = not missing and len(charge_ids) == args.charges
        print(f"kill-test: {1 if ok else 0} passed, {0 if ok else 1} failed")
    finally:
        for n in nodes:
            n.stop()
        rx.shutdown()
        subprocess.run(["psql", args.pg_admin, "-qc", f"DROP DATABASE IF EXISTS {db}"], check=False, capture_output=True)
        if not ok:
            for n in nodes:
                print(f"--- node{n.n} log tail ---")
                n.log.flush()
                with open(n.log.name, "rb") as f:
                    print(f.read()[-3000:].decode(errors="replace"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    import urllib.parse
    main()
