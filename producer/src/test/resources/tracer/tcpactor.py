#!/usr/bin/env python3
"""Known TCP actors for the tracer tests: a process with a known pid and comm that listens or
connects, and prints what it did as 'key=value' lines on stdout (flushed).

  server COMM ADDR COUNT [prefork]  listen on ADDR port 0, print port=, accept COUNT connections,
                                    read each to EOF (or reset), close. prefork: a forked child
                                    (comm COMM-w) accepts; prints worker=PID.
  client COMM ADDR PORT COUNT MODE  connect COUNT times; MODE: close | reset (SO_LINGER 0) |
                                    refused (expect ECONNREFUSED) | reuse (same local port, reset) |
                                    migrate (connect on CPU i%2, reset from the other one: each
                                    socket's events come from two CPUs) | paced (close, then 2 ms pause)
"""
import ctypes, os, socket, struct, sys, time

def set_comm(name):
    ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME

def family_of(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET

def say(**kv):
    for k, v in kv.items():
        print(f"{k}={v}", flush=True)

def serve(sock, count):
    for _ in range(count):
        conn, _ = sock.accept()
        try:
            while conn.recv(4096):
                pass
        except ConnectionResetError:
            pass
        conn.close()

def server(comm, addr, count, prefork=False):
    set_comm(comm)
    s = socket.socket(family_of(addr), socket.SOCK_STREAM)
    if family_of(addr) == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind((addr, 0))
    s.listen(128)
    say(pid=os.getpid(), port=s.getsockname()[1])
    if prefork:
        child = os.fork()
        if child == 0:
            set_comm(comm + "-w")
            serve(s, count)
            os._exit(0)
        say(worker=child)
        os.waitpid(child, 0)
    else:
        serve(s, count)
    s.close()
    say(done=1)

def client(comm, addr, port, count, mode):
    set_comm(comm)
    say(pid=os.getpid())
    lport = 0
    for i in range(count):
        if mode == "migrate":
            os.sched_setaffinity(0, {i % 2})
        c = socket.socket(family_of(addr), socket.SOCK_STREAM)
        if mode == "reuse":
            c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            c.bind(("::" if family_of(addr) == socket.AF_INET6 else "0.0.0.0", lport))
        try:
            c.connect((addr, port))
        except ConnectionRefusedError:
            say(refused=1)
            c.close()
            continue
        say(lport=c.getsockname()[1])
        lport = c.getsockname()[1]
        if mode in ("reset", "reuse", "migrate"):
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        if mode == "migrate":
            os.sched_setaffinity(0, {(i + 1) % 2})
        c.close()
        if mode == "reuse":
            time.sleep(0.05)
        if mode == "paced":
            time.sleep(0.002)
    say(done=1)

if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "server":
        server(a[1], a[2], int(a[3]), len(a) > 4 and a[4] == "prefork")
    else:
        client(a[1], a[2], int(a[3]), int(a[4]), a[5])
