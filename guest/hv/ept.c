/* Guest memory and the EPT tables that map it (SDM Vol. 3C §28.2).
 *
 *   GPA 0 .. 2 MiB              -> guest_ram (4 KiB pages)
 *   GPA 0xFFFBC000              -> identity_map (KVM's ept_identity_map_addr)
 *   GPA 0xFFFBD000 .. +3 pages  -> rmode_tss (KVM's tss_addr)
 *   GPA 0xFFFFF000              -> the page backing GPA 0xFF000, the way a
 *                                  PC aliases its BIOS below 1 MiB and 4 GiB
 *
 * EPT entry (4 KiB leaf):
 *   63..52 ignored | 51..12 HPA | 11..7 | 6 ignore PAT | 5:3 memory type | 2 X | 1 W | 0 R
 * Non-leaf entries hold the next table's HPA and R/W/X = 1.  The host is
 * identity-mapped, so an array's address is its HPA. */
#include "hv.h"

#define EPT_RWX      7ull
#define EPT_MT_WB    (6ull << 3)
#define PAGE         4096ull
#define EPTP_WB      6ull
#define EPTP_WALK4   (3ull << 3)

static uint8_t guest_ram[GUEST_RAM_SIZE] __attribute__((aligned(4096)));
static uint8_t identity_map[PAGE] __attribute__((aligned(4096)));
static uint8_t rmode_tss[HV_RMODE_TSS_PAGES * PAGE] __attribute__((aligned(4096)));

static uint64_t ept_pml4[512] __attribute__((aligned(4096)));
static uint64_t ept_pdpt[512] __attribute__((aligned(4096)));
static uint64_t ept_pd_low[512] __attribute__((aligned(4096)));
static uint64_t ept_pt_low[512] __attribute__((aligned(4096)));
static uint64_t ept_pd_high[512] __attribute__((aligned(4096)));
static uint64_t ept_pt_high[512] __attribute__((aligned(4096)));

static uint64_t table(const void *t)
{
	return (uintptr_t)t | EPT_RWX;
}

static void map_high_page(uint64_t gpa, void *host)
{
	ept_pt_high[(gpa >> 12) & 511] = (uintptr_t)host | EPT_MT_WB | EPT_RWX;
}

void hv_guest_memory_init(void)
{
	memset(guest_ram, 0, sizeof(guest_ram));
	memset(ept_pml4, 0, sizeof(ept_pml4));
	memset(ept_pdpt, 0, sizeof(ept_pdpt));
	memset(ept_pd_low, 0, sizeof(ept_pd_low));
	memset(ept_pd_high, 0, sizeof(ept_pd_high));
	memset(ept_pt_high, 0, sizeof(ept_pt_high));
	ept_pml4[0] = table(ept_pdpt);
	ept_pdpt[0] = table(ept_pd_low);
	ept_pd_low[0] = table(ept_pt_low);
	for (unsigned i = 0; i < 512; i++)
		ept_pt_low[i] = ((uintptr_t)guest_ram + i * PAGE) | EPT_MT_WB | EPT_RWX;
	ept_pdpt[3] = table(ept_pd_high);        /* GPA 3 GiB .. 4 GiB */
	ept_pd_high[511] = table(ept_pt_high);    /* GPA 4 GiB - 2 MiB .. 4 GiB */
	map_high_page(HV_IDENTITY_MAP_GPA, identity_map);
	for (unsigned i = 0; i < HV_RMODE_TSS_PAGES; i++)
		map_high_page(HV_RMODE_TSS_GPA + i * PAGE, rmode_tss + i * PAGE);
	map_high_page(GUEST_RESET_GPA, guest_ram + GUEST_PAYLOAD_GPA);

	/* The payload: real-mode reset code through long mode, one page. */
	memcpy(guest_ram + GUEST_PAYLOAD_GPA, hv_payload_start,
	       (size_t)(hv_payload_end - hv_payload_start));

	/* KVM's identity table: 1024 4 MiB pages, present, writable, user
	 * (vm86 code runs at CPL 3), accessed, dirty (SDM Vol. 3A §4.3). */
	uint32_t *pde = (uint32_t *)identity_map;
	for (uint32_t i = 0; i < 1024; i++)
		pde[i] = (i << 22) | 0xE7;

	/* KVM's real-mode TSS: zeroed, I/O bitmap after the 32-byte
	 * interrupt-redirection bitmap (all zero: INT n goes to the real-mode
	 * IVT under CR4.VME), closed by an all-ones byte. */
	memset(rmode_tss, 0, sizeof(rmode_tss));
	*(uint16_t *)(rmode_tss + 0x66) = 0x68 + 32;
	rmode_tss[HV_RMODE_TSS_SIZE - 1] = 0xff;
}

uint64_t hv_eptp(void)
{
	return (uintptr_t)ept_pml4 | EPTP_WALK4 | EPTP_WB;
}

void *hv_gpa_to_hva(uint64_t gpa, uint64_t len)
{
	if ((gpa & (PAGE - 1)) + len > PAGE)
		return NULL;
	uint64_t *pt;
	if (gpa < GUEST_RAM_SIZE)
		pt = ept_pt_low;
	else if (gpa >= 0xFFE00000ull && gpa < 0x100000000ull)
		pt = ept_pt_high;
	else
		return NULL;
	uint64_t e = pt[(gpa >> 12) & 511];
	if (!(e & 1))
		return NULL;
	return (void *)(uintptr_t)((e & 0x000FFFFFFFFFF000ull) | (gpa & (PAGE - 1)));
}
