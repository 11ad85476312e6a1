/* arch/xen/entry.S - the ways into and out of the kernel under Xen.
 *
 * Traps. The hypervisor bounces an exception to the stub its trap_info
 * names, with the frame the CPU would have pushed (error code for 8,
 * 10-14, 17; ESP and SS when it came from ring 3, the stack then being
 * the one given by stack_switch); the direct int $0x80 gate is a real
 * gate and its frame the CPU's. The stubs make the frame uniform (zero
 * error code, vector) and trap_common completes struct trapframe (pv.h)
 * and calls xen_trap. In a bounced frame bits 16-23 of the CS slot hold
 * the saved event mask and EFLAGS.IF is its inverse: events were enabled
 * where the trap happened. (The direct gate's frame has the real IF, 1.)
 *
 * Events. The event callback is entered with events masked and a frame
 * without error code; it becomes a trapframe with trapno XEN_VEC_EVENT
 * and xen_event runs.
 *
 * The way out (xen_exit) pops the trapframe and IRETs (ring 1 to 3, or
 * ring 1 to 1: both are plain IRETs; IRET at CPL 1 leaves the real IF
 * alone). Where the frame says events were enabled, they must be enabled
 * again as the IRET happens, without losing one that arrives meanwhile:
 * unmask, look for a pending event, IRET. An upcall that arrives between
 * the unmask and the IRET (the critical region) finds every register of
 * the interrupted context restored and its frame on top of the stack:
 * the event entry drops its own frame (ring 1 to ring 1: EIP, CS, EFLAGS)
 * and handles the event as if it had interrupted the context being
 * returned to, which it then returns to again (XenoLinux's
 * critical-region fixup, with nothing half-popped to fix).
 *
 * Failsafe. If the hypervisor cannot load a segment register of the frame
 * it returns to, it enters the failsafe callback with DS, ES, FS, GS below
 * that frame and the registers null: we load flat data selectors for the
 * ring returned to, drop the bad ones and IRET.
 */
#define FLAT_KERNEL_DS 0xe021
#define FLAT_USER_DS 0xe033
#define XEN_VEC_EVENT 0xFF
#define EFLAGS_IF 0x200
#define VCPU_PENDING xen_shared_page      /* vcpu_info[0].evtchn_upcall_pending */
#define VCPU_MASK (xen_shared_page + 1)   /* vcpu_info[0].evtchn_upcall_mask */

        .text
        .macro stub v, err
        .balign 8
trap_stub_\v:
        .if \err == 0
        pushl $0                        /* no error code in the frame */
        .endif
        pushl $\v
        jmp trap_common
        .endm

        /* exceptions 8, 10-14 and 17 have an error code */
        stub 0,0;  stub 1,0;  stub 2,0;  stub 3,0;  stub 4,0;  stub 5,0
        stub 6,0;  stub 7,0;  stub 8,1;  stub 9,0;  stub 10,1; stub 11,1
        stub 12,1; stub 13,1; stub 14,1; stub 15,0; stub 16,0; stub 17,1
        stub 18,0; stub 19,0; stub 20,0; stub 21,0; stub 22,0; stub 23,0
        stub 24,0; stub 25,0; stub 26,0; stub 27,0; stub 28,0; stub 29,0
        stub 30,0; stub 31,0
        stub 128,0                      /* the system call (direct gate) */

        .macro save_and_call fn
        pushal
        pushl %ds
        pushl %es
        pushl %fs
        pushl %gs
        movl $FLAT_KERNEL_DS, %eax
        movl %eax, %ds
        movl %eax, %es
        pushl %esp                      /* struct trapframe * */
        call \fn
        addl $4, %esp
        .endm

trap_common:
        save_and_call xen_trap
        .globl xen_exit
xen_exit:
        popl %gs
        popl %fs
        popl %es
        popl %ds
        popal
        addl $8, %esp                   /* vector and error code */
        testl $EFLAGS_IF, 8(%esp)       /* events enabled where we return? */
        jz 2f
        .globl xen_critical_start, xen_critical_end
xen_critical_start:
        movb $0, VCPU_MASK
        testb $0xff, VCPU_PENDING
        jnz 1f
        iret
1:      movb $1, VCPU_MASK              /* one came: handle it first */
xen_critical_end:
        pushl $0
        pushl $XEN_VEC_EVENT
        jmp event_common
2:      movb $1, VCPU_MASK
        iret

/* The event callback. */
        .globl xen_event_entry
        .type xen_event_entry, @function
xen_event_entry:
        cmpl $xen_critical_start, (%esp)
        jb 1f
        cmpl $xen_critical_end, (%esp)
        jae 1f
        addl $12, %esp                  /* interrupted on the way out: take the outer frame */
1:      pushl $0
        pushl $XEN_VEC_EVENT
event_common:
        save_and_call xen_event
        jmp xen_exit
        .size xen_event_entry, . - xen_event_entry

/* The failsafe callback: DS ES FS GS, then the frame that could not be
 * returned to. */
        .globl xen_failsafe_entry
        .type xen_failsafe_entry, @function
xen_failsafe_entry:
        addl $16, %esp                  /* the selectors that failed */
        pushl %eax
        movl $FLAT_KERNEL_DS, %eax
        testl $2, 8(%esp)               /* CS of the frame (after EAX, EIP): ring 3? */
        jz 1f
        movl $FLAT_USER_DS, %eax
1:      movl %eax, %ds
        movl %eax, %es
        xorl %eax, %eax
        movl %eax, %fs
        movl %eax, %gs
        popl %eax
        iret
        .size xen_failsafe_entry, . - xen_failsafe_entry

/* void xen_return_to_user(struct trapframe *tf): a new process's first
 * way out (fork's child, init). */
        .globl xen_return_to_user
        .type xen_return_to_user, @function
xen_return_to_user:
        movl 4(%esp), %esp
        jmp xen_exit
        .size xen_return_to_user, . - xen_return_to_user

        .section .rodata
        .balign 4
        .globl xen_trap_stubs
xen_trap_stubs:                         /* indexed by vector; 0: no stub */
        .long trap_stub_0, trap_stub_1, trap_stub_2, trap_stub_3, trap_stub_4, trap_stub_5
        .long trap_stub_6, trap_stub_7, trap_stub_8, trap_stub_9, trap_stub_10, trap_stub_11
        .long trap_stub_12, trap_stub_13, trap_stub_14, trap_stub_15, trap_stub_16, trap_stub_17
        .long trap_stub_18, trap_stub_19, trap_stub_20, trap_stub_21, trap_stub_22, trap_stub_23
        .long trap_stub_24, trap_stub_25, trap_stub_26, trap_stub_27, trap_stub_28, trap_stub_29
        .long trap_stub_30, trap_stub_31
        .fill 128 - 32, 4, 0
        .long trap_stub_128
        .fill 256 - 129, 4, 0

        .section .note.GNU-stack, "", @progbits
