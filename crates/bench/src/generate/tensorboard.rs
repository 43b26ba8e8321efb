//! TensorBoard event files as tensorboardX and `torch.utils.tensorboard` write them:
//! `<logdir>/<run>/events.out.tfevents.<secs>.<host>`, TFRecord framing (u64 length, masked
//! CRC32C of the length, data, masked CRC32C of the data), a first record with
//! `file_version: "brain.Event:2"`, then one `Event{wall_time, step, summary{value{tag,
//! simple_value}}}` per `add_scalar` call. Protobuf is encoded by hand (four fields).

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::{BASE_MS, MetricModel, hparams};
use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub runs: usize,
    pub tags: usize,
    pub steps: usize,
    pub seed: u64,
}

impl Shape {
    pub fn points(&self) -> u64 {
        (self.runs * self.tags * self.steps) as u64
    }

    pub fn name(&self) -> String {
        format!("tensorboard-{}r-{}t-{}s-seed{}", self.runs, self.tags, self.steps, self.seed)
    }

    pub fn describe(&self) -> String {
        format!("TensorBoard logdir: {} runs x {} tags x {} steps ({} points), seed {}", self.runs, self.tags, self.steps, self.points(), self.seed)
    }

    /// The folder name of run `i` below the logdir.
    pub fn run_dir(&self, i: usize) -> String {
        if self.runs == 1 { "long-run".into() } else { format!("run-{i:03}") }
    }
}

/// Writes `dir/logs/<run>/events.out.tfevents.*` and returns `logs`.
pub fn generate(dir: &Path, shape: Shape) -> Result<PathBuf> {
    let logs = dir.join("logs");
    fs::create_dir_all(&logs)?;
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(shape.runs.max(1));
    let errors: Vec<anyhow::Error> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let logs = &logs;
                s.spawn(move || -> Result<()> {
                    for i in (t..shape.runs).step_by(threads) {
                        write_run(logs, i, shape)?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().expect("generator thread panicked").err()).collect()
    });
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    Ok("logs".into())
}

fn write_run(logs: &Path, index: usize, shape: Shape) -> Result<()> {
    let mut rng = Rng::new(shape.seed ^ 0x7b, index as u64);
    let hp = hparams(&mut rng, 4);
    let model = MetricModel::new(&mut rng, &hp, shape.tags);
    let tags: Vec<&str> = model.keys().collect();
    let start = (BASE_MS / 1000 + index as i64 * 900) as f64 + rng.f64();
    let interval = 0.05 + rng.f64() * 0.2;
    let dir = logs.join(shape.run_dir(index));
    fs::create_dir_all(&dir)?;
    let file = fs::File::create(dir.join(format!("events.out.tfevents.{}.bench-host", start as i64)))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut buf = Vec::with_capacity(128);
    file_version_event(start, &mut buf);
    write_record(&mut out, &buf)?;
    let denominator = (shape.steps.max(2) - 1) as f64;
    for step in 0..shape.steps {
        let t = step as f64 / denominator;
        let wall = start + step as f64 * interval;
        for (m, tag) in tags.iter().enumerate() {
            // tensorboardX stamps each add_scalar with time.time(): a few µs apart.
            let value = model.value(m, t, &mut rng) as f32;
            scalar_event(wall + m as f64 * 1e-5, step as i64, tag, value, &mut buf);
            write_record(&mut out, &buf)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// LevelDB's masked CRC32C, as TFRecord uses it.
pub fn masked_crc(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes).rotate_right(15).wrapping_add(0xa282_ead8)
}

/// One TFRecord: length, its masked CRC, data, the data's masked CRC.
pub fn write_record(out: &mut impl Write, data: &[u8]) -> std::io::Result<()> {
    let len = (data.len() as u64).to_le_bytes();
    out.write_all(&len)?;
    out.write_all(&masked_crc(&len).to_le_bytes())?;
    out.write_all(data)?;
    out.write_all(&masked_crc(data).to_le_bytes())
}

fn varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// `Event{wall_time: 1, file_version: 3}` into `buf` (cleared first).
pub fn file_version_event(wall_time: f64, buf: &mut Vec<u8>) {
    buf.clear();
    buf.push(0x09); // field 1, fixed64
    buf.extend_from_slice(&wall_time.to_le_bytes());
    let version = b"brain.Event:2";
    buf.push(0x1a); // field 3, length-delimited
    varint(buf, version.len() as u64);
    buf.extend_from_slice(version);
}

/// `Event{wall_time: 1, step: 2, summary: 5 {value: 1 {tag: 1, simple_value: 2}}}` into
/// `buf` (cleared first). Step 0 is omitted, as protobuf encoders do.
pub fn scalar_event(wall_time: f64, step: i64, tag: &str, value: f32, buf: &mut Vec<u8>) {
    buf.clear();
    buf.push(0x09);
    buf.extend_from_slice(&wall_time.to_le_bytes());
    if step != 0 {
        buf.push(0x10); // field 2, varint
        varint(buf, step as u64);
    }
    let value_len = 1 + varint_len(tag.len() as u64) + tag.len() + 5;
    let summary_len = 1 + varint_len(value_len as u64) + value_len;
    buf.push(0x2a); // field 5, length-delimited
    varint(buf, summary_len as u64);
    buf.push(0x0a); // Summary.value, field 1
    varint(buf, value_len as u64);
    buf.push(0x0a); // Value.tag, field 1
    varint(buf, tag.len() as u64);
    buf.extend_from_slice(tag.as_bytes());
    buf.push(0x15); // Value.simple_value, field 2, fixed32
    buf.extend_from_slice(&value.to_le_bytes());
}

fn varint_len(v: u64) -> usize {
    (64 - v.max(1).leading_zeros() as usize).div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_crc_test_vectors() {
        // formats.md §4.2: length 24 -> length-CRC bytes A3 7F 4B 22.
        assert_eq!(masked_crc(&24u64.to_le_bytes()).to_le_bytes(), [0xA3, 0x7F, 0x4B, 0x22]);
        assert_eq!(masked_crc(b"\x1a\x11CRC test, one two"), 0x5794_D08A);
    }

    #[test]
    fn varint_lengths() {
        for v in [0u64, 1, 127, 128, 16_383, 16_384, 1 << 40] {
            let mut buf = Vec::new();
            varint(&mut buf, v);
            assert_eq!(buf.len(), varint_len(v), "{v}");
        }
    }
}
