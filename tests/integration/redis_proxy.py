"""A loopback TCP proxy in front of a redis-server that holds every reply until the test lets
them through: a Redis that is slow exactly as long as a test wants, with no timing involved."""

from __future__ import annotations

import selectors
import socket
import threading


class HoldingProxy:
    """127.0.0.1 proxy to ``upstream_port``; replies wait while :attr:`gate` is clear."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self.gate = threading.Event()  # set: replies pass
        self.held = 0  # reply chunks that waited at the gate so far
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _serve(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._listener, selectors.EVENT_READ)
        peer: dict[socket.socket, socket.socket] = {}
        replies: dict[socket.socket, bytearray] = {}  # client socket -> its held reply bytes
        try:
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=0.01):  # the loop of a helper thread, ended by stop()
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is self._listener:
                        client, _ = self._listener.accept()
                        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
                        peer[client], peer[upstream] = upstream, client
                        replies[client] = bytearray()
                        sel.register(client, selectors.EVENT_READ)
                        sel.register(upstream, selectors.EVENT_READ)
                        continue
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        data = b""
                    other = peer.get(sock)
                    if not data or other is None:
                        for s in (sock, other):
                            if s is not None and s in peer:
                                sel.unregister(s)
                                peer.pop(s)
                                replies.pop(s, None)
                                s.close()
                        continue
                    if other in replies:  # upstream -> client: a reply
                        if not self.gate.is_set():
                            self.held += 1
                        replies[other] += data
                    else:
                        other.sendall(data)
                if self.gate.is_set():
                    for client, pending in replies.items():
                        if pending:
                            client.sendall(bytes(pending))
                            pending.clear()
        finally:
            for s in list(peer):
                s.close()
            self._listener.close()
            sel.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
