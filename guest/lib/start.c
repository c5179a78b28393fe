/* From boot.S, in 64-bit mode with the boot stack: bring up the console,
 * descriptor tables and exception handling, then run main(). */
#include "guest.h"

void desc_init(void);

void guest_start(uint32_t magic, uint32_t info)
{
	/* A PC BIOS (Bochs's, say) may leave the 8259 PICs with the timer
	 * line unmasked.  These programs take no external interrupts, so
	 * mask every line (OCW1 = 0xFF on both PICs), which keeps a run the
	 * same on softvtx, QEMU, Bochs and real hardware. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	serial_init();
	mb_parse(magic, info);
	desc_init();
	guest_exit(main());
}
