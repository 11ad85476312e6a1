/* kt_hello: prints its arguments and environment; exits 7 if called as
 * kt_proc's exec test calls it ("kt_hello a b" with X=1), else 0. */
#include "kt.h"

int main(int argc, char **argv) {
  kt_name = "kt_hello";
  printf("kt_hello: argc=%d", argc);
  for (int k = 1; k < argc; k++)
    printf(" %s", argv[k]);
  for (char **e = environ; *e; e++)
    printf(" [%s]", *e);
  printf("\n");
  if (argc == 3 && strcmp(argv[1], "a") == 0 && strcmp(argv[2], "b") == 0 && environ[0] &&
      strcmp(environ[0], "X=1") == 0 && !environ[1])
    return 7;
  return 0;
}
