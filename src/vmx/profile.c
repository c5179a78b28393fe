/* CPU profiles (profile.h). */
#include "profile.h"

const struct vmx_profile vmx_profiles[] = {
	{ .name = "skylake-x" },
};
const size_t vmx_profile_count = sizeof(vmx_profiles) / sizeof(vmx_profiles[0]);
