/* hv/entry.S - every way into the hypervisor and the one way back out.
 *
 * Each IDT vector has a stub that pushes an error code (0 where the CPU
 * pushes none) and the vector, then joins hv_entry_common, which pushes the
 * segment and general registers into a struct hv_frame (hv-internal.h) and
 * calls hv_dispatch(frame). Exceptions, external interrupts and the
 * hypercall vector 0x82 all take this one path; hv_dispatch tells them
 * apart by the vector and by the CPL in the saved CS.
 *
 * A guest's frame always lies at the top of the hypervisor stack (TSS.ESP0
 * = hv_stack_top), so switching domains is copying that frame out and the
 * next domain's frame in; hv_exit_frame pops whichever frame ESP points at.
 * Reloading the guest's segment registers and the IRET can fault on a bad
 * guest selector or frame: the faulting instructions are named in the
 * fixup table (hv_exit_fault_*), and the fault handler turns that into the
 * guest's failsafe callback or its destruction (traps.c).
 */
#define HV_DS 0xe010
        .altmacro

        .text
        .balign 16
hv_entry_common:
        pushl %gs
        pushl %fs
        pushl %es
        pushl %ds
        pushl %eax
        pushl %ebp
        pushl %edi
        pushl %esi
        pushl %edx
        pushl %ecx
        pushl %ebx
        movl $HV_DS, %eax
        movl %eax, %ds
        movl %eax, %es
        cld
        movl %esp, %eax
        pushl %eax
        call hv_dispatch
        addl $4, %esp
        .globl hv_exit_frame
hv_exit_frame:
        popl %ebx
        popl %ecx
        popl %edx
        popl %esi
        popl %edi
        popl %ebp
        popl %eax
        .globl hv_exit_fault_ds, hv_exit_fault_es, hv_exit_fault_fs, hv_exit_fault_gs, hv_exit_fault_iret
hv_exit_fault_ds:
        popl %ds
hv_exit_fault_es:
        popl %es
hv_exit_fault_fs:
        popl %fs
hv_exit_fault_gs:
        popl %gs
        addl $8, %esp                    /* vector, error code */
hv_exit_fault_iret:
        iret

/* hv_resume_frame(frame): continue at the exit path with ESP = frame (the
 * frame at the top of the stack, after a domain switch or a fixup). */
        .globl hv_resume_frame
hv_resume_frame:
        movl 4(%esp), %esp
        jmp hv_exit_frame

/* The stubs, 16 bytes apart; hv_stub_table[v] is the address of stub v. */
.macro STUB vec
        .balign 16
hv_stub_\vec:
        .if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || (\vec == 13) || (\vec == 14) || (\vec == 17)
        pushl $\vec
        .else
        pushl $0
        pushl $\vec
        .endif
        jmp hv_entry_common
.endm

        .set v, 0
        .rept 256
        STUB %v
        .set v, v + 1
        .endr

        .section .rodata
        .balign 4
        .globl hv_stub_table
hv_stub_table:
.macro STUBADDR vec
        .long hv_stub_\vec
.endm
        .set v, 0
        .rept 256
        STUBADDR %v
        .set v, v + 1
        .endr

        .section .note.GNU-stack, "", @progbits
