#!/usr/bin/env python3
"""Hostile peers against a running Hookline, with its memory and audit log watched.

    python3 Benchmarks/hostile.py --port 8080 --pid PID --audit /path/audit.jsonl [--only NAME]

Each attack runs on its own and prints what the server's RSS did (VmRSS before, peak during,
after), how long a /healthz on a fresh connection took meanwhile, and how much the audit log grew.

  never-read-healthz   pipelined GET /healthz on one connection that never reads its answers
  never-read-metrics   pipelined GET /metrics, same
  never-read-posts     pipelined unsigned POST /webhooks/standard, same (each one a rejected line)
  unknown-sources      POSTs to distinct random source names (metric series per name?)
  connections          opens more connections than server.max_connections and holds them
"""
import argparse
import os
import random
import select
import socket
import string
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def healthz_ms(port):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        while s.recv(65536):
            pass
    return (time.monotonic() - started) * 1000


def never_read(port, pid, request, count, seconds):
    """Sends `count` copies of `request` without reading; stops when the server stops reading."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    chunk = request * 256
    sent = 0
    peak = rss_kib(pid)
    worst_healthz = 0.0
    deadline = time.monotonic() + seconds
    stalled_since = None
    last_probe = 0.0
    while sent < count * len(request) and time.monotonic() < deadline:
        _, writable, _ = select.select([], [s], [], 0.2)
        if writable:
            try:
                sent += s.send(chunk)
                stalled_since = None
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                break
        elif stalled_since is None:
            stalled_since = time.monotonic()
        elif time.monotonic() - stalled_since > 3:
            break  # the server has stopped reading: backpressure holds
        peak = max(peak, rss_kib(pid))
        if time.monotonic() - last_probe > 0.5:
            worst_healthz = max(worst_healthz, healthz_ms(port))
            last_probe = time.monotonic()
    peak = max(peak, rss_kib(pid))
    s.close()
    return sent // len(request), peak, worst_healthz


def attack_never_read(args, name, request):
    before_rss, before_audit = rss_kib(args.pid), file_size(args.audit)
    requests, peak, worst = never_read(args.port, args.pid, request, args.count, args.seconds)
    time.sleep(1)
    after = rss_kib(args.pid)
    grew = file_size(args.audit) - before_audit
    print(f"{name}: {requests} requests accepted by the socket; RSS {before_rss // 1024} MB → peak {peak // 1024} MB → "
          f"{after // 1024} MB after close; worst /healthz meanwhile {worst:.1f} ms; audit log +{grew / 1e6:.2f} MB")


def attack_unknown_sources(args):
    before_rss = rss_kib(args.pid)
    s = socket.create_connection(("127.0.0.1", args.port))
    names = args.names
    started = time.monotonic()
    for i in range(names):
        name = "".join(random.choices(string.ascii_lowercase, k=1000))
        s.sendall(f"POST /webhooks/{name} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{{}}".encode())
        response = b""
        while b"\r\n\r\n" not in response or not response.endswith(b"\n"):
            response += s.recv(65536)
    elapsed = time.monotonic() - started
    s.close()
    with socket.create_connection(("127.0.0.1", args.port)) as m:
        m.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        body = b""
        while True:
            chunk = m.recv(1 << 20)
            if not chunk:
                break
            body += chunk
    series = sum(1 for line in body.split(b"\n") if line and not line.startswith(b"#"))
    print(f"unknown-sources: {names} names in {elapsed:.1f} s; RSS {before_rss // 1024} → {rss_kib(args.pid) // 1024} MB; "
          f"/metrics {len(body) / 1e6:.2f} MB, {series} series")


def attack_connections(args):
    held = []
    refused = 0
    for _ in range(args.connections):
        try:
            held.append(socket.create_connection(("127.0.0.1", args.port), timeout=5))
        except OSError:
            refused += 1
    time.sleep(0.5)
    answered = 0
    for s in held[-10:]:
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            if s.recv(100).startswith(b"HTTP/1.1 503"):
                answered += 1
        except OSError:
            pass
    probe = healthz_ms(args.port) if len(held) < 10 else None
    print(f"connections: opened {len(held)}, connect refused {refused}; of the last 10, {answered} answered 503; "
          f"RSS {rss_kib(args.pid) // 1024} MB")
    for s in held:
        s.close()
    time.sleep(0.5)
    print(f"connections: after closing them, /healthz takes {healthz_ms(args.port):.1f} ms")
    del probe


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--audit", required=True)
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--names", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=1200)
    parser.add_argument("--only")
    args = parser.parse_args()
    attacks = {
        "never-read-healthz": lambda: attack_never_read(args, "never-read-healthz", b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
        "never-read-metrics": lambda: attack_never_read(args, "never-read-metrics", b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
        "never-read-posts": lambda: attack_never_read(
            args, "never-read-posts", b"POST /webhooks/standard HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"),
        "unknown-sources": lambda: attack_unknown_sources(args),
        "connections": lambda: attack_connections(args),
    }
    for name, attack in attacks.items():
        if args.only and name not in args.only.split(","):
            continue
        attack()
    return 0


if __name__ == "__main__":
    sys.exit(main())
