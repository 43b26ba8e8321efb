//! The framing of a `.wandb` transaction log: LevelDB's log format with a 7-byte file
//! header and plain IEEE CRC-32 checksums.
//!
//! ```text
//! file   := header(7) block block ...        blocks are 32 KiB, counted from file offset 0
//! header := ":W&B" | 0xBEE1 (u16 LE) | version 0
//! chunk  := crc32 (u32 LE, over type ‖ payload) | length (u16 LE) | type (u8) | payload
//!           type 1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST; a chunk never crosses a block end,
//!           and fewer than 7 bytes left in a block are zero padding.
//! record := FULL | FIRST MIDDLE* LAST
//! ```
//!
//! [`read_log`] can start at any record boundary (the `consumed` offset of an earlier
//! call), since block positions are computed from the absolute file offset. It never
//! consumes an incomplete record at the end: a live writer finishes it later.

/// The first 7 bytes of every `.wandb` file.
pub const HEADER: [u8; 7] = [0x3A, 0x57, 0x26, 0x42, 0xE1, 0xBE, 0x00];
/// Size of a block; offsets are counted from the start of the file (header included).
pub const BLOCK: u64 = 32 * 1024;
const CHUNK_HEADER: usize = 7;

const FULL: u8 = 1;
const FIRST: u8 = 2;
const MIDDLE: u8 = 3;
const LAST: u8 = 4;

/// One complete record: its serialized protobuf and the file offset of its first chunk.
#[derive(Debug, PartialEq)]
pub struct LogRecord {
    pub offset: u64,
    pub payload: Vec<u8>,
}

/// What one pass over a stretch of a log found.
#[derive(Debug, Default)]
pub struct LogRead {
    pub records: Vec<LogRecord>,
    /// Bytes of the input that never need reading again: up to the start of the first
    /// incomplete record (or past damage that was skipped).
    pub consumed: u64,
    /// Damage found: (file offset, reason).
    pub problems: Vec<(u64, String)>,
}

/// Splits `bytes`, which start at file offset `base` (0, or a `consumed` offset of an
/// earlier read), into records. Damaged chunks are reported and skipped LevelDB-style:
/// the rest of their block is dropped and reading resumes at the next FULL or FIRST.
pub fn read_log(bytes: &[u8], base: u64) -> LogRead {
    let mut reader = Framing { bytes, base, pos: 0, pending: None, resyncing: base > 0, out: LogRead::default() };
    if base == 0 {
        match check_header(bytes) {
            Header::Valid => reader.pos = HEADER.len(),
            Header::Incomplete => return reader.out,
            Header::Invalid(reason) => {
                reader.out.problems.push((0, reason));
                return reader.out;
            }
        }
        reader.out.consumed = HEADER.len() as u64;
    }
    reader.run();
    reader.out
}

/// True when `bytes` (a file's first bytes) are a `.wandb` header.
pub fn is_log_header(bytes: &[u8]) -> bool {
    matches!(check_header(bytes), Header::Valid)
}

enum Header {
    Valid,
    /// Shorter than a header but so far identical: the writer has just started.
    Incomplete,
    Invalid(String),
}

fn check_header(bytes: &[u8]) -> Header {
    let Some(head) = bytes.get(..HEADER.len()) else {
        return if HEADER.starts_with(bytes) { Header::Incomplete } else { Header::Invalid("not a W&B transaction log".into()) };
    };
    if head == HEADER {
        Header::Valid
    } else if head[..6] == HEADER[..6] {
        Header::Invalid(format!("unsupported .wandb format version {}", head[6]))
    } else {
        Header::Invalid("not a W&B transaction log (bad file header)".into())
    }
}

/// The state of one pass: position in `bytes`, a record being assembled from chunks, and
/// whether continuation chunks are being skipped after damage.
struct Framing<'a> {
    bytes: &'a [u8],
    base: u64,
    pos: usize,
    /// File offset and payload so far of a record begun by a FIRST chunk.
    pending: Option<(u64, Vec<u8>)>,
    /// After damage (or at a resume point) MIDDLE/LAST chunks belong to a lost record.
    resyncing: bool,
    out: LogRead,
}

impl Framing<'_> {
    fn run(&mut self) {
        loop {
            let abs = self.base + self.pos as u64;
            let left = (BLOCK - abs % BLOCK) as usize;
            if left < CHUNK_HEADER {
                // Block trailer: zero padding up to the next block.
                if self.pos + left > self.bytes.len() {
                    return;
                }
                self.pos += left;
                continue;
            }
            let Some(header) = self.bytes.get(self.pos..self.pos + CHUNK_HEADER) else { return };
            let crc = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
            let len = usize::from(u16::from_le_bytes([header[4], header[5]]));
            let kind = header[6];
            if crc == 0 && len == 0 && kind == 0 {
                // A zeroed (preallocated) region: the rest of the block holds nothing.
                if self.pos + left > self.bytes.len() {
                    return;
                }
                self.drop_pending("record cut short by a zeroed region");
                self.pos += left;
                self.mark_clean();
                continue;
            }
            if CHUNK_HEADER + len > left {
                self.damaged(abs, left, format!("chunk of {len} bytes crosses the block boundary"));
                continue;
            }
            let Some(payload) = self.bytes.get(self.pos + CHUNK_HEADER..self.pos + CHUNK_HEADER + len) else { return };
            if checksum(kind, payload) != crc {
                self.damaged(abs, left, "checksum mismatch".into());
                continue;
            }
            self.pos += CHUNK_HEADER + len;
            self.chunk(abs, kind, payload);
        }
    }

    fn chunk(&mut self, abs: u64, kind: u8, payload: &[u8]) {
        match kind {
            FULL => {
                self.drop_pending("record without its last chunk");
                self.resyncing = false;
                self.out.records.push(LogRecord { offset: abs, payload: payload.to_vec() });
                self.mark_clean();
            }
            FIRST => {
                if self.pending.is_some() {
                    self.drop_pending("record without its last chunk");
                    self.out.consumed = abs - self.base;
                }
                self.resyncing = false;
                self.pending = Some((abs, payload.to_vec()));
            }
            MIDDLE | LAST => match self.pending.take() {
                Some((start, mut data)) => {
                    data.extend_from_slice(payload);
                    if kind == LAST {
                        self.out.records.push(LogRecord { offset: start, payload: data });
                        self.mark_clean();
                    } else {
                        self.pending = Some((start, data));
                    }
                }
                None => {
                    if !self.resyncing {
                        self.out.problems.push((abs, "continuation chunk without a first chunk".into()));
                    }
                    self.resyncing = kind == MIDDLE && self.resyncing;
                    self.mark_clean();
                }
            },
            other => {
                // Unknown chunk type: handled like damage, but the chunk itself was read.
                self.pos -= CHUNK_HEADER + payload.len();
                let left = (BLOCK - abs % BLOCK) as usize;
                self.damaged(abs, left, format!("unknown chunk type {other}"));
            }
        }
    }

    /// Reports damage at `abs`, drops the record in progress and skips to the next block.
    fn damaged(&mut self, abs: u64, left: usize, reason: String) {
        self.pending = None;
        self.out.problems.push((abs, reason));
        self.resyncing = true;
        self.pos = (self.pos + left).min(self.bytes.len());
        self.mark_clean();
    }

    fn drop_pending(&mut self, reason: &str) {
        if let Some((start, _)) = self.pending.take() {
            self.out.problems.push((start, reason.to_string()));
        }
    }

    /// Everything up to `pos` is done with (no record is being assembled).
    fn mark_clean(&mut self) {
        if self.pending.is_none() {
            self.out.consumed = self.pos as u64;
        }
    }
}

/// CRC-32/IEEE over the chunk type byte and the payload.
pub fn checksum(kind: u8, payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&[kind]);
    hasher.update(payload);
    hasher.finalize()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes records the way W&B does (for tests): header, chunks split at block ends,
    /// zero padding when fewer than 7 bytes are left.
    pub(crate) fn write_log(records: &[Vec<u8>]) -> Vec<u8> {
        let mut out = HEADER.to_vec();
        for r in records {
            append_record(&mut out, r);
        }
        out
    }

    pub(crate) fn append_record(out: &mut Vec<u8>, record: &[u8]) {
        let mut rest = record;
        let mut first = true;
        loop {
            let left = (BLOCK - out.len() as u64 % BLOCK) as usize;
            if left < CHUNK_HEADER {
                out.extend(std::iter::repeat_n(0u8, left));
                continue;
            }
            let n = rest.len().min(left - CHUNK_HEADER);
            let last = n == rest.len();
            let kind = match (first, last) {
                (true, true) => FULL,
                (true, false) => FIRST,
                (false, false) => MIDDLE,
                (false, true) => LAST,
            };
            let (part, tail) = rest.split_at(n);
            out.extend_from_slice(&checksum(kind, part).to_le_bytes());
            out.extend_from_slice(&(n as u16).to_le_bytes());
            out.push(kind);
            out.extend_from_slice(part);
            rest = tail;
            first = false;
            if last {
                return;
            }
        }
    }

    fn payloads(read: &LogRead) -> Vec<Vec<u8>> {
        read.records.iter().map(|r| r.payload.clone()).collect()
    }

    /// Records of varied sizes, some spanning blocks, one ending within 7 bytes of a
    /// block end (so padding follows).
    fn sample() -> Vec<Vec<u8>> {
        let mut records: Vec<Vec<u8>> = (0..40).map(|i| vec![i as u8; 100 + i * 37]).collect();
        records.push(vec![0xAB; 70_000]);
        let used = write_log(&records).len() as u64;
        let to_pad = (BLOCK - used % BLOCK) as usize;
        records.push(vec![0xCD; to_pad - CHUNK_HEADER - 3]);
        records.push(vec![0xEF; 10]);
        records
    }

    #[test]
    fn records_round_trip_across_blocks_and_padding() {
        let records = sample();
        let bytes = write_log(&records);
        let read = read_log(&bytes, 0);
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        assert_eq!(payloads(&read), records);
        assert_eq!(read.consumed, bytes.len() as u64);
        assert_eq!(read.records[0].offset, 7);
    }

    #[test]
    fn a_partial_trailing_record_is_left_for_later_and_resumes_cleanly() {
        let records = sample();
        let bytes = write_log(&records);
        for cut in [8, 500, 32_768, 32_770, 40_000, 65_536, 100_000, bytes.len() - 3] {
            let first = read_log(&bytes[..cut], 0);
            assert!(first.problems.is_empty(), "cut {cut}: {:?}", first.problems);
            let consumed = first.consumed as usize;
            assert!(consumed <= cut);
            let second = read_log(&bytes[consumed..], consumed as u64);
            assert!(second.problems.is_empty(), "cut {cut}: {:?}", second.problems);
            let mut all = payloads(&first);
            all.extend(payloads(&second));
            assert_eq!(all, records, "cut {cut}");
            assert_eq!(first.consumed as usize + second.consumed as usize, bytes.len());
        }
    }

    #[test]
    fn a_short_header_waits_and_a_wrong_one_is_a_problem() {
        let read = read_log(&HEADER[..3], 0);
        assert_eq!((read.consumed, read.problems.len()), (0, 0));
        let read = read_log(b"PK\x03\x04 not a log", 0);
        assert_eq!(read.problems.len(), 1);
        let mut v1 = HEADER.to_vec();
        v1[6] = 1;
        assert!(read_log(&v1, 0).problems[0].1.contains("version 1"));
    }

    #[test]
    fn a_bad_checksum_skips_to_the_next_block_and_keeps_the_rest() {
        let records = sample();
        let mut bytes = write_log(&records);
        // Damage the payload of the third record (in block 0).
        let third = read_log(&bytes, 0).records[2].offset as usize;
        bytes[third + CHUNK_HEADER + 5] ^= 0xFF;
        let read = read_log(&bytes, 0);
        assert_eq!(read.problems.len(), 1, "{:?}", read.problems);
        assert_eq!(read.problems[0], (third as u64, "checksum mismatch".to_string()));
        let got = payloads(&read);
        assert_eq!(&got[..2], &records[..2]);
        // Records that start in block 1 or later are all there.
        let later: Vec<_> = read.records.iter().filter(|r| r.offset >= BLOCK).map(|r| r.payload.clone()).collect();
        assert!(records.ends_with(&later));
        assert!(later.len() >= 3);
        assert_eq!(read.consumed, bytes.len() as u64);
    }

    #[test]
    fn a_length_crossing_the_block_and_an_unknown_type_are_problems() {
        let mut bytes = write_log(&[vec![1; 10], vec![2; 10]]);
        let second = 7 + CHUNK_HEADER + 10;
        bytes[second + 4] = 0xFF;
        bytes[second + 5] = 0xFF;
        let read = read_log(&bytes, 0);
        assert_eq!(payloads(&read), vec![vec![1; 10]]);
        assert!(read.problems[0].1.contains("crosses the block boundary"));

        let mut bytes = write_log(&[vec![1; 10], vec![2; 10]]);
        bytes[second + 6] = 9;
        let crc = checksum(9, &[2; 10]);
        bytes[second..second + 4].copy_from_slice(&crc.to_le_bytes());
        let read = read_log(&bytes, 0);
        assert_eq!(read.problems, vec![(second as u64, "unknown chunk type 9".to_string())]);
    }

    #[test]
    fn a_zeroed_region_skips_to_the_next_block() {
        let mut bytes = write_log(&[vec![1; 10]]);
        bytes.resize(BLOCK as usize, 0);
        append_record(&mut bytes, &[2; 10]);
        let read = read_log(&bytes, 0);
        assert!(read.problems.is_empty());
        assert_eq!(payloads(&read), vec![vec![1; 10], vec![2; 10]]);
        // Zeros up to the end of the file: nothing consumed past the last record.
        let zeros = write_log(&[vec![1; 10]]).len();
        let read = read_log(&bytes[..BLOCK as usize - 100], 0);
        assert_eq!(read.consumed, zeros as u64);
    }
}
