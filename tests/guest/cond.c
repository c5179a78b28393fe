/* SETcc, CMOVcc and Jcc for all 16 conditions under every combination of
 * the six status flags; CBW/CWDE/CDQE/CWD/CDQ/CQO, LAHF/SAHF, CLC/STC/
 * CMC, MOVZX/MOVSX/MOVSXD; all against the host CPU. */
#include "vec_check.h"

int main(void)
{
	tap_plan(vec_groups(FAM_COND));
	vec_check(FAM_COND);
	return tap_done();
}
