//! The node's CPU as the loaders and the Go runtime see it: its machine,
//! its x86-64 microarchitecture level, and what glibc derives from it
//! (`$PLATFORM`, the glibc-hwcaps subdirectories it tries, the legacy
//! hwcap bits).
//!
//! Levels are the x86-64 psABI's (`shared/reference/loader.md` §2): each
//! needs the one below and, for v3 and v4, the OS to enable the vector
//! state; `is_x86_feature_detected!` checks both. In an init container
//! CPUID sees what the pod will see, so `host` is the node.

use std::fmt;

/// `EM_X86_64`, `EM_386`, `EM_AARCH64`, `EM_ARM`.
pub const EM_X86_64: u16 = 62;
pub const EM_386: u16 = 3;
pub const EM_AARCH64: u16 = 183;
pub const EM_ARM: u16 = 40;

/// What `--cpu` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuSpec {
    /// The CPU elfgate runs on.
    Host,
    /// An x86-64 CPU of this level (1 = baseline), of no particular vendor.
    Level(u8),
}

impl CpuSpec {
    /// Parses `host`, `x86-64` (or `x86-64-baseline`, `x86-64-v1`) and
    /// `x86-64-v2` … `x86-64-v4`.
    pub fn parse(s: &str) -> Result<CpuSpec, String> {
        match s.trim() {
            "host" => Ok(CpuSpec::Host),
            "x86-64" | "x86-64-baseline" | "x86-64-v1" => Ok(CpuSpec::Level(1)),
            "x86-64-v2" => Ok(CpuSpec::Level(2)),
            "x86-64-v3" => Ok(CpuSpec::Level(3)),
            "x86-64-v4" => Ok(CpuSpec::Level(4)),
            other => Err(format!(
                "unknown CPU `{other}`: expected host, x86-64, x86-64-v2, x86-64-v3 or x86-64-v4"
            )),
        }
    }
}

impl fmt::Display for CpuSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CpuSpec::Host => f.write_str("host"),
            CpuSpec::Level(1) => f.write_str("x86-64"),
            CpuSpec::Level(n) => write!(f, "x86-64-v{n}"),
        }
    }
}

/// A node CPU, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpu {
    /// What was asked for.
    pub spec: CpuSpec,
    /// The machine (`EM_*`) programs run on natively.
    pub machine: u16,
    /// The x86-64 level (1 baseline … 4); 0 when not x86-64 (or unknown).
    pub level: u8,
    /// The vendor is Intel: glibc names `$PLATFORM` and hwcap bits only then.
    pub intel: bool,
    /// Intel with AVX-512 F/CD/BW/DQ/VL and no ER: glibc's `avx512_1` hwcap.
    pub avx512_1: bool,
    /// Intel with AVX-512 ER and PF (Xeon Phi): `$PLATFORM` is `xeon_phi`.
    pub xeon_phi: bool,
    /// Intel with AVX2, FMA, BMI1/2, LZCNT, MOVBE and POPCNT.
    pub haswell: bool,
}

impl Cpu {
    /// The CPU `spec` names: the host's, detected, or a level.
    pub fn new(spec: CpuSpec) -> Cpu {
        match spec {
            CpuSpec::Host => host(),
            CpuSpec::Level(level) => Cpu {
                spec,
                machine: EM_X86_64,
                level,
                intel: false,
                avx512_1: false,
                xeon_phi: false,
                haswell: false,
            },
        }
    }

    /// `GNU_PROPERTY_X86_ISA_1_*` bits this CPU supports (baseline = 1,
    /// v2 = 2, v3 = 4, v4 = 8): glibc's `cpu_features->isa_1`.
    pub fn isa_1(&self) -> u32 {
        (1u32 << self.level.min(4)) - 1
    }

    /// Whether a program for `e_machine` runs on this node natively (the
    /// 32-bit sibling included, as a 64-bit kernel runs it).
    pub fn runs(&self, e_machine: u16) -> bool {
        e_machine == self.machine
            || (self.machine == EM_X86_64 && e_machine == EM_386)
            || (self.machine == EM_AARCH64 && e_machine == EM_ARM)
    }

    /// glibc's `$PLATFORM` (`GLRO(dl_platform)`): `AT_PLATFORM`, except on
    /// x86-64 Intel CPUs, which glibc renames (`sysdeps/x86/cpu-features.c`).
    pub fn platform(&self) -> &'static str {
        if self.machine == EM_X86_64 {
            if self.xeon_phi {
                "xeon_phi"
            } else if self.haswell {
                "haswell"
            } else {
                "x86_64"
            }
        } else {
            machine_platform(self.machine)
        }
    }

    /// The glibc-hwcaps subdirectories glibc ≥ 2.33 tries, best first
    /// (`sysdeps/x86_64/dl-hwcaps-subdirs.c`): the levels this CPU has above
    /// the baseline.
    pub fn hwcaps_subdirs(&self) -> Vec<&'static str> {
        if self.machine != EM_X86_64 {
            return Vec::new();
        }
        ["x86-64-v4", "x86-64-v3", "x86-64-v2"]
            .into_iter()
            .zip([4u8, 3, 2])
            .filter(|&(_, l)| self.level >= l)
            .map(|(s, _)| s)
            .collect()
    }

    /// The legacy hwcap names glibc ≤ 2.36 builds subdirectories from,
    /// in bit order (`_dl_x86_hwcap_flags` masked by `HWCAP_IMPORTANT`).
    pub fn legacy_hwcaps(&self) -> Vec<&'static str> {
        match self.machine {
            EM_X86_64 if self.avx512_1 => vec!["x86_64", "avx512_1"],
            EM_X86_64 => vec!["x86_64"],
            _ => Vec::new(),
        }
    }

    /// `GLRO(dl_hwcap) & hwcap_mask` on x86-64, for legacy cache entries:
    /// `HWCAP_X86_64` (bit 1) and `HWCAP_X86_AVX512_1` (bit 2).
    pub fn legacy_hwcap_bits(&self) -> u64 {
        match self.machine {
            EM_X86_64 => 2 | if self.avx512_1 { 4 } else { 0 },
            _ => 0,
        }
    }

    /// The level as a psABI name (`x86-64-v3`), for messages.
    pub fn level_name(&self) -> String {
        level_name(self.level)
    }
}

/// `x86-64-vN` for a level (`x86-64` for the baseline).
pub fn level_name(level: u8) -> String {
    match level {
        0 => "none".to_string(),
        1 => "x86-64".to_string(),
        n => format!("x86-64-v{n}"),
    }
}

/// `AT_PLATFORM` of a machine, as the kernel reports it.
fn machine_platform(machine: u16) -> &'static str {
    match machine {
        EM_AARCH64 => "aarch64",
        EM_386 => "i686",
        EM_ARM => "v7l",
        21 => "powerpc64le",
        22 => "s390x",
        243 => "riscv64",
        _ => "unknown",
    }
}

/// The host CPU.
fn host() -> Cpu {
    let machine = match std::env::consts::ARCH {
        "x86_64" => EM_X86_64,
        "x86" => EM_386,
        "aarch64" => EM_AARCH64,
        "arm" => EM_ARM,
        "powerpc64" => 21,
        "s390x" => 22,
        "riscv64" => 243,
        "loongarch64" => 258,
        _ => 0,
    };
    let mut cpu = Cpu {
        spec: CpuSpec::Host,
        machine,
        level: 0,
        intel: false,
        avx512_1: false,
        xeon_phi: false,
        haswell: false,
    };
    #[cfg(target_arch = "x86_64")]
    detect_x86_64(&mut cpu);
    cpu
}

#[cfg(target_arch = "x86_64")]
fn detect_x86_64(cpu: &mut Cpu) {
    use std::arch::x86_64::__cpuid;
    macro_rules! has {
        ($($f:tt),*) => { true $(&& std::arch::is_x86_feature_detected!($f))* };
    }
    let max_ext = __cpuid(0x8000_0000).eax;
    // LAHF/SAHF in 64-bit mode: CPUID 0x80000001 ECX bit 0 (not in std's list).
    let lahf = max_ext >= 0x8000_0001 && __cpuid(0x8000_0001).ecx & 1 != 0;
    let v2 = lahf && has!("cmpxchg16b", "popcnt", "sse3", "ssse3", "sse4.1", "sse4.2");
    let v3 = v2
        && has!(
            "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "lzcnt", "movbe", "xsave"
        );
    let v4 = v3 && has!("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl");
    cpu.level = 1 + u8::from(v2) + u8::from(v3) + u8::from(v4);
    let vendor = __cpuid(0);
    cpu.intel = (vendor.ebx, vendor.edx, vendor.ecx) == (0x756e_6547, 0x4965_6e69, 0x6c65_746e);
    if cpu.intel {
        let leaf7 = if vendor.eax >= 7 { __cpuid(7).ebx } else { 0 };
        let (pf, er) = (leaf7 & (1 << 26) != 0, leaf7 & (1 << 27) != 0);
        let cd = has!("avx512f", "avx512cd");
        // As glibc's `init_cpu_features` decides them.
        cpu.xeon_phi = cd && er && pf;
        cpu.avx512_1 = cd && !er && has!("avx512bw", "avx512dq", "avx512vl");
        cpu.haswell =
            !cpu.xeon_phi && has!("avx2", "fma", "bmi1", "bmi2", "lzcnt", "movbe", "popcnt");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_print() {
        for (s, want) in [
            ("host", CpuSpec::Host),
            ("x86-64", CpuSpec::Level(1)),
            ("x86-64-baseline", CpuSpec::Level(1)),
            ("x86-64-v2", CpuSpec::Level(2)),
            (" x86-64-v4 ", CpuSpec::Level(4)),
        ] {
            assert_eq!(CpuSpec::parse(s).unwrap(), want);
        }
        assert!(CpuSpec::parse("haswell").unwrap_err().contains("x86-64-v3"));
        assert_eq!(CpuSpec::Level(3).to_string(), "x86-64-v3");
        assert_eq!(CpuSpec::Level(1).to_string(), "x86-64");
    }

    #[test]
    fn a_named_level_is_a_generic_cpu() {
        let v3 = Cpu::new(CpuSpec::Level(3));
        assert_eq!(v3.isa_1(), 0b111);
        assert_eq!(v3.hwcaps_subdirs(), ["x86-64-v3", "x86-64-v2"]);
        assert_eq!(v3.platform(), "x86_64");
        assert_eq!(v3.legacy_hwcaps(), ["x86_64"]);
        assert!(v3.runs(EM_X86_64) && v3.runs(EM_386) && !v3.runs(EM_AARCH64));
        let v1 = Cpu::new(CpuSpec::Level(1));
        assert!(v1.hwcaps_subdirs().is_empty());
        assert_eq!(v1.isa_1(), 1);
    }

    /// The host as detected agrees with /proc/cpuinfo's flags, where the
    /// kernel names the same features.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn host_level_agrees_with_cpuinfo() {
        let host = Cpu::new(CpuSpec::Host);
        assert_eq!(host.machine, EM_X86_64);
        let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") else {
            return;
        };
        let flags: Vec<&str> = info
            .lines()
            .find(|l| l.starts_with("flags"))
            .and_then(|l| l.split(':').nth(1))
            .map(|f| f.split_whitespace().collect())
            .unwrap_or_default();
        let all = |names: &[&str]| names.iter().all(|n| flags.contains(n));
        // SSE3 is `pni`, LZCNT is `abm`, LAHF is `lahf_lm` in cpuinfo.
        let v2 = all(&[
            "cx16", "lahf_lm", "popcnt", "pni", "ssse3", "sse4_1", "sse4_2",
        ]);
        let v3 = v2
            && all(&[
                "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave",
            ]);
        let v4 = v3 && all(&["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]);
        let want = 1 + u8::from(v2) + u8::from(v3) + u8::from(v4);
        assert_eq!(host.level, want, "cpuinfo flags: {flags:?}");
    }
}
