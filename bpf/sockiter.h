/* Kernel types the socket iterator reads, relocated against the running kernel's BTF (CO-RE,
 * preserve_access_index), and the record it writes. Only the fields used are declared. */
#ifndef CONNTRAIL_SOCKITER_H
#define CONNTRAIL_SOCKITER_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

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
};

struct sock {
	struct sock_common __sk_common;
	__u16 sk_type;
	__u16 sk_protocol;
	kuid_t sk_uid;
};

struct socket {
	struct sock *sk;
};

struct inode {
	unsigned long i_ino;
};

struct file {
	struct inode *f_inode;
};

struct nsproxy {
	struct net *net_ns;
};

struct task_struct {
	int pid;
	int tgid;
	char comm[16];
	struct nsproxy *nsproxy;
};

struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
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

/* One TCP socket held by one process: 88 bytes, little-endian, read by
 * dev.conntrail.producer.snapshot.SockIterRecords. Addresses in network order; ports host order. */
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
};

/* One process (thread-group leader) and its network namespace: 8 bytes, little-endian, read by
 * dev.conntrail.producer.snapshot.SockIterSource#processes (namespace discovery without /proc). */
struct nsiter_rec {
	__u32 tgid;
	__u32 netns;
};

#endif
