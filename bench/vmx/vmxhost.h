/* The host side of the VMX bench images (vmxrt, vmxnr_*): a minimal
 * hypervisor built from the project's existing pieces.
 *
 *   tests/vmx/vmcs_good.c  VMXON and the known-good VMCS: 64-bit guest in
 *                          the host's page tables, controls adjusted from
 *                          the capability MSRs, optional EPT identity map
 *                          and VPID (vmx_test_init, vmcs_good).
 *   guest/hv/vmenter.S     KVM's __vmx_vcpu_run, reduced: loads the guest
 *                          GPRs, VMLAUNCH/VMRESUME, saves them again at
 *                          the exit landing hv_vmexit (hv_vmenter).
 *   vmxhost.c              the run loop and the exit handler.
 *
 * Every VMX instruction's RFLAGS outcome is checked; a failure prints
 * "bench-error ..." and ends the run with status BENCH_VMX_FAILED (the
 * setup in vmcs_good.c reports its failures as "# vmwrite ... failed"
 * diagnostics, which bench/run also treats as errors).
 */
#ifndef SOFTVTX_BENCH_VMXHOST_H
#define SOFTVTX_BENCH_VMXHOST_H

#include <stdint.h>

/* guest_exit() value after a failed VMX instruction or an unexpected exit. */
#define BENCH_VMX_FAILED 4

/* What bench_vmx_setup() asks for (each only if the profile allows it). */
enum {
	BENCH_VMX_EPT  = 1u << 0,  /* EPT identity map of 0-4 GiB */
	BENCH_VMX_VPID = 1u << 1,  /* VPID 1: entries and exits flush no TLB */
};

/* Exits counted by bench_vmx_run(). */
struct bench_vmx_counts {
	uint64_t cpuid;            /* reason 10, each one resumed */
	uint64_t total;            /* every exit, the final VMCALL included */
};

/* VMXON, then the known-good VMCS with the features in opts; the guest
 * starts at guest_rip on the stack that ends at guest_rsp. */
void bench_vmx_setup(unsigned opts, void (*guest_rip)(void), uint64_t guest_rsp);

/* Launches the guest and handles its exits until it executes VMCALL:
 * CPUID exits are skipped (RIP += instruction length) and resumed; any
 * other exit, and any VMX instruction failure, ends the run. */
void bench_vmx_run(struct bench_vmx_counts *counts);

/* Writes n bytes to the serial console: the report_write_fn of the VMX
 * images (bench/harness/report.h). */
void bench_vmx_write(const char *s, unsigned n);

/* Prints "bench-vmx ept N vpid N" (the secondary controls in force) for
 * bench/run. */
void bench_vmx_report_features(void);

#endif
