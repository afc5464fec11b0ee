//! Raw bytes into the decoder and the verifier. Each input is tried twice: as a whole file
//! (so the magic, version and digest checks are exercised), and as the body of a file
//! with a correct header and digest (so the fuzzer reaches the body parser and, when the
//! body decodes, the verifier).

#![no_main]

#[path = "../../tests/support/mutation.rs"]
mod mutation;

use libfuzzer_sys::fuzz_target;

/// Decoding may allocate at most a small multiple of the input; far less than this.
#[global_allocator]
static ALLOC: mutation::CappedAlloc = mutation::CappedAlloc::new(1 << 30);

fuzz_target!(|data: &[u8]| {
    let _ = mutation::load(data);
    let _ = mutation::load(&mutation::with_header(data));
});
