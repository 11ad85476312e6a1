/* tests/machine/test_pc.c - `ringlab run` with the PC options: --bios (a
 * ROM at the reset vector, its low alias, the port 0x92 A20 gate) and
 * --rtc, and their bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine.h"

static int run(const char **args, int n) {
  char *argv[16];
  for (int k = 0; k < n; k++)
    argv[k] = (char *)args[k];
  return run_main(n, argv);
}

/* Writes a ROM of `size` bytes: a far jump at the reset vector to F000:E000
 * (in the low alias), where real-mode code writes 0x11 at 0:0500, turns A20
 * off through port 0x92, reads FFFF:0510 (which wraps to 0x00500 only with
 * A20 off) and writes what it read to the exit port. */
static void write_rom(const char *path, size_t size) {
  uint8_t *rom = calloc(1, size);
  assert_non_null(rom);
  static const uint8_t code[] = {
      0x31, 0xC0,                   /* xor ax, ax */
      0x8E, 0xD8,                   /* mov ds, ax */
      0xC6, 0x06, 0x00, 0x05, 0x11, /* mov byte [0x500], 0x11 */
      0xB8, 0xFF, 0xFF,             /* mov ax, 0xffff */
      0x8E, 0xC0,                   /* mov es, ax */
      0xE4, 0x92,                   /* in al, 0x92 */
      0x24, 0xFD,                   /* and al, ~2 */
      0xE6, 0x92,                   /* out 0x92, al */
      0x26, 0xA0, 0x10, 0x05,       /* mov al, es:[0x510] */
      0xE6, 0xF4,                   /* out 0xf4, al */
      0xF4,                         /* hlt */
  };
  static const uint8_t reset[] = {0xEA, 0x00, 0xE0, 0x00, 0xF0}; /* jmp F000:E000 */
  if (size >= 0x10000) {
    memcpy(rom + size - 0x2000, code, sizeof code); /* F000:E000 */
    memcpy(rom + size - 16, reset, sizeof reset);
  }
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(rom, 1, size, f), size);
  fclose(f);
  free(rom);
}

static char rom_path[64];

static void a_bios_rom_starts_at_the_reset_vector_and_port_0x92_gates_a20(void **state) {
  snprintf(rom_path, sizeof rom_path, "/tmp/ringlab-test-rom-%d.bin", (int)getpid());
  write_rom(rom_path, 64 * 1024);
  const char *args[] = {"run", "--serial", "none", "--max-cycles", "1000000", "--bios", rom_path};
  assert_int_equal(run(args, 7), (0x11 << 1) | 1);
  write_rom(rom_path, 256 * 1024); /* the last 128 KiB at 0xE0000 */
  assert_int_equal(run(args, 7), (0x11 << 1) | 1);
  unlink(rom_path);
}

static void a_rom_of_the_wrong_size_is_bad_input(void **state) {
  snprintf(rom_path, sizeof rom_path, "/tmp/ringlab-test-rom-%d.bin", (int)getpid());
  write_rom(rom_path, 1000);
  const char *args[] = {"run", "--serial", "none", "--bios", rom_path};
  assert_int_equal(run(args, 5), 64);
  unlink(rom_path);
  const char *missing[] = {"run", "--bios", "/nonexistent/rom.bin"};
  assert_int_equal(run(missing, 3), 64);
}

static void a_bad_rtc_date_is_bad_input(void **state) {
  const char *args[] = {"run", "--rtc", "2003-13-01 00:00:00", "/nonexistent"};
  assert_int_equal(run(args, 4), 64);
  const char *args2[] = {"run", "--rtc", "yesterday", "/nonexistent"};
  assert_int_equal(run(args2, 4), 64);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_bios_rom_starts_at_the_reset_vector_and_port_0x92_gates_a20),
      cmocka_unit_test(a_rom_of_the_wrong_size_is_bad_input),
      cmocka_unit_test(a_bad_rtc_date_is_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
