/* From boot.S, in 64-bit mode with the boot stack: bring up the console,
 * descriptor tables and exception handling, then run main(). */
#include "guest.h"

void desc_init(void);

void guest_start(uint32_t magic, uint32_t info)
{
	serial_init();
	mb_parse(magic, info);
	desc_init();
	guest_exit(main());
}
