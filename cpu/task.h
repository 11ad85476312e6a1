/* cpu/task.h - hardware task switches (task.c), for the CPU's own files:
 * far JMP/CALL and IRET (ops/control.c) and IDT delivery (exception.c).
 * Include after cpu-internal.h. */
#ifndef RINGLAB_CPU_TASK_H
#define RINGLAB_CPU_TASK_H

/* Far JMP (call = false) or CALL in protected mode to selector sel whose
 * descriptor d (already read by the caller) is an available TSS (type 1 or
 * 9) or a task gate (type 5): the privilege and presence checks of the SDM's
 * JMP/CALL "TASK-GATE" and "TASK-STATE-SEGMENT" steps, then the switch. */
void cpu_task_far(struct cpu *c, bool call, uint16_t sel, const struct cpu_descriptor *d);

/* Delivery through a task gate of the IDT (the gate's DPL and P bit are
 * checked by the caller): the TSS checks with EXT in their error codes, the
 * switch (return_eip saved in the old TSS, back link and NT set), then the
 * error code, if any, pushed on the new task's stack. */
void cpu_task_gate_deliver(struct cpu *c, const struct cpu_descriptor *gate, uint32_t error_code,
                           uint32_t return_eip, unsigned ext);

/* IRET with EFLAGS.NT = 1 in protected mode: back to the task named by the
 * back link of the current TSS. */
void cpu_task_return(struct cpu *c);

#endif
