// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * conntrail tracer: TCP CONNECT / ACCEPT / CLOSE from sock:inet_sock_set_state.
 *
 * Two entry points for the same logic: tp_btf (gives the socket cookie) and the classic
 * tracepoint (fallback, no cookie). User space loads exactly one of them. Optional exact
 * accept pid: accept()/accept4() syscall exits (opt-in: they tax every syscall of the host).
 * Only CONNECT, ACCEPT and CLOSE reach user space; everything that is dropped is counted.
 */
#include "conntrail_kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "tracer.h"
#include "counters.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define S_IFMT 00170000
#define S_IFSOCK 0140000

enum {
	TCP_ESTABLISHED = 1,
	TCP_SYN_SENT,
	TCP_SYN_RECV,
	TCP_FIN_WAIT1,
	TCP_FIN_WAIT2,
	TCP_TIME_WAIT,
	TCP_CLOSE,
	TCP_CLOSE_WAIT,
	TCP_LAST_ACK,
	TCP_LISTEN,
	TCP_CLOSING,
	TCP_NEW_SYN_RECV,
};

/*
 * One ring buffer per CPU, so that CPUs emitting at once do not contend for one ring's lock and
 * producer position (that contention was the largest single kernel cost at saturation on 2 CPUs:
 * BENCHMARKS.md, "Tracer"). Slots 0..cpus-1: the state program's rings; slots cpus..2*cpus-1: the
 * accept exits' (exact mode), so no ring is ever written by two programs that can interrupt each other
 * (the state program never nests with itself on a CPU: the kernel skips, and counts, a recursive run).
 * Hence each ring's records are in emit_ns order, and nothing committed hides behind a reserved one.
 * User space creates the rings (the template below is replaced by one of them before load). Events of
 * one socket can land on different CPUs' rings: the reader merges them by emit_ns (PerCpuRings).
 */
struct ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct ring);
} events SEC(".maps");

/* This CPU's ring of the set starting at `base` (0, or cpus for the accept exits); the program cannot
 * migrate while it runs. NULL if user space left the slot empty. */
static __always_inline void *cpu_ring(__u32 base)
{
	__u32 slot = base + bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&events, &slot);
}

/*
 * Connector's owner, from CLOSE->SYN_SENT until SYN_SENT->(ESTABLISHED|CLOSE): a direct-mapped
 * table indexed by a hash of the socket's address, each slot tagged with the socket it holds.
 * An array slot is found without a helper call, a lock or an allocation; the LRU hash this
 * replaces (update + lookup + delete per connection) and per-socket storage (an allocation per
 * socket) each cost ~0.5 us per connection here (BENCHMARKS.md, "Tracer"). Only sockets in
 * SYN_SENT hold a slot. Two connecting sockets on one slot: the newer wins, counted
 * (CTR_OWNER_MAP_FULL), and the older one's CONNECT goes out without owner (CTR_CONNECT_NO_OWNER).
 */
#define OWNER_SLOTS_BITS 16
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << OWNER_SLOTS_BITS);
	__type(key, __u32);
	__type(value, struct ct_owner_slot);
} owner_slots SEC(".maps");

/* Listening sockets -> the listen() caller. Plain hash: a listener must not be evicted by churn;
 * a full map is counted. User space seeds listeners older than the tracer. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ct_listener_key);
	__type(value, struct ct_owner);
} listeners SEC(".maps");

/* Exact mode: ACCEPTs waiting for the accept() exit that returns them. LRU: bounded. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* struct sock * */
	__type(value, struct ct_event);
} pending_accepts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CTR_NUM);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_config);
} config SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);
	if (v)
		*v += 1; /* per-CPU slot: no atomics needed */
}

/* Set by the reader just before it sleeps in poll(); the first record that finds enough data waiting
 * clears it and wakes the reader. One wake-up per sleep: while the reader drains the megabyte that woke
 * it, the records arriving meanwhile would otherwise each raise another wake-up (an irq_work self-IPI,
 * a VM exit here: ~1 per 180 records at saturation, BENCHMARKS.md "Tracer"). Mapped by the reader,
 * which sets it with a plain store (no syscall per sleep). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} reader_sleeping SEC(".maps");

static __always_inline struct ct_config *get_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&config, &zero);
}

static __always_inline void fill_owner(struct ct_owner *o)
{
	__u64 id = bpf_get_current_pid_tgid();
	o->pid = id >> 32;
	o->tid = (__u32)id;
	o->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

#define barrier() asm volatile("" ::: "memory")

static __always_inline struct ct_owner_slot *owner_slot(__u64 id, bool direct)
{
	/* Cookies are handed out in ascending per-CPU runs, so sockets connecting at the same time
	 * have near cookies: the low bits index distinct, cache-warm slots. Addresses are
	 * slab-aligned: hashed (Fibonacci) so their low bits do not all land on a few slots. */
	__u32 idx = direct ? (__u32)id & ((1 << OWNER_SLOTS_BITS) - 1)
			   : (__u32)((id * 0x9E3779B97F4A7C15ULL) >> (64 - OWNER_SLOTS_BITS));
	return bpf_map_lookup_elem(&owner_slots, &idx);
}

/* CLOSE->SYN_SENT. The tag is cleared first and set last, so a reader on another CPU that sees
 * its socket's tag before and after copying has a whole owner (stores are not reordered on the
 * JIT's targets; barrier() stops the compiler). */
static __always_inline void keep_owner(__u64 id, bool direct)
{
	struct ct_owner_slot *s = owner_slot(id, direct);
	if (!s)
		return;
	__u64 held = s->id;
	if (held && held != id)
		count(CTR_OWNER_MAP_FULL);
	s->id = 0;
	barrier();
	fill_owner(&s->owner);
	barrier();
	s->id = id;
}

/* The socket left SYN_SENT without an owner to take (failed connect, full ring buffer). */
static __always_inline void drop_owner(__u64 id, bool direct)
{
	struct ct_owner_slot *s = owner_slot(id, direct);
	if (s && s->id == id)
		s->id = 0;
}

static __always_inline void set_owner(struct ct_event *e, const struct ct_owner *o)
{
	e->pid = o->pid;
	e->tid = o->tid;
	e->cgroup_id = o->cgroup_id;
	__builtin_memcpy(e->comm, o->comm, sizeof(e->comm));
	e->flags |= CT_HAS_OWNER;
}

static __always_inline void clear_owner(struct ct_event *e)
{
	e->pid = 0;
	e->tid = 0;
	e->cgroup_id = 0;
	__builtin_memset(e->comm, 0, sizeof(e->comm));
}

/*
 * Socket field reads. `direct` is a compile-time constant after inlining: the tp_btf program gets
 * a BTF-typed socket pointer, so plain loads (one instruction each, CO-RE relocated through
 * preserve_access_index) are allowed; the classic tracepoint only has the address, so it reads
 * through bpf_probe_read_kernel (a helper call each). Measured: see BENCHMARKS.md, "Tracer".
 */
#define SK_FIELD(direct, sk, ...) ((direct) ? (sk)->__VA_ARGS__ : BPF_CORE_READ(sk, __VA_ARGS__))

static __always_inline __u32 netns_of(struct sock *sk, bool direct)
{
	if (direct)
		return sk->__sk_common.skc_net.net->ns.inum;
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline __u16 local_port(struct sock *sk, bool direct)
{
	/* skc_num is already 0 on the way to CLOSE (inet_put_port runs first); inet_sport still holds
	 * the port. inet_sport lies past struct sock, where a BTF load of a struct sock pointer may not
	 * go: read it only when skc_num is 0. */
	__u16 num = SK_FIELD(direct, sk, __sk_common.skc_num);
	if (num)
		return num;
	return bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
}

static __always_inline void read_addrs(struct sock *sk, __u16 family, __u8 *laddr, __u8 *raddr, bool direct)
{
	if (direct) {
		if (family == AF_INET6) {
			__builtin_memcpy(laddr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
			if (raddr)
				__builtin_memcpy(raddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
		} else {
			__u32 l = sk->__sk_common.skc_rcv_saddr;
			__builtin_memcpy(laddr, &l, 4);
			__builtin_memset(laddr + 4, 0, 12);
			if (raddr) {
				__u32 r = sk->__sk_common.skc_daddr;
				__builtin_memcpy(raddr, &r, 4);
				__builtin_memset(raddr + 4, 0, 12);
			}
		}
		return;
	}
	__builtin_memset(laddr, 0, 16);
	if (raddr)
		__builtin_memset(raddr, 0, 16);
	if (family == AF_INET6) {
		bpf_core_read(laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		if (raddr)
			bpf_core_read(raddr, 16, &sk->__sk_common.skc_v6_daddr);
	} else {
		bpf_core_read(laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		if (raddr)
			bpf_core_read(raddr, 4, &sk->__sk_common.skc_daddr);
	}
}

/*
 * CLOSE: what the socket did (struct ct_counters), read once, when it is over. tp_btf: the socket
 * pointer is trusted, so bpf_skc_to_tcp_sock (one helper call) gives a tcp_sock pointer whose fields
 * are plain loads; a plain load through the struct sock pointer may not go past struct sock, where
 * these fields live. Classic tracepoint: the address only, so one bpf_probe_read_kernel per field.
 * Returns CT_HAS_COUNTERS, or 0 (not a full TCP socket: the counters stay zero).
 */
static __always_inline __u8 read_counters(struct ct_counters *c, struct sock *sk, bool direct)
{
	__builtin_memset(c, 0, sizeof(*c));
	if (direct) {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
		if (!tp)
			return 0;
		c->bytes_acked = tp->bytes_acked;
		c->bytes_received = tp->bytes_received;
		c->bytes_retrans = tp->bytes_retrans;
		c->segs_out = tp->segs_out;
		c->segs_in = tp->segs_in;
		c->total_retrans = tp->total_retrans;
		c->srtt_us = tp->srtt_us >> 3;
		return CT_HAS_COUNTERS;
	}
	ct_probe_read_counters(c, sk); /* inet_sock_set_state fires for TCP full sockets only */
	return CT_HAS_COUNTERS;
}

/* Every field except the owner's (the caller sets or clears those). Writes all of them: the
 * record may be ring-buffer memory, which is not zeroed. */
static __always_inline void fill_event(struct ct_event *e, struct sock *sk, __u16 family, __u8 type, __u64 cookie,
				       __u8 has_cookie, bool direct)
{
	e->ts_ns = bpf_ktime_get_ns();
	e->emit_ns = e->ts_ns; /* read after the reserve: see struct ct_event */
	e->cookie = cookie;
	e->type = type;
	e->flags = has_cookie ? CT_HAS_COOKIE : 0;
	e->family = family;
	e->netns = netns_of(sk, direct);
	e->uid = SK_FIELD(direct, sk, sk_uid.val);
	e->lport = local_port(sk, direct);
	e->rport = bpf_ntohs(SK_FIELD(direct, sk, __sk_common.skc_dport));
	read_addrs(sk, family, e->laddr, e->raddr, direct);
	if (type == CT_CLOSE)
		e->flags |= read_counters(&e->counters, sk, direct);
	else
		__builtin_memset(&e->counters, 0, sizeof(e->counters));
}

static __always_inline long submit_flags(void *ring, struct ct_config *cfg)
{
	if (!cfg || !cfg->wakeup_bytes)
		return 0;
	/* Batch wake-ups: the reader also polls on a timer, so a quiet host still gets its events. */
	if (bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) < cfg->wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	__u32 zero = 0;
	__u32 *sleeping = bpf_map_lookup_elem(&reader_sleeping, &zero);
	if (!sleeping || !*sleeping)
		return BPF_RB_NO_WAKEUP; /* awake, or already woken */
	/* Two CPUs may both see 1 and both wake it: harmless. A store the reader made a moment ago that
	 * this CPU does not see yet only defers the wake-up to the next record. */
	*sleeping = 0;
	return BPF_RB_FORCE_WAKEUP;
}

/* A copy of a finished event into the ring buffer (exact mode's held ACCEPTs): its ts_ns stays the
 * event's, its emit_ns is now. `base`: the ring set of the calling program (cpu_ring). */
static __always_inline void emit_copy(const struct ct_event *src, struct ct_config *cfg, __u32 base)
{
	void *ring = cpu_ring(base);
	struct ct_event *e = ring ? bpf_ringbuf_reserve(ring, sizeof(*e), 0) : 0;
	if (!e) {
		count(CTR_RINGBUF_FULL);
		return;
	}
	__builtin_memcpy(e, src, sizeof(*e));
	e->emit_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, submit_flags(ring, cfg));
	count(CTR_EVENTS);
}

static __always_inline void listener_key(struct ct_listener_key *k, struct sock *sk, __u16 family, __u16 port, bool direct)
{
	k->netns = netns_of(sk, direct);
	k->family = family;
	k->port = port;
	read_addrs(sk, family, k->addr, 0, direct);
}

/* ACCEPT's owner in the default mode: the listener map, exact address first, then the wildcard. */
static __always_inline void accept_owner(struct ct_event *e)
{
	struct ct_listener_key lk;
	lk.netns = e->netns;
	lk.family = e->family;
	lk.port = e->lport;
	__builtin_memcpy(lk.addr, e->laddr, sizeof(lk.addr));
	struct ct_owner *o = bpf_map_lookup_elem(&listeners, &lk);
	if (!o) {
		__builtin_memset(lk.addr, 0, sizeof(lk.addr)); /* the wildcard listener */
		o = bpf_map_lookup_elem(&listeners, &lk);
	}
	if (o) {
		set_owner(e, o);
	} else {
		clear_owner(e);
		count(CTR_ACCEPT_NO_LISTENER);
	}
}

static __always_inline int is_connected(int state)
{
	return state == TCP_ESTABLISHED || state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 ||
	       state == TCP_CLOSE_WAIT || state == TCP_LAST_ACK || state == TCP_CLOSING ||
	       state == TCP_TIME_WAIT;
}

/* What a transition means to us; decided from the tracepoint's arguments alone, before any read. */
enum ct_action {
	ACT_NONE = 0,
	ACT_CONNECT_START,  /* CLOSE -> SYN_SENT */
	ACT_CONNECT_FAILED, /* SYN_SENT -> CLOSE */
	ACT_LISTEN,         /* CLOSE -> LISTEN */
	ACT_UNLISTEN,       /* LISTEN -> CLOSE */
	ACT_EMIT,           /* CONNECT, ACCEPT, CLOSE */
};

static __always_inline __u8 classify(int oldstate, int newstate, __u8 *type)
{
	if (newstate == TCP_ESTABLISHED) {
		if (oldstate == TCP_SYN_SENT) {
			*type = CT_CONNECT;
			return ACT_EMIT;
		}
		if (oldstate == TCP_SYN_RECV) {
			*type = CT_ACCEPT;
			return ACT_EMIT;
		}
		return ACT_NONE;
	}
	if (newstate == TCP_CLOSE) {
		if (oldstate == TCP_SYN_SENT)
			return ACT_CONNECT_FAILED;
		if (oldstate == TCP_LISTEN)
			return ACT_UNLISTEN;
		if (is_connected(oldstate)) {
			*type = CT_CLOSE;
			return ACT_EMIT;
		}
		return ACT_NONE;
	}
	if (oldstate == TCP_CLOSE) {
		if (newstate == TCP_SYN_SENT)
			return ACT_CONNECT_START;
		if (newstate == TCP_LISTEN)
			return ACT_LISTEN;
	}
	return ACT_NONE; /* e.g. LISTEN -> SYN_RECV (a child socket), ESTABLISHED -> FIN_WAIT1 */
}

/*
 * The shared state machine. Cheapest test first: the transition (tracepoint arguments), then
 * protocol and family, and only for what we keep, the socket's fields. Events are written straight
 * into the reserved ring-buffer record (no stack copy), except exact mode's held ACCEPTs.
 * `protocol` and `family` come from the caller (the classic tracepoint has them in its arguments).
 */
static __always_inline int on_state(struct sock *sk, int oldstate, int newstate, __u16 protocol, __u16 family,
				    bool direct)
{
	__u8 type = 0;
	__u8 action = classify(oldstate, newstate, &type);
	if (action == ACT_NONE)
		return 0;
	if (protocol != IPPROTO_TCP || (family != AF_INET && family != AF_INET6))
		return 0;
	__u64 key = (__u64)sk;
	/* The socket's cookie (tp_btf: the kernel's, never reused); the classic tracepoint has none. */
	__u64 cookie = 0;
	if (direct && action != ACT_LISTEN && action != ACT_UNLISTEN)
		cookie = bpf_get_socket_cookie(sk); /* needs the BTF-typed socket tp_btf gives */
	/* Owner table tag: a scalar naming the socket. tp_btf: the cookie (the verifier allows no
	 * arithmetic on its socket pointer); classic: the address, a plain number there. */
	__u64 owner_id = direct ? cookie : key;

	if (action == ACT_CONNECT_START) {
		keep_owner(owner_id, direct);
		return 0;
	}
	if (action == ACT_CONNECT_FAILED) {
		drop_owner(owner_id, direct);
		count(CTR_CONNECT_FAILED);
		return 0;
	}
	if (action == ACT_LISTEN || action == ACT_UNLISTEN) {
		struct ct_listener_key lk;
		listener_key(&lk, sk, family, local_port(sk, direct), direct);
		if (action == ACT_UNLISTEN) {
			bpf_map_delete_elem(&listeners, &lk);
			return 0;
		}
		struct ct_owner o;
		fill_owner(&o);
		if (bpf_map_update_elem(&listeners, &lk, &o, BPF_ANY))
			count(CTR_LISTENER_MAP_FULL);
		return 0;
	}

	struct ct_config *cfg = get_config();
	bool exact = cfg && cfg->accept_exact;

	if (type == CT_ACCEPT && exact) {
		/* held until an accept() returns it (or the socket closes first) */
		struct ct_event held;
		fill_event(&held, sk, family, type, cookie, direct, direct);
		clear_owner(&held);
		if (bpf_map_update_elem(&pending_accepts, &key, &held, BPF_ANY)) {
			count(CTR_PENDING_MAP_FULL);
			emit_copy(&held, cfg, 0); /* better without pid than not at all */
		}
		return 0;
	}
	if (type == CT_CLOSE && exact) {
		/* closed before any accept() returned it: its ACCEPT goes out first, without pid */
		struct ct_event *p = bpf_map_lookup_elem(&pending_accepts, &key);
		if (p) {
			struct ct_event acc;
			__builtin_memcpy(&acc, p, sizeof(acc));
			if (bpf_map_delete_elem(&pending_accepts, &key) == 0) {
				count(CTR_ACCEPT_UNCLAIMED);
				emit_copy(&acc, cfg, 0);
			}
		}
	}

	void *ring = cpu_ring(0);
	struct ct_event *e = ring ? bpf_ringbuf_reserve(ring, sizeof(*e), 0) : 0;
	if (!e) {
		count(CTR_RINGBUF_FULL);
		if (type == CT_CONNECT)
			drop_owner(owner_id, direct);
		return 0;
	}
	fill_event(e, sk, family, type, cookie, direct, direct);
	if (type == CT_CONNECT) {
		struct ct_owner_slot *s = owner_slot(owner_id, direct);
		bool got = false;
		if (s && s->id == owner_id) {
			set_owner(e, &s->owner);
			barrier();
			got = s->id == owner_id; /* not rewritten by a colliding connect() meanwhile */
			if (got)
				s->id = 0;
		}
		if (!got) {
			clear_owner(e);
			count(CTR_CONNECT_NO_OWNER);
		}
	} else if (type == CT_ACCEPT) {
		accept_owner(e);
	} else {
		clear_owner(e); /* CLOSE: the context is not the owner's */
	}
	bpf_ringbuf_submit(e, submit_flags(ring, cfg));
	count(CTR_EVENTS);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ct_state_btf, struct sock *sk, int oldstate, int newstate)
{
	/* classify() first: most calls end there, before any socket read */
	__u8 type;
	if (classify(oldstate, newstate, &type) == ACT_NONE)
		return 0;
	return on_state(sk, oldstate, newstate, sk->sk_protocol, sk->__sk_common.skc_family, true);
}

SEC("tracepoint/sock/inet_sock_set_state")
int ct_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	return on_state((struct sock *)ctx->skaddr, ctx->oldstate, ctx->newstate, ctx->protocol, ctx->family, false);
}

static __always_inline int on_accept_exit(long ret)
{
	if (ret < 0)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || (unsigned long)ret >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[ret]);
	if (!f)
		return 0;
	unsigned short mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	__u64 key = (__u64)BPF_CORE_READ(sock, sk);
	struct ct_event *p = bpf_map_lookup_elem(&pending_accepts, &key);
	if (!p)
		return 0;
	struct ct_event e;
	__builtin_memcpy(&e, p, sizeof(e));
	if (bpf_map_delete_elem(&pending_accepts, &key))
		return 0; /* someone else (close, or user space's timeout sweep) sent it */
	struct ct_owner o = {};
	fill_owner(&o);
	set_owner(&e, &o);
	count(CTR_ACCEPT_EXACT);
	struct ct_config *cfg = get_config();
	emit_copy(&e, cfg, cfg ? cfg->cpus : 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int ct_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int ct_accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept_exit(ctx->ret);
}
