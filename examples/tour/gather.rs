//! Tour part 1: the token-embedding gather.

pub fn run() {
    println!("gather: (being written)");
}
