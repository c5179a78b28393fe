#include "guest.h"

#define DEBUG_EXIT_PORT 0xF4

void guest_exit(int v)
{
	outb(DEBUG_EXIT_PORT, (uint8_t)v);
	for (;;)
		asm volatile("cli; hlt");
}
