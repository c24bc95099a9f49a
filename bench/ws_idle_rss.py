#!/usr/bin/env python3
"""Server memory per idle WebSocket, by hand: opens N WebSockets to the example echo endpoint
of a running longpolling-server, leaves them idle, and prints the server's VmRSS growth.

    build/longpolling-server -p 8068 &
    python3 bench/ws_idle_rss.py 8068 $! 5000 [BATCH]

Handshakes go BATCH at a time (default 500): the more are in flight at once, the more the
transient HTTP state of the handshakes fragments the heap the idle connections stay in. A first
50 connections warm the server up (allocator, shared read buffer) before the baseline is read.
"""
import resource
import socket
import sys
import time

REQUEST = (b"GET /openerplongpolling/ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\n\r\n")


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
    after = vm_rss_kib(pid)
    print(f"{count} idle WebSockets: server VmRSS {before} -> {after} KiB, "
          f"{(after - before) * 1024 / count:.0f} bytes each ({batch_size} handshakes at a time)")
    del warm, idle


if __name__ == "__main__":
    main()
