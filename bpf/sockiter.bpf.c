// SPDX-License-Identifier: GPL-2.0
/* iter/task_file: one host-wide pass over every task's open files; for each TCP socket writes a
 * sockiter_rec (cookie, inode, netns, owner tgid/comm, uid, state, tuple, counters) to the iterator's seq
 * file. No namespace entry, no /proc text. Sockets no process holds are not seen (sock_diag has them).
 * iter/task (nsiter): every process's network namespace, in place of ~500 readlinks of /proc/PID/ns/net.
 *
 * Two socket programs, one body; user space loads the first the kernel accepts:
 *  - sockiter: the cookie from bpf_get_socket_cookie(), which also generates it. Needs `sock->sk` to be a
 *    pointer the verifier lets a helper take; kernels differ here (6.18.44 marks it untrusted and refuses).
 *  - sockiter_stored: the cookie read from sk_cookie (CO-RE load, allowed on an untrusted pointer); 0 when
 *    nothing generated it yet. User space generates those (SO_COOKIE) and reads the pass again. */
#include "conntrail_kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "sockiter.h"
#include "counters.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline int write_socket(struct bpf_iter__task_file *ctx, bool helper_cookie)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct sockiter_rec r = {};
	struct socket *sock;
	struct sock *sk;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = sock->sk;
	if (!sk)
		return 0;
	if (sk->sk_protocol != IPPROTO_TCP || sk->sk_type != SOCK_STREAM)
		return 0;
	r.family = sk->__sk_common.skc_family;
	if (r.family == AF_INET) {
		__builtin_memcpy(r.laddr, (const void *)&sk->__sk_common.skc_rcv_saddr, 4);
		__builtin_memcpy(r.raddr, (const void *)&sk->__sk_common.skc_daddr, 4);
	} else if (r.family == AF_INET6) {
		__builtin_memcpy(r.laddr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
		__builtin_memcpy(r.raddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
	} else {
		return 0;
	}
	if (helper_cookie)
		r.cookie = bpf_get_socket_cookie(sk);
	else
		r.cookie = sk->__sk_common.skc_cookie.counter;
	r.inode = file->f_inode->i_ino;
	r.netns = sk->__sk_common.skc_net.net->ns.inum;
	r.tgid = task->tgid;
	r.uid = sk->sk_uid.val;
	r.fd = ctx->fd;
	r.lport = sk->__sk_common.skc_num;
	r.rport = __builtin_bswap16(sk->__sk_common.skc_dport);
	r.state = sk->__sk_common.skc_state;
	__builtin_memcpy(r.comm, task->comm, 16);
	ct_probe_read_counters(&r.counters, sk); /* sock->sk may be untrusted (6.18): probe reads; a file's socket is a full one */
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

SEC("iter/task_file")
int sockiter(struct bpf_iter__task_file *ctx)
{
	return write_socket(ctx, true);
}

SEC("iter/task_file")
int sockiter_stored(struct bpf_iter__task_file *ctx)
{
	return write_socket(ctx, false);
}

SEC("iter/task")
int nsiter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct nsiter_rec r = {};
	struct nsproxy *nsp;

	if (!task || task->pid != task->tgid)
		return 0; /* one record per process: its leader */
	nsp = task->nsproxy;
	if (!nsp)
		return 0; /* exiting: /proc/PID/ns/net is gone as well */
	r.tgid = task->tgid;
	r.netns = nsp->net_ns->ns.inum;
	if (!r.netns)
		return 0;
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
