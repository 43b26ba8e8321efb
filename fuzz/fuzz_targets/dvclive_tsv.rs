#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| runlens_sources::fuzzing::dvclive_tsv(data));
