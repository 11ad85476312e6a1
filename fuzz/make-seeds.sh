#!/usr/bin/env bash
# Writes the hand-made seed inputs of one fuzz harness into a folder:
#
#   fuzz/make-seeds.sh cpu|moo DIR
#
# Used by scripts/fuzz.sh (libFuzzer's starting corpus) and by the ctests
# fuzz_cpu_replay and fuzz_moo_replay (fuzz/CMakeLists.txt), which replay
# the seeds and then mutations of them. DIR is emptied first. The moo seeds
# include the first test of a real vector file when the conformance vectors
# are there (RINGLAB_CONFORMANCE_DIR, default
# ../shared/conformance/80286/v1_real_mode beside the repository).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

target=${1:-}
seeds=${2:-}
if [[ "$target" != cpu && "$target" != moo ]] || [[ -z "$seeds" ]]; then
  echo "usage: fuzz/make-seeds.sh cpu|moo DIR" >&2
  exit 2
fi
rm -rf "$seeds"
mkdir -p "$seeds"
# le16 V / le32 V: little-endian bytes on stdout.
le16() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))"; }
le32() { le16 $(($1 & 0xFFFF)); le16 $(($1 >> 16 & 0xFFFF)); }

if [[ "$target" == cpu ]]; then
  # fuzz_cpu input: config, flags, EAX..EDI low halves, high-half mask, code
  # (fuzz/fuzz_cpu.c). Registers: CX 5, BX 0x100, SP 0xFFF0, SI 0x10, DI 0x20.
  hdr() { # CONFIG FLAGS
    printf "\\x$1\\x$2"
    le16 0; le16 5; le16 0; le16 0x100; le16 0xFFF0; le16 0; le16 0x10; le16 0x20
    printf '\x00'
  }
  # real mode: mov ax,1234h; add ax,bx; mov [bx+si],ax; inc cx; loop -2; hlt
  { hdr 00 00; printf '\xb8\x34\x12\x01\xd8\x89\x00\x41\xe2\xfe\xf4'; } >"$seeds/real-alu"
  # prefixes: es mov ax,[bx]; o32 mov eax,[bx]; a32 mov ax,[ebx]; lock add [bx],ax;
  # rep movsw; o32 a32 rep movsd; repne scasb; cs nop; 0f b7 movzx; hlt
  { hdr 00 00; printf '\x26\x8b\x07\x66\x8b\x07\x67\x8b\x03\xf0\x01\x07\xf3\xa5\x66\x67\xf3\xa5\xf2\xae\x2e\x90\x0f\xb7\xc3\xf4'; } >"$seeds/real-prefixes"
  # real mode exceptions: int3; int 21h; div by zero (div bl, BL 0); ud2
  { hdr 00 00; printf '\xcc\xcd\x21\x31\xdb\xf6\xf3\x0f\x0b\xf4'; } >"$seeds/real-exceptions"
  # self-modifying code: mov byte [cs:0008h],90h overwrites the int3 after it; then hlt
  { hdr 00 00; printf '\x2e\xc6\x06\x08\x00\x90\x90\x90\xcc\xf4'; } >"$seeds/real-smc"
  # far jump and segment loads: mov ax,2000h; mov ds,ax; push ds; pop es; jmp 1000:0010
  { hdr 00 00; printf '\xb8\x00\x20\x8e\xd8\x1e\x07\xea\x10\x00\x00\x10\x90\x90\x90\x90\xf4'; } >"$seeds/real-segments"
  # ops port: mov al,0; out 0f4h,al (stops the run)
  { hdr 00 00; printf '\xb0\x00\xe6\xf4\xf4'; } >"$seeds/real-ops-exit"
  # unreal mode, 32-bit address: mov eax,[ebx] with EBX high half set (ROM, MMIO)
  { printf '\x02\x00'; le16 0; le16 5; le16 0; le16 0; le16 0xFFF0; le16 0; le16 0x10; le16 0x20
    printf '\x08'; printf '\x67\x66\x8b\x03\x67\x66\x89\x03\xf4'; } >"$seeds/real-unreal"
  # instructions across a page boundary (code at IP 0FF0h): nops then mov eax,imm32
  { hdr 80 00; printf '\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x66\xb8\x11\x22\x33\x44\xf4'; } >"$seeds/real-page-cross"
  # protected flat 32-bit: mov eax,12345678h; add [ebx+esi*4+8],eax; push eax; pop ecx;
  # call +0; pop edx; cpuid; rdtsc; hlt
  { hdr 01 00; printf '\xb8\x78\x56\x34\x12\x01\x44\xb3\x08\x50\x59\xe8\x00\x00\x00\x00\x5a\x0f\xa2\x0f\x31\xf4'; } >"$seeds/prot-alu"
  # protected: string ops with prefixes, then int 3 (delivery stops the machine)
  { hdr 01 04; printf '\xfc\xf3\xa4\x66\xf3\xa5\xf3\xaa\x64\x8b\x00\xcc'; } >"$seeds/prot-strings"
  # protected, 16-bit code segment: o32 mov eax,[bx+si]; hlt
  { hdr 03 00; printf '\x66\x8b\x00\xf4'; } >"$seeds/prot-code16"
  # too long: 15 prefixes and an opcode
  { hdr 00 00; printf '\x66%.0s' {1..15}; printf '\x90\xf4'; } >"$seeds/real-too-long"
  # debug registers: DR0 an execute breakpoint on the NOP at 10021h, DR1 a
  # 4-byte read/write breakpoint on [20000h], DR7 enabling both; TF set by
  # POPFD; then a read of the watched dword, the NOP, and REP STOSD over it
  #   mov eax,10021h; mov dr0,eax; mov eax,20000h; mov dr1,eax;
  #   mov eax,00F00405h; mov dr7,eax; pushfd; or dword [esp],100h; popfd;
  #   nop; mov ebx,[20000h]; rep stosd; hlt
  { hdr 01 00; printf '\xb8\x21\x00\x01\x00\x0f\x23\xc0\xb8\x00\x00\x02\x00\x0f\x23\xc8'
    printf '\xb8\x05\x04\xf0\x00\x0f\x23\xf8\x9c\x81\x0c\x24\x00\x01\x00\x00\x9d'
    printf '\x90\x8b\x1d\x00\x00\x02\x00\xf3\xab\xf4'; } >"$seeds/prot-debug"
  # ENTER and LEAVE with a 32-bit operand size on the 16-bit real-mode
  # stack, nesting level 3: o32 enter 8,3; o32 leave; o16 enter 4,1 (a32); hlt
  { hdr 00 00; printf '\x66\xc8\x08\x00\x03\x66\xc9\x67\xc8\x04\x00\x01\xf4'; } >"$seeds/real-enter"
else
  # fuzz_moo: a tiny valid MOO file (one test), its gzip, and the first test
  # of a real vector file when the conformance vectors are there.
  chunk() { # ID FILE
    printf '%s' "$1"
    le32 "$(stat -c %s "$2")"
    cat "$2"
  }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  { le16 0x3FFF; for v in 1 2 3 4 0xF000 0x2000 0x3000 0x4000 0xFFFE 5 6 7 0x100 0xF002; do le16 $v; done; } >"$tmp/iregs"
  { le32 2; le32 0xF0100; printf '\x90'; le32 0xF0101; printf '\xf4'; } >"$tmp/iram"
  { chunk REGS "$tmp/iregs"; chunk 'RAM ' "$tmp/iram"; } >"$tmp/init"
  { le16 0x1000; le16 0x102; } >"$tmp/fregs"
  { le16 0x2000; le16 0xFFFF; } >"$tmp/frmsk"
  le32 0 >"$tmp/fram"
  { chunk REGS "$tmp/fregs"; chunk RMSK "$tmp/frmsk"; chunk 'RAM ' "$tmp/fram"; } >"$tmp/fina"
  { le32 3; printf 'nop'; } >"$tmp/name"
  { le32 2; printf '\x90\xf4'; } >"$tmp/byts"
  printf '\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13' >"$tmp/hash"
  { printf '\x06'; le32 0x1234; } >"$tmp/excp"
  { le32 0; chunk NAME "$tmp/name"; chunk BYTS "$tmp/byts"; chunk INIT "$tmp/init"
    chunk FINA "$tmp/fina"; chunk EXCP "$tmp/excp"; chunk HASH "$tmp/hash"; } >"$tmp/test"
  { printf '\x01\x00\x00\x00'; le32 1; printf 'C286'; } >"$tmp/header"
  { printf '\x01\x00\x00'; le32 0x90; printf 'nop     '; le32 1; le32 0; le32 0; printf '\x00\x00\x00\x00'; } >"$tmp/meta"
  { le16 0; } >"$tmp/rmsk"
  { chunk 'MOO ' "$tmp/header"; chunk META "$tmp/meta"; chunk RMSK "$tmp/rmsk"; chunk TEST "$tmp/test"; } >"$seeds/tiny.moo"
  gzip -9 -n -c "$seeds/tiny.moo" >"$seeds/tiny.moo.gz"
  vectors=${RINGLAB_CONFORMANCE_DIR:-$root/../shared/conformance/80286/v1_real_mode}
  if [[ -f "$vectors/00.MOO.gz" ]]; then
    # "MOO " (20 bytes, the test count at 12), META (39), then the first
    # TEST; the count patched to 1.
    zcat "$vectors/00.MOO.gz" | head -c 70 >"$tmp/real" || true
    if [[ "$(head -c 4 "$tmp/real")" == "MOO " && "$(tail -c +60 "$tmp/real" | head -c 4)" == TEST ]]; then
      len=$(od -An -tu4 -j63 -N4 "$tmp/real" | tr -d ' ')
      { head -c 12 "$tmp/real"; le32 1; zcat "$vectors/00.MOO.gz" | head -c $((67 + len)) | tail -c +17 || true; } \
        >"$seeds/real-first-test.moo"
    fi
  fi
fi
