/* Reading a full TCP socket's counters (struct ct_counters of tracer.h) with one CO-RE probe read per field:
 * works through any socket pointer, including those the verifier lets no helper take and no plain load past
 * struct sock read (the iterator's `sock->sk` on 6.18, the classic tracepoint's address). Shared by the tracer's
 * CLOSE and the socket iterator. */
#ifndef CONNTRAIL_COUNTERS_H
#define CONNTRAIL_COUNTERS_H

#include "conntrail_kernel.h"
#include <bpf/bpf_core_read.h>
#include "tracer.h"

static __always_inline void ct_probe_read_counters(struct ct_counters *c, struct sock *sk)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	c->bytes_acked = BPF_CORE_READ(tp, bytes_acked);
	c->bytes_received = BPF_CORE_READ(tp, bytes_received);
	c->bytes_retrans = BPF_CORE_READ(tp, bytes_retrans);
	c->segs_out = BPF_CORE_READ(tp, segs_out);
	c->segs_in = BPF_CORE_READ(tp, segs_in);
	c->total_retrans = BPF_CORE_READ(tp, total_retrans);
	c->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
}

#endif
