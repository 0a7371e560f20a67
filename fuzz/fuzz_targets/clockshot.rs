//! Arbitrary bytes as a photographed clock page: `read_clock_shot_from` decodes the
//! JPEG at reduced size and looks for the clock page's QR code. It must never panic
//! (it catches rqrr's panics itself, so libFuzzer's abort-on-any-panic hook is
//! replaced by the default one: a panic that escapes still aborts, through
//! `fuzz_target!`'s own check), and an instant it returns is one a clock page could
//! show.

#![no_main]

use std::sync::Once;

use libfuzzer_sys::fuzz_target;
use liputan::media::clockshot;

fuzz_target!(|data: &[u8]| {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // Caught panics (rqrr's) are the module's business; uncaught ones still
        // abort in fuzz_target!.
        let _ = std::panic::take_hook();
    });
    if let Some(at) = clockshot::read_clock_shot_from(data) {
        let text = clockshot::payload(at);
        assert_eq!(clockshot::parse_payload(&text), Some(at));
        assert!(
            at.as_second() >= 0,
            "a clock page shows no time before 1970"
        );
    }
});
