"""The python-socketio client (Debian 12's python3-socketio 5.7, Engine.IO v4) against the
server's Socket.IO with etc/socketio-conformance.conf: over long-polling only, WebSocket only,
and polling upgraded to WebSocket. Run by run-with-server.sh, which sets LP_SOCKETIO_URL."""

import os
import queue
import unittest

import socketio

BASE = os.environ.get("LP_SOCKETIO_URL", "http://127.0.0.1:3000")
WAIT = 5  # seconds for any one answer


def connected_client(transports, expected_transport):
    """A client connected to "/" and "/custom" with an auth payload, the auth events it got
    queued per namespace."""
    client = socketio.Client(reconnection=False)
    auths = {"/": queue.Queue(), "/custom": queue.Queue()}
    for namespace, received in auths.items():
        client.on("auth", received.put, namespace=namespace)
    client.connect(BASE, transports=transports, namespaces=["/", "/custom"],
                   auth={"token": "py"}, wait_timeout=WAIT)
    if client.transport() != expected_transport:
        client.disconnect()
        raise AssertionError(f"transport {client.transport()}, expected {expected_transport}")
    return client, auths


class PythonClient(unittest.TestCase):
    def exchange(self, transports, expected_transport):
        client, auths = connected_client(transports, expected_transport)
        try:
            self.assertEqual(auths["/"].get(timeout=WAIT), {"token": "py"})
            self.assertEqual(auths["/custom"].get(timeout=WAIT), {"token": "py"})

            back = queue.Queue()
            client.on("message-back", lambda *args: back.put(list(args)))
            client.emit("message", (1, "two", {"three": [True]}))
            self.assertEqual(back.get(timeout=WAIT), [1, "two", {"three": [True]}])

            self.assertEqual(client.call("message-with-ack", ("a", 2, {"b": None}), timeout=WAIT),
                             ("a", 2, {"b": None}))
            echoed, label = client.call("message-with-ack", (b"\x00\x01\x02\xfa", "label"), timeout=WAIT)
            self.assertEqual(bytes(echoed), b"\x00\x01\x02\xfa")
            self.assertEqual(label, "label")
        finally:
            client.disconnect()

    def test_long_polling(self):
        self.exchange(["polling"], "polling")

    def test_websocket(self):
        self.exchange(["websocket"], "websocket")

    def test_polling_upgraded_to_websocket(self):
        self.exchange(["polling", "websocket"], "websocket")

    def test_unknown_namespace_refused(self):
        client = socketio.Client(reconnection=False)
        with self.assertRaises(socketio.exceptions.ConnectionError):
            client.connect(BASE, transports=["websocket"], namespaces=["/nowhere"], wait_timeout=WAIT)
        client.disconnect()


if __name__ == "__main__":
    unittest.main(verbosity=2)
