/* tests/guests/apic_xapic/apic_xapic.c - the apic kernel (apic/apic.c),
 * built again to run under the netburst preset, whose processor has the
 * xAPIC (8-bit IDs, version 0x14, no send accept errors): the same source
 * checks either APIC by its version register. */
#include "../apic/apic.c"
