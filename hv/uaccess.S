/* hv/uaccess.S - copies between the hypervisor and a guest's virtual
 * addresses that survive a bad guest pointer.
 *
 * The hypervisor runs on the current guest's page tables, so a guest
 * address is used as it stands; it may be unmapped or read-only (CR0.WP
 * holds ring 0 to the read-only bit). Each instruction that touches guest
 * memory has a row in the .hv_fixup table (faulting EIP, where to go on);
 * the page-fault handler looks a ring-0 fault up there (hv_fixup_lookup)
 * and resumes at the fixup, which returns the bytes not copied. Callers
 * check the range against HYPERVISOR_VIRT_START first (hv_guest_range_ok),
 * so a guest pointer never reaches the hypervisor's own mappings.
 *
 *   uint32_t hv_copy_from_guest_raw(void *dst, uint32_t src, uint32_t n);
 *   uint32_t hv_copy_to_guest_raw(uint32_t dst, const void *src, uint32_t n);
 */
        .text
        .globl hv_copy_from_guest_raw, hv_copy_to_guest_raw
hv_copy_from_guest_raw:
hv_copy_to_guest_raw:
        pushl %esi
        pushl %edi
        movl 12(%esp), %edi
        movl 16(%esp), %esi
        movl 20(%esp), %ecx
        cld
1:      rep movsb
        xorl %eax, %eax
        popl %edi
        popl %esi
        ret
2:      movl %ecx, %eax                  /* a fault: ECX bytes were left */
        popl %edi
        popl %esi
        ret

        .section .hv_fixup, "a"
        .long 1b, 2b
        .section .note.GNU-stack, "", @progbits
