/* Core code of the layering self-test kernel: it disables interrupts
 * itself instead of asking the layer, which check_layering must report. */
void core_function(void);
void core_function(void) { __asm__ volatile("cli"); }
