/* bench/boot/floppy.S - boot sector of the Bochs floppy images.
 *
 * Bochs cannot load Multiboot kernels, so the speed runner boots Bochs from
 * a 1.44 MB floppy image: this sector, then the workload's flat image
 * (objcopy -O binary of its ELF, which is linked at 1 MiB with its entry at
 * the first byte). The BIOS loads this sector at 0x7C00 and jumps to it in
 * real mode. It reads BOOT_SECTORS sectors (from LBA 1, one per INT 13h
 * call, CHS of a 1.44 MB floppy: 18 sectors, 2 heads) to 0x10000, opens
 * A20 (port 0x92), enters flat 32-bit protected mode with interrupts off,
 * copies the image to 1 MiB and jumps to it. The image zeroes its own .bss
 * and reads nothing a Multiboot loader would give it.
 */
#define BOOT_SECTORS 120 /* 60 KiB: the images are smaller (checked at build) */
#define LOAD_SEG 0x1000  /* 0x10000 linear */

        .code16
        .section .text
        .globl boot
boot:
        cli
        xorw %ax, %ax
        movw %ax, %ds
        movw %ax, %ss
        movw $0x7C00, %sp
        movb %dl, drive
        movw $LOAD_SEG, %ax
        movw %ax, %es
        movw $1, %si                    /* LBA */
next:
        movw $3, %di                    /* tries */
retry:
        movw %si, %ax
        xorw %dx, %dx
        movw $18, %cx
        divw %cx                        /* AX = LBA / 18, DX = LBA % 18 */
        movb %dl, %cl
        incb %cl                        /* sector 1-18 */
        movb %al, %dh
        andb $1, %dh                    /* head */
        shrw $1, %ax
        movb %al, %ch                   /* cylinder */
        movb drive, %dl
        xorw %bx, %bx
        movw $0x0201, %ax               /* read one sector to ES:0 */
        int $0x13
        jnc ok
        xorw %ax, %ax                   /* reset the drive and retry */
        movb drive, %dl
        int $0x13
        decw %di
        jnz retry
fail:   hlt
        jmp fail
ok:
        movw %es, %ax
        addw $0x20, %ax
        movw %ax, %es
        incw %si
        cmpw $BOOT_SECTORS, %si
        jbe next

        inb $0x92, %al                  /* fast A20 */
        orb $0x02, %al
        andb $0xFE, %al
        outb %al, $0x92
        lgdt gdtr
        movl %cr0, %eax
        orl $1, %eax
        movl %eax, %cr0
        ljmp $0x08, $pm

        .code32
pm:
        movl $0x10, %eax
        movl %eax, %ds
        movl %eax, %es
        movl %eax, %ss
        movl %eax, %fs
        movl %eax, %gs
        movl $0x90000, %esp
        cld
        movl $(LOAD_SEG << 4), %esi
        movl $0x100000, %edi
        movl $(BOOT_SECTORS * 128), %ecx
        rep movsl
        movl $0x100000, %eax
        jmp *%eax

        .balign 8
gdt:    .quad 0
        .quad 0x00CF9A000000FFFF        /* 0x08 flat code */
        .quad 0x00CF92000000FFFF        /* 0x10 flat data */
gdtr:   .word gdtr - gdt - 1
        .long gdt
drive:  .byte 0

        .org 510
        .word 0xAA55

        .section .note.GNU-stack, "", @progbits
