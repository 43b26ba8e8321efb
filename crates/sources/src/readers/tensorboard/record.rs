//! TFRecord framing: each record is a little-endian `u64` length, the masked CRC32C of
//! those 8 bytes, the data, and the masked CRC32C of the data.

use std::io::Read;
use std::ops::Range;
use std::path::Path;

/// Bytes before a record's data: length (8) and its checksum (4).
const HEADER: usize = 12;
/// Bytes after a record's data: its checksum.
const FOOTER: usize = 4;
/// The first record of an event file (`file_version`) is tiny; detection reads no more.
const MAX_FIRST_RECORD: u64 = 1024;

/// What is found at one position of an event file.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Frame {
    /// A complete record whose checksums match; the next one starts at `end`.
    Record { data: Range<usize>, end: usize },
    /// A complete record whose data checksum does not match.
    BadData { len: u64, end: usize },
    /// The length's checksum does not match: nothing from here on can be trusted.
    BadLength,
    /// Fewer bytes than the record needs: it is still being written.
    Partial,
}

/// The masked CRC32C TFRecord uses (LevelDB's mask).
pub(super) fn masked_crc(bytes: &[u8]) -> u32 {
    let crc = crc32c::crc32c(bytes);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// Reads the record starting at `start` of `buf`.
pub(super) fn frame_at(buf: &[u8], start: usize) -> Frame {
    let Some(header) = start.checked_add(HEADER).and_then(|end| buf.get(start..end)) else {
        return Frame::Partial;
    };
    let (len_bytes, len_crc) = header.split_at(8);
    if masked_crc(len_bytes) != le_u32(len_crc) {
        return Frame::BadLength;
    }
    let len = u64::from_le_bytes(len_bytes.try_into().unwrap_or_default());
    let data_start = start + HEADER;
    let Some(data_end) = usize::try_from(len).ok().and_then(|n| data_start.checked_add(n)) else {
        return Frame::Partial;
    };
    let Some(end) = data_end.checked_add(FOOTER).filter(|&end| end <= buf.len()) else {
        return Frame::Partial;
    };
    if masked_crc(&buf[data_start..data_end]) != le_u32(&buf[data_end..end]) {
        return Frame::BadData { len, end };
    }
    Frame::Record { data: data_start..data_end, end }
}

/// The size of the record `buf` begins with (header, data and footer), once its length
/// and the length's checksum are there.
pub(super) fn record_size(buf: &[u8]) -> Option<u64> {
    let header = buf.get(..HEADER)?;
    let (len_bytes, len_crc) = header.split_at(8);
    if masked_crc(len_bytes) != le_u32(len_crc) {
        return None;
    }
    Some(u64::from_le_bytes(len_bytes.try_into().ok()?).saturating_add((HEADER + FOOTER) as u64))
}

/// The data of the file's first record, when its framing and checksums are valid.
/// Reads at most a kilobyte.
pub(super) fn first_record(path: &Path) -> Option<Vec<u8>> {
    let mut file = crate::util::open_regular(path).ok()?;
    let mut header = [0u8; HEADER];
    file.read_exact(&mut header).ok()?;
    let len = u64::from_le_bytes(header[..8].try_into().ok()?);
    if len > MAX_FIRST_RECORD {
        return None;
    }
    let mut buf = header.to_vec();
    file.take(len + FOOTER as u64).read_to_end(&mut buf).ok()?;
    match frame_at(&buf, 0) {
        Frame::Record { data, .. } => buf.get(data).map(<[u8]>::to_vec),
        _ => None,
    }
}

fn le_u32(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(bytes.try_into().unwrap_or_default())
}

/// Frames `data` as one record (for tests of the readers built on this module).
#[cfg(test)]
pub(super) fn encode(data: &[u8]) -> Vec<u8> {
    let len = (data.len() as u64).to_le_bytes();
    let mut out = Vec::with_capacity(data.len() + HEADER + FOOTER);
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_crc_matches_the_documented_test_vectors() {
        let mut data = vec![0x1a, 0x11];
        data.extend_from_slice(b"CRC test, one two");
        assert_eq!(masked_crc(&data), 0x5794_d08a);
        assert_eq!(masked_crc(&24u64.to_le_bytes()).to_le_bytes(), [0xa3, 0x7f, 0x4b, 0x22]);
    }

    #[test]
    fn a_complete_record_is_framed() {
        let rec = encode(b"hello");
        assert_eq!(frame_at(&rec, 0), Frame::Record { data: 12..17, end: 21 });
        let mut two = rec.clone();
        two.extend_from_slice(&encode(b""));
        assert_eq!(frame_at(&two, 21), Frame::Record { data: 33..33, end: 37 });
        assert_eq!(frame_at(&two, 37), Frame::Partial, "the end of the buffer is an empty tail");
    }

    #[test]
    fn a_truncated_record_is_partial_at_every_cut() {
        let rec = encode(b"some event bytes");
        for cut in 0..rec.len() {
            assert_eq!(frame_at(&rec[..cut], 0), Frame::Partial, "cut at {cut}");
        }
    }

    #[test]
    fn checksum_mismatches_are_told_apart() {
        let rec = encode(b"payload");
        let mut bad_data = rec.clone();
        bad_data[13] ^= 0x40;
        assert_eq!(frame_at(&bad_data, 0), Frame::BadData { len: 7, end: rec.len() });
        let mut bad_footer = rec.clone();
        *bad_footer.last_mut().unwrap() ^= 1;
        assert_eq!(frame_at(&bad_footer, 0), Frame::BadData { len: 7, end: rec.len() });
        let mut bad_len = rec.clone();
        bad_len[0] = 200;
        assert_eq!(frame_at(&bad_len, 0), Frame::BadLength);
        let mut bad_len_crc = rec;
        bad_len_crc[9] ^= 1;
        assert_eq!(frame_at(&bad_len_crc, 0), Frame::BadLength);
    }

    #[test]
    fn a_huge_length_with_a_valid_checksum_waits_instead_of_allocating() {
        let len = u64::MAX.to_le_bytes();
        let mut rec = len.to_vec();
        rec.extend_from_slice(&masked_crc(&len).to_le_bytes());
        rec.extend_from_slice(b"xx");
        assert_eq!(frame_at(&rec, 0), Frame::Partial);
    }
}
