/* Test-only stand-in for Windows' bcryptprimitives.dll under Wine 8, which lacks it.
 *
 * Rust's standard library (1.78 and later) takes its random bytes (HashMap seeds) from
 * ProcessPrng in bcryptprimitives.dll, and Debian's Wine 8 has no such DLL, so every Rust
 * program dies at start. Placed next to the .exe, this DLL answers ProcessPrng with
 * RtlGenRandom (advapi32's SystemFunction036), which Wine does have. Never shipped: real
 * Windows 10 and 11 have the real DLL. Built by scripts/wine-check.sh. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    /* RtlGenRandom takes a ULONG length: feed it in pieces. */
    while (len > 0) {
        ULONG piece = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, piece))
            return FALSE;
        data += piece;
        len -= piece;
    }
    return TRUE;
}
