#!/usr/bin/env python3
"""Native peer for the conformance guest (tests/conformance-guest).

Several checks of the socket ABI (docs/wasmedge-socket-abi.md §10) need a
socket that the Wasm runtime under test does not own: a native client that
connects to the guest's listener,
a native UDP sender or receiver, a peer that resets a connection. This process
is that peer. scripts/conformance.sh starts it, reads its control port from the
first line of stdout (``PEER_PORT=<n>``) and passes it to the guest as
``--env PEER_PORT=<n>``; the guest then drives it with one-line commands over
TCP on 127.0.0.1. Every reply is one line, ``OK ...`` or ``ERR <reason>``.

Commands (ids name sockets the peer keeps open between commands):

  CONNECT <ip> <port>            -> OK <id> <local_port>   native TCP connect
  SEND <id> <hex>                -> OK                      sendall
  READ <id> <max> <timeout_ms>   -> OK <hex|-> <eof 0|1>    read up to max bytes
  CLOSE <id>                     -> OK                      orderly close (FIN)
  RST <id>                       -> OK                      SO_LINGER 0 + close (RST)
  BURST <ip> <port> <n>          -> OK                      background: n connects, each
                                                            sends its index (u32 BE) and closes
  BURSTWAIT <timeout_ms>         -> OK <connected> <errors>
  UDPSEND <ip> <port> <hex>      -> OK <src_port>           one datagram from a new socket
  UDPOPEN                        -> OK <id> <port>          a bound UDP socket on 127.0.0.1
  UDPRECV <id> <timeout_ms>      -> OK <src_ip> <src_port> <hex>
  UDPECHO                        -> OK <port>               echoes each datagram back

Only loopback addresses are accepted. The peer exits by itself after
--lifetime seconds (default 300) so it never outlives a crashed script.
"""

import argparse
import binascii
import ipaddress
import socket
import socketserver
import struct
import sys
import threading
import time

SOCKETS = {}
LOCK = threading.Lock()
NEXT_ID = [0]
BURST = {"thread": None, "connected": 0, "errors": 0}


def keep(sock):
    with LOCK:
        NEXT_ID[0] += 1
        SOCKETS[NEXT_ID[0]] = sock
        return NEXT_ID[0]


def loopback(ip):
    addr = ipaddress.ip_address(ip)
    if not addr.is_loopback:
        raise ValueError(f"{ip} is not a loopback address")
    return socket.AF_INET6 if addr.version == 6 else socket.AF_INET


def take(sid):
    with LOCK:
        sock = SOCKETS.get(int(sid))
    if sock is None:
        raise ValueError(f"unknown socket id {sid}")
    return sock


def cmd_connect(ip, port):
    sock = socket.socket(loopback(ip), socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect((ip, int(port)))
    return f"{keep(sock)} {sock.getsockname()[1]}"


def cmd_send(sid, data):
    take(sid).sendall(binascii.unhexlify(data))
    return ""


def cmd_read(sid, max_bytes, timeout_ms):
    sock = take(sid)
    deadline = time.monotonic() + int(timeout_ms) / 1000
    got, eof = b"", 0
    while len(got) < int(max_bytes):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(int(max_bytes) - len(got))
        except socket.timeout:
            break
        if not chunk:
            eof = 1
            break
        got += chunk
    return f"{got.hex() or '-'} {eof}"


def cmd_close(sid):
    with LOCK:
        sock = SOCKETS.pop(int(sid))
    sock.close()
    return ""


def cmd_rst(sid):
    with LOCK:
        sock = SOCKETS.pop(int(sid))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    return ""


def burst(ip, port, count):
    for index in range(count):
        try:
            with socket.socket(loopback(ip), socket.SOCK_STREAM) as sock:
                sock.settimeout(10)
                sock.connect((ip, port))
                sock.sendall(struct.pack(">I", index))
            BURST["connected"] += 1
        except OSError:
            BURST["errors"] += 1


def cmd_burst(ip, port, count):
    BURST.update(connected=0, errors=0)
    thread = threading.Thread(target=burst, args=(ip, int(port), int(count)), daemon=True)
    BURST["thread"] = thread
    thread.start()
    return ""


def cmd_burstwait(timeout_ms):
    thread = BURST["thread"]
    if thread is not None:
        thread.join(int(timeout_ms) / 1000)
    return f"{BURST['connected']} {BURST['errors']}"


def cmd_udpsend(ip, port, data):
    with socket.socket(loopback(ip), socket.SOCK_DGRAM) as sock:
        sock.bind((ip, 0))
        sock.sendto(binascii.unhexlify(data), (ip, int(port)))
        return str(sock.getsockname()[1])


def cmd_udpopen():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return f"{keep(sock)} {sock.getsockname()[1]}"


def cmd_udprecv(sid, timeout_ms):
    sock = take(sid)
    sock.settimeout(int(timeout_ms) / 1000)
    data, (ip, port, *_rest) = sock.recvfrom(65536)
    return f"{ip} {port} {data.hex() or '-'}"


def echo(sock):
    while True:
        data, addr = sock.recvfrom(65536)
        sock.sendto(data, addr)


def cmd_udpecho():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    threading.Thread(target=echo, args=(sock,), daemon=True).start()
    return str(sock.getsockname()[1])


COMMANDS = {
    "CONNECT": cmd_connect,
    "SEND": cmd_send,
    "READ": cmd_read,
    "CLOSE": cmd_close,
    "RST": cmd_rst,
    "BURST": cmd_burst,
    "BURSTWAIT": cmd_burstwait,
    "UDPSEND": cmd_udpsend,
    "UDPOPEN": cmd_udpopen,
    "UDPRECV": cmd_udprecv,
    "UDPECHO": cmd_udpecho,
}


class Control(socketserver.StreamRequestHandler):
    def handle(self):
        for raw in self.rfile:
            words = raw.decode("ascii", "replace").split()
            if not words:
                continue
            handler = COMMANDS.get(words[0].upper())
            try:
                if handler is None:
                    raise ValueError(f"unknown command {words[0]}")
                reply = "OK " + handler(*words[1:])
            except Exception as error:  # reported to the guest, which fails the case
                reply = f"ERR {type(error).__name__}: {error}".replace("\n", " ")
            self.wfile.write(reply.strip().encode() + b"\n")
            self.wfile.flush()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifetime", type=float, default=300.0, help="seconds before exiting on its own")
    args = parser.parse_args()
    server = Server(("127.0.0.1", 0), Control)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"PEER_PORT={server.server_address[1]}", flush=True)
    time.sleep(args.lifetime)
    print("peer: lifetime over, exiting", file=sys.stderr)


if __name__ == "__main__":
    main()
