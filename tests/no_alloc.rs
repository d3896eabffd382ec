//! Proves that no kernel allocates: a counting global allocator wraps the
//! system one, and every public kernel runs between two reads of the count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    // Per thread, so tests running in parallel do not see each other.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns how many allocations happened meanwhile.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

#[test]
fn no_kernel_allocates() {
    use inlayer::formats::F32Table;
    use inlayer::gather::{Epilogue, gather_view, gather_with};
    let table = vec![[0.5f32; 67]; 100];
    let bytes: Vec<u8> = table
        .as_flattened()
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let add = vec![[1.0f32; 67]; 4];
    let mut out = vec![[0.0f32; 67]; 4];
    let mut flat = vec![0.0f32; 4 * 70];
    let mut grad = vec![[0.0f32; 67]; 100];
    let tokens = [3u32, 98, 3, 0];
    let n = allocations_in(|| {
        inlayer::gather(&table, &tokens, &mut out).unwrap();
        let epi = Epilogue::new()
            .scale(2.0)
            .add(add.as_flattened())
            .padding_id(0);
        gather_with(&table, &tokens, &epi, &mut out).unwrap();
        inlayer::gather_dyn(table.as_flattened(), 67, &tokens, out.as_flattened_mut()).unwrap();
        let view = F32Table::from_bytes(&bytes[..], 67).unwrap();
        gather_view(&view, &tokens, &epi, &mut flat, 70).unwrap();
        let view = F32Table::from_bytes(&bytes[1..1 + 67 * 4 * 99], 67).unwrap();
        gather_view(&view, &tokens, &epi, &mut flat, 70).unwrap();
        inlayer::gather_backward(&out, &tokens, Some(0), &mut grad).unwrap();
        // Error paths must not allocate either.
        assert!(inlayer::gather(&table, &[100], &mut out[..1]).is_err());
    });
    assert_eq!(n, 0, "kernels allocated {n} times");
}

#[test]
fn the_counter_sees_allocations() {
    assert_eq!(allocations_in(|| drop(std::hint::black_box(vec![1u8]))), 1);
}
