/* BT BTS BTR BTC (register, immediate and memory bases, including the
 * signed register offset that reaches outside the memory operand),
 * BSF BSR LZCNT TZCNT POPCNT BSWAP and BMI1/BMI2 (ANDN BEXTR BLSI BLSMSK
 * BLSR BZHI MULX PDEP PEXT RORX SARX SHLX SHRX), checked against the host
 * CPU (aluhost.h).  Flags the SDM calls undefined are masked per row. */
#include "aluhost.h"

/* The oracle needs LZCNT/TZCNT (ABM, BMI1) and BMI2 on the host: without
 * them LZCNT/TZCNT silently run as BSR/BSF and the VEX forms fault. */
static int host_has_bmi(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
	       __builtin_cpu_supports("abm") && __builtin_cpu_supports("popcnt");
}

static const struct ah_vec bit_vecs[] = {
	{ "bt ax, bx", { 0x66, 0x0f, 0xa3, 0xd8 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "bt bx, 13", { 0x66, 0x0f, 0xba, 0xe3, 0x0d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "bt ax, 77", { 0x66, 0x0f, 0xba, 0xe0, 0x4d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "bt word ptr [rsi], 5", { 0x66, 0x0f, 0xba, 0x26, 0x05 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "bt word ptr [rsi+4], 200", { 0x66, 0x0f, 0xba, 0x66, 0x04, 0xc8 }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "bt eax, ebx", { 0x0f, 0xa3, 0xd8 }, 3, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bt ebx, 13", { 0x0f, 0xba, 0xe3, 0x0d }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bt eax, 77", { 0x0f, 0xba, 0xe0, 0x4d }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bt dword ptr [rsi], 5", { 0x0f, 0xba, 0x26, 0x05 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bt dword ptr [rsi+4], 200", { 0x0f, 0xba, 0x66, 0x04, 0xc8 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bt rax, rbx", { 0x48, 0x0f, 0xa3, 0xd8 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bt rbx, 13", { 0x48, 0x0f, 0xba, 0xe3, 0x0d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bt rax, 77", { 0x48, 0x0f, 0xba, 0xe0, 0x4d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bt qword ptr [rsi], 5", { 0x48, 0x0f, 0xba, 0x26, 0x05 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bt qword ptr [rsi+4], 200", { 0x48, 0x0f, 0xba, 0x66, 0x04, 0xc8 }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bts ax, bx", { 0x66, 0x0f, 0xab, 0xd8 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "bts bx, 13", { 0x66, 0x0f, 0xba, 0xeb, 0x0d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "bts ax, 77", { 0x66, 0x0f, 0xba, 0xe8, 0x4d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "bts word ptr [rsi], 5", { 0x66, 0x0f, 0xba, 0x2e, 0x05 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "bts word ptr [rsi+4], 200", { 0x66, 0x0f, 0xba, 0x6e, 0x04, 0xc8 }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "bts eax, ebx", { 0x0f, 0xab, 0xd8 }, 3, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bts ebx, 13", { 0x0f, 0xba, 0xeb, 0x0d }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bts eax, 77", { 0x0f, 0xba, 0xe8, 0x4d }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bts dword ptr [rsi], 5", { 0x0f, 0xba, 0x2e, 0x05 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bts dword ptr [rsi+4], 200", { 0x0f, 0xba, 0x6e, 0x04, 0xc8 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bts rax, rbx", { 0x48, 0x0f, 0xab, 0xd8 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bts rbx, 13", { 0x48, 0x0f, 0xba, 0xeb, 0x0d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bts rax, 77", { 0x48, 0x0f, 0xba, 0xe8, 0x4d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bts qword ptr [rsi], 5", { 0x48, 0x0f, 0xba, 0x2e, 0x05 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bts qword ptr [rsi+4], 200", { 0x48, 0x0f, 0xba, 0x6e, 0x04, 0xc8 }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "lock bts dword ptr [rsi], 31", { 0xf0, 0x0f, 0xba, 0x2e, 0x1f }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "btr ax, bx", { 0x66, 0x0f, 0xb3, 0xd8 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "btr bx, 13", { 0x66, 0x0f, 0xba, 0xf3, 0x0d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "btr ax, 77", { 0x66, 0x0f, 0xba, 0xf0, 0x4d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "btr word ptr [rsi], 5", { 0x66, 0x0f, 0xba, 0x36, 0x05 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "btr word ptr [rsi+4], 200", { 0x66, 0x0f, 0xba, 0x76, 0x04, 0xc8 }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "btr eax, ebx", { 0x0f, 0xb3, 0xd8 }, 3, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "btr ebx, 13", { 0x0f, 0xba, 0xf3, 0x0d }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "btr eax, 77", { 0x0f, 0xba, 0xf0, 0x4d }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "btr dword ptr [rsi], 5", { 0x0f, 0xba, 0x36, 0x05 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "btr dword ptr [rsi+4], 200", { 0x0f, 0xba, 0x76, 0x04, 0xc8 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "btr rax, rbx", { 0x48, 0x0f, 0xb3, 0xd8 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "btr rbx, 13", { 0x48, 0x0f, 0xba, 0xf3, 0x0d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "btr rax, 77", { 0x48, 0x0f, 0xba, 0xf0, 0x4d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "btr qword ptr [rsi], 5", { 0x48, 0x0f, 0xba, 0x36, 0x05 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "btr qword ptr [rsi+4], 200", { 0x48, 0x0f, 0xba, 0x76, 0x04, 0xc8 }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "lock btr dword ptr [rsi], 31", { 0xf0, 0x0f, 0xba, 0x36, 0x1f }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "btc ax, bx", { 0x66, 0x0f, 0xbb, 0xd8 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "btc bx, 13", { 0x66, 0x0f, 0xba, 0xfb, 0x0d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "btc ax, 77", { 0x66, 0x0f, 0xba, 0xf8, 0x4d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "btc word ptr [rsi], 5", { 0x66, 0x0f, 0xba, 0x3e, 0x05 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "btc word ptr [rsi+4], 200", { 0x66, 0x0f, 0xba, 0x7e, 0x04, 0xc8 }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "btc eax, ebx", { 0x0f, 0xbb, 0xd8 }, 3, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "btc ebx, 13", { 0x0f, 0xba, 0xfb, 0x0d }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "btc eax, 77", { 0x0f, 0xba, 0xf8, 0x4d }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "btc dword ptr [rsi], 5", { 0x0f, 0xba, 0x3e, 0x05 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "btc dword ptr [rsi+4], 200", { 0x0f, 0xba, 0x7e, 0x04, 0xc8 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "btc rax, rbx", { 0x48, 0x0f, 0xbb, 0xd8 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "btc rbx, 13", { 0x48, 0x0f, 0xba, 0xfb, 0x0d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "btc rax, 77", { 0x48, 0x0f, 0xba, 0xf8, 0x4d }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "btc qword ptr [rsi], 5", { 0x48, 0x0f, 0xba, 0x3e, 0x05 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "btc qword ptr [rsi+4], 200", { 0x48, 0x0f, 0xba, 0x7e, 0x04, 0xc8 }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "lock btc dword ptr [rsi], 31", { 0xf0, 0x0f, 0xba, 0x3e, 0x1f }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bsf ax, bx", { 0x66, 0x0f, 0xbc, 0xc3 }, 4, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "bsr ax, bx", { 0x66, 0x0f, 0xbd, 0xc3 }, 4, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "bsf ax, word ptr [rsi]", { 0x66, 0x0f, 0xbc, 0x06 }, 4, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "bsr ax, word ptr [rsi]", { 0x66, 0x0f, 0xbd, 0x06 }, 4, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "lzcnt ax, bx", { 0x66, 0xf3, 0x0f, 0xbd, 0xc3 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "tzcnt ax, bx", { 0x66, 0xf3, 0x0f, 0xbc, 0xc3 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "lzcnt ax, word ptr [rsi+2]", { 0x66, 0xf3, 0x0f, 0xbd, 0x46, 0x02 }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "tzcnt ax, word ptr [rsi+2]", { 0x66, 0xf3, 0x0f, 0xbc, 0x46, 0x02 }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "popcnt ax, bx", { 0x66, 0xf3, 0x0f, 0xb8, 0xc3 }, 5, 0, AH_PLAIN, 1, 0 },
	{ "popcnt ax, word ptr [rsi+1]", { 0x66, 0xf3, 0x0f, 0xb8, 0x46, 0x01 }, 6, 0, AH_PLAIN, 1, 0 },
	{ "bsf eax, ebx", { 0x0f, 0xbc, 0xc3 }, 3, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bsr eax, ebx", { 0x0f, 0xbd, 0xc3 }, 3, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bsf eax, dword ptr [rsi]", { 0x0f, 0xbc, 0x06 }, 3, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bsr eax, dword ptr [rsi]", { 0x0f, 0xbd, 0x06 }, 3, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "lzcnt eax, ebx", { 0xf3, 0x0f, 0xbd, 0xc3 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "tzcnt eax, ebx", { 0xf3, 0x0f, 0xbc, 0xc3 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "lzcnt eax, dword ptr [rsi+2]", { 0xf3, 0x0f, 0xbd, 0x46, 0x02 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "tzcnt eax, dword ptr [rsi+2]", { 0xf3, 0x0f, 0xbc, 0x46, 0x02 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "popcnt eax, ebx", { 0xf3, 0x0f, 0xb8, 0xc3 }, 4, 0, AH_PLAIN, 2, 0 },
	{ "popcnt eax, dword ptr [rsi+1]", { 0xf3, 0x0f, 0xb8, 0x46, 0x01 }, 5, 0, AH_PLAIN, 2, 0 },
	{ "bsf rax, rbx", { 0x48, 0x0f, 0xbc, 0xc3 }, 4, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bsr rax, rbx", { 0x48, 0x0f, 0xbd, 0xc3 }, 4, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bsf rax, qword ptr [rsi]", { 0x48, 0x0f, 0xbc, 0x06 }, 4, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bsr rax, qword ptr [rsi]", { 0x48, 0x0f, 0xbd, 0x06 }, 4, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "lzcnt rax, rbx", { 0xf3, 0x48, 0x0f, 0xbd, 0xc3 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "tzcnt rax, rbx", { 0xf3, 0x48, 0x0f, 0xbc, 0xc3 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "lzcnt rax, qword ptr [rsi+2]", { 0xf3, 0x48, 0x0f, 0xbd, 0x46, 0x02 }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "tzcnt rax, qword ptr [rsi+2]", { 0xf3, 0x48, 0x0f, 0xbc, 0x46, 0x02 }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "popcnt rax, rbx", { 0xf3, 0x48, 0x0f, 0xb8, 0xc3 }, 5, 0, AH_PLAIN, 3, 0 },
	{ "popcnt rax, qword ptr [rsi+1]", { 0xf3, 0x48, 0x0f, 0xb8, 0x46, 0x01 }, 6, 0, AH_PLAIN, 3, 0 },
	{ "bswap eax", { 0x0f, 0xc8 }, 2, 0, AH_PLAIN, 2, 0 },
	{ "bswap rbx", { 0x48, 0x0f, 0xcb }, 3, 0, AH_PLAIN, 3, 0 },
	{ "bswap r9d", { 0x41, 0x0f, 0xc9 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "bswap r10", { 0x49, 0x0f, 0xca }, 3, 0, AH_PLAIN, 3, 0 },
	{ "andn eax, ebx, ecx", { 0xc4, 0xe2, 0x60, 0xf2, 0xc1 }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "andn eax, ebx, dword ptr [rsi]", { 0xc4, 0xe2, 0x60, 0xf2, 0x06 }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bextr eax, ebx, ecx", { 0xc4, 0xe2, 0x70, 0xf7, 0xc3 }, 5, RFLAGS_AF | RFLAGS_SF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bextr eax, dword ptr [rsi], ecx", { 0xc4, 0xe2, 0x70, 0xf7, 0x06 }, 5, RFLAGS_AF | RFLAGS_SF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "blsi eax, ebx", { 0xc4, 0xe2, 0x78, 0xf3, 0xdb }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "blsi eax, dword ptr [rsi]", { 0xc4, 0xe2, 0x78, 0xf3, 0x1e }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "blsmsk eax, ebx", { 0xc4, 0xe2, 0x78, 0xf3, 0xd3 }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "blsmsk eax, dword ptr [rsi]", { 0xc4, 0xe2, 0x78, 0xf3, 0x16 }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "blsr eax, ebx", { 0xc4, 0xe2, 0x78, 0xf3, 0xcb }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "blsr eax, dword ptr [rsi]", { 0xc4, 0xe2, 0x78, 0xf3, 0x0e }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bzhi eax, ebx, ecx", { 0xc4, 0xe2, 0x70, 0xf5, 0xc3 }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "bzhi eax, dword ptr [rsi], ecx", { 0xc4, 0xe2, 0x70, 0xf5, 0x06 }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "mulx eax, ebx, ecx", { 0xc4, 0xe2, 0x63, 0xf6, 0xc1 }, 5, 0, AH_PLAIN, 2, 0 },
	{ "mulx eax, eax, ecx", { 0xc4, 0xe2, 0x7b, 0xf6, 0xc1 }, 5, 0, AH_PLAIN, 2, 0 },
	{ "mulx ebx, eax, dword ptr [rsi]", { 0xc4, 0xe2, 0x7b, 0xf6, 0x1e }, 5, 0, AH_PLAIN, 2, 0 },
	{ "pdep eax, ebx, ecx", { 0xc4, 0xe2, 0x63, 0xf5, 0xc1 }, 5, 0, AH_PLAIN, 2, 0 },
	{ "pext eax, ebx, ecx", { 0xc4, 0xe2, 0x62, 0xf5, 0xc1 }, 5, 0, AH_PLAIN, 2, 0 },
	{ "pdep eax, ebx, dword ptr [rsi]", { 0xc4, 0xe2, 0x63, 0xf5, 0x06 }, 5, 0, AH_PLAIN, 2, 0 },
	{ "pext eax, ebx, dword ptr [rsi]", { 0xc4, 0xe2, 0x62, 0xf5, 0x06 }, 5, 0, AH_PLAIN, 2, 0 },
	{ "rorx eax, ebx, 0", { 0xc4, 0xe3, 0x7b, 0xf0, 0xc3, 0x00 }, 6, 0, AH_PLAIN, 2, 0 },
	{ "rorx eax, ebx, 1", { 0xc4, 0xe3, 0x7b, 0xf0, 0xc3, 0x01 }, 6, 0, AH_PLAIN, 2, 0 },
	{ "rorx eax, ebx, 7", { 0xc4, 0xe3, 0x7b, 0xf0, 0xc3, 0x07 }, 6, 0, AH_PLAIN, 2, 0 },
	{ "rorx eax, ebx, 31", { 0xc4, 0xe3, 0x7b, 0xf0, 0xc3, 0x1f }, 6, 0, AH_PLAIN, 2, 0 },
	{ "rorx eax, ebx, 63", { 0xc4, 0xe3, 0x7b, 0xf0, 0xc3, 0x3f }, 6, 0, AH_PLAIN, 2, 0 },
	{ "rorx eax, dword ptr [rsi], 5", { 0xc4, 0xe3, 0x7b, 0xf0, 0x06, 0x05 }, 6, 0, AH_PLAIN, 2, 0 },
	{ "sarx eax, ebx, ecx", { 0xc4, 0xe2, 0x72, 0xf7, 0xc3 }, 5, 0, AH_PLAIN, 2, 0 },
	{ "sarx eax, dword ptr [rsi], ecx", { 0xc4, 0xe2, 0x72, 0xf7, 0x06 }, 5, 0, AH_PLAIN, 2, 0 },
	{ "shlx eax, ebx, ecx", { 0xc4, 0xe2, 0x71, 0xf7, 0xc3 }, 5, 0, AH_PLAIN, 2, 0 },
	{ "shlx eax, dword ptr [rsi], ecx", { 0xc4, 0xe2, 0x71, 0xf7, 0x06 }, 5, 0, AH_PLAIN, 2, 0 },
	{ "shrx eax, ebx, ecx", { 0xc4, 0xe2, 0x73, 0xf7, 0xc3 }, 5, 0, AH_PLAIN, 2, 0 },
	{ "shrx eax, dword ptr [rsi], ecx", { 0xc4, 0xe2, 0x73, 0xf7, 0x06 }, 5, 0, AH_PLAIN, 2, 0 },
	{ "andn rax, rbx, rcx", { 0xc4, 0xe2, 0xe0, 0xf2, 0xc1 }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "andn rax, rbx, qword ptr [rsi]", { 0xc4, 0xe2, 0xe0, 0xf2, 0x06 }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bextr rax, rbx, rcx", { 0xc4, 0xe2, 0xf0, 0xf7, 0xc3 }, 5, RFLAGS_AF | RFLAGS_SF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bextr rax, qword ptr [rsi], rcx", { 0xc4, 0xe2, 0xf0, 0xf7, 0x06 }, 5, RFLAGS_AF | RFLAGS_SF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "blsi rax, rbx", { 0xc4, 0xe2, 0xf8, 0xf3, 0xdb }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "blsi rax, qword ptr [rsi]", { 0xc4, 0xe2, 0xf8, 0xf3, 0x1e }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "blsmsk rax, rbx", { 0xc4, 0xe2, 0xf8, 0xf3, 0xd3 }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "blsmsk rax, qword ptr [rsi]", { 0xc4, 0xe2, 0xf8, 0xf3, 0x16 }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "blsr rax, rbx", { 0xc4, 0xe2, 0xf8, 0xf3, 0xcb }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "blsr rax, qword ptr [rsi]", { 0xc4, 0xe2, 0xf8, 0xf3, 0x0e }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bzhi rax, rbx, rcx", { 0xc4, 0xe2, 0xf0, 0xf5, 0xc3 }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "bzhi rax, qword ptr [rsi], rcx", { 0xc4, 0xe2, 0xf0, 0xf5, 0x06 }, 5, RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "mulx rax, rbx, rcx", { 0xc4, 0xe2, 0xe3, 0xf6, 0xc1 }, 5, 0, AH_PLAIN, 3, 0 },
	{ "mulx rax, rax, rcx", { 0xc4, 0xe2, 0xfb, 0xf6, 0xc1 }, 5, 0, AH_PLAIN, 3, 0 },
	{ "mulx rbx, rax, qword ptr [rsi]", { 0xc4, 0xe2, 0xfb, 0xf6, 0x1e }, 5, 0, AH_PLAIN, 3, 0 },
	{ "pdep rax, rbx, rcx", { 0xc4, 0xe2, 0xe3, 0xf5, 0xc1 }, 5, 0, AH_PLAIN, 3, 0 },
	{ "pext rax, rbx, rcx", { 0xc4, 0xe2, 0xe2, 0xf5, 0xc1 }, 5, 0, AH_PLAIN, 3, 0 },
	{ "pdep rax, rbx, qword ptr [rsi]", { 0xc4, 0xe2, 0xe3, 0xf5, 0x06 }, 5, 0, AH_PLAIN, 3, 0 },
	{ "pext rax, rbx, qword ptr [rsi]", { 0xc4, 0xe2, 0xe2, 0xf5, 0x06 }, 5, 0, AH_PLAIN, 3, 0 },
	{ "rorx rax, rbx, 0", { 0xc4, 0xe3, 0xfb, 0xf0, 0xc3, 0x00 }, 6, 0, AH_PLAIN, 3, 0 },
	{ "rorx rax, rbx, 1", { 0xc4, 0xe3, 0xfb, 0xf0, 0xc3, 0x01 }, 6, 0, AH_PLAIN, 3, 0 },
	{ "rorx rax, rbx, 7", { 0xc4, 0xe3, 0xfb, 0xf0, 0xc3, 0x07 }, 6, 0, AH_PLAIN, 3, 0 },
	{ "rorx rax, rbx, 31", { 0xc4, 0xe3, 0xfb, 0xf0, 0xc3, 0x1f }, 6, 0, AH_PLAIN, 3, 0 },
	{ "rorx rax, rbx, 63", { 0xc4, 0xe3, 0xfb, 0xf0, 0xc3, 0x3f }, 6, 0, AH_PLAIN, 3, 0 },
	{ "rorx rax, qword ptr [rsi], 5", { 0xc4, 0xe3, 0xfb, 0xf0, 0x06, 0x05 }, 6, 0, AH_PLAIN, 3, 0 },
	{ "sarx rax, rbx, rcx", { 0xc4, 0xe2, 0xf2, 0xf7, 0xc3 }, 5, 0, AH_PLAIN, 3, 0 },
	{ "sarx rax, qword ptr [rsi], rcx", { 0xc4, 0xe2, 0xf2, 0xf7, 0x06 }, 5, 0, AH_PLAIN, 3, 0 },
	{ "shlx rax, rbx, rcx", { 0xc4, 0xe2, 0xf1, 0xf7, 0xc3 }, 5, 0, AH_PLAIN, 3, 0 },
	{ "shlx rax, qword ptr [rsi], rcx", { 0xc4, 0xe2, 0xf1, 0xf7, 0x06 }, 5, 0, AH_PLAIN, 3, 0 },
	{ "shrx rax, rbx, rcx", { 0xc4, 0xe2, 0xf3, 0xf7, 0xc3 }, 5, 0, AH_PLAIN, 3, 0 },
	{ "shrx rax, qword ptr [rsi], rcx", { 0xc4, 0xe2, 0xf3, 0xf7, 0x06 }, 5, 0, AH_PLAIN, 3, 0 },
};

static const struct ah_vec btmem_vecs[] = {
	{ "bt word ptr [rsi], ax", { 0x66, 0x0f, 0xa3, 0x06 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 1, 0 },
	{ "bt word ptr [rsi+6], bx", { 0x66, 0x0f, 0xa3, 0x5e, 0x06 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 1, 0 },
	{ "bt dword ptr [rsi], eax", { 0x0f, 0xa3, 0x06 }, 3, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 2, 0 },
	{ "bt dword ptr [rsi+6], ebx", { 0x0f, 0xa3, 0x5e, 0x06 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 2, 0 },
	{ "bt qword ptr [rsi], rax", { 0x48, 0x0f, 0xa3, 0x06 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 3, 0 },
	{ "bt qword ptr [rsi+6], rbx", { 0x48, 0x0f, 0xa3, 0x5e, 0x06 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 3, 0 },
	{ "bts word ptr [rsi], ax", { 0x66, 0x0f, 0xab, 0x06 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 1, 0 },
	{ "bts word ptr [rsi+6], bx", { 0x66, 0x0f, 0xab, 0x5e, 0x06 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 1, 0 },
	{ "bts dword ptr [rsi], eax", { 0x0f, 0xab, 0x06 }, 3, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 2, 0 },
	{ "bts dword ptr [rsi+6], ebx", { 0x0f, 0xab, 0x5e, 0x06 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 2, 0 },
	{ "bts qword ptr [rsi], rax", { 0x48, 0x0f, 0xab, 0x06 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 3, 0 },
	{ "bts qword ptr [rsi+6], rbx", { 0x48, 0x0f, 0xab, 0x5e, 0x06 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 3, 0 },
	{ "lock bts qword ptr [rsi-3], rax", { 0xf0, 0x48, 0x0f, 0xab, 0x46, 0xfd }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 3, 0 },
	{ "btr word ptr [rsi], ax", { 0x66, 0x0f, 0xb3, 0x06 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 1, 0 },
	{ "btr word ptr [rsi+6], bx", { 0x66, 0x0f, 0xb3, 0x5e, 0x06 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 1, 0 },
	{ "btr dword ptr [rsi], eax", { 0x0f, 0xb3, 0x06 }, 3, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 2, 0 },
	{ "btr dword ptr [rsi+6], ebx", { 0x0f, 0xb3, 0x5e, 0x06 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 2, 0 },
	{ "btr qword ptr [rsi], rax", { 0x48, 0x0f, 0xb3, 0x06 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 3, 0 },
	{ "btr qword ptr [rsi+6], rbx", { 0x48, 0x0f, 0xb3, 0x5e, 0x06 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 3, 0 },
	{ "lock btr qword ptr [rsi-3], rax", { 0xf0, 0x48, 0x0f, 0xb3, 0x46, 0xfd }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 3, 0 },
	{ "btc word ptr [rsi], ax", { 0x66, 0x0f, 0xbb, 0x06 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 1, 0 },
	{ "btc word ptr [rsi+6], bx", { 0x66, 0x0f, 0xbb, 0x5e, 0x06 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 1, 0 },
	{ "btc dword ptr [rsi], eax", { 0x0f, 0xbb, 0x06 }, 3, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 2, 0 },
	{ "btc dword ptr [rsi+6], ebx", { 0x0f, 0xbb, 0x5e, 0x06 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 2, 0 },
	{ "btc qword ptr [rsi], rax", { 0x48, 0x0f, 0xbb, 0x06 }, 4, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 3, 0 },
	{ "btc qword ptr [rsi+6], rbx", { 0x48, 0x0f, 0xbb, 0x5e, 0x06 }, 5, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 3, 0 },
	{ "lock btc qword ptr [rsi-3], rax", { 0xf0, 0x48, 0x0f, 0xbb, 0x46, 0xfd }, 6, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_BTMEM, 3, 0 },
};

/* 16-bit BSWAP is undefined in the SDM; silicon (Intel and AMD) clears the
 * low word, which is what softvtx produces. */
static const struct ah_vec bswap16_vecs[] = {
	{ "bswap ax", { 0x66, 0x0f, 0xc8 }, 3, 0, AH_PLAIN, 1, 0 },
	{ "bswap r11w", { 0x66, 0x41, 0x0f, 0xcb }, 4, 0, AH_PLAIN, 1, 0 },
};

/* F3 before 66: still LZCNT/TZCNT on silicon (Capstone 4.0.2 says BSR/BSF;
 * decode.c corrects the id). */
static const struct ah_vec prefix_order_vecs[] = {
	{ "lzcnt ax, bx (F3 66)", { 0xf3, 0x66, 0x0f, 0xbd, 0xc3 }, 5,
	  RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "tzcnt ax, bx (F3 66)", { 0xf3, 0x66, 0x0f, 0xbc, 0xc3 }, 5,
	  RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "bsr ax, bx", { 0x66, 0x0f, 0xbd, 0xc3 }, 4,
	  RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
};

static void scan_prefix_order(void **state)
{
	(void)state;
	if (!host_has_bmi())
		skip();
	ah_run_table(prefix_order_vecs, sizeof(prefix_order_vecs) / sizeof(prefix_order_vecs[0]),
	             200);
	ah_run_table_mode(prefix_order_vecs,
	                  sizeof(prefix_order_vecs) / sizeof(prefix_order_vecs[0]), 100, TM_PROT32);
}

static void bit_vectors(void **state)
{
	(void)state;
	if (!host_has_bmi())
		skip();
	ah_run_table(bit_vecs, sizeof(bit_vecs) / sizeof(bit_vecs[0]), 300);
}

/* SDM Vol. 2 "BT": a register bit offset with a memory bit base is signed
 * and selects the operand-sized word at EA + (offset >> log2(bits)). */
static void bt_memory_offsets(void **state)
{
	(void)state;
	ah_run_table(btmem_vecs, sizeof(btmem_vecs) / sizeof(btmem_vecs[0]), 400);
}

static void bswap16(void **state)
{
	(void)state;
	ah_run_table(bswap16_vecs, sizeof(bswap16_vecs) / sizeof(bswap16_vecs[0]), 50);
}

/* SDM Vol. 2 §2.3.2: VEX-encoded instructions are #UD in real mode. */
static void vex_ud_in_real_mode(void **state)
{
	/* andn eax, ebx, ecx; hlt */
	static const uint8_t code[] = { 0xc4, 0xe2, 0x60, 0xf2, 0xc1, 0xf4 };
	struct tm *tm = tm_new(TM_REAL);

	(void)state;
	tm_code(tm, code, sizeof(code));
	tm->cpu->gpr[R_RAX] = 0x1234;
	tm_run(tm, 4);
	assert_int_equal(tm->cpu->fault.vector, EXC_UD);
	assert_int_equal(tm->cpu->gpr[R_RAX], 0x1234);
	tm_free(tm);
}

/* The same vectors in 32-bit protected mode (those without REX/VEX.W). */
static void bit_vectors_prot32(void **state)
{
	(void)state;
	if (!host_has_bmi())
		skip();
	ah_run_table_mode(bit_vecs, sizeof(bit_vecs) / sizeof(bit_vecs[0]), 100, TM_PROT32);
}

/* The same vectors in 32-bit protected mode (those without REX/VEX.W). */
static void bt_memory_offsets_prot32(void **state)
{
	(void)state;
	ah_run_table_mode(btmem_vecs, sizeof(btmem_vecs) / sizeof(btmem_vecs[0]), 200, TM_PROT32);
}

/* SDM Vol. 2 §2.3.2: 66H, F2H or F3H before a VEX prefix is #UD (Capstone
 * 4.0.2 decodes these; decode.c rejects them).  A segment override is
 * allowed. */
static void vex_after_legacy_prefix_ud(void **state)
{
	static const struct { uint8_t code[7]; uint8_t len; int vec; } t[] = {
		{ { 0x66, 0xc4, 0xe2, 0x60, 0xf2, 0xc1 }, 6, EXC_UD },  /* 66 andn */
		{ { 0xf3, 0xc4, 0xe2, 0x60, 0xf2, 0xc1 }, 6, EXC_UD },  /* f3 andn */
		{ { 0xf2, 0xc4, 0xe2, 0x63, 0xf6, 0xc1 }, 6, EXC_UD },  /* f2 mulx */
		{ { 0x2e, 0xc4, 0xe2, 0x60, 0xf2, 0xc1 }, 6, -1 },      /* cs andn */
		{ { 0xc4, 0xe2, 0x60, 0xf2, 0xc1 }, 5, -1 },            /* andn */
	};
	struct tm *tm = tm_new(TM_LONG64);

	(void)state;
	ah_install_idt(tm, 1);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ah_state s = { .rflags = 0x202 };

		s.gpr[R_RAX] = 0x1111;
		s.gpr[R_RBX] = 0x0ff0;
		s.gpr[R_RCX] = 0xffff;
		assert_int_equal(ah_guest_run(tm, t[i].code, t[i].len, &s), t[i].vec);
		assert_int_equal(s.gpr[R_RAX], t[i].vec < 0 ? 0xf00f : 0x1111);
	}
	tm_free(tm);
}

/* Register forms in real mode (16-bit default operand size). */
static void bit_vectors_real(void **state)
{
	(void)state;
	if (!host_has_bmi())
		skip();
	assert_true(ah_run_table_real(bit_vecs, sizeof(bit_vecs) / sizeof(bit_vecs[0]), 60) >= 20);
}

/* SDM Vol. 2 "LOCK": BTS/BTR/BTC with a memory destination may be locked;
 * BT may not, nor a register destination. */
static void bit_lock_rules(void **state)
{
	static const struct { uint8_t code[6]; uint8_t len; int vec; } t[] = {
		{ { 0xf0, 0x0f, 0xa3, 0x06 }, 4, EXC_UD },        /* lock bt [rsi], eax */
		{ { 0xf0, 0x0f, 0xba, 0x26, 0x03 }, 5, EXC_UD },  /* lock bt [rsi], 3 */
		{ { 0xf0, 0x0f, 0xab, 0xd8 }, 4, EXC_UD },        /* lock bts eax, ebx */
		{ { 0xf0, 0x0f, 0xab, 0x06 }, 4, -1 },            /* lock bts [rsi], eax */
		{ { 0xf0, 0x0f, 0xba, 0x36, 0x03 }, 5, -1 },      /* lock btr [rsi], 3 */
		{ { 0xf0, 0x0f, 0xbb, 0x06 }, 4, -1 },            /* lock btc [rsi], eax */
	};
	struct tm *tm = tm_new(TM_LONG64);

	(void)state;
	ah_install_idt(tm, 1);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ah_state s = { .rflags = 0x202 };

		s.gpr[R_RSI] = TM_DATA;
		s.gpr[R_RAX] = 1;
		s.gpr[R_RBX] = 2;
		tm_write(tm, TM_DATA, 8, 0xff);
		assert_int_equal(ah_guest_run(tm, t[i].code, t[i].len, &s), t[i].vec);
		if (t[i].vec >= 0) {
			assert_int_equal(s.gpr[R_RAX], 1);
			assert_int_equal(tm_read(tm, TM_DATA, 8), 0xff);
		}
	}
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bit_vectors),
		cmocka_unit_test(bit_vectors_prot32),
		cmocka_unit_test(bit_vectors_real),
		cmocka_unit_test(bt_memory_offsets),
		cmocka_unit_test(bt_memory_offsets_prot32),
		cmocka_unit_test(bswap16),
		cmocka_unit_test(vex_ud_in_real_mode),
		cmocka_unit_test(vex_after_legacy_prefix_ud),
		cmocka_unit_test(scan_prefix_order),
		cmocka_unit_test(bit_lock_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
