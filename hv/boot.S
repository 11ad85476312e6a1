/* hv/boot.S - the Multiboot entry: from the loader's flat 32-bit state at
 * physical addresses to the hypervisor's PAE address space at the top of
 * 4 GiB.
 *
 * The loader (ringlab's or QEMU's) enters hv_start_phys with paging off,
 * EAX = 0x2BADB002, EBX = the Multiboot information (physical). This code
 * runs at its physical address (section .boot, VMA = LMA); everything else
 * is linked at HV_DIRECTMAP_VIRT + physical address. The boot page tables
 * are static data: an L3 whose slot 0 maps the first 2 MiB one to one (only
 * for the jump) and whose slot 3 is the hypervisor's L2 (hv_l2), which maps
 * machine memory 0-128 MiB with 2 MiB global pages at 0xF8000000. C code
 * (hv_main) then builds the rest of the hypervisor's mappings in hv_l2 and
 * drops the identity slot.
 */
#define MB_HEADER_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-aligned modules, memory information */

#define HV_DIRECTMAP_VIRT 0xF8000000
#define CR0_PE 0x00000001
#define CR0_WP 0x00010000
#define CR0_PG 0x80000000
#define CR4_PAE 0x00000020
#define CR4_PGE 0x00000080

#define L2E_2M_HV 0x183 /* present, writable, 2 MiB, global */

        .section .multiboot, "a"
        .balign 4
        .long MB_HEADER_MAGIC
        .long MB_FLAGS
        .long -(MB_HEADER_MAGIC + MB_FLAGS)

        .section .boot.text, "ax"
        .code32
        .globl hv_start_phys
hv_start_phys:
        cli
        cld
        movl %eax, %edi                  /* Multiboot magic */
        movl %ebx, %esi                  /* Multiboot information */
        lgdt boot_gdt_desc
        ljmp $0x08, $1f
1:      movl $0x10, %eax
        movl %eax, %ds
        movl %eax, %es
        movl %eax, %ss
        xorl %eax, %eax
        movl %eax, %fs
        movl %eax, %gs

        movl $(hv_idle_l3 - HV_DIRECTMAP_VIRT), %eax
        movl %eax, %cr3
        movl %cr4, %eax
        orl $(CR4_PAE | CR4_PGE), %eax
        movl %eax, %cr4
        movl %cr0, %eax
        orl $(CR0_PE | CR0_WP | CR0_PG), %eax
        movl %eax, %cr0
        movl $hv_start_high, %eax
        jmp *%eax

        .section .boot.data, "aw"
        .balign 8
boot_gdt:
        .quad 0
        .quad 0x00cf9a000000ffff         /* 0x08 flat ring-0 code */
        .quad 0x00cf92000000ffff         /* 0x10 flat ring-0 data */
boot_gdt_desc:
        .word boot_gdt_desc - boot_gdt - 1
        .long boot_gdt

        .text
hv_start_high:
        /* The top of the stack is the running guest's frame (72 bytes, a
         * struct hv_frame); start-of-day code runs below it. */
        movl $(hv_stack_top - 72), %esp
        pushl $0
        popfl
        pushl %esi                       /* info */
        pushl %edi                       /* magic */
        call hv_main
1:      cli
        hlt
        jmp 1b

/* The boot page tables. hv_l2 stays the hypervisor's L2 for good: its
 * entries 428-511 are copied into every domain's L3-slot-3 L2. */
        .data
        .balign 4096
        .globl hv_idle_l3
hv_idle_l3:
        .long (boot_l2_low - HV_DIRECTMAP_VIRT) + 1, 0
        .long 0, 0
        .long 0, 0
        .long (hv_l2 - HV_DIRECTMAP_VIRT) + 1, 0
        .fill 4096 - 32, 1, 0

        .balign 4096
        .globl boot_l2_low
boot_l2_low:
        .long 0x00000083, 0              /* 0-2 MiB one to one, for the jump */
        .fill 4096 - 8, 1, 0

        .balign 4096
        .globl hv_l2
hv_l2:
        .fill 448 * 8, 1, 0
        .set frame, 0
        .rept 64
        .long frame + L2E_2M_HV, 0
        .set frame, frame + 0x200000
        .endr

        .bss
        .balign 4096
        .globl hv_stack_bottom, hv_stack_top
hv_stack_bottom:
        .skip 16384
hv_stack_top:

        .section .note.GNU-stack, "", @progbits
