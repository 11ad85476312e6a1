/* tests/guests/xen/lib/pvboot.S - the entry of a PV test guest, its Xen
 * ELF notes (<xen/elfnote.h>) and its hypercall page.
 *
 * The hypervisor enters _start in ring 1 with ESI = start_info, on a boot
 * stack of its own and with events masked; we switch to our stack and call
 * pv_start(start_info) (lib/pv.c), which calls the test's test_main().
 */
#include <xen/elfnote.h>

#define VIRT_BASE 0xC0000000

.macro ELFNOTE_HEAD type
        .balign 4
        .long 2f - 1f                   /* namesz */
        .long 4f - 3f                   /* descsz */
        .long \type
1:      .asciz "Xen"
2:      .balign 4
.endm
.macro ELFNOTE_STR type, value
        ELFNOTE_HEAD \type
3:      .asciz "\value"
4:      .balign 4
.endm
.macro ELFNOTE_LONG type, value
        ELFNOTE_HEAD \type
3:      .long \value
4:      .balign 4
.endm

/* A test may change what its image says (NAME/flags.txt, compile options):
 * PV_FEATURES the features string, PV_XEN_VERSION the Xen version it is
 * for, PV_OLD_XEN_GUEST the old __xen_guest section instead of notes,
 * PV_NOTES_OVERRUN a last note (PAE_MODE) whose descsz runs past the note
 * segment, as GRUB's grub-mkimage writes it (descsz 12, "yes" and its NUL
 * inside the segment, the rest beyond it), PV_NO_PADDR_OFFSET no
 * PADDR_OFFSET note (Xen then takes 0, as this image needs), PV_PVH_ONLY
 * a PVH image's notes: PHYS32_ENTRY alone (GRUB's i386-xen_pvh). */
#ifndef PV_FEATURES
#define PV_FEATURES "writable_page_tables|pae_pgdir_above_4gb"
#endif
#ifndef PV_XEN_VERSION
#define PV_XEN_VERSION "xen-3.0"
#endif

#ifdef PV_OLD_XEN_GUEST
        .section __xen_guest, "a"
        .ascii "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,ELF_PADDR_OFFSET=0x0"
        .ascii ",HYPERCALL_PAGE=0x2,PAE=yes,LOADER=generic"
        .byte 0
#elif defined(PV_PVH_ONLY)
        .section .note.Xen, "a", @note
        ELFNOTE_LONG XEN_ELFNOTE_PHYS32_ENTRY, (_start-VIRT_BASE)
#else
        .section .note.Xen, "a", @note
        ELFNOTE_STR XEN_ELFNOTE_GUEST_OS, "ringlab-pv-test"
        ELFNOTE_STR XEN_ELFNOTE_GUEST_VERSION, "1"
        ELFNOTE_STR XEN_ELFNOTE_XEN_VERSION, PV_XEN_VERSION
        ELFNOTE_LONG XEN_ELFNOTE_VIRT_BASE, VIRT_BASE
#ifndef PV_NO_PADDR_OFFSET
        ELFNOTE_LONG XEN_ELFNOTE_PADDR_OFFSET, 0
#endif
        ELFNOTE_LONG XEN_ELFNOTE_ENTRY, _start
        ELFNOTE_LONG XEN_ELFNOTE_HYPERCALL_PAGE, hypercall_page
        ELFNOTE_STR XEN_ELFNOTE_FEATURES, PV_FEATURES
        ELFNOTE_STR XEN_ELFNOTE_LOADER, "generic"
#ifdef PV_NOTES_OVERRUN
        .balign 4
        .long 4, 12, XEN_ELFNOTE_PAE_MODE /* 12 = sizeof "yes,bimodal" */
        .asciz "Xen"
        .asciz "yes"                    /* the segment ends here */
#else
        ELFNOTE_STR XEN_ELFNOTE_PAE_MODE, "yes"
#endif
#endif

        .text
        .globl _start
_start:
        cld
        movl $pv_stack_top, %esp
        pushl %esi
        call pv_start
1:      jmp 1b

        .section .text.hypercall_page, "ax"
        .balign 4096
        .globl hypercall_page
hypercall_page:
        .fill 4096, 1, 0xcc             /* the hypervisor writes the stubs */

        .bss
        .balign 16
        .globl pv_stack_top
pv_stack:
        .skip 16384
pv_stack_top:

        .section .note.GNU-stack, "", @progbits
