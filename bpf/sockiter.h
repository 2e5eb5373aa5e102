/* The records the socket iterators write, shared with the Java side, which names each offset once in
 * dev.conntrail.producer.bpf.layout (BpfLayoutKernelTest checks those against this file's BTF). Kernel
 * types: conntrail_kernel.h, included first by sockiter.bpf.c. */
#ifndef CONNTRAIL_SOCKITER_H
#define CONNTRAIL_SOCKITER_H

#include "tracer.h"

/* One TCP socket held by one process: 128 bytes, little-endian, read by
 * dev.conntrail.producer.snapshot.SockIterSource. Addresses in network order; ports host order.
 * counters: struct ct_counters of tracer.h (what the socket did so far). */
struct sockiter_rec {
	__u64 cookie;
	__u64 inode;
	__u32 netns;
	__u32 tgid;
	__u32 uid;
	__u32 fd;
	__u16 family;
	__u16 lport;
	__u16 rport;
	__u8 state;
	__u8 pad;
	__u8 laddr[16];
	__u8 raddr[16];
	char comm[16];
	struct ct_counters counters;
};

/* One process (thread-group leader) and its network namespace: 8 bytes, little-endian, read by
 * dev.conntrail.producer.snapshot.SockIterSource#processes (namespace discovery without /proc). */
struct nsiter_rec {
	__u32 tgid;
	__u32 netns;
};

#endif
