//! A layer's uncompressed stream: the blob read in place, its compression
//! told by its first bytes (gzip `1f 8b`, zstd `28 b5 2f fd`, else plain
//! tar), and both digests computed on the way: the blob's (the manifest
//! descriptor's `digest`) over the compressed bytes, the `diff_id` (the
//! config's `rootfs.diff_ids`) over the uncompressed ones. Nothing read from
//! a layer is trusted until [`Verified::finish`] has compared both at its
//! end.
//!
//! gzip is read with `flate2` (concatenated members, as `pigz` writes, are
//! one stream), zstd with `ruzstd` (every frame, skippable frames passed
//! over, each frame's checksum checked): both pure Rust, already in the
//! build for compressed ELF sections. A layer may not inflate past
//! [`bomb_limit`]: a decompression bomb ends in an error naming the layer,
//! not in hours of inflating.

use std::io::{BufRead, BufReader, Read};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

use crate::input::errtext::Io;

use super::digest::{Digest, Hashing};
use super::store::{Blob, BlobReader};
use super::tar::Skip;

/// Read buffer between the blob and the decompressor.
const BUFFER: usize = 256 * 1024;

/// How far a compressed layer may inflate: 256 MiB, plus 200 times its
/// compressed size. Real layers inflate 2 to 10 times; gzip cannot pass
/// about 1000 times and zstd far more, which only a bomb (or a layer of
/// zeros) does.
pub fn bomb_limit(compressed: u64) -> u64 {
    (256u64 << 20).saturating_add(compressed.saturating_mul(200))
}

/// How a layer is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    fn sniff(start: &[u8]) -> Self {
        if start.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if start.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Every zstd frame of a stream, one after the other.
struct ZstdFrames<R: BufRead> {
    src: R,
    dec: FrameDecoder,
    in_frame: bool,
}

fn zstd_error(e: FrameDecoderError) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("zstd: {e}"))
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame {
                if self.src.fill_buf()?.is_empty() {
                    return Ok(0);
                }
                match self.dec.reset(&mut self.src) {
                    Ok(()) => self.in_frame = true,
                    Err(FrameDecoderError::ReadFrameHeaderError(
                        ReadFrameHeaderError::SkipFrame { length, .. },
                    )) => {
                        let want = u64::from(length);
                        let got =
                            std::io::copy(&mut (&mut self.src).take(want), &mut std::io::sink())?;
                        if got < want {
                            return Err(std::io::Error::new(
                                std::io::ErrorKind::UnexpectedEof,
                                "zstd: a skippable frame is cut short",
                            ));
                        }
                        continue;
                    }
                    Err(e) => return Err(zstd_error(e)),
                }
            }
            while self.dec.can_collect() == 0 && !self.dec.is_finished() {
                self.dec
                    .decode_blocks(&mut self.src, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(zstd_error)?;
            }
            let n = self.dec.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            if self.dec.is_finished() {
                if let (Some(stored), Some(computed)) = (
                    self.dec.get_checksum_from_data(),
                    self.dec.get_calculated_checksum(),
                ) && stored != computed
                {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "zstd: a frame's checksum does not match its content",
                    ));
                }
                self.in_frame = false;
            }
        }
    }
}

/// The decompressor for a stream.
enum Decoder<R: BufRead> {
    Plain(R),
    Gzip(Box<flate2::bufread::MultiGzDecoder<R>>),
    Zstd(Box<ZstdFrames<R>>),
}

impl<R: BufRead> Decoder<R> {
    fn into_inner(self) -> R {
        match self {
            Decoder::Plain(r) => r,
            Decoder::Gzip(g) => g.into_inner(),
            Decoder::Zstd(z) => z.src,
        }
    }
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(g) => g.read(buf),
            Decoder::Zstd(z) => z.read(buf),
        }
    }
}

/// A layer's uncompressed bytes, counted and bounded by [`bomb_limit`].
pub struct Stream {
    decoder: Decoder<BufReader<Hashing<BlobReader>>>,
    compression: Compression,
    /// Uncompressed bytes read.
    pos: u64,
    limit: u64,
    label: String,
}

impl Stream {
    /// Opens a layer blob; with `verify`, the compressed bytes are hashed
    /// with that digest's algorithm.
    pub fn open(blob: &Blob, verify: Option<&Digest>, label: &str) -> Result<Stream, String> {
        let mut magic = [0u8; 4];
        let got = blob
            .reader()
            .take(4)
            .read(&mut magic)
            .map_err(|e| format!("{label}: read: {}", Io(&e)))?;
        let compression = Compression::sniff(magic.get(..got).unwrap_or_default());
        let hashing = Hashing::new(blob.reader(), verify.map(|d| d.algorithm));
        let buffered = BufReader::with_capacity(BUFFER, hashing);
        let decoder = match compression {
            Compression::None => Decoder::Plain(buffered),
            Compression::Gzip => {
                Decoder::Gzip(Box::new(flate2::bufread::MultiGzDecoder::new(buffered)))
            }
            Compression::Zstd => Decoder::Zstd(Box::new(ZstdFrames {
                src: buffered,
                dec: FrameDecoder::new(),
                in_frame: false,
            })),
        };
        let limit = match compression {
            Compression::None => u64::MAX,
            _ => bomb_limit(blob.len()),
        };
        Ok(Stream {
            decoder,
            compression,
            pos: 0,
            limit,
            label: label.to_string(),
        })
    }

    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Uncompressed bytes read so far.
    pub fn position(&self) -> u64 {
        self.pos
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.decoder.read(buf)?;
        self.pos = self.pos.saturating_add(n as u64);
        if self.pos > self.limit {
            return Err(std::io::Error::other(format!(
                "{} inflates to more than {} bytes, 200 times its compressed size plus 256 MiB: refused as a decompression bomb",
                self.label, self.limit
            )));
        }
        Ok(n)
    }
}

impl Skip for Stream {}

/// A layer read once from start to end, both digests checked at the end.
pub struct Verified {
    stream: Hashing<Stream>,
    /// Uncompressed, and hashed once for both digests.
    plain: bool,
    digest: Option<Digest>,
    diff_id: Digest,
    blob_len: u64,
    label: String,
}

impl Verified {
    /// `digest` is the blob's (none for a docker-archive layer named
    /// without one), `diff_id` the uncompressed stream's.
    pub fn open(
        blob: &Blob,
        digest: Option<&Digest>,
        diff_id: &Digest,
        label: &str,
    ) -> Result<Verified, String> {
        // An uncompressed layer's blob is its uncompressed stream: when both
        // digests use one algorithm, one hash of it is compared with both.
        let probe = Stream::open(blob, None, label)?;
        let plain = probe.compression == Compression::None
            && digest.is_some_and(|d| d.algorithm == diff_id.algorithm);
        let stream = if plain {
            probe
        } else {
            Stream::open(blob, digest, label)?
        };
        Ok(Verified {
            stream: Hashing::new(stream, Some(diff_id.algorithm)),
            plain,
            digest: digest.cloned(),
            diff_id: diff_id.clone(),
            blob_len: blob.len(),
            label: label.to_string(),
        })
    }

    /// Reads what is left (trailing padding after the tar's end), then
    /// compares the sizes and digests: any mismatch voids the layer.
    pub fn finish(mut self) -> Result<Compression, String> {
        let label = self.label.clone();
        std::io::copy(&mut self.stream, &mut std::io::sink())
            .map_err(|e| format!("{label}: {}", Io(&e)))?;
        let (uncompressed, diff_id) = self.stream.into_parts();
        let compression = uncompressed.compression;
        let diff_id = diff_id.ok_or_else(|| format!("{label}: no diff_id computed"))?;
        // What the decompressor did not consume (bytes after the last gzip
        // member, say) still belongs to the blob and its digest.
        let mut rest = uncompressed.decoder.into_inner();
        std::io::copy(&mut rest, &mut std::io::sink())
            .map_err(|e| format!("{label}: read: {}", Io(&e)))?;
        let hashing = rest.into_inner();
        let read = hashing.count();
        if read != self.blob_len {
            return Err(format!(
                "{label}: read {read} bytes of a blob of {}",
                self.blob_len
            ));
        }
        if let Some(want) = &self.digest {
            let got = match self.plain {
                true => Some(diff_id.clone()),
                false => hashing.finish(),
            }
            .ok_or_else(|| format!("{label}: no digest computed"))?;
            if &got != want {
                return Err(format!(
                    "{label}: digest mismatch: the blob hashes to {got}, its descriptor says {want}"
                ));
            }
        }
        if diff_id != self.diff_id {
            return Err(format!(
                "{label}: diff_id mismatch: the uncompressed layer hashes to {diff_id}, the config says {}",
                self.diff_id
            ));
        }
        Ok(compression)
    }
}

impl Read for Verified {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.stream.read(buf)
    }
}

impl Skip for Verified {}

/// A layer's uncompressed stream read at increasing offsets, reopened only
/// when an earlier offset is asked for: files are read in layer order.
pub struct Cursor {
    stream: Stream,
}

impl Cursor {
    pub fn open(blob: &Blob, label: &str) -> Result<Cursor, String> {
        blob.unchanged()?;
        Ok(Cursor {
            stream: Stream::open(blob, None, label)?,
        })
    }

    pub fn position(&self) -> u64 {
        self.stream.position()
    }

    /// Reads `len` bytes at `offset` (at or after the position).
    pub fn read_at(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, String> {
        let label = self.stream.label.clone();
        let gap = offset
            .checked_sub(self.stream.position())
            .ok_or_else(|| format!("{label}: offset {offset} is behind the stream"))?;
        let skipped = self
            .stream
            .skip(gap)
            .map_err(|e| format!("{label}: {}", Io(&e)))?;
        if skipped < gap {
            return Err(format!("{label}: ends before offset {offset}"));
        }
        let mut out = Vec::new();
        out.try_reserve_exact(
            usize::try_from(len)
                .map_err(|_| format!("{label}: {len} bytes do not fit in memory"))?,
        )
        .map_err(|_| format!("{label}: cannot hold {len} bytes in memory"))?;
        let got = (&mut self.stream)
            .take(len)
            .read_to_end(&mut out)
            .map_err(|e| format!("{label}: {}", Io(&e)))?;
        if (got as u64) < len {
            return Err(format!("{label}: ends inside a file at offset {offset}"));
        }
        Ok(out)
    }
}
