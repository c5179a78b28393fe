/* ADD ADC SUB SBB AND OR XOR CMP TEST INC DEC NEG NOT XADD CMPXCHG in
 * every operand size, results and flags against the host CPU. */
#include "vec_check.h"

int main(void)
{
	tap_plan(vec_groups(FAM_ALU));
	vec_check(FAM_ALU);
	return tap_done();
}
