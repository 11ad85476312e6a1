/* tests/guests/xen/initrd - a kernel module followed by its initrd: the
 * domain finds the initrd at start_info.mod_start, mod_len bytes, after
 * its kernel; its memory is what hv.mem= gave it. The expected initrd
 * text and the pages come on the command line: "PAGES TEXT". */
#include "pv.h"

void test_main(void) {
  const char *cmd = (const char *)pv_si->cmd_line;
  char *rest;
  uint32_t pages = (uint32_t)strtoul(cmd, &rest, 10);
  while (*rest == ' ')
    rest++;
  const char *initrd = (const char *)pv_si->mod_start;
  pv_printf("initrd: %lu bytes at 0x%08lx: %.*s", pv_si->mod_len, pv_si->mod_start, (int)pv_si->mod_len, initrd);
  PV_EXPECT(pv_si->nr_pages, pages);
  PV_EXPECT(pv_si->mod_start >= PV_VIRT_BASE, 1);
  PV_EXPECT(pv_si->mod_len, strlen(rest) + 1); /* the file ends with a newline */
  PV_EXPECT(memcmp(initrd, rest, strlen(rest)), 0);
  PV_EXPECT(pv_si->mod_start + pv_si->mod_len <= pv_si->mfn_list, 1);
  if (pv_failures == 0)
    pv_puts("xen_initrd: PASS\n");
}
