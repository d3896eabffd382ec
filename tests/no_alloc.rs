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

#[test]
fn no_format_view_encoder_or_gguf_call_allocates() {
    use inlayer::formats::{
        F16Table, Fbgemm4Table, I8Table, Iq3STable, Iq4XsTable, Q2KTable, Q3KTable, Q4KTable,
        Q5KTable, Q6KTable, Q8_0Table, Table, encode_bf16, encode_f16, encode_i8_per_row,
        encode_q4_0, encode_q8_0,
    };
    use inlayer::gather::{Epilogue, gather_cols, gather_view};
    let x: Vec<f32> = (0..4 * 256).map(|i| i as f32 * 0.01 - 5.0).collect();
    let mut q8 = vec![0u8; 4 * 8 * 34];
    let mut q4 = vec![0u8; 4 * 8 * 18];
    let mut h = vec![0u8; 2 * x.len()];
    let mut q = vec![0u8; x.len()];
    let mut s = vec![0.0f32; 4];
    let k2 = vec![0x15u8; 4 * 84];
    let k3 = vec![0x16u8; 4 * 110];
    let k4 = vec![0x11u8; 4 * 144];
    let k5 = vec![0x17u8; 4 * 176];
    let xs = vec![0x18u8; 4 * 136];
    let s3 = vec![0x5au8; 4 * 110];
    let k6 = vec![0x22u8; 4 * 210];
    let f4 = vec![0x33u8; 4 * 132];
    // A minimal GGUF file: one metadata string, one Q8_0 tensor.
    let mut file = b"GGUF".to_vec();
    file.extend(3u32.to_le_bytes());
    file.extend(1u64.to_le_bytes());
    file.extend(1u64.to_le_bytes());
    for (i, s) in ["general.architecture", "llama", "token_embd.weight"]
        .iter()
        .enumerate()
    {
        file.extend((s.len() as u64).to_le_bytes());
        file.extend(s.as_bytes());
        if i == 0 {
            file.extend(8u32.to_le_bytes());
        }
    }
    file.extend(2u32.to_le_bytes());
    file.extend(256u64.to_le_bytes());
    file.extend(4u64.to_le_bytes());
    file.extend(8u32.to_le_bytes());
    file.extend(0u64.to_le_bytes());
    while !file.len().is_multiple_of(32) {
        file.push(0);
    }
    let data_at = file.len();
    file.resize(data_at + q8.len(), 0);
    let mut out = vec![0.0f32; 3 * 260];
    let add = vec![1.0f32; 3 * 256];
    let tokens = [3u32, 0, 2];
    let n = allocations_in(|| {
        encode_q8_0(&x, &mut q8).unwrap();
        encode_q4_0(&x, &mut q4).unwrap();
        encode_f16(&x, &mut h).unwrap();
        encode_bf16(&x, &mut h).unwrap();
        encode_i8_per_row(&x, 256, &mut q, &mut s).unwrap();
        let epi = Epilogue::new().scale(2.0).add(&add).padding_id(0);
        let views: [&dyn Table; 11] = [
            &Q8_0Table::from_bytes(&q8, 256).unwrap(),
            &F16Table::from_bytes(&h, 256).unwrap(),
            &I8Table::per_row(&q, 256, &s).unwrap(),
            &Q2KTable::from_bytes(&k2, 256).unwrap(),
            &Q3KTable::from_bytes(&k3, 256).unwrap(),
            &Q4KTable::from_bytes(&k4, 256).unwrap(),
            &Q5KTable::from_bytes(&k5, 256).unwrap(),
            &Iq4XsTable::from_bytes(&xs, 256).unwrap(),
            &Iq3STable::from_bytes(&s3, 256).unwrap(),
            &Q6KTable::from_bytes(&k6, 256).unwrap(),
            &Fbgemm4Table::from_bytes(&f4, 256).unwrap(),
        ];
        for v in views {
            gather_view(v, &tokens, &epi, &mut out, 260).unwrap();
            gather_cols(v, &tokens, 5..133, &Epilogue::new(), &mut out, 260).unwrap();
        }
        let g = inlayer::gguf::Gguf::parse(&file).unwrap();
        assert_eq!(g.architecture(), Some("llama"));
        let t = g.tensor("token_embd.weight").unwrap().table().unwrap();
        gather_view(&t, &tokens, &epi, &mut out, 260).unwrap();
        // Error paths must not allocate either.
        assert!(Q8_0Table::from_bytes(&q8[1..], 256).is_err());
        assert!(inlayer::gguf::Gguf::parse(&file[..40]).is_err());
    });
    assert_eq!(n, 0, "format kernels allocated {n} times");
}
