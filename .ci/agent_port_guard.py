"""Listens on 127.0.0.1:8125, the port of a real agent on a developer's
machine, while the tests run, and writes whatever arrives to the file given
as the first argument: no test may send there (tests send to sockets they
bound themselves). Exits quietly if the port is taken (a real agent)."""
import socket
import sys

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    sock.bind(("127.0.0.1", 8125))
except OSError as err:
    print(f"agent port guard: 127.0.0.1:8125 is taken ({err}); not guarding", file=sys.stderr)
    sys.exit(0)
with open(sys.argv[1], "ab", buffering=0) as out:
    while True:
        out.write(sock.recv(65536) + b"\n")
