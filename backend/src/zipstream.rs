//! A ZIP writer that streams: each file is deflated as it is written and sent on
//! at once (sizes and CRC follow the data in a data descriptor), so an archive of
//! any size leaves without being held in memory or needing a seekable output.
//! Plain ZIP (no ZIP64): an archive stays under 4 GiB and 65,535 files.

use std::io::Write;

use bytes::Bytes;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};

/// Where the archive's bytes go.
pub enum Out {
    Channel(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>),
    File(tokio::fs::File),
}

impl Out {
    async fn put(&mut self, data: Vec<u8>) -> std::io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        match self {
            Out::Channel(tx) => tx
                .send(Ok(Bytes::from(data)))
                .await
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the download was closed")),
            Out::File(f) => tokio::io::AsyncWriteExt::write_all(f, &data).await,
        }
    }
}

struct Entry {
    name: String,
    crc: u32,
    compressed: u64,
    size: u64,
    offset: u64,
    sha256: String,
}

struct Open {
    name: String,
    offset: u64,
    encoder: DeflateEncoder<Vec<u8>>,
    crc: crc32fast::Hasher,
    sha: Sha256,
    size: u64,
    compressed: u64,
}

pub struct ZipStream {
    out: Out,
    offset: u64,
    time: u16,
    date: u16,
    entries: Vec<Entry>,
    open: Option<Open>,
}

/// Flushes compressed output once this much has gathered.
const CHUNK: usize = 64 * 1024;

fn too_big() -> std::io::Error {
    std::io::Error::other("the archive would exceed 4 GiB (ZIP64 is not supported)")
}

impl ZipStream {
    /// `now_ms`: the files' modification time (UTC).
    pub fn new(out: Out, now_ms: i64) -> Self {
        use chrono::{Datelike, TimeZone, Timelike};
        let t = chrono::Utc.timestamp_millis_opt(now_ms).single().unwrap_or_default();
        let date = (((t.year() - 1980).clamp(0, 127) as u16) << 9) | ((t.month() as u16) << 5) | t.day() as u16;
        let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
        Self { out, offset: 0, time, date, entries: Vec::new(), open: None }
    }

    /// Starts a file (ending the one before).
    pub async fn start(&mut self, name: &str) -> std::io::Result<()> {
        self.end().await?;
        let mut h = Vec::with_capacity(30 + name.len());
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&20u16.to_le_bytes()); // version needed
        h.extend_from_slice(&0x0808u16.to_le_bytes()); // data descriptor, UTF-8 name
        h.extend_from_slice(&8u16.to_le_bytes()); // deflate
        h.extend_from_slice(&self.time.to_le_bytes());
        h.extend_from_slice(&self.date.to_le_bytes());
        h.extend_from_slice(&[0u8; 12]); // CRC and sizes follow the data
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        let offset = self.offset;
        self.offset += h.len() as u64;
        self.out.put(h).await?;
        self.open = Some(Open {
            name: name.to_string(),
            offset,
            encoder: DeflateEncoder::new(Vec::new(), Compression::new(6)),
            crc: crc32fast::Hasher::new(),
            sha: Sha256::new(),
            size: 0,
            compressed: 0,
        });
        Ok(())
    }

    /// Appends to the open file.
    pub async fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        let Some(open) = self.open.as_mut() else {
            return Err(std::io::Error::other("no file started"));
        };
        open.encoder.write_all(data)?;
        open.crc.update(data);
        open.sha.update(data);
        open.size += data.len() as u64;
        if open.encoder.get_ref().len() >= CHUNK {
            let chunk = std::mem::take(open.encoder.get_mut());
            open.compressed += chunk.len() as u64;
            self.offset += chunk.len() as u64;
            self.out.put(chunk).await?;
        }
        Ok(())
    }

    /// A whole file at once.
    pub async fn file(&mut self, name: &str, data: &[u8]) -> std::io::Result<()> {
        self.start(name).await?;
        self.write(data).await
    }

    async fn end(&mut self) -> std::io::Result<()> {
        let Some(open) = self.open.take() else { return Ok(()) };
        let rest = open.encoder.finish()?;
        let compressed = open.compressed + rest.len() as u64;
        self.offset += rest.len() as u64;
        self.out.put(rest).await?;
        let crc = open.crc.finalize();
        if compressed > u32::MAX as u64 || open.size > u32::MAX as u64 {
            return Err(too_big());
        }
        let mut d = Vec::with_capacity(16);
        d.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
        d.extend_from_slice(&crc.to_le_bytes());
        d.extend_from_slice(&(compressed as u32).to_le_bytes());
        d.extend_from_slice(&(open.size as u32).to_le_bytes());
        self.offset += d.len() as u64;
        self.out.put(d).await?;
        self.entries.push(Entry {
            name: open.name,
            crc,
            compressed,
            size: open.size,
            offset: open.offset,
            sha256: crate::digest::hex(&open.sha.finalize()),
        });
        Ok(())
    }

    /// (name, bytes, SHA-256) of the files ended so far.
    pub fn files(&self) -> Vec<(String, u64, String)> {
        self.entries.iter().map(|e| (e.name.clone(), e.size, e.sha256.clone())).collect()
    }

    /// Ends the last file and writes the central directory. Returns the archive's size.
    pub async fn finish(mut self) -> std::io::Result<u64> {
        self.end().await?;
        if self.entries.len() > u16::MAX as usize || self.offset > u32::MAX as u64 {
            return Err(too_big());
        }
        let start = self.offset;
        let mut cd = Vec::new();
        for e in &self.entries {
            cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            cd.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes()); // made by: Unix, 2.0
            cd.extend_from_slice(&20u16.to_le_bytes());
            cd.extend_from_slice(&0x0808u16.to_le_bytes());
            cd.extend_from_slice(&8u16.to_le_bytes());
            cd.extend_from_slice(&self.time.to_le_bytes());
            cd.extend_from_slice(&self.date.to_le_bytes());
            cd.extend_from_slice(&e.crc.to_le_bytes());
            cd.extend_from_slice(&(e.compressed as u32).to_le_bytes());
            cd.extend_from_slice(&(e.size as u32).to_le_bytes());
            cd.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            cd.extend_from_slice(&[0u8; 8]); // extra, comment, disk, internal attributes
            cd.extend_from_slice(&(0o100644u32 << 16).to_le_bytes()); // a regular file, rw-r--r--
            cd.extend_from_slice(&(e.offset as u32).to_le_bytes());
            cd.extend_from_slice(e.name.as_bytes());
        }
        let cd_len = cd.len() as u64;
        cd.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        cd.extend_from_slice(&[0u8; 4]);
        cd.extend_from_slice(&(self.entries.len() as u16).to_le_bytes());
        cd.extend_from_slice(&(self.entries.len() as u16).to_le_bytes());
        cd.extend_from_slice(&(cd_len as u32).to_le_bytes());
        cd.extend_from_slice(&(start as u32).to_le_bytes());
        cd.extend_from_slice(&0u16.to_le_bytes());
        let total = start + cd.len() as u64;
        self.out.put(cd).await?;
        if let Out::File(f) = &mut self.out {
            tokio::io::AsyncWriteExt::flush(f).await?;
        }
        Ok(total)
    }
}
