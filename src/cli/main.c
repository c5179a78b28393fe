/* PLACEHOLDER until the CLI work lands. */
#include <stdio.h>
int main(void) { fputs("softvtx: not built yet\n", stderr); return 2; }
