//! Platforms (`os/arch[/variant]`) and how an index entry is matched to
//! one, after containerd's `platforms` normalisation: `aarch64` is
//! `arm64`, `x86_64` is `amd64`; `arm64` without a variant is `v8`, `arm`
//! without one is `v7`, `amd64` `v1` is `amd64`.

use super::spec;

/// A wanted or offered platform, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: String,
}

fn normal_arch(a: &str) -> &str {
    match a {
        "aarch64" => "arm64",
        "x86_64" | "x86-64" => "amd64",
        "i386" | "i686" => "386",
        "armhf" | "armel" => "arm",
        a => a,
    }
}

fn normal_variant(arch: &str, v: &str) -> String {
    match (arch, v) {
        ("arm64", "" | "v8" | "8") => String::new(),
        ("arm", "") => "v7".into(),
        ("arm", "5" | "6" | "7" | "8") => format!("v{v}"),
        ("amd64", "v1") => String::new(),
        (_, v) => v.to_string(),
    }
}

impl Platform {
    pub fn new(os: &str, arch: &str, variant: &str) -> Self {
        let arch = normal_arch(arch);
        Platform {
            os: os.to_string(),
            arch: arch.to_string(),
            variant: normal_variant(arch, variant),
        }
    }

    /// Parses `os/arch[/variant]`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform::new(os, arch, "")),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Platform::new(os, arch, variant))
            }
            _ => Err(format!(
                "--platform {s:?}: expected os/arch[/variant], e.g. linux/arm64"
            )),
        }
    }

    pub fn of(p: &spec::Platform) -> Self {
        Platform::new(&p.os, &p.architecture, p.variant.as_deref().unwrap_or(""))
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        // arm64's implied v8 is shown as written by most tools: not at all.
        if !self.variant.is_empty() {
            write!(f, "/{}", self.variant)?;
        }
        Ok(())
    }
}

/// A platform as an image config states it (`os`, `architecture`,
/// `variant`), in the `os/arch[/variant]` form the report shows.
pub fn of_config(c: &spec::ImageConfig) -> String {
    let os = c.os.as_deref().unwrap_or("unknown");
    let arch = c.architecture.as_deref().unwrap_or("unknown");
    match c.variant.as_deref() {
        Some(v) if !v.is_empty() => format!("{os}/{arch}/{v}"),
        _ => format!("{os}/{arch}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_matches() {
        assert_eq!(
            Platform::parse("linux/arm64").unwrap(),
            Platform::new("linux", "arm64", "v8")
        );
        assert_eq!(
            Platform::parse("linux/aarch64").unwrap(),
            Platform::new("linux", "arm64", "")
        );
        assert_eq!(
            Platform::parse("linux/arm").unwrap(),
            Platform::new("linux", "arm", "v7")
        );
        assert_ne!(
            Platform::parse("linux/arm/v6").unwrap(),
            Platform::new("linux", "arm", "")
        );
        assert_eq!(
            Platform::parse("linux/amd64").unwrap().to_string(),
            "linux/amd64"
        );
        assert_eq!(
            Platform::parse("linux/arm").unwrap().to_string(),
            "linux/arm/v7"
        );
        for bad in ["linux", "linux/", "/amd64", "a/b/c/d", "linux/arm/"] {
            assert!(Platform::parse(bad).is_err(), "{bad}");
        }
    }
}
