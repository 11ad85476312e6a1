/* uaccess_copy.S - the copy loops that may fault on user memory. Each
 * faulting instruction has an __ex_table entry {instruction, fixup}: the
 * page-fault handler resumes at the fixup when it cannot resolve a fault
 * there (uaccess.c). These are plain instructions: nothing privileged.
 */
        .macro extable insn, fixup
        .pushsection __ex_table, "a"
        .balign 4
        .long \insn, \fixup
        .popsection
        .endm

        .text
/* size_t uaccess_copy(void *dst, const void *src, size_t n): bytes NOT
 * copied (exact: after a fault in the dword loop the rest goes bytewise) */
        .globl uaccess_copy
        .type uaccess_copy, @function
uaccess_copy:
        pushl %esi
        pushl %edi
        movl 12(%esp), %edi
        movl 16(%esp), %esi
        movl 20(%esp), %ecx
        movl %ecx, %edx
        shrl $2, %ecx
        andl $3, %edx
1:      rep movsl
        movl %edx, %ecx
2:      rep movsb
        xorl %eax, %eax
        popl %edi
        popl %esi
        ret
3:      leal (%edx,%ecx,4), %ecx        /* a dword faulted: redo the rest */
        jmp 2b                          /* byte by byte, to the exact byte */
4:      movl %ecx, %eax
        popl %edi
        popl %esi
        ret
        extable 1b, 3b
        extable 2b, 4b
        .size uaccess_copy, . - uaccess_copy

/* size_t uaccess_clear(void *dst, size_t n): bytes NOT cleared */
        .globl uaccess_clear
        .type uaccess_clear, @function
uaccess_clear:
        pushl %edi
        movl 8(%esp), %edi
        movl 12(%esp), %ecx
        xorl %eax, %eax
1:      rep stosb
        popl %edi
        ret
2:      movl %ecx, %eax
        popl %edi
        ret
        extable 1b, 2b
        .size uaccess_clear, . - uaccess_clear

/* long uaccess_strncpy(char *dst, const char *src, size_t max): the length
 * of the string (NUL copied), max if no NUL in max bytes, -1 on a fault */
        .globl uaccess_strncpy
        .type uaccess_strncpy, @function
uaccess_strncpy:
        pushl %esi
        pushl %edi
        movl 12(%esp), %edi
        movl 16(%esp), %esi
        movl 20(%esp), %ecx
        movl %ecx, %edx
        testl %ecx, %ecx
        jz 3f
1:      lodsb
        stosb
        testb %al, %al
        jz 2f
        decl %ecx
        jnz 1b
3:      movl %edx, %eax                 /* no NUL within max */
        popl %edi
        popl %esi
        ret
2:      movl %edx, %eax
        subl %ecx, %eax                 /* bytes before the NUL */
        popl %edi
        popl %esi
        ret
4:      movl $-1, %eax
        popl %edi
        popl %esi
        ret
        extable 1b, 4b
        .size uaccess_strncpy, . - uaccess_strncpy

        .section .note.GNU-stack, "", @progbits
