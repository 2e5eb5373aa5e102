// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/* Not a program: one variable of each record and enum the Java side shares, so their BTF is in this
 * file's object (the programs' own objects keep only the types their maps and hooks name).
 * BpfLayoutKernelTest builds it with `make -C bpf object` and checks dev.conntrail.producer.bpf.layout
 * against that BTF. */
#include "conntrail_kernel.h"
#include "tracer.h"
#include "sockiter.h"

struct ct_event ct_event_btf;
struct ct_counters ct_counters_btf;
struct ct_config ct_config_btf;
struct ct_listener_key ct_listener_key_btf;
struct ct_owner ct_owner_btf;
enum ct_event_type ct_event_type_btf;
enum ct_event_flag ct_event_flag_btf;
enum ct_counter ct_counter_btf;
struct sockiter_rec sockiter_rec_btf;
struct nsiter_rec nsiter_rec_btf;
