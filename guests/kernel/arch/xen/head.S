/* arch/xen/head.S - what the domain builder reads and where it enters.
 *
 * The Xen ELF notes (<xen/elfnote.h>) tell the builder that this is a
 * Xen 3.0 PAE kernel for the generic loader, linked at VIRT_BASE
 * 0xC0000000 = PAGE_OFFSET with physical addresses from 0 (PADDR_OFFSET
 * 0), so pseudo-physical frame f is at PAGE_OFFSET + f * 4096 from the
 * start, as the native kernel's direct map. It asks for nothing optional:
 * page tables are updated by hypercalls only (no writable page tables),
 * as XenoLinux 2.4 did.
 *
 * The builder enters xen_entry in ring 1 with paging on (its bootstrap
 * page tables), ESI = start_info, ESP on a page of its own, events masked.
 * We move to our boot stack (the idle process's, as the native boot's)
 * and call xen_start (boot.c).
 */
#include <xen/elfnote.h>

#define VIRT_BASE 0xC0000000

.macro NOTE_HEAD type
        .balign 4
        .long 2f - 1f                   /* namesz */
        .long 4f - 3f                   /* descsz */
        .long \type
1:      .asciz "Xen"
2:      .balign 4
.endm
.macro NOTE_STR type, value
        NOTE_HEAD \type
3:      .asciz "\value"
4:      .balign 4
.endm
.macro NOTE_LONG type, value
        NOTE_HEAD \type
3:      .long \value
4:      .balign 4
.endm

        .section .note.Xen, "a", @note
        NOTE_STR XEN_ELFNOTE_GUEST_OS, "ringlab-kernel"
        NOTE_STR XEN_ELFNOTE_GUEST_VERSION, "1"
        NOTE_STR XEN_ELFNOTE_XEN_VERSION, "xen-3.0"
        NOTE_LONG XEN_ELFNOTE_VIRT_BASE, VIRT_BASE
        NOTE_LONG XEN_ELFNOTE_PADDR_OFFSET, 0
        NOTE_LONG XEN_ELFNOTE_ENTRY, xen_entry
        NOTE_LONG XEN_ELFNOTE_HYPERCALL_PAGE, hypercall_page
        NOTE_STR XEN_ELFNOTE_FEATURES, "pae_pgdir_above_4gb"
        NOTE_STR XEN_ELFNOTE_PAE_MODE, "yes"
        NOTE_STR XEN_ELFNOTE_LOADER, "generic"

        .text
        .globl xen_entry
        .type xen_entry, @function
xen_entry:
        cld
        movl $boot_stack_top, %esp
        pushl %esi                      /* start_info */
        call xen_start                  /* never returns */
1:      jmp 1b
        .size xen_entry, . - xen_entry

        .section .text.hypercall_page, "ax"
        .balign 4096
        .globl hypercall_page
hypercall_page:
        .fill 4096, 1, 0xcc             /* the builder writes the stubs */

        .bss
        .balign 4096
        .globl boot_stack_top
boot_stack:
        .skip 8192                      /* also the idle process's stack */
boot_stack_top:

        .section .note.GNU-stack, "", @progbits
