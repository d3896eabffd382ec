//! The build under test runs the SIMD backend CI asked for.
//!
//! `.ci/run` sets `INLAYER_EXPECT_BACKEND` (a substring of
//! [`inlayer::BACKEND`], e.g. `AVX2` or `NEON`) for each configuration of its
//! test matrix, so a `RUSTFLAGS` that silently failed to reach `wide` (or a
//! runner that ran the wrong binary) fails the run instead of testing the
//! same backend twice. Without the variable the test only prints the backend.

#[test]
fn backend_is_the_one_ci_expects() {
    println!("inlayer::BACKEND = {}", inlayer::BACKEND);
    if let Ok(want) = std::env::var("INLAYER_EXPECT_BACKEND") {
        assert!(
            inlayer::BACKEND.contains(want.as_str()),
            "expected a backend containing {want:?}, this build runs {:?}",
            inlayer::BACKEND
        );
    }
}
