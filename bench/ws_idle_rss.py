#!/usr/bin/env python3
"""Server memory per idle WebSocket, by hand: opens N WebSockets to the example echo endpoint
of a running longpolling-server, leaves them idle, and prints the server's VmRSS growth.

    build/longpolling-server -p 8068 &
    python3 bench/ws_idle_rss.py 8068 $! 5000 [BATCH]

With ODOO=1 in the environment, the WebSockets are Odoo's /websocket instead (the server needs
a database: -d DB, odoo_version 16-18), each subscribed to a channel of its own and to
broadcast before it is left idle: the memory of an idle subscribed Odoo client.

Handshakes go BATCH at a time (default 500): the more are in flight at once, the more the
transient HTTP state of the handshakes fragments the heap the idle connections stay in. A first
50 connections warm the server up (allocator, shared read buffer) before the baseline is read.
"""
import json
import os
import resource
import socket
import sys
import time
import urllib.request

REQUEST = (b"GET /openerplongpolling/ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\n\r\n")


ODOO = os.environ.get("ODOO") == "1"
if ODOO:
    REQUEST = (b"GET /websocket?version=17.0-1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               b"Sec-WebSocket-Version: 13\r\nOrigin: http://x\r\n\r\n")


def masked_text_frame(text):
    """A client's text frame (masked with a zero key, which leaves the payload as it is)."""
    payload = text.encode()
    header = bytes([0x81, 0x80 | 126]) + len(payload).to_bytes(2, "big") if len(payload) > 125 else bytes([0x81, 0x80 | len(payload)])
    return header + b"\0\0\0\0" + payload


def wait_subscribed(port, count):
    """Waits until the server (started with --stats True) has `count` /websocket clients subscribed."""
    for _ in range(1200):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openerplongpolling/stats") as answer:
            databases = json.load(answer)["databases"].values()
        if sum(db["websockets"]["subscribed"] for db in databases) >= count:
            return
        time.sleep(0.1)
    raise RuntimeError(f"fewer than {count} subscribed after 120 s")


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def open_websockets(port, count, batch_size):
    """Opens `count` WebSockets, checking each handshake, `batch_size` at a time."""
    sockets = []
    while len(sockets) < count:
        batch = [socket.create_connection(("127.0.0.1", port)) for _ in range(min(batch_size, count - len(sockets)))]
        for s in batch:
            s.sendall(REQUEST)
        for s in batch:
            answer = s.recv(4096)
            if not answer.startswith(b"HTTP/1.1 101"):
                raise RuntimeError(f"handshake refused: {answer[:100]!r}")
        if ODOO:
            for n, s in enumerate(batch, len(sockets)):
                s.sendall(masked_text_frame('{"event_name":"subscribe","data":{"channels":["idle-%d"],"last":0}}' % n))
        sockets += batch
    return sockets


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: ws_idle_rss.py PORT SERVER_PID COUNT [BATCH]")
    port, pid, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    batch_size = int(sys.argv[4]) if len(sys.argv) == 5 else 500
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    warm = open_websockets(port, 50, 50)
    time.sleep(1)
    before = vm_rss_kib(pid)
    idle = open_websockets(port, count, batch_size)
    time.sleep(2)
    if ODOO:
        wait_subscribed(port, count + len(warm))
    after = vm_rss_kib(pid)
    print(f"{count} idle WebSockets: server VmRSS {before} -> {after} KiB, "
          f"{(after - before) * 1024 / count:.0f} bytes each ({batch_size} handshakes at a time)")
    del warm, idle


if __name__ == "__main__":
    main()
