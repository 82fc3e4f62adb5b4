//! `memcpy` and `memmove` for the static musl build on x86_64.
//!
//! musl's copies every size with `rep movsq`, plus one microcoded `movsb`
//! per byte of an unaligned head and tail. Most of elfgate's copies are a
//! few to a few hundred bytes (names, strings of a report, vector growth),
//! where that costs tens of cycles each: in a profile of the shipped binary
//! on an Intel Xeon, `memcpy` was 11% of the CPU of `make bench`'s tree
//! case and 22% of its load case (3% in the glibc build, whose `memcpy`
//! picks a copy for the size and the CPU). Here sizes up to 64 bytes are
//! copied with a few unaligned loads and stores, with no loop (a loop could
//! be turned back into a call to `memcpy` by the compiler), and larger ones
//! with `rep movsb`, which CPUs that report ERMS (enhanced `rep movsb`)
//! run at close to full speed; only the Intel machine was measured.
//! `memmove` comes too: musl's shares an object file
//! with its `memcpy` (it jumps into it), so both are replaced or neither.
//! Callers inside musl and mimalloc link to these as well.

use core::ptr::{read_unaligned as load, write_unaligned as store};

/// Copies `n` bytes from `src` to `dst`.
///
/// # Safety
/// As `memcpy`: both ranges valid for `n` bytes, not overlapping.
#[inline(always)]
pub unsafe fn copy(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: every access below is inside `[0, n)` of both ranges, which
    // the caller vouches for; unaligned reads and writes need no alignment.
    unsafe {
        if n <= 16 {
            if n >= 8 {
                let (a, b) = (load(src.cast::<u64>()), load(src.add(n - 8).cast::<u64>()));
                store(dst.cast::<u64>(), a);
                store(dst.add(n - 8).cast::<u64>(), b);
            } else if n >= 4 {
                let (a, b) = (load(src.cast::<u32>()), load(src.add(n - 4).cast::<u32>()));
                store(dst.cast::<u32>(), a);
                store(dst.add(n - 4).cast::<u32>(), b);
            } else if n > 0 {
                let (a, b, c) = (*src, *src.add(n / 2), *src.add(n - 1));
                *dst = a;
                *dst.add(n / 2) = b;
                *dst.add(n - 1) = c;
            }
        } else if n <= 32 {
            let (a, b) = (
                load(src.cast::<u128>()),
                load(src.add(n - 16).cast::<u128>()),
            );
            store(dst.cast::<u128>(), a);
            store(dst.add(n - 16).cast::<u128>(), b);
        } else if n <= 64 {
            let a = load(src.cast::<u128>());
            let b = load(src.add(16).cast::<u128>());
            let c = load(src.add(n - 32).cast::<u128>());
            let d = load(src.add(n - 16).cast::<u128>());
            store(dst.cast::<u128>(), a);
            store(dst.add(16).cast::<u128>(), b);
            store(dst.add(n - 32).cast::<u128>(), c);
            store(dst.add(n - 16).cast::<u128>(), d);
        } else {
            core::arch::asm!(
                "rep movsb",
                inout("rcx") n => _,
                inout("rdi") dst => _,
                inout("rsi") src => _,
                options(nostack, preserves_flags)
            );
        }
    }
}

/// Copies `n` bytes from `src` to `dst`, which may overlap.
///
/// # Safety
/// As `memmove`: both ranges valid for `n` bytes.
#[inline(always)]
pub unsafe fn copy_overlapping(dst: *mut u8, src: *const u8, n: usize) {
    // A forward copy is right when `dst` is below `src` or past the end of
    // `src` (the test musl's `memmove` makes); `copy` also loads every
    // byte before it stores any up to 64 bytes.
    if n <= 64 || (dst as usize).wrapping_sub(src as usize) >= n {
        // SAFETY: the caller's contract, and the overlap is handled above.
        unsafe { copy(dst, src, n) };
        return;
    }
    // SAFETY: `n > 64`, so `n - 1` is inside both ranges. Copied from the
    // last byte down, with the direction flag set and cleared again (the
    // ABI wants it clear at every call).
    unsafe {
        core::arch::asm!(
            "std",
            "rep movsb",
            "cld",
            inout("rcx") n => _,
            inout("rdi") dst.add(n - 1) => _,
            inout("rsi") src.add(n - 1) => _,
            options(nostack)
        );
    }
}

/// The C library's `memcpy`, replaced in the static musl build.
///
/// # Safety
/// As C's `memcpy`.
#[cfg(target_env = "musl")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's contract is `copy`'s.
    unsafe { copy(dst, src, n) };
    dst
}

/// The C library's `memmove`, replaced with `memcpy` (see the module).
///
/// # Safety
/// As C's `memmove`.
#[cfg(target_env = "musl")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's contract is `copy_overlapping`'s.
    unsafe { copy_overlapping(dst, src, n) };
    dst
}

#[cfg(test)]
mod tests {
    use super::{copy, copy_overlapping};

    /// Every size to 300 bytes and some larger, at every alignment of both
    /// ends within 16 bytes: the bytes copied, none around them touched.
    #[test]
    fn copies_exactly_the_bytes_asked() {
        let src: Vec<u8> = (0..5000u32).map(|i| (i * 7 + 3) as u8).collect();
        let sizes = (0..=300).chain([511, 512, 513, 4095, 4096, 4097, 4800]);
        for n in sizes {
            for s in 0..16 {
                for d in 0..16 {
                    let mut dst = vec![0xAAu8; n + 48];
                    // SAFETY: `s + n` and `d + 16 + n` are inside both vectors.
                    unsafe { copy(dst.as_mut_ptr().add(d + 16), src.as_ptr().add(s), n) };
                    assert_eq!(
                        &dst[d + 16..d + 16 + n],
                        &src[s..s + n],
                        "n {n} s {s} d {d}"
                    );
                    assert!(dst[..d + 16].iter().all(|&b| b == 0xAA), "n {n} d {d}");
                    assert!(dst[d + 16 + n..].iter().all(|&b| b == 0xAA), "n {n} d {d}");
                }
            }
        }
    }

    /// Overlapping ranges, each way and by every distance to 20 bytes and
    /// some larger: the result of copying through a separate buffer.
    #[test]
    fn moves_overlapping_bytes() {
        let base: Vec<u8> = (0..3000u32).map(|i| (i * 13 + 5) as u8).collect();
        for n in (0..=130).chain([255, 256, 1000, 2000]) {
            for shift in (0..=20).chain([63, 64, 65, 500]) {
                for forward in [true, false] {
                    let (s, d) = if forward { (shift, 0) } else { (0, shift) };
                    if s + n > base.len() || d + n > base.len() {
                        continue;
                    }
                    let mut buf = base.clone();
                    let want: Vec<u8> = base[s..s + n].to_vec();
                    let p = buf.as_mut_ptr();
                    // SAFETY: both ranges are inside `buf`.
                    unsafe { copy_overlapping(p.add(d), p.add(s), n) };
                    assert_eq!(&buf[d..d + n], &want[..], "n {n} from {s} to {d}");
                    assert_eq!(&buf[..d], &base[..d], "n {n} from {s} to {d}");
                    assert_eq!(&buf[d + n..], &base[d + n..], "n {n} from {s} to {d}");
                }
            }
        }
    }
}
