//! Content digests (`sha256:<hex>`, `sha512:<hex>`) as the OCI image spec
//! defines them (`descriptor.md`, "Digests"), and readers that hash what
//! passes through them.
//!
//! A digest names a blob file (`blobs/<alg>/<hex>`), so it is checked
//! strictly before it is ever used as a name: a registered algorithm and
//! exactly its number of lowercase hex digits. Anything else (`sha256:../x`,
//! upper case, `md5:`) is refused, and so can never name a host path.

use std::io::Read;

use sha2::{Digest as _, Sha256, Sha512};

/// A hash algorithm the OCI image spec registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Hex digits of an encoded digest.
    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// A verified-syntax digest: `algorithm:hex`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Digest {
    pub algorithm: Algorithm,
    /// Lowercase hex, exactly as long as the algorithm's output.
    pub hex: String,
}

impl Digest {
    /// Parses `sha256:<64 hex>` or `sha512:<128 hex>`.
    pub fn parse(s: &str) -> Result<Digest, String> {
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| format!("digest {:?} has no algorithm", short(s)))?;
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            other => {
                return Err(format!(
                    "digest {:?}: unsupported algorithm {:?} (sha256 and sha512 are)",
                    short(s),
                    short(other)
                ));
            }
        };
        let ok = hex.len() == algorithm.hex_len()
            && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !ok {
            return Err(format!(
                "digest {:?}: {} needs {} lowercase hex digits",
                short(s),
                algorithm.name(),
                algorithm.hex_len()
            ));
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }

    /// The blob's path inside an image layout: `blobs/<alg>/<hex>`.
    pub fn blob_path(&self) -> String {
        format!("blobs/{}/{}", self.algorithm.name(), self.hex)
    }

    /// A hasher for this digest's algorithm.
    pub fn hasher(&self) -> Hasher {
        Hasher::new(self.algorithm)
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}

/// At most 100 characters of an input-derived string, for messages.
pub fn short(s: &str) -> String {
    match s.char_indices().nth(100) {
        Some((i, _)) => format!("{}...", s.get(..i).unwrap_or_default()),
        None => s.to_string(),
    }
}

/// A running hash of one algorithm.
#[derive(Clone)]
pub enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest of everything hashed.
    pub fn finish(self) -> Digest {
        let (algorithm, hex) = match self {
            Hasher::Sha256(h) => (Algorithm::Sha256, crate::input::hex(&h.finalize())),
            Hasher::Sha512(h) => (Algorithm::Sha512, crate::input::hex(&h.finalize())),
        };
        Digest { algorithm, hex }
    }
}

/// Hashes and counts every byte read through it.
pub struct Hashing<R> {
    inner: R,
    hasher: Option<Hasher>,
    count: u64,
}

impl<R: Read> Hashing<R> {
    /// With no algorithm, only counts.
    pub fn new(inner: R, algorithm: Option<Algorithm>) -> Self {
        Hashing {
            inner,
            hasher: algorithm.map(Hasher::new),
            count: 0,
        }
    }

    /// Bytes read so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The digest of what was read (`None` when only counting).
    pub fn finish(self) -> Option<Digest> {
        self.hasher.map(Hasher::finish)
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The reader, and the digest of what was read through it.
    pub fn into_parts(self) -> (R, Option<Digest>) {
        (self.inner, self.hasher.map(Hasher::finish))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let got = buf.get(..n).unwrap_or_default();
        if let Some(h) = &mut self.hasher {
            h.update(got);
        }
        self.count = self.count.saturating_add(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_registered_well_formed_digests_parse() {
        let hex = "a".repeat(64);
        let d = Digest::parse(&format!("sha256:{hex}")).unwrap();
        assert_eq!(d.blob_path(), format!("blobs/sha256/{hex}"));
        assert!(Digest::parse(&format!("sha512:{}", "0".repeat(128))).is_ok());
        for bad in [
            "sha256".to_string(),
            format!("sha256:{}", "A".repeat(64)),
            format!("sha256:{}", "a".repeat(63)),
            format!("sha512:{hex}"),
            format!("md5:{hex}"),
            "sha256:../../../../etc/passwd".to_string(),
            format!("sha256:{}/x", "a".repeat(62)),
        ] {
            assert!(Digest::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hashing_reader_matches_known_digests() {
        let mut r = Hashing::new(&b"abc"[..], Some(Algorithm::Sha256));
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(r.count(), 3);
        assert_eq!(
            r.finish().unwrap().to_string(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let mut h = Hasher::new(Algorithm::Sha512);
        h.update(b"abc");
        assert!(h.finish().hex.starts_with("ddaf35a193617aba"));
    }
}
