//! The checker's compact state encoding (machine/state.rs: `encode`, `decode_from`,
//! `encoded_len`) and the byte budget of the stepper's history (`approx_bytes`), on states
//! built by hand. A search only reaches the values its models reach: a field a bug packs
//! into the wrong bits survives every pinned count while the models leave those bits at
//! zero. Here every field holds a value that fills its width and differs from its
//! neighbours, so each shift, mask and offset of the layout is exercised.

mod common;
use common::assert_encoding_round_trips;
use sdlab_engine::machine::{
    Activation, Bcast, Cpu, Ctx, PageFrame, PscEntry, Pte, Retired, State, Store, Thread, TlbEntry, Window, NO_THREAD,
    PTE_STORE, RUNNABLE, TIMO,
};
use std::mem::size_of;

fn activation(proc: u16, pc: u32, base: u32, ctx: Ctx, ctx_base: bool, saved_if: bool) -> Activation {
    Activation { proc, pc, base, ctx, ctx_base, saved_if }
}

/// A CPU whose every field is set and every list long; `k` varies the values so that no
/// two CPUs encode alike.
fn full_cpu(k: u32) -> Cpu {
    let stack = vec![
        activation(0xFFFF, u32::MAX - k, 0, Ctx::Thread, true, false),
        activation(7, 12 + k, 3, Ctx::Irq(31), true, true),
        activation(9, 0x8000_0000 | k, 5, Ctx::Nmi, true, false),
        activation(2, 1, 6 + k, Ctx::Switch, false, true),
    ];
    Cpu {
        intr: true,
        crit: 0xFFFF - k as u16,
        pin: 0xFFFE - k as u16,
        aspace: 0xFE - k as u8,
        irr: 0x8000_0001 | k << 4,
        isr: 0xF000_000F ^ k << 8,
        nmi_latch: true,
        stack,
        locals: vec![-1, i32::MIN, i32::MAX, k as i32, -(k as i32) - 7],
        tlb: vec![
            TlbEntry { aspace: 0xFF, va: -1, frame: 0xFFFF, gen: 0xFFFF - k as u16, writable: true, dirty: true },
            TlbEntry { aspace: 3 + k as u8, va: 0x1234_5678, frame: 1, gen: 2, writable: false, dirty: true },
            TlbEntry { aspace: 0, va: i32::MIN, frame: 0x8001, gen: 0, writable: true, dirty: false },
        ],
        psc: (0..15).map(|i| PscEntry { aspace: 0xF0 | i as u8, frame: 0xFFFF - i, gen: 0x8000 | i }).collect(),
        thread_done: true,
        sb: (0..15).map(|i| Store { addr: PTE_STORE | (i + k), value: -(i as i32) - 1 }).collect(),
        window: Some(Window { aspace: 0xFD, va: -2 - k as i32 }),
    }
}

/// A CPU with nothing set, every list empty and no window.
fn idle_cpu() -> Cpu {
    Cpu {
        intr: false,
        crit: 0,
        pin: 0,
        aspace: 0,
        irr: 0,
        isr: 0,
        nmi_latch: false,
        stack: Vec::new(),
        locals: Vec::new(),
        tlb: Vec::new(),
        psc: Vec::new(),
        thread_done: false,
        sb: Vec::new(),
        window: None,
    }
}

fn thread(id: u8, cpu: u8, wait: u8, frames: usize) -> Thread {
    Thread {
        id,
        cpu,
        pin: 0xFFFF - id as u16,
        stack: (0..frames)
            .map(|i| activation(i as u16, 0xFFFF_FFF0 + i as u32, 2 * i as u32, Ctx::Thread, i == 0, true))
            .collect(),
        locals: (0..frames as i32 + 2).map(|i| i32::MIN + i).collect(),
        wait,
    }
}

/// A state with every part present and every count and value at the wide end of its field.
fn full_state() -> State {
    State {
        mem: vec![-1, 0, i32::MAX, i32::MIN, 0x5A5A_5A5A],
        cpus: vec![full_cpu(0), idle_cpu(), full_cpu(1)],
        ptes: vec![
            Pte { frame: 0xFFFF, present: true, writable: true, dirty: true, accessed: true },
            Pte { frame: 0, present: false, writable: true, dirty: false, accessed: true },
            Pte { frame: 0x8000, present: true, writable: false, dirty: true, accessed: false },
        ],
        frames: vec![
            PageFrame { allocated: true, clean: true, unseen: true, gen: 0xFFFF },
            PageFrame { allocated: false, clean: true, unseen: false, gen: 0x8001 },
            PageFrame { allocated: true, clean: false, unseen: true, gen: 0 },
        ],
        nmis_left: 0xC3,
        ipi_losses_left: 0xE1,
        bcast: vec![
            Bcast { issuer: 0xFF, aspace: 0xFE, va: -1, pending: u32::MAX },
            Bcast { issuer: 1, aspace: 2, va: 0x7FFF_0000, pending: 0x8000_0001 },
        ],
        retired: vec![Retired { addr: 0xFF_FFFF, owner: 31 }, Retired { addr: 1, owner: 0xFF }],
        threads: vec![thread(0xFF, 0xFE, TIMO | 0x7E, 3), thread(1, 2, RUNNABLE, 0), thread(2, 0, 5, 1)],
        current: vec![0xFE, NO_THREAD, 0],
        preemptions: 0xB4,
    }
}

#[test]
fn a_state_with_every_field_at_its_widest_encodes_and_decodes_back() {
    let st = full_state();
    let words = assert_encoding_round_trips(&st);
    // The header's four words, which pack nine counts: a count shifted or masked wrong
    // decodes another state, which the round trip catches only if the neighbours are set.
    assert_eq!(words[0], 5 | 3 << 24, "mem and current counts");
    assert_eq!(words[1], 3 | 0xC3 << 8 | 2 << 16 | 2 << 24, "cpus, NMI budget, broadcasts, retired");
    assert_eq!(words[2], 3 | 0xB4 << 16 | 0xE1 << 24, "ptes, preemptions, IPI losses");
    assert_eq!(words[3], 3 | 3 << 24, "frames and threads");
}

/// The checker decodes into one scratch state again and again: whatever the scratch held
/// before (more CPUs and threads, fewer, other lengths in every list) must not show.
#[test]
fn decoding_into_a_used_state_leaves_nothing_of_it() {
    let full = full_state();
    let mut small = State::empty();
    small.mem = vec![9];
    small.cpus = vec![idle_cpu()];
    small.threads = vec![thread(3, 0, RUNNABLE, 2)];
    small.current = vec![3];
    for (from, into) in [(&full, small.clone()), (&small, full.clone()), (&full, full.clone()), (&small, small.clone())]
    {
        let mut words = Vec::new();
        from.encode(&mut words);
        let mut scratch = into;
        assert_eq!(scratch.decode_from(&words), words.len());
        assert_eq!(&scratch, from);
    }
}

/// The frontier stores states back to back: decoding reads exactly one state's words and
/// says how many, and encoding overwrites a buffer of any previous length.
#[test]
fn states_back_to_back_decode_one_at_a_time() {
    let a = full_state();
    let mut b = full_state();
    b.cpus.swap(0, 1);
    b.threads.pop();
    let mut buf = vec![0xDEAD_BEEF; 1000];
    a.encode(&mut buf);
    assert_eq!(buf.len(), a.encoded_len());
    let mut all = buf.clone();
    b.encode(&mut buf);
    assert_eq!(buf.len(), b.encoded_len());
    all.extend_from_slice(&buf);
    let mut s = State::empty();
    let n = s.decode_from(&all);
    assert_eq!((n, &s), (a.encoded_len(), &a));
    assert_eq!(s.decode_from(&all[n..]), b.encoded_len());
    assert_eq!(s, b);
}

/// Two states that differ in one field encode differently, for every field: equal words
/// would make the checker merge them.
#[test]
fn a_change_to_any_one_field_changes_the_words() {
    let base = full_state();
    let words = |s: &State| {
        let mut w = Vec::new();
        s.encode(&mut w);
        w
    };
    let w0 = words(&base);
    type Edit = fn(&mut State);
    let edits: &[(&str, Edit)] = &[
        ("mem", |s| s.mem[4] ^= 1 << 30),
        ("intr", |s| s.cpus[0].intr = false),
        ("nmi_latch", |s| s.cpus[0].nmi_latch = false),
        ("thread_done", |s| s.cpus[0].thread_done = false),
        ("crit", |s| s.cpus[2].crit ^= 0x8000),
        ("pin", |s| s.cpus[2].pin ^= 0x8000),
        ("aspace", |s| s.cpus[0].aspace ^= 0x80),
        ("irr", |s| s.cpus[0].irr ^= 1 << 31),
        ("isr", |s| s.cpus[0].isr ^= 1 << 31),
        ("proc", |s| s.cpus[0].stack[0].proc ^= 0x8000),
        ("ctx", |s| s.cpus[0].stack[1].ctx = Ctx::Irq(30)),
        ("ctx_base", |s| s.cpus[0].stack[3].ctx_base = true),
        ("saved_if", |s| s.cpus[0].stack[0].saved_if = true),
        ("pc", |s| s.cpus[0].stack[0].pc ^= 1 << 31),
        ("base", |s| s.cpus[0].stack[3].base ^= 1 << 31),
        ("local", |s| s.cpus[0].locals[0] = 0),
        ("tlb va", |s| s.cpus[0].tlb[1].va ^= 1 << 31),
        ("tlb frame", |s| s.cpus[0].tlb[1].frame ^= 0x8000),
        ("tlb gen", |s| s.cpus[0].tlb[1].gen ^= 0x8000),
        ("tlb aspace", |s| s.cpus[0].tlb[1].aspace ^= 0x80),
        ("tlb writable", |s| s.cpus[0].tlb[1].writable ^= true),
        ("tlb dirty", |s| s.cpus[0].tlb[1].dirty ^= true),
        ("psc aspace", |s| s.cpus[0].psc[3].aspace ^= 0x80),
        ("psc frame", |s| s.cpus[0].psc[3].frame ^= 0x8000),
        ("psc gen", |s| s.cpus[0].psc[3].gen ^= 0x4000),
        ("store addr", |s| s.cpus[0].sb[2].addr ^= 1 << 30),
        ("store value", |s| s.cpus[0].sb[2].value ^= 1 << 31),
        ("window", |s| s.cpus[0].window = None),
        ("window aspace", |s| s.cpus[0].window.as_mut().unwrap().aspace ^= 0x80),
        ("window va", |s| s.cpus[0].window.as_mut().unwrap().va ^= 1 << 31),
        ("pte", |s| s.ptes[1].accessed = false),
        ("frame allocated", |s| s.frames[0].allocated = false),
        ("frame clean", |s| s.frames[0].clean = false),
        ("frame unseen", |s| s.frames[0].unseen = false),
        ("frame gen", |s| s.frames[0].gen ^= 0x8000),
        ("nmis_left", |s| s.nmis_left ^= 0x80),
        ("ipi_losses_left", |s| s.ipi_losses_left ^= 0x80),
        ("preemptions", |s| s.preemptions ^= 0x80),
        ("bcast issuer", |s| s.bcast[1].issuer ^= 0x80),
        ("bcast aspace", |s| s.bcast[1].aspace ^= 0x80),
        ("bcast va", |s| s.bcast[1].va ^= 1 << 31),
        ("bcast pending", |s| s.bcast[1].pending ^= 1 << 31),
        ("retired addr", |s| s.retired[1].addr ^= 1 << 23),
        ("retired owner", |s| s.retired[1].owner ^= 0x10),
        ("current", |s| s.current[2] ^= 0x80),
        ("thread id", |s| s.threads[1].id ^= 0x80),
        ("thread cpu", |s| s.threads[1].cpu ^= 0x80),
        ("thread pin", |s| s.threads[1].pin ^= 0x8000),
        ("thread wait", |s| s.threads[1].wait = TIMO),
        ("thread stack", |s| s.threads[0].stack[2].pc ^= 1),
        ("thread local", |s| s.threads[0].locals[4] ^= 1 << 31),
    ];
    for (field, edit) in edits {
        let mut s = base.clone();
        edit(&mut s);
        assert_ne!(s, base, "{field}: the edit changed nothing");
        assert_ne!(words(&s), w0, "{field}: a different state, the same words");
        assert_encoding_round_trips(&s);
    }
}

/// `approx_bytes` budgets the stepper's history: each element a state holds adds its
/// size in memory, whichever list holds it (a list counted at the wrong size lets a long
/// history outgrow the budget, or cuts it short).
#[test]
fn the_byte_budget_grows_by_the_size_of_each_element_added() {
    let base = full_state();
    let b0 = base.approx_bytes();
    assert!(b0 > size_of::<State>() + 3 * size_of::<Cpu>());
    type Edit = fn(&mut State);
    let grows: &[(&str, Edit, usize)] = &[
        ("mem word", |s| s.mem.push(1), 4),
        ("cpu", |s| s.cpus.push(idle_cpu()), size_of::<Cpu>()),
        ("activation", |s| s.cpus[1].stack.push(activation(0, 0, 0, Ctx::Thread, true, true)), size_of::<Activation>()),
        ("local", |s| s.cpus[1].locals.push(0), 4),
        ("tlb entry", |s| s.cpus[1].tlb.push(full_cpu(0).tlb[0]), size_of::<TlbEntry>()),
        ("psc entry", |s| s.cpus[1].psc.push(full_cpu(0).psc[0]), size_of::<PscEntry>()),
        ("store", |s| s.cpus[1].sb.push(Store { addr: 0, value: 0 }), size_of::<Store>()),
        ("pte", |s| s.ptes.push(Pte::from_word(0)), size_of::<Pte>()),
        (
            "frame",
            |s| s.frames.push(PageFrame { allocated: false, clean: false, unseen: false, gen: 0 }),
            size_of::<PageFrame>(),
        ),
        ("broadcast", |s| s.bcast.push(Bcast { issuer: 0, aspace: 0, va: 0, pending: 0 }), size_of::<Bcast>()),
        ("retired", |s| s.retired.push(Retired { addr: 0, owner: 0 }), size_of::<Retired>()),
        ("current", |s| s.current.push(0), 1),
        ("thread", |s| s.threads.push(thread(9, 0, RUNNABLE, 0)), size_of::<Thread>() + 2 * 4),
        (
            "thread activation",
            |s| s.threads[1].stack.push(activation(0, 0, 0, Ctx::Thread, true, true)),
            size_of::<Activation>(),
        ),
        ("thread local", |s| s.threads[1].locals.push(0), 4),
    ];
    for (what, edit, size) in grows {
        let mut s = base.clone();
        edit(&mut s);
        assert_eq!(s.approx_bytes(), b0 + size, "one {what} more");
    }
    assert_eq!(State::empty().approx_bytes(), size_of::<State>());
}

/// A PTE as one word: each bit in its place and back.
#[test]
fn a_pte_word_holds_each_bit_apart() {
    let cases = [
        (Pte { frame: 0xFFFF, present: false, writable: false, dirty: false, accessed: false }, 0xFFFF),
        (Pte { frame: 0, present: true, writable: false, dirty: false, accessed: false }, 1 << 16),
        (Pte { frame: 0, present: false, writable: true, dirty: false, accessed: false }, 1 << 17),
        (Pte { frame: 0, present: false, writable: false, dirty: true, accessed: false }, 1 << 18),
        (Pte { frame: 0, present: false, writable: false, dirty: false, accessed: true }, 1 << 19),
        (Pte { frame: 0x8001, present: true, writable: true, dirty: true, accessed: true }, 0xF_8001),
    ];
    for (pte, word) in cases {
        assert_eq!(pte.word(), word, "{pte:?}");
        assert_eq!(Pte::from_word(word), pte);
    }
}

/// A freed frame gives a walk a generation it does not have, so a use through that
/// translation is stale even after the frame is allocated again (G-STALE); an allocated
/// frame gives its own and holds only it.
#[test]
fn a_translation_of_a_free_frame_never_holds() {
    let live = PageFrame { allocated: true, clean: false, unseen: false, gen: 7 };
    assert_eq!(live.gen_for_translation(), 7);
    assert!(live.holds(7));
    assert!(!live.holds(6) && !live.holds(8));
    let free = PageFrame { allocated: false, ..live };
    assert_eq!(free.gen_for_translation(), 6);
    assert!(!free.holds(7) && !free.holds(6));
    let wrapped = PageFrame { allocated: false, gen: 0, ..live };
    assert_eq!(wrapped.gen_for_translation(), u16::MAX);
    let reused = PageFrame { gen: free.gen + 1, ..live };
    assert!(!reused.holds(free.gen_for_translation()));
}

#[test]
fn a_thread_s_wait_word_names_its_channel() {
    let t = |wait| Thread { id: 0, cpu: 0, pin: 0, stack: Vec::new(), locals: Vec::new(), wait };
    assert!(t(RUNNABLE).runnable());
    assert_eq!(t(RUNNABLE).wchan(), None);
    assert!(!t(1).runnable());
    assert_eq!(t(1).wchan(), Some(0));
    assert_eq!(t(0x7F).wchan(), Some(0x7E));
    assert_eq!(t(TIMO | 3).wchan(), Some(2));
    assert!(!t(TIMO | 3).runnable());
}

#[test]
fn a_buffered_store_names_a_page_table_slot_only_when_tagged() {
    assert_eq!(Store { addr: PTE_STORE | 4095, value: 0 }.pte_slot(), Some(4095));
    assert_eq!(Store { addr: PTE_STORE, value: 0 }.pte_slot(), Some(0));
    assert_eq!(Store { addr: 4095, value: 0 }.pte_slot(), None);
    assert_eq!(Store { addr: 0, value: 0 }.pte_slot(), None);
}

/// What a search copies between states: a whole clone, a `clone_from` into a state of
/// another shape, and `restore` after a CPU's step, which copies only what that step
/// could change.
#[test]
fn copies_into_used_states_are_whole() {
    let full = full_state();
    let mut other = State::empty();
    other.cpus = vec![idle_cpu()];
    other.clone_from(&full);
    assert_eq!(other, full);
    let mut back = full.clone();
    back.clone_from(&State::empty());
    assert_eq!(back, State::empty());
    // `restore` after CPU 2 stepped: its own buffers and every CPU's scalars come back.
    let mut stepped = full.clone();
    stepped.cpus[2].tlb.clear();
    stepped.cpus[2].locals.push(5);
    stepped.cpus[0].irr = 0;
    stepped.cpus[1].intr = true;
    stepped.mem.push(4);
    stepped.threads.clear();
    stepped.current.clear();
    stepped.nmis_left = 0;
    stepped.preemptions = 0;
    stepped.restore(&full, 2);
    assert_eq!(stepped, full);
    let mut c = idle_cpu();
    c.clone_from(&full.cpus[0]);
    assert_eq!(c, full.cpus[0]);
}
