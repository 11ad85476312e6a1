/* kt_input: console input. Nothing to read at first (select with a zero
 * timeout says so), then a blocking select wakes when the line arrives on
 * COM1 (ringlab --serial-in input/console.txt), and a blocking read gets
 * the next one. */
#include "kt.h"

static int read_line(char *buf, int max) {
  int n = 0;
  while (n < max - 1) {
    char c;
    long r = SYS3(read, 0, &c, 1);
    CHECK_EQ(r, 1);
    if (c == '\n')
      break;
    buf[n++] = c;
  }
  buf[n] = 0;
  return n;
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  kt_name = "kt_input";
  uint32_t set = 1;
  struct timeval tv = {0, 0};
  CHECK_EQ(SYS5(_newselect, 1, &set, 0, 0, &tv), 0);
  set = 1;
  CHECK_EQ(SYS5(_newselect, 1, &set, 0, 0, 0), 1);
  char line[64];
  read_line(line, sizeof line);
  printf("kt_input: got [%s]\n", line);
  CHECK(strcmp(line, "hello console") == 0);
  read_line(line, sizeof line);
  printf("kt_input: got [%s]\n", line);
  CHECK(strcmp(line, "second") == 0);
  printf("kt_input: PASS\n");
  return 0;
}
