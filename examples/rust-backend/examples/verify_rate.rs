//! `verify_rate HASH PASSWORD COUNT`: time the twin's own password check COUNT times
//! and print each duration in seconds, as a JSON list.
//!
//! The benchmarks run it on one core to find the bound of `POST /api/v1/auths/signin`:
//! a signin is one verify, so no server can sign in faster than this. Its Python twin
//! is `tools/bench/verify_rate.py`.

use std::time::Instant;

use reference_backend::utils::auth::passwords::verify_password;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [hash, password, count] = args.as_slice() else {
        eprintln!("usage: verify_rate HASH PASSWORD COUNT");
        std::process::exit(2);
    };
    let count: usize = count.parse().expect("COUNT is a number");
    let samples: Vec<f64> = (0..count)
        .map(|_| {
            let started = Instant::now();
            assert!(
                verify_password(password, Some(hash)),
                "the password must verify"
            );
            started.elapsed().as_secs_f64()
        })
        .collect();
    println!("{samples:?}");
}
