/* Minimal kernel types for CO-RE: only the fields conntrail's BPF programs (tracer, sockiter) read,
 * relocated against the running kernel's BTF (preserve_access_index). Smaller and more
 * reproducible than a generated vmlinux.h. */
#ifndef CONNTRAIL_KERNEL_H
#define CONNTRAIL_KERNEL_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0

/* socket(2) constants (the Java side's: dev.conntrail.producer.sys.LibC) */
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define IPPROTO_TCP 6

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
	BPF_MAP_TYPE_RINGBUF = 27,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
};

enum {
	BPF_F_MMAPABLE = (1U << 10),
};

enum {
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
};

enum {
	BPF_RB_AVAIL_DATA = 0,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct in6_addr {
	union {
		__u8 u6_addr8[16];
	} in6_u;
};

struct ns_common {
	unsigned int inum;
};

struct net {
	struct ns_common ns;
};

typedef struct {
	struct net *net;
} possible_net_t;

typedef struct {
	__u32 val;
} kuid_t;

typedef struct {
	__s64 counter;
} atomic64_t;

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	possible_net_t skc_net;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
	atomic64_t skc_cookie;
};

struct sock {
	struct sock_common __sk_common;
	kuid_t sk_uid;
	__u16 sk_protocol;
	__u16 sk_type;
};

struct inet_sock {
	struct sock sk;
	__be16 inet_sport;
};

/* The counters of a full TCP socket (struct ct_counters). Names only: CO-RE finds them wherever this
 * kernel's tcp_sock keeps them (6.8 regrouped them by cache line). */
struct tcp_sock {
	__u64 bytes_acked;
	__u64 bytes_received;
	__u64 bytes_retrans;
	__u32 segs_out;
	__u32 segs_in;
	__u32 total_retrans;
	__u32 srtt_us;
};

/* classic tracepoint sock:inet_sock_set_state */
struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

struct trace_event_raw_inet_sock_set_state {
	struct trace_entry ent;
	const void *skaddr;
	int oldstate;
	int newstate;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u16 protocol;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
};

/* accept()/accept4() exit (exact accept pid): task -> files -> fdt -> fd[ret] -> file -> socket -> sk */
struct socket {
	struct sock *sk;
};

struct inode {
	unsigned short i_mode;
	unsigned long i_ino;
};

struct file {
	struct inode *f_inode;
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct nsproxy {
	struct net *net_ns;
};

struct task_struct {
	struct files_struct *files;
	int pid;
	int tgid;
	char comm[16];
	struct nsproxy *nsproxy;
};

/* classic syscall-exit tracepoint context (syscalls:sys_exit_accept, sys_exit_accept4) */
struct trace_event_raw_sys_exit {
	struct trace_entry ent;
	long id;
	long ret;
};

/* BPF iterator contexts: iter/task_file (one open file of one task), iter/task (one task) */
struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
};

struct bpf_iter__task_file {
	union { struct bpf_iter_meta *meta; };
	union { struct task_struct *task; };
	__u32 fd;
	union { struct file *file; };
};

struct bpf_iter__task {
	union { struct bpf_iter_meta *meta; };
	union { struct task_struct *task; };
};

#pragma clang attribute pop

#endif
