#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tresor_core::fuzzing::import_vcard(data));
