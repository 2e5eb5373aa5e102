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

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
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

/* Sized by user space before load (power of two, multiple of the page size). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} events SEC(".maps");

/* Connector's owner, from CLOSE->SYN_SENT until SYN_SENT->(ESTABLISHED|CLOSE). Only sockets in
 * SYN_SENT live here, so 16k is generous; LRU so a socket we never see leave cannot leak. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* struct sock * */
	__type(value, struct ct_owner);
} owners SEC(".maps");

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

static __always_inline void set_owner(struct ct_event *e, const struct ct_owner *o)
{
	e->pid = o->pid;
	e->tid = o->tid;
	e->cgroup_id = o->cgroup_id;
	__builtin_memcpy(e->comm, o->comm, sizeof(e->comm));
	e->flags |= CT_HAS_OWNER;
}

static __always_inline __u32 netns_of(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline __u16 local_port(struct sock *sk)
{
	/* skc_num is already 0 on the way to CLOSE; inet_sport still holds the port. */
	__u16 sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	return sport ? sport : BPF_CORE_READ(sk, __sk_common.skc_num);
}

static __always_inline void read_local_addr(struct sock *sk, __u16 family, __u8 *addr)
{
	if (family == AF_INET6)
		bpf_core_read(addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	else
		bpf_core_read(addr, 4, &sk->__sk_common.skc_rcv_saddr);
}

static __always_inline void fill_socket(struct ct_event *e, struct sock *sk, __u16 family)
{
	e->family = family;
	e->netns = netns_of(sk);
	e->uid = BPF_CORE_READ(sk, sk_uid.val);
	e->lport = local_port(sk);
	e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	read_local_addr(sk, family, e->laddr);
	if (family == AF_INET6)
		bpf_core_read(e->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	else
		bpf_core_read(e->raddr, 4, &sk->__sk_common.skc_daddr);
	e->sk = (__u64)sk;
}

static __always_inline long submit_flags(struct ct_config *cfg)
{
	if (!cfg || !cfg->wakeup_bytes)
		return 0;
	/* Batch wake-ups: the reader also polls on a timer, so a quiet host still gets its events. */
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg->wakeup_bytes ? BPF_RB_FORCE_WAKEUP
										  : BPF_RB_NO_WAKEUP;
}

static __always_inline void emit(const struct ct_event *src, struct ct_config *cfg)
{
	struct ct_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(CTR_RINGBUF_FULL);
		return;
	}
	__builtin_memcpy(e, src, sizeof(*e));
	bpf_ringbuf_submit(e, submit_flags(cfg));
	count(CTR_EVENTS);
}

static __always_inline void listener_key(struct ct_listener_key *k, struct sock *sk, __u16 family, __u16 port)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->netns = netns_of(sk);
	k->family = family;
	k->port = port;
	read_local_addr(sk, family, k->addr);
}

static __always_inline int is_connected(int state)
{
	return state == TCP_ESTABLISHED || state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 ||
	       state == TCP_CLOSE_WAIT || state == TCP_LAST_ACK || state == TCP_CLOSING ||
	       state == TCP_TIME_WAIT;
}

/* The shared state machine. Scratch event on the stack (104 bytes): well under the 512 limit. */
static __always_inline int on_state(struct sock *sk, int oldstate, int newstate, __u64 cookie, __u8 has_cookie)
{
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	__u64 key = (__u64)sk;

	if (oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT) {
		struct ct_owner o = {};
		fill_owner(&o);
		if (bpf_map_update_elem(&owners, &key, &o, BPF_ANY))
			count(CTR_OWNER_MAP_FULL);
		return 0;
	}
	if (oldstate == TCP_CLOSE && newstate == TCP_LISTEN) {
		struct ct_listener_key lk;
		struct ct_owner o = {};
		listener_key(&lk, sk, family, BPF_CORE_READ(sk, __sk_common.skc_num));
		fill_owner(&o);
		if (bpf_map_update_elem(&listeners, &lk, &o, BPF_ANY))
			count(CTR_LISTENER_MAP_FULL);
		return 0;
	}
	if (oldstate == TCP_LISTEN && newstate == TCP_CLOSE) {
		struct ct_listener_key lk;
		listener_key(&lk, sk, family, local_port(sk));
		bpf_map_delete_elem(&listeners, &lk);
		return 0;
	}
	if (oldstate == TCP_SYN_SENT && newstate == TCP_CLOSE) {
		bpf_map_delete_elem(&owners, &key);
		count(CTR_CONNECT_FAILED);
		return 0;
	}

	struct ct_config *cfg = get_config();
	struct ct_event e = {};
	if (oldstate == TCP_SYN_SENT && newstate == TCP_ESTABLISHED) {
		e.type = CT_CONNECT;
		struct ct_owner *o = bpf_map_lookup_elem(&owners, &key);
		if (o) {
			set_owner(&e, o);
			bpf_map_delete_elem(&owners, &key);
		} else {
			count(CTR_CONNECT_NO_OWNER);
		}
	} else if (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED) {
		e.type = CT_ACCEPT;
	} else if (newstate == TCP_CLOSE && is_connected(oldstate)) {
		e.type = CT_CLOSE;
	} else {
		return 0;
	}
	e.ts_ns = bpf_ktime_get_ns();
	e.cookie = cookie;
	if (has_cookie)
		e.flags |= CT_HAS_COOKIE;
	fill_socket(&e, sk, family);

	if (e.type == CT_ACCEPT) {
		if (cfg && cfg->accept_exact) {
			if (bpf_map_update_elem(&pending_accepts, &key, &e, BPF_ANY)) {
				count(CTR_PENDING_MAP_FULL);
				emit(&e, cfg); /* better without pid than not at all */
			}
			return 0;
		}
		struct ct_listener_key lk;
		listener_key(&lk, sk, family, e.lport);
		struct ct_owner *o = bpf_map_lookup_elem(&listeners, &lk);
		if (!o) {
			__builtin_memset(lk.addr, 0, sizeof(lk.addr)); /* the wildcard listener */
			o = bpf_map_lookup_elem(&listeners, &lk);
		}
		if (o)
			set_owner(&e, o);
		else
			count(CTR_ACCEPT_NO_LISTENER);
	} else if (e.type == CT_CLOSE && cfg && cfg->accept_exact) {
		/* closed before any accept() returned it: its ACCEPT goes out first, without pid */
		struct ct_event *p = bpf_map_lookup_elem(&pending_accepts, &key);
		if (p) {
			struct ct_event acc;
			__builtin_memcpy(&acc, p, sizeof(acc));
			if (bpf_map_delete_elem(&pending_accepts, &key) == 0) {
				count(CTR_ACCEPT_UNCLAIMED);
				emit(&acc, cfg);
			}
		}
	}
	emit(&e, cfg);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ct_state_btf, struct sock *sk, int oldstate, int newstate)
{
	/* the cookie helper needs the trusted socket pointer tp_btf gives */
	__u64 cookie = 0;
	if ((oldstate == TCP_SYN_SENT && newstate == TCP_ESTABLISHED) ||
	    (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED) ||
	    (newstate == TCP_CLOSE && is_connected(oldstate)))
		cookie = bpf_get_socket_cookie(sk);
	return on_state(sk, oldstate, newstate, cookie, 1);
}

SEC("tracepoint/sock/inet_sock_set_state")
int ct_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	return on_state((struct sock *)ctx->skaddr, ctx->oldstate, ctx->newstate, 0, 0);
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
	emit(&e, get_config());
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
