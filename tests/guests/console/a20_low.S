/* tests/guests/console/a20_low.S - the A20 probe, run below 1 MiB.
 *
 * The kernel lives at 1 MiB, where every address has bit 20 set: with A20
 * gated off its own code and stack would alias to the first MiB. So this
 * routine is copied to low memory and called there with interrupts off; it
 * touches no stack while A20 is off (the RET pops after A20 is on again)
 * and uses only relative jumps and absolute data addresses.
 *
 *   1. 8042 output port (D1) = 0xDD: A20 off, RESET high; port 0x92 bit 1
 *      off (bit 0 kept clear: it would reset). 0x207F00 and 0x307F00 are
 *      then one byte: a write to the second shows at the first.
 *   2. 8042 output port = 0xDF: A20 on. The two are two bytes again.
 *   3. port 0x92 bit 1 on again.
 *
 * Returns EAX bit 0: wrapped in step 1; bit 1: wrapped in step 2. Both
 * gates are off in step 1, so a board that ORs them (a PC chipset) and one
 * where the last write wins (QEMU) agree.
 */
#define LOW 0x207F00
#define HIGH 0x307F00

.macro wait_ibf
9:	inb $0x64, %al
	testb $2, %al
	jnz 9b
.endm

	.text
	.code32
	.globl a20_probe, a20_probe_end
a20_probe:
	xorl %ecx, %ecx
	wait_ibf
	movb $0xD1, %al
	outb %al, $0x64
	wait_ibf
	movb $0xDD, %al
	outb %al, $0x60
	wait_ibf
	inb $0x92, %al
	andb $0xFC, %al
	outb %al, $0x92
	movb $0xA5, LOW
	movb $0x5A, HIGH
	cmpb $0x5A, LOW
	jne 1f
	orl $1, %ecx
1:	wait_ibf
	movb $0xD1, %al
	outb %al, $0x64
	wait_ibf
	movb $0xDF, %al
	outb %al, $0x60
	wait_ibf
	movb $0xA5, LOW
	movb $0x5A, HIGH
	cmpb $0x5A, LOW
	jne 2f
	orl $2, %ecx
2:	inb $0x92, %al
	andb $0xFE, %al
	orb $0x02, %al
	outb %al, $0x92
	movl %ecx, %eax
	ret
a20_probe_end:
.section .note.GNU-stack,"",@progbits
