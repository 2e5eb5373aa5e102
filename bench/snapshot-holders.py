#!/usr/bin/env python3
"""Holds TCP connections for the snapshot benchmark, in the current network namespace.

usage: snapshot-holders.py PORT CLIENT_PROCS CONNS_PER_PROC
One server process listens on 127.0.0.1:PORT and accepts every connection; CLIENT_PROCS children
each open CONNS_PER_PROC connections to it. Everyone then sleeps (at most 30 minutes). Prints
"ready" on stdout once all connections are accepted. Kill the process group to clean up."""
import ctypes
import os
import signal
import socket
import sys
import time

port, nclients, per = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(4096)
for _ in range(nclients):
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the server
        srv.close()
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(per)]
        time.sleep(1800)
        os._exit(0)
accepted = []
deadline = time.time() + 120
srv.settimeout(5)
while len(accepted) < nclients * per and time.time() < deadline:
    c, _ = srv.accept()
    accepted.append(c)
print("ready" if len(accepted) == nclients * per else "short %d" % len(accepted), flush=True)
time.sleep(1800)
