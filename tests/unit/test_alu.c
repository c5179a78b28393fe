/* ADD ADC SUB SBB CMP AND OR XOR TEST INC DEC NEG NOT in every operand size,
 * register, memory and immediate forms, checked against the host CPU
 * (aluhost.h).  AF is masked after AND/OR/XOR/TEST (SDM: undefined). */
#include "aluhost.h"

static const struct ah_vec alu_vecs[] = {
	{ "add al, bl", { 0x00, 0xd8 }, 2, 0, AH_PLAIN, 0, 0 },
	{ "add bl, al", { 0x00, 0xc3 }, 2, 0, AH_PLAIN, 0, 0 },
	{ "add byte ptr [rsi+8], bl", { 0x00, 0x5e, 0x08 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "add al, byte ptr [rsi-16]", { 0x02, 0x46, 0xf0 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "add cl, 0x80", { 0x80, 0xc1, 0x80 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "add al, 0x7f", { 0x04, 0x7f }, 2, 0, AH_PLAIN, 0, 0 },
	{ "add ax, bx", { 0x66, 0x01, 0xd8 }, 3, 0, AH_PLAIN, 1, 0 },
	{ "add bx, ax", { 0x66, 0x01, 0xc3 }, 3, 0, AH_PLAIN, 1, 0 },
	{ "add word ptr [rsi+8], bx", { 0x66, 0x01, 0x5e, 0x08 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "add ax, word ptr [rsi-16]", { 0x66, 0x03, 0x46, 0xf0 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "add cx, 0x8001", { 0x66, 0x81, 0xc1, 0x01, 0x80 }, 5, 0, AH_PLAIN, 1, 0 },
	{ "add bx, -3", { 0x66, 0x83, 0xc3, 0xfd }, 4, 0, AH_PLAIN, 1, 0 },
	{ "add ax, 0x7f", { 0x66, 0x83, 0xc0, 0x7f }, 4, 0, AH_PLAIN, 1, 0 },
	{ "add word ptr [rsi], -1", { 0x66, 0x83, 0x06, 0xff }, 4, 0, AH_PLAIN, 1, 0 },
	{ "add eax, ebx", { 0x01, 0xd8 }, 2, 0, AH_PLAIN, 2, 0 },
	{ "add ebx, eax", { 0x01, 0xc3 }, 2, 0, AH_PLAIN, 2, 0 },
	{ "add dword ptr [rsi+8], ebx", { 0x01, 0x5e, 0x08 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "add eax, dword ptr [rsi-16]", { 0x03, 0x46, 0xf0 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "add ecx, 0x80000001", { 0x81, 0xc1, 0x01, 0x00, 0x00, 0x80 }, 6, 0, AH_PLAIN, 2, 0 },
	{ "add ebx, -3", { 0x83, 0xc3, 0xfd }, 3, 0, AH_PLAIN, 2, 0 },
	{ "add eax, 0x7f", { 0x83, 0xc0, 0x7f }, 3, 0, AH_PLAIN, 2, 0 },
	{ "add dword ptr [rsi], -1", { 0x83, 0x06, 0xff }, 3, 0, AH_PLAIN, 2, 0 },
	{ "add rax, rbx", { 0x48, 0x01, 0xd8 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "add rbx, rax", { 0x48, 0x01, 0xc3 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "add qword ptr [rsi+8], rbx", { 0x48, 0x01, 0x5e, 0x08 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "add rax, qword ptr [rsi-16]", { 0x48, 0x03, 0x46, 0xf0 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "add rcx, -0x7ffffff0", { 0x48, 0x81, 0xc1, 0x10, 0x00, 0x00, 0x80 }, 7, 0, AH_PLAIN, 3, 0 },
	{ "add rbx, -3", { 0x48, 0x83, 0xc3, 0xfd }, 4, 0, AH_PLAIN, 3, 0 },
	{ "add rax, 0x7f", { 0x48, 0x83, 0xc0, 0x7f }, 4, 0, AH_PLAIN, 3, 0 },
	{ "add qword ptr [rsi], -1", { 0x48, 0x83, 0x06, 0xff }, 4, 0, AH_PLAIN, 3, 0 },
	{ "lock add dword ptr [rsi], ebx", { 0xf0, 0x01, 0x1e }, 3, 0, AH_PLAIN, 2, 0 },
	{ "lock add qword ptr [rsi+24], 5", { 0xf0, 0x48, 0x83, 0x46, 0x18, 0x05 }, 6, 0, AH_PLAIN, 3, 0 },
	{ "add ah, bh", { 0x00, 0xfc }, 2, 0, AH_PLAIN, 0, 0 },
	{ "add r9, r10", { 0x4d, 0x01, 0xd1 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "add r11d, r12d", { 0x45, 0x01, 0xe3 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "add sil, r13b", { 0x44, 0x00, 0xee }, 3, 0, AH_PLAIN, 0, 0 },
	{ "adc al, bl", { 0x10, 0xd8 }, 2, 0, AH_PLAIN, 0, 0 },
	{ "adc bl, al", { 0x10, 0xc3 }, 2, 0, AH_PLAIN, 0, 0 },
	{ "adc byte ptr [rsi+8], bl", { 0x10, 0x5e, 0x08 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "adc al, byte ptr [rsi-16]", { 0x12, 0x46, 0xf0 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "adc cl, 0x80", { 0x80, 0xd1, 0x80 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "adc al, 0x7f", { 0x14, 0x7f }, 2, 0, AH_PLAIN, 0, 0 },
	{ "adc ax, bx", { 0x66, 0x11, 0xd8 }, 3, 0, AH_PLAIN, 1, 0 },
	{ "adc bx, ax", { 0x66, 0x11, 0xc3 }, 3, 0, AH_PLAIN, 1, 0 },
	{ "adc word ptr [rsi+8], bx", { 0x66, 0x11, 0x5e, 0x08 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "adc ax, word ptr [rsi-16]", { 0x66, 0x13, 0x46, 0xf0 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "adc cx, 0x8001", { 0x66, 0x81, 0xd1, 0x01, 0x80 }, 5, 0, AH_PLAIN, 1, 0 },
	{ "adc bx, -3", { 0x66, 0x83, 0xd3, 0xfd }, 4, 0, AH_PLAIN, 1, 0 },
	{ "adc ax, 0x7f", { 0x66, 0x83, 0xd0, 0x7f }, 4, 0, AH_PLAIN, 1, 0 },
	{ "adc word ptr [rsi], -1", { 0x66, 0x83, 0x16, 0xff }, 4, 0, AH_PLAIN, 1, 0 },
	{ "adc eax, ebx", { 0x11, 0xd8 }, 2, 0, AH_PLAIN, 2, 0 },
	{ "adc ebx, eax", { 0x11, 0xc3 }, 2, 0, AH_PLAIN, 2, 0 },
	{ "adc dword ptr [rsi+8], ebx", { 0x11, 0x5e, 0x08 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "adc eax, dword ptr [rsi-16]", { 0x13, 0x46, 0xf0 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "adc ecx, 0x80000001", { 0x81, 0xd1, 0x01, 0x00, 0x00, 0x80 }, 6, 0, AH_PLAIN, 2, 0 },
	{ "adc ebx, -3", { 0x83, 0xd3, 0xfd }, 3, 0, AH_PLAIN, 2, 0 },
	{ "adc eax, 0x7f", { 0x83, 0xd0, 0x7f }, 3, 0, AH_PLAIN, 2, 0 },
	{ "adc dword ptr [rsi], -1", { 0x83, 0x16, 0xff }, 3, 0, AH_PLAIN, 2, 0 },
	{ "adc rax, rbx", { 0x48, 0x11, 0xd8 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "adc rbx, rax", { 0x48, 0x11, 0xc3 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "adc qword ptr [rsi+8], rbx", { 0x48, 0x11, 0x5e, 0x08 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "adc rax, qword ptr [rsi-16]", { 0x48, 0x13, 0x46, 0xf0 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "adc rcx, -0x7ffffff0", { 0x48, 0x81, 0xd1, 0x10, 0x00, 0x00, 0x80 }, 7, 0, AH_PLAIN, 3, 0 },
	{ "adc rbx, -3", { 0x48, 0x83, 0xd3, 0xfd }, 4, 0, AH_PLAIN, 3, 0 },
	{ "adc rax, 0x7f", { 0x48, 0x83, 0xd0, 0x7f }, 4, 0, AH_PLAIN, 3, 0 },
	{ "adc qword ptr [rsi], -1", { 0x48, 0x83, 0x16, 0xff }, 4, 0, AH_PLAIN, 3, 0 },
	{ "lock adc dword ptr [rsi], ebx", { 0xf0, 0x11, 0x1e }, 3, 0, AH_PLAIN, 2, 0 },
	{ "lock adc qword ptr [rsi+24], 5", { 0xf0, 0x48, 0x83, 0x56, 0x18, 0x05 }, 6, 0, AH_PLAIN, 3, 0 },
	{ "adc ah, bh", { 0x10, 0xfc }, 2, 0, AH_PLAIN, 0, 0 },
	{ "adc r9, r10", { 0x4d, 0x11, 0xd1 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "adc r11d, r12d", { 0x45, 0x11, 0xe3 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "adc sil, r13b", { 0x44, 0x10, 0xee }, 3, 0, AH_PLAIN, 0, 0 },
	{ "sub al, bl", { 0x28, 0xd8 }, 2, 0, AH_PLAIN, 0, 0 },
	{ "sub bl, al", { 0x28, 0xc3 }, 2, 0, AH_PLAIN, 0, 0 },
	{ "sub byte ptr [rsi+8], bl", { 0x28, 0x5e, 0x08 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "sub al, byte ptr [rsi-16]", { 0x2a, 0x46, 0xf0 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "sub cl, 0x80", { 0x80, 0xe9, 0x80 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "sub al, 0x7f", { 0x2c, 0x7f }, 2, 0, AH_PLAIN, 0, 0 },
	{ "sub ax, bx", { 0x66, 0x29, 0xd8 }, 3, 0, AH_PLAIN, 1, 0 },
	{ "sub bx, ax", { 0x66, 0x29, 0xc3 }, 3, 0, AH_PLAIN, 1, 0 },
	{ "sub word ptr [rsi+8], bx", { 0x66, 0x29, 0x5e, 0x08 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "sub ax, word ptr [rsi-16]", { 0x66, 0x2b, 0x46, 0xf0 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "sub cx, 0x8001", { 0x66, 0x81, 0xe9, 0x01, 0x80 }, 5, 0, AH_PLAIN, 1, 0 },
	{ "sub bx, -3", { 0x66, 0x83, 0xeb, 0xfd }, 4, 0, AH_PLAIN, 1, 0 },
	{ "sub ax, 0x7f", { 0x66, 0x83, 0xe8, 0x7f }, 4, 0, AH_PLAIN, 1, 0 },
	{ "sub word ptr [rsi], -1", { 0x66, 0x83, 0x2e, 0xff }, 4, 0, AH_PLAIN, 1, 0 },
	{ "sub eax, ebx", { 0x29, 0xd8 }, 2, 0, AH_PLAIN, 2, 0 },
	{ "sub ebx, eax", { 0x29, 0xc3 }, 2, 0, AH_PLAIN, 2, 0 },
	{ "sub dword ptr [rsi+8], ebx", { 0x29, 0x5e, 0x08 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "sub eax, dword ptr [rsi-16]", { 0x2b, 0x46, 0xf0 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "sub ecx, 0x80000001", { 0x81, 0xe9, 0x01, 0x00, 0x00, 0x80 }, 6, 0, AH_PLAIN, 2, 0 },
	{ "sub ebx, -3", { 0x83, 0xeb, 0xfd }, 3, 0, AH_PLAIN, 2, 0 },
	{ "sub eax, 0x7f", { 0x83, 0xe8, 0x7f }, 3, 0, AH_PLAIN, 2, 0 },
	{ "sub dword ptr [rsi], -1", { 0x83, 0x2e, 0xff }, 3, 0, AH_PLAIN, 2, 0 },
	{ "sub rax, rbx", { 0x48, 0x29, 0xd8 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "sub rbx, rax", { 0x48, 0x29, 0xc3 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "sub qword ptr [rsi+8], rbx", { 0x48, 0x29, 0x5e, 0x08 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "sub rax, qword ptr [rsi-16]", { 0x48, 0x2b, 0x46, 0xf0 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "sub rcx, -0x7ffffff0", { 0x48, 0x81, 0xe9, 0x10, 0x00, 0x00, 0x80 }, 7, 0, AH_PLAIN, 3, 0 },
	{ "sub rbx, -3", { 0x48, 0x83, 0xeb, 0xfd }, 4, 0, AH_PLAIN, 3, 0 },
	{ "sub rax, 0x7f", { 0x48, 0x83, 0xe8, 0x7f }, 4, 0, AH_PLAIN, 3, 0 },
	{ "sub qword ptr [rsi], -1", { 0x48, 0x83, 0x2e, 0xff }, 4, 0, AH_PLAIN, 3, 0 },
	{ "lock sub dword ptr [rsi], ebx", { 0xf0, 0x29, 0x1e }, 3, 0, AH_PLAIN, 2, 0 },
	{ "lock sub qword ptr [rsi+24], 5", { 0xf0, 0x48, 0x83, 0x6e, 0x18, 0x05 }, 6, 0, AH_PLAIN, 3, 0 },
	{ "sub ah, bh", { 0x28, 0xfc }, 2, 0, AH_PLAIN, 0, 0 },
	{ "sub r9, r10", { 0x4d, 0x29, 0xd1 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "sub r11d, r12d", { 0x45, 0x29, 0xe3 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "sub sil, r13b", { 0x44, 0x28, 0xee }, 3, 0, AH_PLAIN, 0, 0 },
	{ "sbb al, bl", { 0x18, 0xd8 }, 2, 0, AH_PLAIN, 0, 0 },
	{ "sbb bl, al", { 0x18, 0xc3 }, 2, 0, AH_PLAIN, 0, 0 },
	{ "sbb byte ptr [rsi+8], bl", { 0x18, 0x5e, 0x08 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "sbb al, byte ptr [rsi-16]", { 0x1a, 0x46, 0xf0 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "sbb cl, 0x80", { 0x80, 0xd9, 0x80 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "sbb al, 0x7f", { 0x1c, 0x7f }, 2, 0, AH_PLAIN, 0, 0 },
	{ "sbb ax, bx", { 0x66, 0x19, 0xd8 }, 3, 0, AH_PLAIN, 1, 0 },
	{ "sbb bx, ax", { 0x66, 0x19, 0xc3 }, 3, 0, AH_PLAIN, 1, 0 },
	{ "sbb word ptr [rsi+8], bx", { 0x66, 0x19, 0x5e, 0x08 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "sbb ax, word ptr [rsi-16]", { 0x66, 0x1b, 0x46, 0xf0 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "sbb cx, 0x8001", { 0x66, 0x81, 0xd9, 0x01, 0x80 }, 5, 0, AH_PLAIN, 1, 0 },
	{ "sbb bx, -3", { 0x66, 0x83, 0xdb, 0xfd }, 4, 0, AH_PLAIN, 1, 0 },
	{ "sbb ax, 0x7f", { 0x66, 0x83, 0xd8, 0x7f }, 4, 0, AH_PLAIN, 1, 0 },
	{ "sbb word ptr [rsi], -1", { 0x66, 0x83, 0x1e, 0xff }, 4, 0, AH_PLAIN, 1, 0 },
	{ "sbb eax, ebx", { 0x19, 0xd8 }, 2, 0, AH_PLAIN, 2, 0 },
	{ "sbb ebx, eax", { 0x19, 0xc3 }, 2, 0, AH_PLAIN, 2, 0 },
	{ "sbb dword ptr [rsi+8], ebx", { 0x19, 0x5e, 0x08 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "sbb eax, dword ptr [rsi-16]", { 0x1b, 0x46, 0xf0 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "sbb ecx, 0x80000001", { 0x81, 0xd9, 0x01, 0x00, 0x00, 0x80 }, 6, 0, AH_PLAIN, 2, 0 },
	{ "sbb ebx, -3", { 0x83, 0xdb, 0xfd }, 3, 0, AH_PLAIN, 2, 0 },
	{ "sbb eax, 0x7f", { 0x83, 0xd8, 0x7f }, 3, 0, AH_PLAIN, 2, 0 },
	{ "sbb dword ptr [rsi], -1", { 0x83, 0x1e, 0xff }, 3, 0, AH_PLAIN, 2, 0 },
	{ "sbb rax, rbx", { 0x48, 0x19, 0xd8 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "sbb rbx, rax", { 0x48, 0x19, 0xc3 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "sbb qword ptr [rsi+8], rbx", { 0x48, 0x19, 0x5e, 0x08 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "sbb rax, qword ptr [rsi-16]", { 0x48, 0x1b, 0x46, 0xf0 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "sbb rcx, -0x7ffffff0", { 0x48, 0x81, 0xd9, 0x10, 0x00, 0x00, 0x80 }, 7, 0, AH_PLAIN, 3, 0 },
	{ "sbb rbx, -3", { 0x48, 0x83, 0xdb, 0xfd }, 4, 0, AH_PLAIN, 3, 0 },
	{ "sbb rax, 0x7f", { 0x48, 0x83, 0xd8, 0x7f }, 4, 0, AH_PLAIN, 3, 0 },
	{ "sbb qword ptr [rsi], -1", { 0x48, 0x83, 0x1e, 0xff }, 4, 0, AH_PLAIN, 3, 0 },
	{ "lock sbb dword ptr [rsi], ebx", { 0xf0, 0x19, 0x1e }, 3, 0, AH_PLAIN, 2, 0 },
	{ "lock sbb qword ptr [rsi+24], 5", { 0xf0, 0x48, 0x83, 0x5e, 0x18, 0x05 }, 6, 0, AH_PLAIN, 3, 0 },
	{ "sbb ah, bh", { 0x18, 0xfc }, 2, 0, AH_PLAIN, 0, 0 },
	{ "sbb r9, r10", { 0x4d, 0x19, 0xd1 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "sbb r11d, r12d", { 0x45, 0x19, 0xe3 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "sbb sil, r13b", { 0x44, 0x18, 0xee }, 3, 0, AH_PLAIN, 0, 0 },
	{ "cmp al, bl", { 0x38, 0xd8 }, 2, 0, AH_PLAIN, 0, 0 },
	{ "cmp bl, al", { 0x38, 0xc3 }, 2, 0, AH_PLAIN, 0, 0 },
	{ "cmp byte ptr [rsi+8], bl", { 0x38, 0x5e, 0x08 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "cmp al, byte ptr [rsi-16]", { 0x3a, 0x46, 0xf0 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "cmp cl, 0x80", { 0x80, 0xf9, 0x80 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "cmp al, 0x7f", { 0x3c, 0x7f }, 2, 0, AH_PLAIN, 0, 0 },
	{ "cmp ax, bx", { 0x66, 0x39, 0xd8 }, 3, 0, AH_PLAIN, 1, 0 },
	{ "cmp bx, ax", { 0x66, 0x39, 0xc3 }, 3, 0, AH_PLAIN, 1, 0 },
	{ "cmp word ptr [rsi+8], bx", { 0x66, 0x39, 0x5e, 0x08 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "cmp ax, word ptr [rsi-16]", { 0x66, 0x3b, 0x46, 0xf0 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "cmp cx, 0x8001", { 0x66, 0x81, 0xf9, 0x01, 0x80 }, 5, 0, AH_PLAIN, 1, 0 },
	{ "cmp bx, -3", { 0x66, 0x83, 0xfb, 0xfd }, 4, 0, AH_PLAIN, 1, 0 },
	{ "cmp ax, 0x7f", { 0x66, 0x83, 0xf8, 0x7f }, 4, 0, AH_PLAIN, 1, 0 },
	{ "cmp word ptr [rsi], -1", { 0x66, 0x83, 0x3e, 0xff }, 4, 0, AH_PLAIN, 1, 0 },
	{ "cmp eax, ebx", { 0x39, 0xd8 }, 2, 0, AH_PLAIN, 2, 0 },
	{ "cmp ebx, eax", { 0x39, 0xc3 }, 2, 0, AH_PLAIN, 2, 0 },
	{ "cmp dword ptr [rsi+8], ebx", { 0x39, 0x5e, 0x08 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "cmp eax, dword ptr [rsi-16]", { 0x3b, 0x46, 0xf0 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "cmp ecx, 0x80000001", { 0x81, 0xf9, 0x01, 0x00, 0x00, 0x80 }, 6, 0, AH_PLAIN, 2, 0 },
	{ "cmp ebx, -3", { 0x83, 0xfb, 0xfd }, 3, 0, AH_PLAIN, 2, 0 },
	{ "cmp eax, 0x7f", { 0x83, 0xf8, 0x7f }, 3, 0, AH_PLAIN, 2, 0 },
	{ "cmp dword ptr [rsi], -1", { 0x83, 0x3e, 0xff }, 3, 0, AH_PLAIN, 2, 0 },
	{ "cmp rax, rbx", { 0x48, 0x39, 0xd8 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "cmp rbx, rax", { 0x48, 0x39, 0xc3 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "cmp qword ptr [rsi+8], rbx", { 0x48, 0x39, 0x5e, 0x08 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "cmp rax, qword ptr [rsi-16]", { 0x48, 0x3b, 0x46, 0xf0 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "cmp rcx, -0x7ffffff0", { 0x48, 0x81, 0xf9, 0x10, 0x00, 0x00, 0x80 }, 7, 0, AH_PLAIN, 3, 0 },
	{ "cmp rbx, -3", { 0x48, 0x83, 0xfb, 0xfd }, 4, 0, AH_PLAIN, 3, 0 },
	{ "cmp rax, 0x7f", { 0x48, 0x83, 0xf8, 0x7f }, 4, 0, AH_PLAIN, 3, 0 },
	{ "cmp qword ptr [rsi], -1", { 0x48, 0x83, 0x3e, 0xff }, 4, 0, AH_PLAIN, 3, 0 },
	{ "cmp ah, bh", { 0x38, 0xfc }, 2, 0, AH_PLAIN, 0, 0 },
	{ "cmp r9, r10", { 0x4d, 0x39, 0xd1 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "cmp r11d, r12d", { 0x45, 0x39, 0xe3 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "cmp sil, r13b", { 0x44, 0x38, 0xee }, 3, 0, AH_PLAIN, 0, 0 },
	{ "and al, bl", { 0x20, 0xd8 }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "and bl, al", { 0x20, 0xc3 }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "and byte ptr [rsi+8], bl", { 0x20, 0x5e, 0x08 }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "and al, byte ptr [rsi-16]", { 0x22, 0x46, 0xf0 }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "and cl, 0x80", { 0x80, 0xe1, 0x80 }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "and al, 0x7f", { 0x24, 0x7f }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "and ax, bx", { 0x66, 0x21, 0xd8 }, 3, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "and bx, ax", { 0x66, 0x21, 0xc3 }, 3, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "and word ptr [rsi+8], bx", { 0x66, 0x21, 0x5e, 0x08 }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "and ax, word ptr [rsi-16]", { 0x66, 0x23, 0x46, 0xf0 }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "and cx, 0x8001", { 0x66, 0x81, 0xe1, 0x01, 0x80 }, 5, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "and bx, -3", { 0x66, 0x83, 0xe3, 0xfd }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "and ax, 0x7f", { 0x66, 0x83, 0xe0, 0x7f }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "and word ptr [rsi], -1", { 0x66, 0x83, 0x26, 0xff }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "and eax, ebx", { 0x21, 0xd8 }, 2, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "and ebx, eax", { 0x21, 0xc3 }, 2, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "and dword ptr [rsi+8], ebx", { 0x21, 0x5e, 0x08 }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "and eax, dword ptr [rsi-16]", { 0x23, 0x46, 0xf0 }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "and ecx, 0x80000001", { 0x81, 0xe1, 0x01, 0x00, 0x00, 0x80 }, 6, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "and ebx, -3", { 0x83, 0xe3, 0xfd }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "and eax, 0x7f", { 0x83, 0xe0, 0x7f }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "and dword ptr [rsi], -1", { 0x83, 0x26, 0xff }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "and rax, rbx", { 0x48, 0x21, 0xd8 }, 3, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "and rbx, rax", { 0x48, 0x21, 0xc3 }, 3, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "and qword ptr [rsi+8], rbx", { 0x48, 0x21, 0x5e, 0x08 }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "and rax, qword ptr [rsi-16]", { 0x48, 0x23, 0x46, 0xf0 }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "and rcx, -0x7ffffff0", { 0x48, 0x81, 0xe1, 0x10, 0x00, 0x00, 0x80 }, 7, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "and rbx, -3", { 0x48, 0x83, 0xe3, 0xfd }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "and rax, 0x7f", { 0x48, 0x83, 0xe0, 0x7f }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "and qword ptr [rsi], -1", { 0x48, 0x83, 0x26, 0xff }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "lock and dword ptr [rsi], ebx", { 0xf0, 0x21, 0x1e }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "lock and qword ptr [rsi+24], 5", { 0xf0, 0x48, 0x83, 0x66, 0x18, 0x05 }, 6, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "and ah, bh", { 0x20, 0xfc }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "and r9, r10", { 0x4d, 0x21, 0xd1 }, 3, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "and r11d, r12d", { 0x45, 0x21, 0xe3 }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "and sil, r13b", { 0x44, 0x20, 0xee }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "or al, bl", { 0x08, 0xd8 }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "or bl, al", { 0x08, 0xc3 }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "or byte ptr [rsi+8], bl", { 0x08, 0x5e, 0x08 }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "or al, byte ptr [rsi-16]", { 0x0a, 0x46, 0xf0 }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "or cl, 0x80", { 0x80, 0xc9, 0x80 }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "or al, 0x7f", { 0x0c, 0x7f }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "or ax, bx", { 0x66, 0x09, 0xd8 }, 3, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "or bx, ax", { 0x66, 0x09, 0xc3 }, 3, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "or word ptr [rsi+8], bx", { 0x66, 0x09, 0x5e, 0x08 }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "or ax, word ptr [rsi-16]", { 0x66, 0x0b, 0x46, 0xf0 }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "or cx, 0x8001", { 0x66, 0x81, 0xc9, 0x01, 0x80 }, 5, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "or bx, -3", { 0x66, 0x83, 0xcb, 0xfd }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "or ax, 0x7f", { 0x66, 0x83, 0xc8, 0x7f }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "or word ptr [rsi], -1", { 0x66, 0x83, 0x0e, 0xff }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "or eax, ebx", { 0x09, 0xd8 }, 2, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "or ebx, eax", { 0x09, 0xc3 }, 2, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "or dword ptr [rsi+8], ebx", { 0x09, 0x5e, 0x08 }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "or eax, dword ptr [rsi-16]", { 0x0b, 0x46, 0xf0 }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "or ecx, 0x80000001", { 0x81, 0xc9, 0x01, 0x00, 0x00, 0x80 }, 6, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "or ebx, -3", { 0x83, 0xcb, 0xfd }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "or eax, 0x7f", { 0x83, 0xc8, 0x7f }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "or dword ptr [rsi], -1", { 0x83, 0x0e, 0xff }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "or rax, rbx", { 0x48, 0x09, 0xd8 }, 3, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "or rbx, rax", { 0x48, 0x09, 0xc3 }, 3, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "or qword ptr [rsi+8], rbx", { 0x48, 0x09, 0x5e, 0x08 }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "or rax, qword ptr [rsi-16]", { 0x48, 0x0b, 0x46, 0xf0 }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "or rcx, -0x7ffffff0", { 0x48, 0x81, 0xc9, 0x10, 0x00, 0x00, 0x80 }, 7, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "or rbx, -3", { 0x48, 0x83, 0xcb, 0xfd }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "or rax, 0x7f", { 0x48, 0x83, 0xc8, 0x7f }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "or qword ptr [rsi], -1", { 0x48, 0x83, 0x0e, 0xff }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "lock or dword ptr [rsi], ebx", { 0xf0, 0x09, 0x1e }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "lock or qword ptr [rsi+24], 5", { 0xf0, 0x48, 0x83, 0x4e, 0x18, 0x05 }, 6, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "or ah, bh", { 0x08, 0xfc }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "or r9, r10", { 0x4d, 0x09, 0xd1 }, 3, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "or r11d, r12d", { 0x45, 0x09, 0xe3 }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "or sil, r13b", { 0x44, 0x08, 0xee }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "xor al, bl", { 0x30, 0xd8 }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "xor bl, al", { 0x30, 0xc3 }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "xor byte ptr [rsi+8], bl", { 0x30, 0x5e, 0x08 }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "xor al, byte ptr [rsi-16]", { 0x32, 0x46, 0xf0 }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "xor cl, 0x80", { 0x80, 0xf1, 0x80 }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "xor al, 0x7f", { 0x34, 0x7f }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "xor ax, bx", { 0x66, 0x31, 0xd8 }, 3, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "xor bx, ax", { 0x66, 0x31, 0xc3 }, 3, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "xor word ptr [rsi+8], bx", { 0x66, 0x31, 0x5e, 0x08 }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "xor ax, word ptr [rsi-16]", { 0x66, 0x33, 0x46, 0xf0 }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "xor cx, 0x8001", { 0x66, 0x81, 0xf1, 0x01, 0x80 }, 5, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "xor bx, -3", { 0x66, 0x83, 0xf3, 0xfd }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "xor ax, 0x7f", { 0x66, 0x83, 0xf0, 0x7f }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "xor word ptr [rsi], -1", { 0x66, 0x83, 0x36, 0xff }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "xor eax, ebx", { 0x31, 0xd8 }, 2, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "xor ebx, eax", { 0x31, 0xc3 }, 2, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "xor dword ptr [rsi+8], ebx", { 0x31, 0x5e, 0x08 }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "xor eax, dword ptr [rsi-16]", { 0x33, 0x46, 0xf0 }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "xor ecx, 0x80000001", { 0x81, 0xf1, 0x01, 0x00, 0x00, 0x80 }, 6, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "xor ebx, -3", { 0x83, 0xf3, 0xfd }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "xor eax, 0x7f", { 0x83, 0xf0, 0x7f }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "xor dword ptr [rsi], -1", { 0x83, 0x36, 0xff }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "xor rax, rbx", { 0x48, 0x31, 0xd8 }, 3, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "xor rbx, rax", { 0x48, 0x31, 0xc3 }, 3, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "xor qword ptr [rsi+8], rbx", { 0x48, 0x31, 0x5e, 0x08 }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "xor rax, qword ptr [rsi-16]", { 0x48, 0x33, 0x46, 0xf0 }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "xor rcx, -0x7ffffff0", { 0x48, 0x81, 0xf1, 0x10, 0x00, 0x00, 0x80 }, 7, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "xor rbx, -3", { 0x48, 0x83, 0xf3, 0xfd }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "xor rax, 0x7f", { 0x48, 0x83, 0xf0, 0x7f }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "xor qword ptr [rsi], -1", { 0x48, 0x83, 0x36, 0xff }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "lock xor dword ptr [rsi], ebx", { 0xf0, 0x31, 0x1e }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "lock xor qword ptr [rsi+24], 5", { 0xf0, 0x48, 0x83, 0x76, 0x18, 0x05 }, 6, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "xor ah, bh", { 0x30, 0xfc }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "xor r9, r10", { 0x4d, 0x31, 0xd1 }, 3, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "xor r11d, r12d", { 0x45, 0x31, 0xe3 }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "xor sil, r13b", { 0x44, 0x30, 0xee }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "test al, bl", { 0x84, 0xd8 }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "test bl, al", { 0x84, 0xc3 }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "test byte ptr [rsi+8], bl", { 0x84, 0x5e, 0x08 }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "test cl, 0x80", { 0xf6, 0xc1, 0x80 }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "test al, 0x7f", { 0xa8, 0x7f }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "test ax, bx", { 0x66, 0x85, 0xd8 }, 3, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "test bx, ax", { 0x66, 0x85, 0xc3 }, 3, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "test word ptr [rsi+8], bx", { 0x66, 0x85, 0x5e, 0x08 }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "test cx, 0x8001", { 0x66, 0xf7, 0xc1, 0x01, 0x80 }, 5, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "test bx, -3", { 0x66, 0xf7, 0xc3, 0xfd, 0xff }, 5, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "test ax, 0x7f", { 0x66, 0xa9, 0x7f, 0x00 }, 4, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "test word ptr [rsi], -1", { 0x66, 0xf7, 0x06, 0xff, 0xff }, 5, RFLAGS_AF, AH_PLAIN, 1, 0 },
	{ "test eax, ebx", { 0x85, 0xd8 }, 2, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "test ebx, eax", { 0x85, 0xc3 }, 2, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "test dword ptr [rsi+8], ebx", { 0x85, 0x5e, 0x08 }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "test ecx, 0x80000001", { 0xf7, 0xc1, 0x01, 0x00, 0x00, 0x80 }, 6, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "test ebx, -3", { 0xf7, 0xc3, 0xfd, 0xff, 0xff, 0xff }, 6, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "test eax, 0x7f", { 0xa9, 0x7f, 0x00, 0x00, 0x00 }, 5, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "test dword ptr [rsi], -1", { 0xf7, 0x06, 0xff, 0xff, 0xff, 0xff }, 6, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "test rax, rbx", { 0x48, 0x85, 0xd8 }, 3, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "test rbx, rax", { 0x48, 0x85, 0xc3 }, 3, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "test qword ptr [rsi+8], rbx", { 0x48, 0x85, 0x5e, 0x08 }, 4, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "test rcx, -0x7ffffff0", { 0x48, 0xf7, 0xc1, 0x10, 0x00, 0x00, 0x80 }, 7, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "test rbx, -3", { 0x48, 0xf7, 0xc3, 0xfd, 0xff, 0xff, 0xff }, 7, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "test rax, 0x7f", { 0x48, 0xa9, 0x7f, 0x00, 0x00, 0x00 }, 6, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "test qword ptr [rsi], -1", { 0x48, 0xf7, 0x06, 0xff, 0xff, 0xff, 0xff }, 7, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "test ah, bh", { 0x84, 0xfc }, 2, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "test r9, r10", { 0x4d, 0x85, 0xd1 }, 3, RFLAGS_AF, AH_PLAIN, 3, 0 },
	{ "test r11d, r12d", { 0x45, 0x85, 0xe3 }, 3, RFLAGS_AF, AH_PLAIN, 2, 0 },
	{ "test sil, r13b", { 0x44, 0x84, 0xee }, 3, RFLAGS_AF, AH_PLAIN, 0, 0 },
	{ "inc bl", { 0xfe, 0xc3 }, 2, 0, AH_PLAIN, 0, 0 },
	{ "inc byte ptr [rsi+32]", { 0xfe, 0x46, 0x20 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "inc bx", { 0x66, 0xff, 0xc3 }, 3, 0, AH_PLAIN, 1, 0 },
	{ "inc word ptr [rsi+32]", { 0x66, 0xff, 0x46, 0x20 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "inc ebx", { 0xff, 0xc3 }, 2, 0, AH_PLAIN, 2, 0 },
	{ "inc dword ptr [rsi+32]", { 0xff, 0x46, 0x20 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "inc rbx", { 0x48, 0xff, 0xc3 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "inc qword ptr [rsi+32]", { 0x48, 0xff, 0x46, 0x20 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "lock inc word ptr [rsi]", { 0x66, 0xf0, 0xff, 0x06 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "inc ch", { 0xfe, 0xc5 }, 2, 0, AH_PLAIN, 0, 0 },
	{ "inc r15", { 0x49, 0xff, 0xc7 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "dec bl", { 0xfe, 0xcb }, 2, 0, AH_PLAIN, 0, 0 },
	{ "dec byte ptr [rsi+32]", { 0xfe, 0x4e, 0x20 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "dec bx", { 0x66, 0xff, 0xcb }, 3, 0, AH_PLAIN, 1, 0 },
	{ "dec word ptr [rsi+32]", { 0x66, 0xff, 0x4e, 0x20 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "dec ebx", { 0xff, 0xcb }, 2, 0, AH_PLAIN, 2, 0 },
	{ "dec dword ptr [rsi+32]", { 0xff, 0x4e, 0x20 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "dec rbx", { 0x48, 0xff, 0xcb }, 3, 0, AH_PLAIN, 3, 0 },
	{ "dec qword ptr [rsi+32]", { 0x48, 0xff, 0x4e, 0x20 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "lock dec word ptr [rsi]", { 0x66, 0xf0, 0xff, 0x0e }, 4, 0, AH_PLAIN, 1, 0 },
	{ "dec ch", { 0xfe, 0xcd }, 2, 0, AH_PLAIN, 0, 0 },
	{ "dec r15", { 0x49, 0xff, 0xcf }, 3, 0, AH_PLAIN, 3, 0 },
	{ "neg bl", { 0xf6, 0xdb }, 2, 0, AH_PLAIN, 0, 0 },
	{ "neg byte ptr [rsi+32]", { 0xf6, 0x5e, 0x20 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "neg bx", { 0x66, 0xf7, 0xdb }, 3, 0, AH_PLAIN, 1, 0 },
	{ "neg word ptr [rsi+32]", { 0x66, 0xf7, 0x5e, 0x20 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "neg ebx", { 0xf7, 0xdb }, 2, 0, AH_PLAIN, 2, 0 },
	{ "neg dword ptr [rsi+32]", { 0xf7, 0x5e, 0x20 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "neg rbx", { 0x48, 0xf7, 0xdb }, 3, 0, AH_PLAIN, 3, 0 },
	{ "neg qword ptr [rsi+32]", { 0x48, 0xf7, 0x5e, 0x20 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "lock neg word ptr [rsi]", { 0x66, 0xf0, 0xf7, 0x1e }, 4, 0, AH_PLAIN, 1, 0 },
	{ "neg ch", { 0xf6, 0xdd }, 2, 0, AH_PLAIN, 0, 0 },
	{ "neg r15", { 0x49, 0xf7, 0xdf }, 3, 0, AH_PLAIN, 3, 0 },
	{ "not bl", { 0xf6, 0xd3 }, 2, 0, AH_PLAIN, 0, 0 },
	{ "not byte ptr [rsi+32]", { 0xf6, 0x56, 0x20 }, 3, 0, AH_PLAIN, 0, 0 },
	{ "not bx", { 0x66, 0xf7, 0xd3 }, 3, 0, AH_PLAIN, 1, 0 },
	{ "not word ptr [rsi+32]", { 0x66, 0xf7, 0x56, 0x20 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "not ebx", { 0xf7, 0xd3 }, 2, 0, AH_PLAIN, 2, 0 },
	{ "not dword ptr [rsi+32]", { 0xf7, 0x56, 0x20 }, 3, 0, AH_PLAIN, 2, 0 },
	{ "not rbx", { 0x48, 0xf7, 0xd3 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "not qword ptr [rsi+32]", { 0x48, 0xf7, 0x56, 0x20 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "lock not word ptr [rsi]", { 0x66, 0xf0, 0xf7, 0x16 }, 4, 0, AH_PLAIN, 1, 0 },
	{ "not ch", { 0xf6, 0xd5 }, 2, 0, AH_PLAIN, 0, 0 },
	{ "not r15", { 0x49, 0xf7, 0xd7 }, 3, 0, AH_PLAIN, 3, 0 },
};

static const struct ah_vec alu_seq_vecs[] = {
	{ "add eax, 0x12345678", { 0x05, 0x78, 0x56, 0x34, 0x12 }, 5, 0, AH_PLAIN, 3, 0 },
	{ "sub rax, 0x7fffffff", { 0x48, 0x2d, 0xff, 0xff, 0xff, 0x7f }, 6, 0, AH_PLAIN, 3, 0 },
	{ "adc ax, 0x1234", { 0x66, 0x15, 0x34, 0x12 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "cmp eax, -1", { 0x83, 0xf8, 0xff }, 3, 0, AH_PLAIN, 3, 0 },
	{ "add rax, rbx; inc rcx; adc rdx, rdi", { 0x48, 0x01, 0xd8, 0x48, 0xff, 0xc1, 0x48, 0x11, 0xfa }, 9, 0, AH_PLAIN, 3, 0 },
	{ "sub ebx, eax; dec r8d; sbb r9d, r10d", { 0x29, 0xc3, 0x41, 0xff, 0xc8, 0x45, 0x19, 0xd1 }, 8, 0, AH_PLAIN, 3, 0 },
	{ "cmp rax, rbx; inc rbx; sbb rcx, rcx", { 0x48, 0x39, 0xd8, 0x48, 0xff, 0xc3, 0x48, 0x19, 0xc9 }, 9, 0, AH_PLAIN, 3, 0 },
	{ "neg rax; adc rbx, 0; inc al; dec bl; sbb rdx, rdx", { 0x48, 0xf7, 0xd8, 0x48, 0x83, 0xd3, 0x00, 0xfe, 0xc0, 0xfe, 0xcb, 0x48, 0x19, 0xd2 }, 14, 0, AH_PLAIN, 3, 0 },
	{ "xor eax, eax; adc rcx, rdx; not rcx; adc r8b, r9b", { 0x31, 0xc0, 0x48, 0x11, 0xd1, 0x48, 0xf7, 0xd1, 0x45, 0x10, 0xc8 }, 11, 0, AH_PLAIN, 3, 0 },
	{ "test rax, rbx; adc rcx, rcx; cmp cl, dl; sbb edx, edi", { 0x48, 0x85, 0xd8, 0x48, 0x11, 0xc9, 0x38, 0xd1, 0x19, 0xfa }, 10, 0, AH_PLAIN, 3, 0 },
};

static void alu_vectors(void **state)
{
	(void)state;
	ah_run_table(alu_vecs, sizeof(alu_vecs) / sizeof(alu_vecs[0]), 300);
}

/* Lazy flags across instructions: INC/DEC keep CF from an earlier ADD/SUB,
 * ADC/SBB consume a lazily recorded carry. */
static void alu_sequences(void **state)
{
	(void)state;
	ah_run_table(alu_seq_vecs, sizeof(alu_seq_vecs) / sizeof(alu_seq_vecs[0]), 2000);
}

/* SDM Vol. 2 "LOCK": #UD unless the instruction is one of the listed ones
 * and its destination is memory; CMP and TEST are not listed. */
static void alu_lock_rules(void **state)
{
	static const struct { uint8_t code[4]; uint8_t len; int vec; } t[] = {
		{ { 0xf0, 0x39, 0x06 }, 3, EXC_UD },        /* lock cmp [rsi], eax */
		{ { 0xf0, 0x85, 0x06 }, 3, EXC_UD },        /* lock test [rsi], eax */
		{ { 0xf0, 0x01, 0xd8 }, 3, EXC_UD },        /* lock add eax, ebx */
		{ { 0xf0, 0x03, 0x06 }, 3, EXC_UD },        /* lock add eax, [rsi] */
		{ { 0xf0, 0x01, 0x06 }, 3, -1 },            /* lock add [rsi], eax */
		{ { 0xf0, 0xf7, 0x1e }, 3, -1 },            /* lock neg dword [rsi] */
		{ { 0xf0, 0xff, 0x06 }, 3, -1 },            /* lock inc dword [rsi] */
	};
	struct tm *tm = tm_new(TM_LONG64);

	(void)state;
	ah_install_idt(tm, 1);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ah_state s = { .rflags = 0x202 };

		s.gpr[R_RSI] = TM_DATA;
		s.gpr[R_RAX] = 0x10;
		s.gpr[R_RBX] = 0x20;
		tm_write(tm, TM_DATA, 8, 5);
		assert_int_equal(ah_guest_run(tm, t[i].code, t[i].len, &s), t[i].vec);
		if (t[i].vec >= 0) {
			assert_int_equal(s.gpr[R_RAX], 0x10);
			assert_int_equal(s.gpr[R_RBX], 0x20);
			assert_int_equal(tm_read(tm, TM_DATA, 8), 5);
		}
	}
	tm_free(tm);
}

/* The same vectors in 32-bit protected mode (those without REX/VEX.W). */
static void alu_vectors_prot32(void **state)
{
	(void)state;
	ah_run_table_mode(alu_vecs, sizeof(alu_vecs) / sizeof(alu_vecs[0]), 100, TM_PROT32);
}

/* Register forms in real mode (16-bit default operand size). */
static void alu_vectors_real(void **state)
{
	(void)state;
	assert_true(ah_run_table_real(alu_vecs, sizeof(alu_vecs) / sizeof(alu_vecs[0]), 60) > 100);
}

static const struct ah_vec fault_vecs[] = {
	{ "add qword ptr [rsi], rbx", { 0x48, 0x01, 0x1e }, 3, 0, AH_PLAIN, 3, 0 },
	{ "adc dword ptr [rsi], 5", { 0x83, 0x16, 0x05 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "sub word ptr [rsi], bx", { 0x66, 0x29, 0x1e }, 3, 0, AH_PLAIN, 3, 0 },
	{ "cmp byte ptr [rsi], bl", { 0x38, 0x1e }, 2, 0, AH_PLAIN, 3, 0 },
	{ "inc qword ptr [rsi]", { 0x48, 0xff, 0x06 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "neg dword ptr [rsi]", { 0xf7, 0x1e }, 2, 0, AH_PLAIN, 3, 0 },
	{ "not byte ptr [rsi]", { 0xf6, 0x16 }, 2, 0, AH_PLAIN, 3, 0 },
	{ "shl qword ptr [rsi], cl", { 0x48, 0xd3, 0x26 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "rcr dword ptr [rsi], 1", { 0xd1, 0x1e }, 2, 0, AH_PLAIN, 3, 0 },
	{ "shld dword ptr [rsi], ebx, 3", { 0x0f, 0xa4, 0x1e, 0x03 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "bts qword ptr [rsi], rax", { 0x48, 0x0f, 0xab, 0x06 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "bt dword ptr [rsi], 7", { 0x0f, 0xba, 0x26, 0x07 }, 4, 0, AH_PLAIN, 3, 0 },
	{ "mul qword ptr [rsi]", { 0x48, 0xf7, 0x26 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "idiv dword ptr [rsi]", { 0xf7, 0x3e }, 2, 0, AH_PLAIN, 3, 0 },
	{ "imul ebx, dword ptr [rsi], 9", { 0x6b, 0x1e, 0x09 }, 3, 0, AH_PLAIN, 3, 0 },
	{ "popcnt rbx, qword ptr [rsi]", { 0xf3, 0x48, 0x0f, 0xb8, 0x1e }, 5, 0, AH_PLAIN, 3, 0 },
	{ "andn ebx, ecx, dword ptr [rsi]", { 0xc4, 0xe2, 0x70, 0xf2, 0x1e }, 5, 0, AH_PLAIN, 3, 0 },
	{ "add rbx, qword ptr [rsi]", { 0x48, 0x03, 0x1e }, 3, 0, AH_PLAIN, 3, 0 },
	{ "lock xor dword ptr [rsi], ebx", { 0xf0, 0x31, 0x1e }, 3, 0, AH_PLAIN, 3, 0 },
};

/* Exceptions are precise: a memory operand that faults (here a
 * non-canonical address, #GP(0), SDM Vol. 3A §3.3.7.1) leaves every
 * register, RFLAGS and memory as they
 * were. */
static void memory_fault_is_precise(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);

	(void)state;
	ah_install_idt(tm, 1);
	for (size_t k = 0; k < sizeof(fault_vecs) / sizeof(fault_vecs[0]); k++) {
		struct ah_state in, out;

		for (int i = 0; i < 16; i++)
			in.gpr[i] = 0x1111111111111111ull * (uint64_t)(i + 1);
		in.gpr[R_RSI] = 0x8000000000001000ull;
		in.rflags = 0x202 | RFLAGS_CF | RFLAGS_AF | RFLAGS_SF;
		out = in;
		assert_int_equal(ah_guest_run(tm, fault_vecs[k].code, fault_vecs[k].len, &out), EXC_GP);
		for (int i = 0; i < 16; i++)
			if (i != R_RSP)
				assert_int_equal(out.gpr[i], in.gpr[i]);
		assert_int_equal(out.rflags & RFLAGS_ARITH, in.rflags & RFLAGS_ARITH);
	}
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alu_vectors),
		cmocka_unit_test(alu_vectors_prot32),
		cmocka_unit_test(alu_vectors_real),
		cmocka_unit_test(alu_sequences),
		cmocka_unit_test(alu_lock_rules),
		cmocka_unit_test(memory_fault_is_precise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
