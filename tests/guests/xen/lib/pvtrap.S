/* tests/guests/xen/lib/pvtrap.S - trap, event and failsafe entries of the
 * PV test guests.
 *
 * pv_trap_stubs[v] enters with the frame the hypervisor bounced (error
 * code for 8, 10-14, 17), builds a struct pv_regs and calls
 * pv_trap(regs); pv_trap may change the frame (EIP, registers) and the
 * stub returns with a plain IRET (events are not touched: the trap
 * table's entries do not mask them).
 *
 * pv_event_entry is the event callback (entered with events masked): it
 * calls pv_event(regs) and returns through the iret hypercall, which
 * restores evtchn_upcall_mask from the frame's EFLAGS.IF.
 *
 * pv_failsafe_entry is the failsafe callback: the frame carries DS, ES,
 * FS, GS below EIP and the hypervisor has made them null; it loads the
 * flat ring-1 data selector into DS and ES, records the four
 * (pv_failsafe_segs) and returns with IRET, FS and GS left null.
 */
#define FLAT_RING1_DS 0xe021

.macro TRAPSTUB vec
        .balign 16
pv_trap_stub_\vec:
        .if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || (\vec == 13) || (\vec == 14) || (\vec == 17)
        pushl $\vec
        .else
        pushl $0
        pushl $\vec
        .endif
        jmp pv_trap_common
.endm

        .altmacro
        .text
pv_trap_common:
        pushal
        movl %esp, %eax
        pushl %eax
        call pv_trap
        addl $4, %esp
        popal
        addl $8, %esp
        iret

        .set v, 0
        .rept 256
        TRAPSTUB %v
        .set v, v + 1
        .endr

        .section .rodata
        .balign 4
        .globl pv_trap_stubs
pv_trap_stubs:
.macro STUBADDR vec
        .long pv_trap_stub_\vec
.endm
        .set v, 0
        .rept 256
        STUBADDR %v
        .set v, v + 1
        .endr

        .text
        .globl pv_event_entry
pv_event_entry:
        pushl $0
        pushl $-1
        pushal
        movl %esp, %eax
        pushl %eax
        call pv_event
        addl $4, %esp
        popal
        addl $8, %esp
        jmp hypercall_page + 23 * 32     /* __HYPERVISOR_iret */

        .globl pv_failsafe_entry
pv_failsafe_entry:
        pushl %eax                       /* DS-GS are null here: SS only */
        movl $FLAT_RING1_DS, %eax
        movl %eax, %ds
        movl %eax, %es
        popl %eax
        popl pv_failsafe_segs
        popl pv_failsafe_segs + 4
        popl pv_failsafe_segs + 8
        popl pv_failsafe_segs + 12
        incl pv_failsafe_count
        iret

        .bss
        .globl pv_failsafe_segs, pv_failsafe_count
pv_failsafe_segs:
        .skip 16
pv_failsafe_count:
        .skip 4

        .section .note.GNU-stack, "", @progbits
