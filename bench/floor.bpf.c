// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/* The floor of any tracer on this hook, for bench/tracer-bench.sh (not shipped): a tp_btf program on
 * sock:inet_sock_set_state that returns at once. Same program and map names as bpf/tracer.bpf.c, so
 * bench/bpf_cost.c loads it the same way. What a churn loses with this attached, no tracer can win back. */
#include "conntrail_kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ct_state_btf, struct sock *sk, int oldstate, int newstate)
{
	return 0;
}
