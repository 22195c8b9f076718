/* Runs precheck.h on cfg texts separated by NUL bytes on stdin and prints, per text, "accept" or
 * "<kind> <why>" (kind: rule or limit), so that test/native/precheck.test.ts can hold it to the
 * TypeScript validator case by case. Not part of the fuzz build. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *pc_kind, *pc_why;
#define PC_NO(kind, why) do { pc_kind = (kind); pc_why = (why); return 0; } while (0)
#include "precheck.h"

int main(void) {
  size_t cap = 1 << 20, len = 0;
  char *buf = malloc(cap);
  int c;
  for (;;) {
    c = getchar();
    if (c == EOF || c == 0) {
      buf[len] = 0;
      pc_kind = pc_why = "";
      if (precheck(buf)) puts("accept");
      else printf("%s %s\n", pc_kind, pc_why);
      len = 0;
      if (c == EOF) break;
      continue;
    }
    if (len + 1 >= cap) buf = realloc(buf, cap *= 2);
    buf[len++] = (char)c;
  }
  free(buf);
  return 0;
}
