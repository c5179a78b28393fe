/* softvtx diff-native: the silicon oracle campaign (src/oracle). */
#ifndef SOFTVTX_CLI_DIFF_NATIVE_H
#define SOFTVTX_CLI_DIFF_NATIVE_H

int cmd_diff_native(int argc, char **argv);

#endif
