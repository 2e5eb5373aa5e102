/* The records and constants the tracer shares with the Java side, which names each of them once in
 * dev.conntrail.producer.bpf.layout (BpfLayoutKernelTest checks those against this file's BTF).
 * Little-endian host fields; addresses in network order, ports in host order. */
#ifndef CONNTRAIL_TRACER_H
#define CONNTRAIL_TRACER_H

#define TASK_COMM_LEN 16

enum ct_event_type {
	CT_CONNECT = 1,
	CT_ACCEPT = 2,
	CT_CLOSE = 3,
};

/* ct_event.flags */
enum ct_event_flag {
	CT_HAS_OWNER = 1,        /* pid/tid/comm/cgroup_id are set */
	CT_HAS_COOKIE = 2,       /* cookie is the kernel's socket cookie */
	CT_HAS_COUNTERS = 4,     /* counters are the socket's own (CLOSE of a full TCP socket) */
};

/* What a socket did, read from its struct tcp_sock (the figures `ss -ti` shows). Shared with the socket
 * iterator (sockiter.h), which reads the same fields of open sockets. */
struct ct_counters {
	__u64 bytes_acked;     /* tcpi_bytes_acked: bytes sent and acknowledged by the peer */
	__u64 bytes_received;  /* tcpi_bytes_received: bytes received in order */
	__u64 bytes_retrans;   /* tcpi_bytes_retrans: bytes retransmitted */
	__u32 segs_out;        /* segments sent, retransmissions and pure ACKs included */
	__u32 segs_in;         /* segments received */
	__u32 total_retrans;   /* segments retransmitted over the connection's life */
	__u32 srtt_us;         /* smoothed RTT in microseconds (the kernel keeps it times 8) */
};                         /* 40 bytes */

struct ct_event {
	__u64 ts_ns;       /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
	__u64 cookie;
	__u64 cgroup_id;
	__u64 emit_ns;     /* bpf_ktime_get_ns read after the record was reserved in its CPU's ring (== ts_ns but
	                    * for exact mode's held ACCEPTs): the order the reader merges the rings in */
	__u32 netns;       /* inode of the socket's network namespace */
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u16 family;      /* AF_INET 2, AF_INET6 10 */
	__u16 lport;       /* host order */
	__u16 rport;       /* host order */
	__u8 type;         /* enum ct_event_type */
	__u8 flags;
	__u8 laddr[16];    /* IPv4: first 4 bytes */
	__u8 raddr[16];
	char comm[TASK_COMM_LEN];
	struct ct_counters counters; /* CLOSE with CT_HAS_COUNTERS; zero otherwise */
};                         /* 144 bytes */

/* What a process did to make a socket ours: the owner fields. */
struct ct_owner {
	__u32 pid;
	__u32 tid;
	__u64 cgroup_id;
	char comm[TASK_COMM_LEN];
};

/* A slot of the connectors' owner table: the owner of the socket tagged `id` (its cookie with
 * tp_btf, its address with the classic tracepoint; 0: free). */
struct ct_owner_slot {
	__u64 id;
	struct ct_owner owner;
};

struct ct_listener_key {
	__u32 netns;
	__u16 family;
	__u16 port;        /* host order */
	__u8 addr[16];     /* all zero: wildcard */
};

/* Per-CPU counters (PERCPU_ARRAY index), summed by the Java side (TracerCounters). */
enum ct_counter {
	CTR_EVENTS = 0,          /* records submitted to the ring buffer */
	CTR_RINGBUF_FULL,        /* records lost: ring buffer full */
	CTR_OWNER_MAP_FULL,      /* a connector's owner overwritten by another connecting socket's (slot collision) */
	CTR_LISTENER_MAP_FULL,   /* listener not stored: map update failed */
	CTR_CONNECT_FAILED,      /* SYN_SENT -> CLOSE */
	CTR_CONNECT_NO_OWNER,    /* CONNECT without a stored owner (evicted, or connect before attach) */
	CTR_ACCEPT_NO_LISTENER,  /* ACCEPT without a known listener */
	CTR_PENDING_MAP_FULL,    /* exact mode: ACCEPT could not be held for the accept() exit */
	CTR_ACCEPT_EXACT,        /* exact mode: ACCEPT named by an accept() exit */
	CTR_ACCEPT_UNCLAIMED,    /* exact mode: ACCEPT sent without pid (closed before accept()) */
	CTR_NUM
};

struct ct_config {
	__u32 wakeup_bytes;      /* wake the reader only when this much data waits (0: every record) */
	__u32 accept_exact;      /* 1: hold ACCEPTs for the accept()/accept4() exit */
	__u32 cpus;              /* possible CPUs: events slots cpus.. are the accept exits' rings */
};

#endif
