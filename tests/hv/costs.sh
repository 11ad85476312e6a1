#!/usr/bin/env bash
# The hypervisor's cost table (hv/README.md): runs the cost guest
# (tests/guests/xen/cost, alone and as two domains yielding to each other)
# and the native kernel (tests/guests/xen/native) under each timing preset
# and prints a Markdown table of model cycles.
#
#   tests/hv/costs.sh BUILD_DIR [PRESET...]     (default: p6 netburst)
set -uo pipefail
build=${1:?usage: $0 BUILD_DIR [PRESET...]}
shift
presets=("$@")
((${#presets[@]})) || presets=(p6 netburst)
ringlab=$build/machine/ringlab
hv=$build/hv/hv.elf
cost=$build/guests/xen_cost.elf
native=$build/guests/xen_native.elf
declare -A v
for p in "${presets[@]}"; do
  while read -r _ name cycles; do v[$p,$name]=$cycles; done < <(
    "$ringlab" run --timing "$p" --max-cycles 4000000000 --serial stdio --module "$cost" "$hv" </dev/null |
      grep -a '^cost: '
    "$ringlab" run --timing "$p" --max-cycles 4000000000 --serial stdio --module "$cost=switch" \
      --module "$cost=switch" "$hv" -- dom0less </dev/null | grep -a '^(d0) cost: ' | sed 's/^(d0) //'
    "$ringlab" run --timing "$p" --serial stdio "$native" </dev/null | grep -a '^cost: ')
  v[$p,domain_switch]=$(((${v[$p,yield_roundtrip_2_domains]} - 2 * ${v[$p,sched_yield_alone]}) / 2))
done
row() { # label key
  local line="| $1 |"
  for p in "${presets[@]}"; do line+=" ${v[$p,$2]:-?} |"; done
  echo "$line"
}
head="| operation (model cycles) |"
sep="|---|"
for p in "${presets[@]}"; do head+=" $p |"; sep+="---:|"; done
echo "$head"
echo "$sep"
row "null hypercall (xen_version) through the hypercall page" hypercall_null_page
row "null hypercall through int \$0x82" hypercall_null_int82
row "mmu_update, one L1 entry (validated)" mmu_update_1
row "mmu_update, a batch of 16 L1 entries" mmu_update_16
row "update_va_mapping with UVMF_INVLPG" update_va_mapping_invlpg
row "mmuext_op TLB_FLUSH_LOCAL" mmuext_tlb_flush_local
row "event_channel_op send (masked port)" evtchn_send_masked
row "multicall of 4 null hypercalls" multicall_4_null
row "set_timer_op" set_timer_op
row "sched_op yield, alone" sched_yield_alone
row "writable page table: one emulated PTE write" pt_write_emulated
row "page fault in ring 1, bounced (minimal handler)" page_fault_bounced
row "page fault in ring 1, bounced (C handler)" page_fault_bounced_c
row "event send + upcall (minimal handler, iret hypercall)" event_upcall_send
row "yield round trip between two domains" yield_roundtrip_2_domains
row "domain switch (round trip / 2 - yield alone)" domain_switch
row "system call from ring 3, direct int \$0x80 gate" syscall_direct_ring3
row "native: page fault (ring 0, minimal handler)" native_page_fault
row "native: page fault (ring 0, C handler)" native_page_fault_c
row "native: software interrupt to ring 0 (minimal handler)" native_interrupt
row "native: system call from ring 3 (int \$0x80, minimal)" native_syscall_ring3
