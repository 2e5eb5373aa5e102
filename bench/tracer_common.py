"""What the tracer bench scripts share (tracer_bench.py, tracer_toggle.py, tracer_threads.py): the tracer JVM's
options, a process's CPU time, the BPF object out of a jar, waiting for a tracer to start."""
import os, time, zipfile

HZ = os.sysconf("SC_CLK_TCK")


def agent_jvm_opts():
    """The agent's JVM options (deploy/agent-jvm-opts), as the launcher, the systemd unit and the containers use."""
    return open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy", "agent-jvm-opts")).read().split()


def tracer_jvm_opts():
    """The tracer JVM's options: TRACER_JAVA_OPTS when set (" ": none), else the agent's."""
    return os.environ["TRACER_JAVA_OPTS"].split() if "TRACER_JAVA_OPTS" in os.environ else agent_jvm_opts()


def proc_cpu(pid):
    """A process's CPU time in clock ticks (utime + stime; HZ per second)."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])


def extract_object(jar, path):
    """Writes the BPF object inside a jar to path (once); returns path."""
    if not os.path.exists(path):
        with zipfile.ZipFile(jar) as z, open(path, "wb") as f:
            f.write(z.read("bpf/tracer.bpf.o"))
    return path


def wait_for(path, text, process=None, timeout=60):
    """Waits until the log at path contains text; exits with the log's end if the process dies or time runs out."""
    end = time.time() + timeout
    while time.time() < end and (process is None or process.poll() is None):
        if os.path.exists(path) and text in open(path, errors="replace").read():
            return
        time.sleep(0.1)
    raise SystemExit(f"tracer did not start: {open(path, errors='replace').read()[-2000:] if os.path.exists(path) else ''}")
