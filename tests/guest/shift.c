/* SHL SHR SAR ROL ROR RCL RCR (by CL and by 1) and SHLD SHRD in every
 * operand size, results and flags against the host CPU. */
#include "vec_check.h"

int main(void)
{
	tap_plan(vec_groups(FAM_SHIFT));
	vec_check(FAM_SHIFT);
	return tap_done();
}
